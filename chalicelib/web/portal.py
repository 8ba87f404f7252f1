"""The requester portal: home with my tickets, filing a ticket, following and answering it.

Every page acts as the signed-in principal through the same ticket service as the API, so
what a requester may see and do is decided there (domain/permissions.py), not here.
"""

import json

from chalice import Blueprint, Response

from chalicelib.domain.errors import BadRequest, Conflict, NotFound, PreconditionFailed
from chalicelib.domain.tickets import Channel, Level, Rating, Status, TicketType, Visibility
from chalicelib.services.ports import TicketFilter
from chalicelib.web import catalog_pages, forms, knowledge, labels, notices, render
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, new_nonce, page
from chalicelib.wiring import attachment_service, ticket_service, watcher_service

portal_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
TICKETS_PER_PAGE = 25
MESSAGES_PER_PAGE = 50
# What a requester may do to a solved ticket (domain/permissions.py): reopen it, or confirm
# the solution by closing it. Flash kind per target status.
REQUESTER_MOVES = {Status.OPEN.value: "reopened", Status.CLOSED.value: "closed"}
FORM_ALREADY_USED = N_(
    "This form was already sent with other details. Check them and send it again to file "
    "a new ticket."
)


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No such ticket.")
    return int(raw)


@portal_bp.route("/", methods=["GET"])
@page(portal_bp)
def home(current: Page) -> Response:
    service = ticket_service()
    cursor = current.query("cursor") or None
    # Staff have a requester's own list here too; their queues are the agent workspace's.
    mine = TicketFilter(requester=current.user.email)
    tickets = service.list_tickets(current.user, mine, TICKETS_PER_PAGE, cursor)
    badges = {t.number: labels.sla_badge(t.status, service.sla_view(t)) for t in tickets.items}
    return current.render(
        "home.html",
        top=knowledge.top_solutions(current.user, current.user.tenant, current.locale),
        shelves=catalog_pages.tiles(current.user, current.locale),
        tickets=tickets.items,
        badges=badges,
        next_cursor=tickets.next_cursor,
        paged=cursor is not None,
        announcements=notices.for_page(current.user, current.locale),
    )


@portal_bp.route("/kb/search", methods=["GET"])
@page(portal_bp, public=True)
def search(current: Page) -> Response:
    """Signed in, the tenant's articles the role may read; without a session, the public
    articles of the tenant named in the address (`?tenant=demo`)."""
    named = current.query("tenant")
    if current.principal is None and not named:
        return current.redirect("/login", next="/kb/search")
    text = (current.query("q") or "").strip()[:200]
    tenant = knowledge.tenant_for(current.principal, named)
    articles = knowledge.find_articles(current.principal, text, tenant=tenant) if text else []
    return current.render(
        "kb_search.html",
        q=text,
        articles=articles,
        tenant_param=None if current.principal else tenant,
    )


@portal_bp.route("/kb/suggest-fragment", methods=["POST"], content_types=ANY_BODY)
@page(portal_bp)
def suggest(current: Page) -> Response:
    """Articles that may answer the subject being typed (htmx swaps this in)."""
    subject = current.form().get("subject", "").strip()[:200]
    articles = knowledge.suggest(current.user, subject, limit=5) if subject else []
    return current.render("_kb_suggestions.html", articles=articles)


@portal_bp.route("/tickets/new", methods=["GET"])
@page(portal_bp)
def new_ticket_page(current: Page) -> Response:
    defaults = {
        "subject": "",
        "description": "",
        "impact": Level.LOW.value,
        "urgency": Level.MEDIUM.value,
        "type": TicketType.INCIDENT.value,
    }
    return _ticket_form(current, forms.Form(defaults), new_nonce())


@portal_bp.route("/tickets/new", methods=["POST"], content_types=ANY_BODY)
@page(portal_bp)
def file_ticket(current: Page) -> Response:
    values = current.form()
    form, new = forms.new_ticket(values)
    nonce = forms.nonce(values) or new_nonce()
    if new is None:
        return _ticket_form(current, form, nonce, status=422)
    try:
        # A second submit of the same form (a double click, a retry) carries the same
        # nonce, so the service returns the ticket the first one filed.
        ticket, _ = ticket_service().create(
            current.user, new, channel=Channel.PORTAL, idempotency_key=f"portal-{nonce}"
        )
    except Conflict:
        form.errors["form"] = FORM_ALREADY_USED
        return _ticket_form(current, form, new_nonce(), status=409)
    current.flash("filed", ticket.number)
    if (current.request.headers or {}).get("x-balie-uploads") == "1":
        # The page's script files the ticket first and then sends the chosen files to it
        # (web/uploads.py): it needs the number, not a redirect it cannot read.
        return _filed(current, ticket.number)
    return current.redirect(f"/tickets/{ticket.number}")


