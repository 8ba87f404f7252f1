"""Every blueprint of the HTTP API, in registration order, and their declared operations."""

from chalice import Blueprint

from chalicelib.api import attachments, auth, gdpr, identity, kb, meta, sla, tenants, tickets
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
        kb.kb_bp,
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
        *kb.OPERATIONS,
    ]
