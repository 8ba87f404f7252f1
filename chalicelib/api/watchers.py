"""Watchers of a ticket: parse → WatcherService → render (docs/watchers.md)."""

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response, location, parse_body
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.watchers import WatcherIn, WatcherList, WatcherOut
from chalicelib.api.tickets import parse_number
from chalicelib.domain.errors import NotFound
from chalicelib.domain.watchers import Watcher
from chalicelib.wiring import watcher_service

watchers_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


def render_watcher(watcher: Watcher) -> dict[str, Any]:
    return WatcherOut(
        email=watcher.email, added_by=watcher.added_by, added_at=watcher.added_at
    ).model_dump(mode="json")


@watchers_bp.route("/v1/tickets/{number}/watchers", methods=["GET"], authorizer=bearer)
@handled
def list_watchers(number: str) -> Response:
    principal = current_principal(watchers_bp.current_request)
    found = watcher_service().listed(principal, parse_number(number))
    return json_response({"items": [render_watcher(w) for w in found], "next_cursor": None})


@watchers_bp.route(
    "/v1/tickets/{number}/watchers", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def add_watcher(number: str) -> Response:
    request = watchers_bp.current_request
    principal = current_principal(request)
    ticket = parse_number(number)
    body = parse_body(request, WatcherIn)
    watcher, added = watcher_service().add(principal, ticket, body.email)
    where = location(request, f"/v1/tickets/{ticket}/watchers/{watcher.email}")
    return json_response(
        render_watcher(watcher), status=201 if added else 200, headers={"Location": where}
    )


@watchers_bp.route("/v1/tickets/{number}/watchers/{email}", methods=["DELETE"], authorizer=bearer)
@handled
def remove_watcher(number: str, email: str) -> Response:
    principal = current_principal(watchers_bp.current_request)
    address = unquote(email)
    if "@" not in address or len(address) > 254:
        raise NotFound("No such watcher.")
    watcher_service().remove(principal, parse_number(number), address)
    return Response(body="", status_code=204)


OPERATIONS = [
    Operation("GET", "/v1/tickets/{number}/watchers", "Who watches the ticket",
              {200: WatcherList}, errors=(404,), tag="tickets"),
    Operation("POST", "/v1/tickets/{number}/watchers",
              "Copy someone on the ticket's public changes (201; 200 if already watching)",
              {201: WatcherOut, 200: WatcherOut}, body=WatcherIn,
              errors=(400, 403, 404, 409, 415, 422), tag="tickets"),
    Operation("DELETE", "/v1/tickets/{number}/watchers/{email}", "Stop copying someone",
              {204: None}, errors=(403, 404), tag="tickets"),
]  # fmt: skip
