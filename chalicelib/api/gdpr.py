"""GDPR access and erasure of a requester's personal data (admins)."""

from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.gdpr import RequesterExport
from chalicelib.wiring import gdpr_service

gdpr_bp = Blueprint(__name__)


@gdpr_bp.route("/v1/requesters/{email}/export", methods=["GET"], authorizer=bearer)
@handled
def export_requester(email: str) -> Response:
    principal = current_principal(gdpr_bp.current_request)
    document = gdpr_service().export(principal, unquote(email))
    return json_response(RequesterExport.model_validate(document))


@gdpr_bp.route("/v1/requesters/{email}", methods=["DELETE"], authorizer=bearer)
@handled
def erase_requester(email: str) -> Response:
    principal = current_principal(gdpr_bp.current_request)
    gdpr_service().erase(principal, unquote(email))
    return Response(body="", status_code=204)


OPERATIONS = [
    Operation("GET", "/v1/requesters/{email}/export", "GDPR access: a requester's data",
              {200: RequesterExport}, errors=(403, 404), tag="gdpr"),
    Operation("DELETE", "/v1/requesters/{email}",
              "GDPR erasure: pseudonymise a requester, keep the statistics",
              {204: None}, errors=(403, 404, 409), tag="gdpr"),
]  # fmt: skip
