"""The agent workspace (/agent): queues, the ticket page, logging a phone or chat contact,
and the supervisor's live counts.

As the portal does, every page acts as the signed-in principal through the services the API
uses (TicketService, Workspace); a requester asking for /agent gets the same Forbidden the
API would give, as a friendly 403 page. A page costs one Lambda invocation and a few
DynamoDB calls: docs/web.md counts them.
"""

from dataclasses import replace
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.approvals import AwaitingApproval, is_pending
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.kb import Article
from chalicelib.domain.macros import Macro
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tickets import (
    Channel,
    Level,
    Priority,
    Status,
    Ticket,
    TicketType,
    Visibility,
    can_move,
)
from chalicelib.services import tickets as ticket_rules
from chalicelib.services.ports import TicketFilter
from chalicelib.services.workspace import FIXED_QUEUES, queue_filter
from chalicelib.web import agent_forms, catalog_pages, forms, labels, render
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, new_nonce, page
from chalicelib.wiring import (
    attachment_service,
    kb_service,
    macro_service,
    ticket_service,
    watcher_service,
    workspace,
)

agent_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
TICKETS_PER_PAGE = 25
MESSAGES_PER_PAGE = 50
EVENTS_SHOWN = 20
# The queue page asks for fresh rows and counts this often (htmx polling).
REFRESH_SECONDS = 30
ROUTING_REFUSED = N_("This assignee or group is not known to the helpdesk.")
FORM_ALREADY_USED = N_(
    "This form was already sent with other details. Check them and send it again to log "
    "a new contact."
)


# The reply box offers this many of the agent's macros (shared and their own, by name).
TEMPLATES_OFFERED = 100


def reply_templates(principal: Principal) -> list[Macro]:
    """The response templates (macros) this agent may use; filled in only when chosen."""
    return macro_service().list_for(principal, TEMPLATES_OFFERED).items


# The agent's ticket page suggests this many articles for the ticket (docs/web.md: cost).
ARTICLES_SUGGESTED = 3


def suggested_articles(principal: Principal, ticket: Ticket) -> list[Article]:
    """Published articles for the ticket's subject and description, as the agent reads
    them (agents-only ones included): the postings of at most 8 terms and one BatchGetItem."""
    hits = kb_service().suggest(
        principal,
        principal.tenant,
        ticket.subject,
        ticket.description,
        limit=ARTICLES_SUGGESTED,
    )
    return [hit.article for hit in hits]


def _article_id(raw: str) -> str:
    if not raw or len(raw) > 64 or not raw.replace("-", "").replace("_", "").isalnum():
        raise NotFound("No such article.")
    return raw


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No such ticket.")
    return int(raw)


def _groups(current: Page) -> tuple[str, ...]:
    """The tenant's groups, from its settings (kept a minute per container)."""
    return tuple(current.tenant.get("groups") or ())


# --- queues -------------------------------------------------------------------------------


@agent_bp.route("/agent", methods=["GET"])
@page(agent_bp)
def queues(current: Page) -> Response:
    space = workspace()
    mine = space.my_groups(current.user)
    queue = current.query("queue") or "mine"
    where = queue_filter(queue, current.user, mine)
    status, priority, kind = (
        current.query("status"),
        current.query("priority"),
        current.query("type"),
    )
    sort = current.query("sort") if current.query("sort") in labels.SORT else "newest"
    where = _refined(where, status, priority, kind, sort)
    cursor = current.query("cursor") or None
    tickets = ticket_service().list_tickets(current.user, where, TICKETS_PER_PAGE, cursor)
    counts = space.queue_counts(current.user, mine)
    service = ticket_service()
    params = {
        "queue": queue,
        "status": where.status,
        "priority": where.priority,
        "type": where.type,
        "sort": None if sort == "newest" else sort,
    }
    fragment = bool((current.request.headers or {}).get("hx-request"))
    return current.render(
        "_agent_queue.html" if fragment else "agent_queues.html",
        queue=queue,
        queue_names=space.queues(current.user, mine),
        counts=counts,
        tickets=tickets.items,
        badges={t.number: labels.sla_badge(t.status, service.sla_view(t)) for t in tickets.items},
        next_cursor=tickets.next_cursor,
        paged=cursor is not None,
        params=params,
        sort=sort,
        here=current.href("/agent", **params, cursor=cursor),
        refresh_seconds=REFRESH_SECONDS,
        statuses=tuple(Status),
        priorities=tuple(Priority),
        types=tuple(TicketType),
        is_supervisor=current.user.role.at_least(Role.SUPERVISOR),
        is_admin=current.user.role.at_least(Role.ADMIN),
    )


