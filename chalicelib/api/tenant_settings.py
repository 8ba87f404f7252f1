"""The caller's own tenant settings, for its admins: GET and PATCH /v1/tenant.

There is no tenant in the path: the tenant is the caller's, so another tenant's settings
cannot be asked for at all.
"""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import etag, if_match_version, json_response, parse_body
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.tenant_settings import TenantSettingsOut, TenantSettingsPatch
from chalicelib.services.tenant_settings import TenantSettings
from chalicelib.wiring import tenant_settings

tenant_settings_bp = Blueprint(__name__)


def _answer(current: TenantSettings) -> Response:
    body = TenantSettingsOut(
        tenant=current.tenant,
        timezone=current.timezone,
        version=current.version,
        updated_at=current.updated_at,
        updated_by=current.updated_by,
        **current.values,
    )
    return json_response(body, headers={"ETag": etag(current.version)})


@tenant_settings_bp.route("/v1/tenant", methods=["GET"], authorizer=bearer)
@handled
def get_tenant_settings() -> Response:
    principal = current_principal(tenant_settings_bp.current_request)
    return _answer(tenant_settings().get(principal))


@tenant_settings_bp.route("/v1/tenant", methods=["PATCH"], authorizer=bearer, content_types=["*/*"])
@handled
def patch_tenant_settings() -> Response:
    request = tenant_settings_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, TenantSettingsPatch)
    expected = if_match_version(request)
    return _answer(tenant_settings().update(principal, body.changes(), expected))


OPERATIONS = [
    Operation("GET", "/v1/tenant", "Your tenant's settings (admin)", {200: TenantSettingsOut},
              errors=(403,), tag="tenants"),
    Operation("PATCH", "/v1/tenant",
              "Change your tenant's settings (admin); only the fields sent change",
              {200: TenantSettingsOut}, body=TenantSettingsPatch,
              errors=(400, 403, 412, 413, 415, 422, 428),
              headers={"If-Match": "the ETag of the version you changed"}, tag="tenants"),
]  # fmt: skip
