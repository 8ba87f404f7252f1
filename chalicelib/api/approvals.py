"""Approving service requests: `POST /v1/tickets/{number}/approval` (the approver, or a
supervisor+) and the mailed links `GET/POST /v1/approvals/{token}` (the link is the
credential: no sign-in, single use, expiring)."""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import etag, json_response, parse_body
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.approvals import ApprovalDecision, ApprovalState, LinkDecision
from chalicelib.api.schemas.tickets import TicketOut
from chalicelib.api.tickets import parse_number, render_ticket
from chalicelib.domain.approvals import Decision
from chalicelib.domain.tickets import Ticket
from chalicelib.wiring import approval_service

approvals_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


@approvals_bp.route(
    "/v1/tickets/{number}/approval", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def decide(number: str) -> Response:
    request = approvals_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, ApprovalDecision)
    ticket = approval_service().decide(
        principal, ticket_number, Decision(body.decision), body.comment
    )
    return json_response(render_ticket(principal, ticket), headers={"ETag": etag(ticket.version)})


def _state(ticket: Ticket, decision: Decision) -> ApprovalState:
    return ApprovalState(
        number=ticket.number,
        subject=ticket.subject,
        requester=ticket.requester.name,
        decision=decision.value,
        state=(ticket.approval or {})["state"],
    )


@approvals_bp.route("/v1/approvals/{token}", methods=["GET"])
@handled
def show_link(token: str) -> Response:
    # Reading a link decides nothing: mail scanners open links before people do.
    ticket, decision = approval_service().read_link(token)
    return json_response(_state(ticket, decision))


@approvals_bp.route("/v1/approvals/{token}", methods=["POST"], content_types=ANY_BODY)
@handled
def decide_by_link(token: str) -> Response:
    request = approvals_bp.current_request
    body = parse_body(request, LinkDecision)
    ticket, decision = approval_service().decide_by_link(token, body.comment)
    return json_response(_state(ticket, decision))


OPERATIONS = [
    Operation("POST", "/v1/tickets/{number}/approval",
              "Approve or reject a service request (its approver, or a supervisor)",
              {200: TicketOut}, body=ApprovalDecision,
              errors=(400, 403, 404, 409, 413, 415, 422), tag="approvals"),
    Operation("GET", "/v1/approvals/{token}", "What a mailed approval link decides",
              {200: ApprovalState}, auth=False, errors=(404,), tag="approvals"),
    Operation("POST", "/v1/approvals/{token}", "Decide by a mailed approval link",
              {200: ApprovalState}, body=LinkDecision, auth=False,
              errors=(400, 404, 409, 413, 415, 422), tag="approvals"),
]  # fmt: skip
