"""Routing and automation rules: supervisors list, write and order them (docs/rules.md)."""

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import (
    etag,
    if_match_version,
    json_response,
    location,
    parse_body,
    query,
    validate,
)
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.common import PageQuery
from chalicelib.api.schemas.rules import RuleIn, RuleList, RuleOut
from chalicelib.wiring import rule_service

rules_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
_FIELDS = set(RuleOut.model_fields)


def render_rule(document: dict[str, Any]) -> dict[str, Any]:
    return RuleOut.model_validate({k: document.get(k) for k in _FIELDS}).model_dump(mode="json")


def _stored(body: RuleIn) -> dict[str, Any]:
    # By alias: a text condition's `in` is stored as written.
    return body.model_dump(mode="json", by_alias=True, exclude_none=True)


def _one(document: dict[str, Any], status: int = 200, **headers: str) -> Response:
    return json_response(
        render_rule(document),
        status=status,
        headers={"ETag": etag(document["version"]), **headers},
    )


@rules_bp.route("/v1/rules", methods=["GET"], authorizer=bearer)
@handled
def list_rules() -> Response:
    request = rules_bp.current_request
    principal = current_principal(request)
    params = validate(PageQuery, query(request))
    page = rule_service().list_rules(principal, params.limit, params.cursor)
    return json_response(
        {"items": [render_rule(d) for d in page.items], "next_cursor": page.next_cursor}
    )


@rules_bp.route("/v1/rules", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_rule() -> Response:
    request = rules_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, RuleIn)
    document = rule_service().create(principal, _stored(body))
    return _one(document, 201, Location=location(request, f"/v1/rules/{document['id']}"))


@rules_bp.route("/v1/rules/{rule_id}", methods=["GET"], authorizer=bearer)
@handled
def get_rule(rule_id: str) -> Response:
    principal = current_principal(rules_bp.current_request)
    return _one(rule_service().get(principal, rule_id))


@rules_bp.route("/v1/rules/{rule_id}", methods=["PUT"], authorizer=bearer, content_types=ANY_BODY)
@handled
def put_rule(rule_id: str) -> Response:
    request = rules_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, RuleIn)
    expected = if_match_version(request)
    return _one(rule_service().replace_rule(principal, rule_id, _stored(body), expected))


@rules_bp.route("/v1/rules/{rule_id}", methods=["DELETE"], authorizer=bearer)
@handled
def delete_rule(rule_id: str) -> Response:
    request = rules_bp.current_request
    principal = current_principal(request)
    expected = if_match_version(request) if request.headers.get("if-match") else None
    rule_service().delete(principal, rule_id, expected)
    return Response(body="", status_code=204)


_WRITE_ERRORS = (400, 403, 409, 413, 415, 422)

OPERATIONS = [
    Operation("GET", "/v1/rules", "Routing rules in evaluation order", {200: RuleList},
              query=PageQuery, errors=(400, 403, 422), tag="rules"),
    Operation("POST", "/v1/rules", "Add a routing rule", {201: RuleOut}, body=RuleIn,
              errors=_WRITE_ERRORS, tag="rules"),
    Operation("GET", "/v1/rules/{rule_id}", "One routing rule", {200: RuleOut},
              errors=(403, 404), tag="rules"),
    Operation("PUT", "/v1/rules/{rule_id}", "Replace a routing rule", {200: RuleOut},
              body=RuleIn, errors=(*_WRITE_ERRORS, 404, 412, 428),
              headers={"If-Match": "the ETag of the version you replace"}, tag="rules"),
    Operation("DELETE", "/v1/rules/{rule_id}",
              "Delete a routing rule (with If-Match: only if still that version)", {204: None},
              errors=(403, 404, 412), tag="rules"),
]  # fmt: skip
