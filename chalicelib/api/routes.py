"""Every blueprint of the HTTP API, in registration order, and their declared operations."""

from chalice import Blueprint

from chalicelib.api import (
    announcements,
    approvals,
    attachments,
    auth,
    catalog,
    gdpr,
    identity,
    kb,
    macros,
    meta,
    problems,
    reports,
    rules,
    sla,
    tenant_settings,
    tenants,
    tickets,
    watchers,
    webhooks,
)
from chalicelib.api.openapi import Operation


def blueprints() -> list[Blueprint]:
    # The authorizer's blueprint comes first: routes of the others refer to it.
    return [
        auth.auth_bp,
        meta.meta_bp,
        identity.identity_bp,
        tickets.tickets_bp,
        attachments.attachments_bp,
        sla.sla_bp,
        tenants.tenants_bp,
        gdpr.gdpr_bp,
        rules.rules_bp,
        webhooks.webhooks_bp,
        catalog.catalog_bp,
        problems.problems_bp,
        approvals.approvals_bp,
        macros.macros_bp,
        announcements.announcements_bp,
        reports.reports_bp,
        kb.kb_bp,
        watchers.watchers_bp,
        tenant_settings.tenant_settings_bp,
    ]


def all_operations() -> list[Operation]:
    return [
        *meta.OPERATIONS,
        *identity.OPERATIONS,
        *tickets.OPERATIONS,
        *attachments.OPERATIONS,
        *sla.OPERATIONS,
        *tenants.OPERATIONS,
        *gdpr.OPERATIONS,
        *rules.OPERATIONS,
        *webhooks.OPERATIONS,
        *catalog.OPERATIONS,
        *problems.OPERATIONS,
        *approvals.OPERATIONS,
        *macros.OPERATIONS,
        *announcements.OPERATIONS,
        *reports.OPERATIONS,
        *kb.OPERATIONS,
        *watchers.OPERATIONS,
        *tenant_settings.OPERATIONS,
    ]
