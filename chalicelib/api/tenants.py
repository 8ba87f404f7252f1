"""Tenant onboarding for the provider's operators."""

import time

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response, location, parse_body
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.tenants import (
    MetricsBackfillDone,
    MetricsBackfillRequest,
    TenantCreate,
    TenantCreated,
)
from chalicelib.services.tenants import onboard_tenant
from chalicelib.settings import get_settings
from chalicelib.wiring import metrics_backfill, sla_settings

tenants_bp = Blueprint(__name__)


@tenants_bp.route("/v1/tenants", methods=["POST"], authorizer=bearer, content_types=["*/*"])
@handled
def create_tenant() -> Response:
    request = tenants_bp.current_request
    body = parse_body(request, TenantCreate)
    done = onboard_tenant(
        current_principal(request),
        tenant_id=body.id,
        name=body.name,
        locale=body.locale,
        timezone=body.timezone,
        inbound_address=body.inbound_address,
        admin_email=body.admin_email,
        admin_name=body.admin_name,
        sla=sla_settings(),
        region=get_settings().region,
    )
    created = TenantCreated(
        id=done.tenant, admin_email=done.admin, admin_invited=True, mail_setup=done.mail_setup
    )
    return json_response(
        created, status=201, headers={"Location": location(request, f"/v1/tenants/{done.tenant}")}
    )


# API Gateway gives up on a request after 29 s; a call stops well before and says where.
BACKFILL_SECONDS = 20.0


@tenants_bp.route(
    "/v1/tenants/{tenant}/metrics-backfill",
    methods=["POST"],
    authorizer=bearer,
    content_types=["*/*"],
)
@handled
def backfill_metrics(tenant: str) -> Response:
    request = tenants_bp.current_request
    body = parse_body(request, MetricsBackfillRequest) if request.raw_body else None
    deadline = time.monotonic() + BACKFILL_SECONDS
    report = metrics_backfill().run_as(
        current_principal(request),
        tenant,
        body.cursor if body else None,
        out_of_time=lambda: time.monotonic() > deadline,
    )
    return json_response(MetricsBackfillDone(**report.as_dict()))


OPERATIONS = [
    Operation(
        "POST",
        "/v1/tenants",
        "Onboard a tenant and invite its admin (operator)",
        {201: TenantCreated},
        body=TenantCreate,
        errors=(400, 403, 409, 413, 415, 422),
        tag="tenants",
    ),
    Operation(
        "POST",
        "/v1/tenants/{tenant}/metrics-backfill",
        "Count a tenant's tickets filed before report metrics existed; idempotent, resumable "
        "with next_cursor (operator)",
        {200: MetricsBackfillDone},
        body=MetricsBackfillRequest,
        errors=(400, 403, 413, 415, 422),
        tag="tenants",
    ),
]
