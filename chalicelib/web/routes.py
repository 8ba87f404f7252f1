"""Every blueprint of the pages, in registration order."""

from chalice import Blueprint

from chalicelib.web import (
    account,
    agent,
    agent_kb,
    approval,
    assets,
    catalog_pages,
    dashboard,
    kb_pages,
    portal,
    problems,
    rules_page,
    settings_page,
    survey,
    unsubscribe,
    uploads,
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
        problems.problems_bp,
        uploads.uploads_bp,
        catalog_pages.catalog_pages_bp,
        agent_kb.agent_kb_bp,
        watchers.watchers_bp,
        rules_page.rules_page_bp,
        unsubscribe.unsubscribe_bp,
        settings_page.settings_page_bp,
    ]
