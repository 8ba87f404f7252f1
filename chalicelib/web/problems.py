"""Problem management in the agent workspace (/agent/problems and the problem's ticket page).

- /agent/problems: the daily job's suggestions of recurring incidents ("create a problem
  from these 7 incidents", or dismiss), the open problems, and a search of known errors.
- On a problem's ticket page (a partial of agent_ticket.html, `_agent_problem.html`): the
  root-cause analysis with its edit form, the linked incidents, a form that links several
  at once, and "resolve the problem and its incidents" with one public message.
- On any other open ticket's page: known errors that match it, with their workaround.

As everywhere in the workspace, the pages call the services the API calls
(services.problems, services.recurring), which decide who may do what.
"""

import re
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.errors import Invalid, NotFound, PreconditionFailed
from chalicelib.domain.tickets import Status, Ticket, TicketType
from chalicelib.services.ports import TicketFilter
from chalicelib.services.problems import MAX_LINKS
from chalicelib.web.forms import BODY_MAX, SUBJECT_MAX, Form
from chalicelib.web.i18n import N_, gettext
from chalicelib.web.views import Page, page
from chalicelib.wiring import problem_service, recurring_incidents, ticket_service

problems_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
PROBLEMS_PER_PAGE = 25
# A problem page lists this many linked incidents; the API pages through the rest.
LINKED_SHOWN = 100
KNOWN_ERRORS_SHOWN = 3
RCA_FIELDS = ("symptoms", "root_cause", "workaround", "permanent_fix")
RCA_MAX = 20_000  # the API's limit (api/schemas/problems.py)
_SUGGESTION_ID = re.compile(r"^[0-9a-f]{16}$")
_NUMBER = re.compile(r"\d{1,12}")

RCA_LABELS = {
    "symptoms": N_("Symptoms"),
    "root_cause": N_("Root cause"),
    "workaround": N_("Workaround"),
    "permanent_fix": N_("Permanent fix"),
}
TOO_LONG = N_("This text is too long.")
NO_NUMBERS = N_("Enter one or more ticket numbers, like 1042, 1043 1051.")
TOO_MANY = N_("Link at most 30 incidents at a time.")
NEEDS_WORKAROUND = N_("A known error needs a workaround: what helps until the fix is in.")
NEEDS_MESSAGE = N_("Write the message each requester of an open incident gets.")
DEFAULT_SUBJECT = N_("Recurring incidents: %(label)s")
DEFAULT_DESCRIPTION = N_(
    "The daily check found %(count)s similar incidents about '%(label)s': %(numbers)s."
)


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No such ticket.")
    return int(raw)


# --- the problems page ----------------------------------------------------------------------


@problems_bp.route("/agent/problems", methods=["GET"])
@page(problems_bp)
def problems_page(current: Page) -> Response:
    return _overview(current)


def _overview(
    current: Page, *, status: int = 200, create_form: Form | None = None, shown_id: str = ""
) -> Response:
    """Suggestions (one Query), open problems (one page of the ticket index, filtered) and,
    when asked, a known-error search (docs/web.md)."""
    suggestions = recurring_incidents().suggestions(current.user)
    cursor = current.query("cursor") or None
    where = TicketFilter(type=TicketType.PROBLEM.value, open_only=True)
    problems = ticket_service().list_tickets(current.user, where, PROBLEMS_PER_PAGE, cursor)
    query = (current.query("q") or "").strip()[:200]
    known = problem_service().known_errors(current.user, query, limit=10) if query else []
    return current.render(
        "agent_problems.html",
        status=status,
        suggestions=suggestions,
        subjects={s["id"]: _default_subject(current, s) for s in suggestions},
        create_form=create_form,
        shown_id=shown_id,
        problems=problems.items,
        next_cursor=problems.next_cursor,
        query=query,
        known_errors=known,
        rca_labels=RCA_LABELS,
    )


