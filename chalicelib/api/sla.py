"""Business hours and SLA policies: read by agents, replaced by supervisors with If-Match."""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import etag, if_match_version, json_response, parse_body
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.sla import BusinessHours, BusinessHoursOut, SlaPolicies, SlaPoliciesOut
from chalicelib.services.sla import Versioned
from chalicelib.wiring import sla_settings

sla_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
_SHAPES = {"hours": (BusinessHours, BusinessHoursOut), "policies": (SlaPolicies, SlaPoliciesOut)}


def _answer(part: str, current: Versioned) -> Response:
    shape = _SHAPES[part][1]
    body = shape.model_validate({**current.document, "version": current.version})
    return json_response(body.model_dump(mode="json"), headers={"ETag": etag(current.version)})


def _read(part: str) -> Response:
    principal = current_principal(sla_bp.current_request)
    return _answer(part, sla_settings().read(principal, part))


def _replace(part: str) -> Response:
    request = sla_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, _SHAPES[part][0])
    expected = if_match_version(request)
    written = sla_settings().replace(principal, part, body.model_dump(mode="json"), expected)
    return _answer(part, written)


@sla_bp.route("/v1/business-hours", methods=["GET"], authorizer=bearer)
@handled
def get_business_hours() -> Response:
    return _read("hours")


@sla_bp.route("/v1/business-hours", methods=["PUT"], authorizer=bearer, content_types=ANY_BODY)
@handled
def put_business_hours() -> Response:
    return _replace("hours")


@sla_bp.route("/v1/sla-policies", methods=["GET"], authorizer=bearer)
@handled
def get_sla_policies() -> Response:
    return _read("policies")


@sla_bp.route("/v1/sla-policies", methods=["PUT"], authorizer=bearer, content_types=ANY_BODY)
@handled
def put_sla_policies() -> Response:
    return _replace("policies")


_PUT_ERRORS = (400, 403, 412, 413, 415, 422, 428)
_IF_MATCH = {"If-Match": "the ETag of the version you replace"}

OPERATIONS = [
    Operation("GET", "/v1/business-hours", "The business calendar", {200: BusinessHoursOut},
              errors=(403,), tag="sla"),
    Operation("PUT", "/v1/business-hours", "Replace the business calendar",
              {200: BusinessHoursOut}, body=BusinessHours, errors=_PUT_ERRORS,
              headers=_IF_MATCH, tag="sla"),
    Operation("GET", "/v1/sla-policies", "SLA targets per priority", {200: SlaPoliciesOut},
              errors=(403,), tag="sla"),
    Operation("PUT", "/v1/sla-policies", "Replace the SLA targets", {200: SlaPoliciesOut},
              body=SlaPolicies, errors=_PUT_ERRORS, headers=_IF_MATCH, tag="sla"),
]  # fmt: skip
