"""Every blueprint of the pages, in registration order."""

from chalice import Blueprint

from chalicelib.web import (
    account,
    agent,
    approval,
    assets,
    dashboard,
    kb_pages,
    portal,
    rules_page,
    survey,
    watchers,
)


def blueprints() -> list[Blueprint]:
    return [
        assets.assets_bp,
        account.account_bp,
        portal.portal_bp,
        kb_pages.kb_pages_bp,
        survey.survey_bp,
        approval.approval_bp,
        agent.agent_bp,
        dashboard.dashboard_bp,
        watchers.watchers_bp,
        rules_page.rules_page_bp,
    ]