def _label(suggestion: dict[str, Any]) -> str:
    return " ".join(suggestion["label"])


def _default_subject(current: Page, suggestion: dict[str, Any]) -> str:
    text = gettext(current.locale, DEFAULT_SUBJECT) % {"label": _label(suggestion)}
    return text[:SUBJECT_MAX]


@problems_bp.route(
    "/agent/problems/suggestions/{suggestion}", methods=["POST"], content_types=ANY_BODY
)
@page(problems_bp)
def act_on_suggestion(current: Page, suggestion: str) -> Response:
    if not _SUGGESTION_ID.match(suggestion):
        raise NotFound("No such suggestion.")
    values = current.form()
    service = recurring_incidents()
    if values.get("action") == "dismiss":
        service.dismiss(current.user, suggestion)
        current.flash("suggestion_dismissed", 0)
        return current.redirect("/agent/problems")
    form = Form({"subject": values.get("subject", "")})
    subject = form.text("subject", max_length=SUBJECT_MAX, message_too_long=TOO_LONG)
    if not form.ok:
        return _overview(current, status=422, create_form=form, shown_id=suggestion)
    found = service.store.suggestion(current.user.tenant, suggestion)
    description = None
    if found is not None:
        description = gettext(current.locale, DEFAULT_DESCRIPTION) % {
            "count": len(found["members"]),
            "label": _label(found),
            "numbers": ", ".join(f"#{n}" for n in found["members"]),
        }
    problem, _ = service.create_problem(current.user, suggestion, subject, description)
    current.flash("problem_created", problem.number)
    return current.redirect(f"/agent/tickets/{problem.number}")


# --- the panel on a ticket page -------------------------------------------------------------


def panel(current: Page, ticket: Ticket, shown: dict[str, Any]) -> dict[str, Any]:
    """What `_agent_problem.html` shows on a ticket page: for a problem its RCA, incidents and
    forms (one Query of its links and one BatchGetItem); for another ticket still open the
    known errors that match it (≤ 8 term Queries and one BatchGetItem)."""
    principal = current.user
    if ticket.type == TicketType.PROBLEM:
        linked = problem_service().linked(principal, ticket.number, LINKED_SHOWN, None)
        return {
            "is_problem": True,
            "rca_form": shown.get("rca_form") or Form(_rca_values(ticket)),
            "rca_attempted": shown.get("rca_attempted"),
            "link_form": shown.get("link_form") or Form({"incidents": ""}),
            "resolve_form": shown.get("resolve_form")
            or Form({"message": "", "resolve_incidents": "yes"}),
            "outcome": shown.get("outcome"),
            "incidents": linked.items,
            "more_incidents": linked.next_cursor is not None,
            "open_incidents": sum(
                1 for t in linked.items if t.status not in (Status.RESOLVED, Status.CLOSED)
            ),
            "rca_labels": RCA_LABELS,
        }
    known: list[Ticket] = []
    if ticket.status != Status.CLOSED:
        text = f"{ticket.subject}\n{ticket.description}"
        known = problem_service().known_errors(
            principal, text, limit=KNOWN_ERRORS_SHOWN, exclude=ticket.number
        )
    return {"is_problem": False, "known_errors": known, "rca_labels": RCA_LABELS}


def _rca_values(ticket: Ticket) -> dict[str, str]:
    rca = ticket.rca or {}
    values = {name: str(rca.get(name) or "") for name in RCA_FIELDS}
    values["known_error"] = "yes" if rca.get("known_error") else ""
    return values


def _show(current: Page, number: int, *, status: int, **shown: Any) -> Response:
    from chalicelib.web.agent import _show as show_ticket

    return show_ticket(current, number, status=status, problem_forms=shown)


# --- the problem's forms --------------------------------------------------------------------


def _version(form: Form, values: dict[str, str]) -> int | None:
    raw = values.get("version", "")
    if not raw.isdigit() or len(raw) > 12:
        form.errors["form"] = N_("The form is incomplete. Reload the page and try again.")
        return None
    return int(raw)


