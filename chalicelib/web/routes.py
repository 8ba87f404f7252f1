"""Every blueprint of the pages, in registration order."""

from chalice import Blueprint

from chalicelib.web import account, agent, assets, portal


def blueprints() -> list[Blueprint]:
    return [assets.assets_bp, account.account_bp, portal.portal_bp, agent.agent_bp]