def _filed(current: Page, number: int) -> Response:
    body = {
        "number": number,
        "location": current.href(f"/tickets/{number}"),
        "uploads": current.href(f"/tickets/{number}/uploads"),
    }
    headers = {**render.PAGE_HEADERS, "Content-Type": "application/json"}
    return current.respond(Response(body=json.dumps(body), status_code=201, headers=headers))


def _ticket_form(current: Page, form: forms.Form, nonce: str, *, status: int = 200) -> Response:
    current.return_to = "/tickets/new"
    return render.allow_uploads(
        current.render(
            "new_ticket.html",
            status=status,
            form=form,
            nonce=nonce,
            types=labels.FORM_TYPES,
            levels=(Level.LOW, Level.MEDIUM, Level.HIGH),
        )
    )


@portal_bp.route("/tickets/{number}", methods=["GET"])
@page(portal_bp)
def ticket_page(current: Page, number: str) -> Response:
    return _show_ticket(current, _number(number))


@portal_bp.route("/tickets/{number}/reply", methods=["POST"], content_types=ANY_BODY)
@page(portal_bp)
def reply(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    form = forms.reply(current.form())
    if not form.ok:
        return _show_ticket(current, ticket_number, status=422, reply_form=form)
    ticket_service().add_message(
        current.user, ticket_number, form.values["body"], Visibility.PUBLIC, Channel.PORTAL
    )
    current.flash("replied", ticket_number)
    return current.redirect(f"/tickets/{ticket_number}")


@portal_bp.route("/tickets/{number}/status", methods=["POST"], content_types=ANY_BODY)
@page(portal_bp)
def change_status(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    values = current.form()
    target, version = values.get("status", ""), values.get("version", "")
    if target not in REQUESTER_MOVES or not version.isdigit() or len(version) > 12:
        raise BadRequest("Unknown change.")
    try:
        ticket_service().update(
            current.user, ticket_number, {"status": Status(target)}, int(version)
        )
    except PreconditionFailed:
        # Someone changed it since this page was shown: show what it is now instead of
        # applying a decision made on old information.
        return _show_ticket(current, ticket_number, status=409, conflict=True)
    current.flash(REQUESTER_MOVES[target], ticket_number)
    return current.redirect(f"/tickets/{ticket_number}")


@portal_bp.route("/tickets/{number}/satisfaction", methods=["POST"], content_types=ANY_BODY)
@page(portal_bp)
def rate(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    form = forms.rating(current.form())
    if not form.ok:
        return _show_ticket(current, ticket_number, status=422, rating_form=form)
    ticket_service().rate(
        current.user, ticket_number, Rating(form.values["rating"]), form.values["comment"]
    )
    current.flash("rated", ticket_number)
    return current.redirect(f"/tickets/{ticket_number}")


def _show_ticket(
    current: Page,
    number: int,
    *,
    status: int = 200,
    reply_form: forms.Form | None = None,
    rating_form: forms.Form | None = None,
    conflict: bool = False,
) -> Response:
    service = ticket_service()
    ticket = service.get(current.user, number)
    cursor = current.query("cursor") or None
    current.return_to = f"/tickets/{number}"
    conversation = service.messages(current.user, number, MESSAGES_PER_PAGE, cursor)
    # Staff reading the portal see the requester's view here too: public files only.
    files = [
        a
        for a in attachment_service().list(current.user, number)
        if a.visibility == Visibility.PUBLIC
    ]
    page_answer = current.render(
        "ticket.html",
        status=status,
        ticket=ticket,
        badge=labels.sla_badge(ticket.status, service.sla_view(ticket)),
        # Staff reading the portal see what the requester sees: no internal notes.
        messages=[m for m in conversation.items if m.visibility == Visibility.PUBLIC],
        next_cursor=conversation.next_cursor,
        # The description opens the conversation; later pages continue it.
        first_page=cursor is None,
        reply=reply_form or forms.Form({"body": ""}),
        conflict=conflict,
        moves=REQUESTER_MOVES if ticket.status == Status.RESOLVED else {},
        # The requester (not staff looking on) is asked to rate each resolution once; a
        # rating link of an older mail (`?rating=`) preselects the answer.
        survey=ticket.awaits_rating and not current.user.is_staff,
        rating=rating_form or forms.Form({"rating": current.query("rating") or "", "comment": ""}),
        files=files,
        uploads_failed=current.query("uploads") == "failed",
        details=catalog_pages.request_details(current.user, ticket, current.locale),
        watchers=watcher_service().of(ticket),
    )
    return render.allow_uploads(page_answer)