@problems_bp.route("/agent/tickets/{number}/rca", methods=["POST"], content_types=ANY_BODY)
@page(problems_bp)
def save_rca(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    values = current.form()
    form = Form({name: values.get(name, "").strip() for name in RCA_FIELDS})
    form.values["known_error"] = "yes" if values.get("known_error") else ""
    for name in RCA_FIELDS:
        if len(form.values[name]) > RCA_MAX:
            form.errors[name] = TOO_LONG
    if form.values["known_error"] and not form.values["workaround"]:
        form.errors["workaround"] = NEEDS_WORKAROUND
    version = _version(form, values)
    if not form.ok or version is None:
        return _show(current, ticket_number, status=422, rca_form=form)
    rca: dict[str, Any] = {name: form.values[name] for name in RCA_FIELDS}
    rca["known_error"] = bool(form.values["known_error"])
    try:
        problem_service().set_rca(current.user, ticket_number, rca, version)
    except PreconditionFailed:
        # Someone else's change won: the form shows the analysis as it is now, and what
        # this agent wrote beside it, to apply again if it still makes sense.
        fresh = ticket_service().get(current.user, ticket_number)
        attempted = {
            name: form.values[name]
            for name in RCA_FIELDS
            if form.values[name] != _rca_values(fresh)[name]
        }
        return _show(current, ticket_number, status=409, rca_attempted=attempted or None)
    current.flash("rca_saved", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


@problems_bp.route("/agent/tickets/{number}/links", methods=["POST"], content_types=ANY_BODY)
@page(problems_bp)
def link_incidents(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    raw = current.form().get("incidents", "")
    form = Form({"incidents": raw.strip()})
    numbers = [int(n) for n in _NUMBER.findall(raw)]
    leftover = _NUMBER.sub("", raw).replace(",", " ").replace(";", " ").replace("#", " ")
    if not numbers or leftover.strip():
        form.errors["incidents"] = NO_NUMBERS
    elif len(set(numbers)) > MAX_LINKS:
        form.errors["incidents"] = TOO_MANY
    if not form.ok:
        return _show(current, ticket_number, status=422, link_form=form)
    try:
        problem_service().link(current.user, ticket_number, numbers)
    except Invalid as refused:
        form.errors["incidents"] = N_("Some of these tickets cannot be linked:")
        form.values["refused"] = "; ".join(e.get("message", "") for e in (refused.errors or []))
        return _show(current, ticket_number, status=422, link_form=form)
    current.flash("incidents_linked", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


@problems_bp.route("/agent/tickets/{number}/resolve", methods=["POST"], content_types=ANY_BODY)
@page(problems_bp)
def resolve(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    values = current.form()
    cascade = bool(values.get("resolve_incidents"))
    form = Form(
        {
            "message": values.get("message", "").strip(),
            "resolve_incidents": "yes" if cascade else "",
        }
    )
    if cascade and not form.values["message"]:
        form.errors["message"] = NEEDS_MESSAGE
    elif len(form.values["message"]) > BODY_MAX:
        form.errors["message"] = TOO_LONG
    version = _version(form, values)
    if not form.ok or version is None:
        return _show(current, ticket_number, status=422, resolve_form=form)
    try:
        _, outcome = problem_service().resolve(
            current.user, ticket_number, version, form.values["message"] or None, cascade
        )
    except PreconditionFailed:
        form.errors["form"] = N_(
            "This problem was changed meanwhile. Below is the problem as it is now; "
            "send the form again if it still makes sense."
        )
        return _show(current, ticket_number, status=409, resolve_form=form)
    if outcome["failed"]:
        # Not a redirect: the agent sees which incidents to try again (the same form
        # resumes; nobody gets the message twice).
        return _show(current, ticket_number, status=200, resolve_form=form, outcome=outcome)
    current.flash("problem_resolved", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")
