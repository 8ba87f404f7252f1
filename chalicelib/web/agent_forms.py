"""What the agent workspace's forms accept. As in forms.py: values kept for redisplay and
errors per field as catalog messages; the services validate again and decide the rules."""

import re
from enum import StrEnum
from typing import Any, TypeVar

from chalicelib.domain.tickets import Channel, Level, Priority, Status, Ticket, TicketType
from chalicelib.services.tickets import NewTicket
from chalicelib.web.forms import _EMAIL, BODY_MAX, SUBJECT_MAX, Form
from chalicelib.web.i18n import N_

E = TypeVar("E", bound=StrEnum)

# The API's limits (api/schemas/tickets.py).
SLUG = re.compile(r"^[a-z0-9][a-z0-9_/-]{0,63}$")
REASON_MAX = 2000
TIME_NOTE_MAX = 1000
MINUTES_MAX = 1440
NAME_MAX = 200

CHOOSE = N_("Please choose one of the options.")
NOT_AN_ADDRESS = N_("Enter an e-mail address, like name@example.com.")
NOT_A_SLUG = N_("Use lower-case letters, digits, - _ and /, like network/vpn.")

# The ticket fields the change form edits, in the order the audit trail names them.
EDITABLE = ("status", "priority", "type", "assignee", "group", "tier", "category", "problem")


def _version(form: Form, values: dict[str, str]) -> int | None:
    raw = values.get("version", "")
    if not raw.isdigit() or len(raw) > 12:
        form.errors["form"] = N_("The form is incomplete. Reload the page and try again.")
        return None
    return int(raw)


def shown_values(ticket: Ticket) -> dict[str, str]:
    """The change form's fields as the ticket has them."""
    return {
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "type": ticket.type.value,
        "assignee": ticket.assignee or "",
        "group": ticket.group or "",
        "tier": str(ticket.tier),
        "category": ticket.category or "",
        "problem": str(ticket.problem) if ticket.problem else "",
    }


def change(
    values: dict[str, str], ticket: Ticket, groups: tuple[str, ...]
) -> tuple[Form, int | None, dict[str, Any]]:
    """The change form: (form, the version it was based on, the changes against `ticket`).

    Only fields whose value differs from the ticket as it is now become changes, so a form
    that repeats the current values changes nothing.
    """
    form = Form({name: values.get(name, "").strip() for name in EDITABLE})
    version = _version(form, values)
    v = form.values
    tier = form.choice("tier", ("1", "2", "3"))
    parsed: dict[str, Any] = {
        "status": _member(form, "status", Status),
        "priority": _member(form, "priority", Priority),
        "type": _member(form, "type", TicketType),
        "tier": int(tier) if tier in ("1", "2", "3") else None,
    }
    v["assignee"] = v["assignee"].lower()
    if v["assignee"] and not _EMAIL.match(v["assignee"]):
        form.errors["assignee"] = NOT_AN_ADDRESS
    parsed["assignee"] = v["assignee"] or None
    if v["group"] and v["group"] not in groups and v["group"] != (ticket.group or ""):
        form.errors["group"] = CHOOSE
    parsed["group"] = v["group"] or None
    if v["category"] and not SLUG.match(v["category"]):
        form.errors["category"] = NOT_A_SLUG
    parsed["category"] = v["category"] or None
    problem = v["problem"].lstrip("#")
    v["problem"] = problem
    if problem and (not problem.isdigit() or len(problem) > 12 or int(problem) < 1):
        form.errors["problem"] = N_("Enter the number of a problem ticket, like 1042.")
    parsed["problem"] = int(problem) if problem.isdigit() and len(problem) <= 12 else None
    if not form.ok or version is None:
        return form, version, {}
    current = {
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "assignee": ticket.assignee,
        "group": ticket.group,
        "tier": ticket.tier,
        "category": ticket.category,
        "problem": ticket.problem,
    }
    changes = {name: parsed[name] for name in EDITABLE if parsed[name] != current[name]}
    return form, version, changes


