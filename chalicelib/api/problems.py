"""Problem management over HTTP: RCA, linking incidents, resolving with them (agents+)."""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import etag, if_match_version, json_response, parse_body, query, validate
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.common import PageQuery
from chalicelib.api.schemas.problems import (
    KnownErrorList,
    KnownErrorQuery,
    LinkCreate,
    LinkedList,
    LinkOut,
    ProblemResolve,
    ProblemResolved,
    Rca,
)
from chalicelib.api.schemas.tickets import TicketOut
from chalicelib.api.tickets import parse_number, render_ticket
from chalicelib.wiring import problem_service

problems_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


@problems_bp.route(
    "/v1/tickets/{number}/rca", methods=["PUT"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def put_rca(number: str) -> Response:
    request = problems_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, Rca)
    expected = if_match_version(request)
    ticket = problem_service().set_rca(principal, ticket_number, body.model_dump(), expected)
    return json_response(render_ticket(principal, ticket), headers={"ETag": etag(ticket.version)})


@problems_bp.route(
    "/v1/tickets/{number}/links", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def link_incidents(number: str) -> Response:
    request = problems_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, LinkCreate)
    linked = problem_service().link(principal, ticket_number, body.incidents)
    return json_response(LinkOut(linked=linked))


@problems_bp.route("/v1/tickets/{number}/links", methods=["GET"], authorizer=bearer)
@handled
def list_links(number: str) -> Response:
    request = problems_bp.current_request
    principal = current_principal(request)
    params = validate(PageQuery, query(request))
    page = problem_service().linked(principal, parse_number(number), params.limit, params.cursor)
    items = [render_ticket(principal, t) for t in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})


@problems_bp.route(
    "/v1/tickets/{number}/resolve", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def resolve_problem(number: str) -> Response:
    request = problems_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, ProblemResolve)
    expected = if_match_version(request)
    ticket, outcome = problem_service().resolve(
        principal, ticket_number, expected, body.message, body.resolve_incidents
    )
    return json_response(
        {"ticket": render_ticket(principal, ticket), "incidents": outcome},
        headers={"ETag": etag(ticket.version)},
    )


@problems_bp.route("/v1/known-errors", methods=["GET"], authorizer=bearer)
@handled
def search_known_errors() -> Response:
    request = problems_bp.current_request
    principal = current_principal(request)
    params = validate(KnownErrorQuery, query(request))
    found = problem_service().known_errors(principal, params.q, limit=params.limit)
    return json_response({"items": [render_ticket(principal, t) for t in found]})


_ERRORS = (400, 403, 404, 409, 413, 415, 422)
_IF_MATCH = {"If-Match": "the ETag of the problem's version you change"}

OPERATIONS = [
    Operation("PUT", "/v1/tickets/{number}/rca", "A problem's root-cause analysis",
              {200: TicketOut}, body=Rca, errors=(*_ERRORS, 412, 428), headers=_IF_MATCH,
              tag="problems"),
    Operation("POST", "/v1/tickets/{number}/links", "Link incidents to a problem (all or none)",
              {200: LinkOut}, body=LinkCreate, errors=_ERRORS, tag="problems"),
    Operation("GET", "/v1/tickets/{number}/links", "The incidents linked to a problem",
              {200: LinkedList}, query=PageQuery, errors=(400, 403, 404, 409, 422),
              tag="problems"),
    Operation("POST", "/v1/tickets/{number}/resolve",
              "Resolve a problem; optionally its open incidents, each with a public message",
              {200: ProblemResolved}, body=ProblemResolve, errors=(*_ERRORS, 412, 428),
              headers=_IF_MATCH, tag="problems"),
    Operation("GET", "/v1/known-errors",
              "Known errors with a workaround that match a text (agents and up)",
              {200: KnownErrorList}, query=KnownErrorQuery, errors=(400, 403, 422),
              tag="problems"),
]  # fmt: skip
