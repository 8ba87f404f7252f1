"""Ticket routes: parse → call one service method → render."""

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
from chalicelib.api.schemas.tickets import (
    EscalationCreate,
    EventList,
    EventOut,
    MailOut,
    MessageCreate,
    MessageList,
    MessageOut,
    SatisfactionCreate,
    SatisfactionOut,
    TicketCreate,
    TicketList,
    TicketOut,
    TicketPatch,
    TicketQuery,
    TimeCreate,
    TimeOut,
)
from chalicelib.domain import permissions
from chalicelib.domain.errors import NotFound
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Channel, Event, Message, Satisfaction, Ticket, TimeEntry
from chalicelib.observability import count
from chalicelib.services.ports import TicketFilter
from chalicelib.services.tickets import NewTicket
from chalicelib.wiring import ticket_service

tickets_bp = Blueprint(__name__)

# Bodies are checked by parse_body so that a wrong type gets a problem document, not
# Chalice's own 415 body.
ANY_BODY = ["*/*"]


def parse_number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound(f"Ticket {raw[:20]} does not exist.")
    return int(raw)


@tickets_bp.route("/v1/tickets", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_ticket() -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, TicketCreate)
    fields = body.model_dump()
    fields["tags"] = tuple(body.tags)
    fields["channel"] = Channel(body.channel) if body.channel else None
    new = NewTicket(**fields)
    ticket, created = ticket_service().create(
        principal,
        new,
        channel=Channel.API,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    if created:
        count("TicketsCreated", principal.tenant)
    return json_response(
        render_ticket(principal, ticket),
        status=201 if created else 200,
        headers={
            "Location": location(request, f"/v1/tickets/{ticket.number}"),
            "ETag": etag(ticket.version),
        },
    )


@tickets_bp.route("/v1/tickets", methods=["GET"], authorizer=bearer)
@handled
def list_tickets() -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    params = validate(TicketQuery, query(request))
    where = TicketFilter(
        status=params.status,
        priority=params.priority,
        assignee=params.assignee,
        group=params.group,
        type=params.type,
        requester=params.requester,
        text=params.q,
        sla=params.sla,
    )
    page = ticket_service().list_tickets(principal, where, params.limit, params.cursor)
    items = [render_ticket(principal, t) for t in page.items]
    return json_response({"items": items, "next_cursor": page.next_cursor})


@tickets_bp.route("/v1/tickets/{number}", methods=["GET"], authorizer=bearer)
@handled
def get_ticket(number: str) -> Response:
    principal = current_principal(tickets_bp.current_request)
    ticket = ticket_service().get(principal, parse_number(number))
    return json_response(render_ticket(principal, ticket), headers={"ETag": etag(ticket.version)})


@tickets_bp.route(
    "/v1/tickets/{number}", methods=["PATCH"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def patch_ticket(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, TicketPatch)
    expected = if_match_version(request)
    ticket = ticket_service().update(principal, ticket_number, body.changes(), expected)
    return json_response(render_ticket(principal, ticket), headers={"ETag": etag(ticket.version)})


@tickets_bp.route("/v1/tickets/{number}/messages", methods=["GET"], authorizer=bearer)
@handled
def list_messages(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    params = validate(PageQuery, query(request))
    page = ticket_service().messages(principal, parse_number(number), params.limit, params.cursor)
    return json_response(
        MessageList(
            items=[render_message(m, principal.is_staff) for m in page.items],
            next_cursor=page.next_cursor,
        )
    )


@tickets_bp.route(
    "/v1/tickets/{number}/messages", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def add_message(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, MessageCreate)
    message = ticket_service().add_message(
        principal, ticket_number, body.body, body.visibility, Channel.API
    )
    return json_response(
        render_message(message, principal.is_staff),
        status=201,
        headers={"Location": location(request, f"/v1/tickets/{ticket_number}/messages")},
    )


@tickets_bp.route(
    "/v1/tickets/{number}/time", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def log_time(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, TimeCreate)
    entry = ticket_service().log_time(principal, ticket_number, body.minutes, body.note)
    return json_response(render_time(entry), status=201)


@tickets_bp.route(
    "/v1/tickets/{number}/escalate", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def escalate(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, EscalationCreate)
    ticket = ticket_service().escalate(principal, ticket_number, body.tier, body.group, body.reason)
    return json_response(render_ticket(principal, ticket), headers={"ETag": etag(ticket.version)})


@tickets_bp.route(
    "/v1/tickets/{number}/satisfaction", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def rate(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    ticket_number = parse_number(number)
    body = parse_body(request, SatisfactionCreate)
    ticket = ticket_service().rate(principal, ticket_number, body.rating, body.comment)
    assert ticket.satisfaction is not None
    return json_response(render_satisfaction(ticket.satisfaction), status=201)


@tickets_bp.route("/v1/tickets/{number}/events", methods=["GET"], authorizer=bearer)
@handled
def list_events(number: str) -> Response:
    request = tickets_bp.current_request
    principal = current_principal(request)
    params = validate(PageQuery, query(request))
    page = ticket_service().events(principal, parse_number(number), params.limit, params.cursor)
    return json_response(
        EventList(items=[render_event(e) for e in page.items], next_cursor=page.next_cursor)
    )


# --- rendering --------------------------------------------------------------------------


def render_ticket(principal: Principal, ticket: Ticket) -> dict[str, Any]:
    """The ticket as API.md shows it, without the fields the caller's role may not see."""
    out = TicketOut(
        number=ticket.number,
        tenant=ticket.tenant,
        version=ticket.version,
        subject=ticket.subject,
        description=ticket.description,
        type=ticket.type,
        status=ticket.status,
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        channel=ticket.channel.value,
        requester={"email": ticket.requester.email, "name": ticket.requester.name},
        category=ticket.category,
        service=ticket.service,
        custom_fields=ticket.custom_fields,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        assignee=ticket.assignee,
        group=ticket.group,
        tier=ticket.tier,
        problem=ticket.problem,
        tags=list(ticket.tags),
        time_spent_minutes=ticket.time_spent_minutes,
        sla=ticket_service().sla_view(ticket),
        satisfaction=render_satisfaction(ticket.satisfaction) if ticket.satisfaction else None,
        approval=ticket.approval,
        rca=ticket.rca,
    )
    return out.model_dump(mode="json", exclude=set(permissions.hidden_fields(principal)))


def render_satisfaction(satisfaction: Satisfaction) -> SatisfactionOut:
    return SatisfactionOut(
        rating=satisfaction.rating,
        resolution=satisfaction.resolution,
        rated_at=satisfaction.rated_at,
        comment=satisfaction.comment,
    )


def render_message(message: Message, staff: bool) -> MessageOut:
    mail = message.mail
    return MessageOut(
        id=message.id,
        ticket=message.ticket,
        author=message.author,
        visibility=message.visibility,
        body=message.body,
        channel=message.channel.value,
        created_at=message.created_at,
        attachments=list(message.attachments),
        mail=MailOut(
            message_id=mail.message_id,
            sender=mail.sender,
            kind=mail.kind,
            original=mail.original,
            verdicts=mail.verdicts,
        )
        if mail and staff
        else None,
    )


def render_time(entry: TimeEntry) -> TimeOut:
    return TimeOut(
        id=entry.id,
        ticket=entry.ticket,
        minutes=entry.minutes,
        note=entry.note,
        author=entry.author,
        created_at=entry.created_at,
    )


def render_event(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        ticket=event.ticket,
        actor=event.actor,
        occurred_at=event.occurred_at,
        changes=event.changes,
        data=event.data,
    )


_PROBLEMS = (400, 403, 404, 422)

OPERATIONS = [
    Operation(
        "POST",
        "/v1/tickets",
        "File a ticket",
        {201: TicketOut, 200: TicketOut},
        body=TicketCreate,
        errors=(400, 403, 409, 413, 415, 422),
        headers={"Idempotency-Key": "a retry with the same key returns the first result"},
    ),
    Operation(
        "GET",
        "/v1/tickets",
        "List tickets",
        {200: TicketList},
        query=TicketQuery,
        errors=(400, 422),
    ),
    Operation("GET", "/v1/tickets/{number}", "One ticket", {200: TicketOut}, errors=(404,)),
    Operation(
        "PATCH",
        "/v1/tickets/{number}",
        "Change a ticket",
        {200: TicketOut},
        body=TicketPatch,
        errors=(400, 403, 404, 409, 412, 413, 415, 422, 428),
        headers={"If-Match": "the ETag of the version you changed"},
    ),
    Operation(
        "GET",
        "/v1/tickets/{number}/messages",
        "The conversation",
        {200: MessageList},
        query=PageQuery,
        errors=(400, 404, 422),
    ),
    Operation(
        "POST",
        "/v1/tickets/{number}/messages",
        "Add a reply or internal note",
        {201: MessageOut},
        body=MessageCreate,
        errors=(*_PROBLEMS, 409, 413, 415),
    ),
    Operation(
        "POST",
        "/v1/tickets/{number}/time",
        "Log time spent",
        {201: TimeOut},
        body=TimeCreate,
        errors=(*_PROBLEMS, 409, 413, 415),
    ),
    Operation(
        "POST",
        "/v1/tickets/{number}/escalate",
        "Functional escalation",
        {200: TicketOut},
        body=EscalationCreate,
        errors=(*_PROBLEMS, 409, 413, 415),
    ),
    Operation(
        "POST",
        "/v1/tickets/{number}/satisfaction",
        "The requester rates a resolved ticket, once per resolution",
        {201: SatisfactionOut},
        body=SatisfactionCreate,
        errors=(*_PROBLEMS, 409, 413, 415),
    ),
    Operation(
        "GET",
        "/v1/tickets/{number}/events",
        "Audit trail",
        {200: EventList},
        query=PageQuery,
        errors=(400, 403, 404, 422),
    ),
]