def _refined(
    where: TicketFilter, status: str | None, priority: str | None, kind: str | None, sort: str
) -> TicketFilter:
    """A queue narrowed by the filter form; unknown values are ignored, as a link could
    carry anything."""
    return replace(
        where,
        status=status if status in Status._value2member_map_ else None,
        priority=priority if priority in Priority._value2member_map_ else None,
        type=kind if kind in TicketType._value2member_map_ else None,
        oldest_first=sort == "oldest",
    )


# --- one ticket ---------------------------------------------------------------------------


@agent_bp.route("/agent/tickets/{number}", methods=["GET"])
@page(agent_bp)
def ticket_page(current: Page, number: str) -> Response:
    return _show(current, _number(number))


@agent_bp.route("/agent/tickets/{number}/message", methods=["POST"], content_types=ANY_BODY)
@page(agent_bp)
def add_message(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    values = current.form()
    if values.get("action") == "apply_template":
        # The macro in the requester's language with its placeholders filled in, as a
        # draft the agent reads and edits before sending.
        body = macro_service().render(current.user, values.get("template", ""), ticket_number)
        draft = forms.Form({"body": body, "visibility": values.get("visibility", "public")})
        return _show(current, ticket_number, message_form=draft)
    if values.get("action") == "apply_article":
        # A knowledge-base article's answer as stored (Markdown) as the draft; the agent
        # reads, edits and sends it like any reply.
        article = _article_id(values.get("article", ""))
        found = kb_service().get(current.user, current.user.tenant, article, count_view=False)
        draft = forms.Form({"body": found.body, "visibility": values.get("visibility", "public")})
        return _show(current, ticket_number, message_form=draft)
    form = agent_forms.message(values)
    if not form.ok:
        return _show(current, ticket_number, status=422, message_form=form)
    visibility = Visibility(form.values["visibility"])
    ticket_service().add_message(
        current.user, ticket_number, form.values["body"], visibility, Channel.PORTAL
    )
    current.flash("noted" if visibility == Visibility.INTERNAL else "answered", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


@agent_bp.route("/agent/tickets/{number}/change", methods=["POST"], content_types=ANY_BODY)
@page(agent_bp)
def change(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    values = current.form()
    service = ticket_service()
    ticket = service.get(current.user, ticket_number)
    form, version, changes = agent_forms.change(values, ticket, _groups(current))
    if not form.ok or version is None:
        return _show(current, ticket_number, status=422, change_form=form)
    try:
        # The service compares the version first, also when nothing differs.
        service.update(current.user, ticket_number, changes, version)
    except PreconditionFailed:
        return _conflict(current, ticket_number, form)
    except AwaitingApproval:
        form.errors["form"] = catalog_pages.AWAITING_APPROVAL
        return _show(current, ticket_number, status=409, change_form=form)
    except Invalid as refused:
        _place_errors(form, refused)
        return _show(current, ticket_number, status=422, change_form=form)
    current.flash("changed", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


# The service's reasons for refusing a link to a problem, in the page's words.
NOT_LINKABLE = N_("That ticket is not a problem ticket.")
LINK_REFUSED = {
    ticket_rules.PROBLEM_NOT_FOUND: N_("There is no ticket with that number."),
    ticket_rules.PROBLEM_IS_SELF: N_("A ticket cannot be its own problem."),
    ticket_rules.PROBLEM_NOT_A_PROBLEM: NOT_LINKABLE,
    ticket_rules.PROBLEM_CLOSED: N_("That problem is closed."),
    ticket_rules.PROBLEM_ONLY_INCIDENTS: N_("Only incidents can be linked to a problem."),
    ticket_rules.LINKED_STAYS_INCIDENT: N_(
        "This ticket is linked to a problem: clear the problem first to change its type."
    ),
}


def _place_errors(form: forms.Form, refused: Invalid) -> None:
    """The service decides; its errors go next to the field they name (routing errors, which
    the form already checks loosely, keep their notice at the top)."""
    for error in refused.errors or []:
        if error.get("field") in ("problem", "type"):
            form.errors[error["field"]] = LINK_REFUSED.get(error.get("message"), NOT_LINKABLE)
        elif error.get("field", "").partition(".")[0] in ("service", "custom_fields"):
            # Re-typed into a service request: the catalog's rule (services.catalog.revise).
            form.errors["type"] = catalog_pages.NOT_A_REQUEST
    if not form.errors:
        form.errors["form"] = ROUTING_REFUSED


def _conflict(current: Page, number: int, form: forms.Form) -> Response:
    """Someone else's change won: show the ticket as it is now, who changed it and when,
    and what this agent tried, to apply again if it still makes sense."""
    service = ticket_service()
    fresh = service.get(current.user, number)
    latest = service.events(current.user, number, 1, None, newest_first=True).items
    return _show(
        current,
        number,
        status=409,
        conflict={
            "by": latest[0].actor.get("name") if latest else None,
            "at": latest[0].occurred_at if latest else fresh.updated_at,
            "attempted": agent_forms.attempted(form, fresh),
        },
    )


@agent_bp.route("/agent/tickets/{number}/take", methods=["POST"], content_types=ANY_BODY)
@page(agent_bp)
def take(current: Page, number: str) -> Response:
    """Pick the ticket up: assign it to me, if it is still as I saw it."""
    ticket_number = _number(number)
    values = current.form()
    version = values.get("version", "")
    if not version.isdigit() or len(version) > 12:
        raise NotFound("No such ticket version.")
    shown = forms.Form({"assignee": current.user.email or ""})
    try:
        ticket_service().update(
            current.user, ticket_number, {"assignee": current.user.email}, int(version)
        )
    except PreconditionFailed:
        return _conflict(current, ticket_number, shown)
    except AwaitingApproval:
        refused = forms.Form(
            agent_forms.shown_values(ticket_service().get(current.user, ticket_number))
        )
        refused.errors["form"] = catalog_pages.AWAITING_APPROVAL
        return _show(current, ticket_number, status=409, change_form=refused)
    current.flash("taken", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


@agent_bp.route("/agent/tickets/{number}/escalate", methods=["POST"], content_types=ANY_BODY)
@page(agent_bp)
def escalate(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    form = agent_forms.escalation(current.form(), _groups(current))
    if not form.ok:
        return _show(current, ticket_number, status=422, escalation_form=form)
    try:
        ticket_service().escalate(
            current.user,
            ticket_number,
            int(form.values["tier"]),
            form.values["group"] or None,
            form.values["reason"],
        )
    except Conflict:
        form.errors["tier"] = N_("The ticket is already at this line, or it is solved.")
        return _show(current, ticket_number, status=409, escalation_form=form)
    current.flash("escalated", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


@agent_bp.route("/agent/tickets/{number}/time", methods=["POST"], content_types=ANY_BODY)
@page(agent_bp)
def log_time(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    form = agent_forms.time_entry(current.form())
    if not form.ok:
        return _show(current, ticket_number, status=422, time_form=form)
    ticket_service().log_time(
        current.user, ticket_number, int(form.values["minutes"]), form.values["note"]
    )
    current.flash("time_logged", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


def _show(
    current: Page,
    number: int,
    *,
    status: int = 200,
    message_form: forms.Form | None = None,
    change_form: forms.Form | None = None,
    escalation_form: forms.Form | None = None,
    time_form: forms.Form | None = None,
    conflict: dict[str, Any] | None = None,
    problem_forms: dict[str, Any] | None = None,
    approval_form: forms.Form | None = None,
    watcher_form: forms.Form | None = None,
) -> Response:
    """The ticket page: the ticket (GetItem), its conversation and its newest audit events
    (one Query each), and up to 3 suggested articles (docs/web.md). Staff only: a requester
    is refused by the audit trail's rule."""
    service = ticket_service()
    current.return_to = f"/agent/tickets/{number}"
    ticket = service.get(current.user, number)
    # The audit trail needs an agent: a requester gets Forbidden (a 403 page) here.
    events = service.events(current.user, number, EVENTS_SHOWN, None, newest_first=True)
    cursor = current.query("cursor") or None
    conversation = service.messages(current.user, number, MESSAGES_PER_PAGE, cursor)
    groups = _groups(current)
    page_answer = current.render(
        "agent_ticket.html",
        files=attachment_service().list(current.user, number),
        status=status,
        ticket=ticket,
        badge=labels.sla_badge(ticket.status, service.sla_view(ticket)),
        clocks=_clocks(service.sla_view(ticket)),
        messages=conversation.items,
        next_cursor=conversation.next_cursor,
        first_page=cursor is None,
        events=events.items,
        more_events=events.next_cursor is not None,
        message_form=message_form or forms.Form({"body": "", "visibility": "public"}),
        change_form=change_form or forms.Form(agent_forms.shown_values(ticket)),
        escalation_form=escalation_form or forms.Form({"tier": "", "group": "", "reason": ""}),
        time_form=time_form or forms.Form({"minutes": "", "note": ""}),
        conflict=conflict,
        templates=reply_templates(current.user),
        # Only where the reply box is: a closed ticket takes no reply.
        articles=suggested_articles(current.user, ticket) if ticket.status != Status.CLOSED else [],
        # While its approval is pending a request keeps its status (domain.approvals).
        moves=[s for s in Status if s == ticket.status or can_move(ticket.status, s)]
        if not is_pending(ticket.approval)
        else [ticket.status],
        priorities=tuple(Priority),
        types=tuple(TicketType),
        groups=groups if ticket.group in (None, *groups) else (*groups, ticket.group),
        higher_tiers=[t for t in (2, 3) if t > ticket.tier],
        mine=ticket.assignee == current.user.email,
        duration=lambda minutes: _duration(current, minutes),
        # Problem management's panel (web/problems.py, _agent_problem.html).
        problem_panel=_problem_panel(current, ticket, problem_forms or {}),
        # A service request: what its form asked, and its approval (web/catalog_pages.py).
        details=catalog_pages.request_details(current.user, ticket, current.locale),
        approval=catalog_pages.approval_view(current.user, ticket),
        approval_form=approval_form or forms.Form({"decision": "", "comment": ""}),
        watchers=watcher_service().of(ticket),
        watcher_form=watcher_form or forms.Form({"email": ""}),
    )
    return render.allow_uploads(page_answer)


def _problem_panel(current: Page, ticket: Ticket, shown: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.web.problems import panel  # it imports this module's _show

    return panel(current, ticket, shown)


def _clocks(view: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not view:
        return []
    return [
        {"name": name, **view[name]}
        for name in ("first_response", "next_response", "resolution")
        if isinstance(view.get(name), dict)
    ]


def _duration(current: Page, minutes: int) -> str:
    """Business minutes as hours and minutes, in the reader's language."""
    from chalicelib.web.i18n import gettext

    hours, rest = divmod(abs(minutes), 60)
    if hours and not rest:
        return gettext(current.locale, N_("%(hours)s h")) % {"hours": hours}
    if hours:
        return gettext(current.locale, N_("%(hours)s h %(minutes)s min")) % {
            "hours": hours,
            "minutes": rest,
        }
    return gettext(current.locale, N_("%(minutes)s min")) % {"minutes": rest}


# --- logging a phone call or chat ---------------------------------------------------------


@agent_bp.route("/agent/new", methods=["GET"])
@page(agent_bp)
def new_contact_page(current: Page) -> Response:
    workspace().my_groups(current.user)  # staff only, as the API's on-behalf create
    defaults = {
        "channel": Channel.PHONE.value,
        "type": TicketType.INCIDENT.value,
        "impact": Level.MEDIUM.value,
        "urgency": Level.MEDIUM.value,
    }
    return _contact_form(current, forms.Form(defaults), new_nonce())


@agent_bp.route("/agent/new", methods=["POST"], content_types=ANY_BODY)
@page(agent_bp)
def log_contact(current: Page) -> Response:
    values = current.form()
    form, new = agent_forms.intake(values, _groups(current))
    nonce = forms.nonce(values) or new_nonce()
    if new is None:
        return _contact_form(current, form, nonce, status=422)
    try:
        ticket, _ = ticket_service().create(
            current.user,
            new,
            channel=new.channel or Channel.PHONE,
            idempotency_key=f"agent-{nonce}",
        )
    except Conflict:
        form.errors["form"] = FORM_ALREADY_USED
        return _contact_form(current, form, new_nonce(), status=409)
    except Invalid:
        form.errors["form"] = ROUTING_REFUSED
        return _contact_form(current, form, nonce, status=422)
    current.flash("contact_logged", ticket.number)
    return current.redirect(f"/agent/tickets/{ticket.number}")


def _contact_form(current: Page, form: forms.Form, nonce: str, *, status: int = 200) -> Response:
    current.return_to = "/agent/new"
    return current.render(
        "agent_new.html",
        status=status,
        form=form,
        nonce=nonce,
        types=tuple(TicketType),
        levels=(Level.LOW, Level.MEDIUM, Level.HIGH),
        channels=(Channel.PHONE, Channel.CHAT),
        groups=_groups(current),
    )


# --- supervisor -----------------------------------------------------------------------------


@agent_bp.route("/agent/supervisor", methods=["GET"])
@page(agent_bp)
def supervisor(current: Page) -> Response:
    """Live counts of open work; the report dashboard is /agent/reports (web/dashboard.py)."""
    counts = workspace().live_counts(current.user)
    return current.render(
        "agent_supervisor.html",
        counts=counts,
        statuses=[s for s in Status if s.value in counts.by_status],
        fixed_queues=FIXED_QUEUES,
    )
