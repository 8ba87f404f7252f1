"""Response templates (macros): parse → call the macro service → render."""

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
from chalicelib.api.schemas.macros import (
    MacroIn,
    MacroList,
    MacroOut,
    MacroRender,
    MacroRendered,
)
from chalicelib.domain.macros import Macro
from chalicelib.services.macros import MacroFields
from chalicelib.wiring import macro_service

macros_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


def _fields(body: MacroIn) -> MacroFields:
    actions = body.actions.model_dump(exclude_none=True)
    return MacroFields(name=body.name, body=body.body.as_dict(), scope=body.scope, actions=actions)


def render_macro(macro: Macro) -> MacroOut:
    return MacroOut(
        id=macro.id,
        name=macro.name,
        body=macro.body,
        scope=macro.scope,
        owner=macro.owner,
        actions=macro.actions,
        version=macro.version,
        created_at=macro.created_at,
        updated_at=macro.updated_at,
    )


@macros_bp.route("/v1/macros", methods=["GET"], authorizer=bearer)
@handled
def list_macros() -> Response:
    request = macros_bp.current_request
    params = validate(PageQuery, query(request))
    page = macro_service().list_for(current_principal(request), params.limit, params.cursor)
    items = [render_macro(m) for m in page.items]
    return json_response(MacroList(items=items, next_cursor=page.next_cursor))


@macros_bp.route("/v1/macros", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_macro() -> Response:
    request = macros_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, MacroIn)
    macro = macro_service().create(principal, _fields(body))
    return json_response(
        render_macro(macro),
        status=201,
        headers={
            "Location": location(request, f"/v1/macros/{macro.id}"),
            "ETag": etag(macro.version),
        },
    )


@macros_bp.route("/v1/macros/{macro_id}", methods=["PUT"], authorizer=bearer,
                 content_types=ANY_BODY)  # fmt: skip
@handled
def replace_macro(macro_id: str) -> Response:
    request = macros_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, MacroIn)
    expected = if_match_version(request)
    macro = macro_service().replace(principal, macro_id, _fields(body), expected)
    return json_response(render_macro(macro), headers={"ETag": etag(macro.version)})


@macros_bp.route("/v1/macros/{macro_id}", methods=["DELETE"], authorizer=bearer)
@handled
def delete_macro(macro_id: str) -> Response:
    request = macros_bp.current_request
    # If-Match is optional here: with it, only the version the client saw is deleted.
    expected = if_match_version(request) if request.headers.get("if-match") else None
    macro_service().delete(current_principal(request), macro_id, expected)
    return Response(body="", status_code=204)


@macros_bp.route("/v1/macros/{macro_id}/render", methods=["POST"], authorizer=bearer,
                 content_types=ANY_BODY)  # fmt: skip
@handled
def render(macro_id: str) -> Response:
    request = macros_bp.current_request
    body = parse_body(request, MacroRender)
    rendered = macro_service().render_for(current_principal(request), macro_id, body.ticket)
    return json_response(
        MacroRendered(body=rendered.body, language=rendered.language, actions=rendered.actions)
    )


OPERATIONS = [
    Operation("GET", "/v1/macros", "Shared macros and your own, by name", {200: MacroList},
              query=PageQuery, errors=(400, 403, 422), tag="macros"),
    Operation("POST", "/v1/macros", "Make a macro (shared ones: supervisor+)",
              {201: MacroOut}, body=MacroIn, errors=(400, 403, 413, 415, 422), tag="macros"),
    Operation("PUT", "/v1/macros/{macro_id}", "Replace a macro", {200: MacroOut},
              body=MacroIn, errors=(400, 403, 404, 412, 413, 415, 422, 428),
              headers={"If-Match": "the ETag of the version you replace"}, tag="macros"),
    Operation("DELETE", "/v1/macros/{macro_id}", "Delete a macro", {204: None},
              errors=(403, 404, 412), tag="macros"),
    Operation("POST", "/v1/macros/{macro_id}/render",
              "The macro filled in for a ticket, in its requester's language",
              {200: MacroRendered}, body=MacroRender, errors=(400, 403, 404, 413, 415, 422),
              tag="macros"),
]  # fmt: skip
