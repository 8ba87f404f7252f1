"""Every blueprint of the pages, in registration order."""

from chalice import Blueprint

from chalicelib.web import account, assets, kb_pages, portal


def blueprints() -> list[Blueprint]:
    return [assets.assets_bp, account.account_bp, portal.portal_bp, kb_pages.kb_pages_bp]