def _member(form: Form, name: str, kind: type[E]) -> E | None:
    value = form.choice(name, tuple(m.value for m in kind))
    return kind(value) if value in kind._value2member_map_ else None


def attempted(form: Form, ticket: Ticket) -> dict[str, str]:
    """What a refused change asked for that differs from the ticket as it is now."""
    now = shown_values(ticket)
    return {name: form.values[name] for name in EDITABLE if form.values.get(name) != now[name]}


def message(values: dict[str, str]) -> Form:
    form = Form({"body": values.get("body", ""), "visibility": values.get("visibility", "")})
    form.text("body", max_length=BODY_MAX, message_too_long=N_("The message is too long."))
    form.choice("visibility", ("public", "internal"))
    return form


def escalation(values: dict[str, str], groups: tuple[str, ...]) -> Form:
    form = Form(
        {
            "tier": values.get("tier", ""),
            "group": values.get("group", "").strip(),
            "reason": values.get("reason", ""),
        }
    )
    form.choice("tier", ("2", "3"))
    if form.values["group"] and form.values["group"] not in groups:
        form.errors["group"] = CHOOSE
    form.text("reason", max_length=REASON_MAX, message_too_long=N_("Keep the reason shorter."))
    return form


def time_entry(values: dict[str, str]) -> Form:
    form = Form({"minutes": values.get("minutes", "").strip(), "note": values.get("note", "")})
    minutes = form.values["minutes"]
    if not minutes.isdigit() or not 1 <= int(minutes[:5]) <= MINUTES_MAX:
        form.errors["minutes"] = N_("Enter whole minutes, from 1 to 1440.")
    form.values["note"] = form.values["note"].strip()
    if len(form.values["note"]) > TIME_NOTE_MAX:
        form.errors["note"] = N_("Keep the note shorter.")
    return form


def intake(values: dict[str, str], groups: tuple[str, ...]) -> tuple[Form, NewTicket | None]:
    """A phone call or chat logged on behalf of a requester."""
    names = ("requester_email", "requester_name", "channel", "subject", "description")
    names += ("type", "impact", "urgency", "group", "assignee")
    form = Form({name: values.get(name, "") for name in names})
    v = form.values
    v["requester_email"] = v["requester_email"].strip().lower()
    if not _EMAIL.match(v["requester_email"]):
        form.errors["requester_email"] = NOT_AN_ADDRESS
    v["requester_name"] = v["requester_name"].strip()
    if len(v["requester_name"]) > NAME_MAX:
        form.errors["requester_name"] = N_("Keep the name to 200 characters or fewer.")
    channel = form.choice("channel", (Channel.PHONE.value, Channel.CHAT.value))
    subject = form.text(
        "subject",
        max_length=SUBJECT_MAX,
        message_too_long=N_("Keep the subject to 200 characters or fewer."),
    )
    description = form.text(
        "description", max_length=BODY_MAX, message_too_long=N_("The description is too long.")
    )
    kind = form.choice("type", tuple(t.value for t in TicketType))
    impact = form.choice("impact", tuple(level.value for level in Level))
    urgency = form.choice("urgency", tuple(level.value for level in Level))
    v["group"] = v["group"].strip()
    if v["group"] and v["group"] not in groups:
        form.errors["group"] = CHOOSE
    v["assignee"] = v["assignee"].strip().lower()
    if v["assignee"] and not _EMAIL.match(v["assignee"]):
        form.errors["assignee"] = NOT_AN_ADDRESS
    if not form.ok:
        return form, None
    return form, NewTicket(
        subject=subject,
        description=description,
        type=TicketType(kind),
        impact=Level(impact),
        urgency=Level(urgency),
        requester_email=v["requester_email"],
        requester_name=v["requester_name"] or None,
        group=v["group"] or None,
        assignee=v["assignee"] or None,
        channel=Channel(channel),
    )
