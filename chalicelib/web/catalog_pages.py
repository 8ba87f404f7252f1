"""The service catalog in the pages: tiles on the portal home, a service's request form, what
a request asked for and its approval on the ticket pages, and the approver's decision in
the workspace.

The form's fields come from the catalog item; what the requester typed is checked only by
the rules the API files with (domain.catalog.check_values, through TicketService.create and
Catalog.prepare). This module only turns the page's strings into the values a JSON body
would carry and puts each refusal next to its field in the reader's words.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.approvals import Decision, is_pending
from chalicelib.domain.catalog import MISSING, CatalogItem, FieldDef, FieldKind, check_values
from chalicelib.domain.errors import Conflict, Invalid, NotFound
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Channel, Ticket, TicketType
from chalicelib.services.approvals import may_decide
from chalicelib.services.tickets import NewTicket
from chalicelib.web import forms
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, new_nonce, page
from chalicelib.wiring import approval_service, catalog, ticket_service

catalog_pages_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
_SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INTEGER = re.compile(r"^-?\d{1,16}$")
_DECIMAL = re.compile(r"^-?\d{0,16}(\.\d{1,10})?$")
# The form's own fields; a service's fields are named `field-<key>` beside them.
FIELD_PREFIX = "field-"

FORM_ALREADY_USED = N_(
    "This form was already sent with other details. Check them and send it again to file "
    "a new request."
)
# The service's verdict on one field, in the page's words (by the field's kind, so the
# wording follows the definition rather than the API's English text).
FIELD_REFUSED = {
    FieldKind.TEXT: N_("Keep this to 1,000 characters or fewer."),
    FieldKind.CHOICE: N_("Please choose one of the options."),
    FieldKind.DATE: N_("Enter a date, like 2026-12-01."),
    FieldKind.USER: N_("Enter an e-mail address, like name@example.com."),
    FieldKind.NUMBER: N_("Enter a number."),
}
NUMBER_BETWEEN = N_("Enter a number from %(min)s to %(max)s.")
NUMBER_FROM = N_("Enter a number of at least %(min)s.")
NUMBER_UP_TO = N_("Enter a number of at most %(max)s.")
APPROVAL_REFUSED = N_("Tell the requester why: a rejection needs a comment.")
APPROVAL_DECIDED = N_("This request was already decided, or it no longer waits for approval.")
# Shown in the workspace when the service refuses to start work on a waiting request.
AWAITING_APPROVAL = N_(
    "This request waits for approval: its status and assignee stay as they are until the "
    "approver or a supervisor decides."
)
NOT_A_REQUEST = N_(
    "A service request needs a service of the catalog, with its form filled in, that does "
    "not need approval. File a new request for it instead."
)


def text_in(texts: dict[str, str] | None, locale: str) -> str:
    """A catalog text in the reader's language, else the other one."""
    texts = texts or {}
    return texts.get(locale) or texts.get("nl") or texts.get("en") or ""


def _category_name(category: str) -> str:
    """A category slug (`workplace/hardware`) as a heading: "Workplace / hardware"."""
    words = " / ".join(part.replace("-", " ").replace("_", " ") for part in category.split("/"))
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Tile:
    id: str
    name: str
    description: str
    needs_approval: bool


@dataclass(frozen=True)
class Shelf:
    heading: str | None  # the category, readable; None: no heading (or `other`)
    tiles: list[Tile]
    other: bool = False  # the services without a category, beside categorised ones


def tiles(principal: Principal, locale: str) -> list[Shelf]:
    """The active services as tiles by name, per category when the catalog has two or more
    categories. One Query of the catalog's partition (docs/web.md)."""
    items = catalog().list(principal)
    by_category: dict[str | None, list[Tile]] = {}
    for item in sorted(items, key=lambda i: text_in(i.name, locale).casefold()):
        tile = Tile(
            item.id,
            text_in(item.name, locale),
            text_in(item.description, locale),
            item.approval is not None,
        )
        by_category.setdefault(item.category, []).append(tile)
    if len(by_category) < 2:
        return [Shelf(None, shelf) for shelf in by_category.values()]
    named = sorted((k for k in by_category if k), key=_category_name)
    shelves = [Shelf(_category_name(k), by_category[k]) for k in named]
    if None in by_category:
        shelves.append(Shelf(None, by_category[None], other=True))
    return shelves


# --- the request form ------------------------------------------------------------------------


def _service_id(raw: str) -> str:
    if not _SERVICE_ID.match(raw):
        raise NotFound("No such service.")
    return raw


def _typed(definition: FieldDef, raw: str) -> Any:
    """A page's string as the API's JSON would carry it: a number field's digits as a
    number, an empty field as absent. Anything else stays text for the service to judge."""
    text = raw.strip()
    if not text:
        return None
    if definition.kind == FieldKind.NUMBER:
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text) and text not in ("-", "."):
            return float(text)
    return text


def _custom_fields(item: CatalogItem, values: dict[str, str]) -> dict[str, Any]:
    typed = {f.key: _typed(f, values.get(FIELD_PREFIX + f.key, "")) for f in item.fields}
    return {key: value for key, value in typed.items() if value is not None}


def _place(form: forms.Form, item: CatalogItem, refused: Invalid) -> None:
    """The service's errors (`custom_fields.<key>`, `service`…) next to their fields."""
    known = {f.key: f for f in item.fields}
    for error in refused.errors or []:
        name = error.get("field", "")
        key = name.removeprefix("custom_fields.")
        definition = known.get(key)
        if definition is None:
            form.errors.setdefault("form", N_("Please check the fields marked below."))
            continue
        ranged = definition.min is not None or definition.max is not None
        if error.get("message") == MISSING:
            form.errors[FIELD_PREFIX + key] = forms.REQUIRED
        elif definition.kind == FieldKind.NUMBER and ranged:
            form.errors[FIELD_PREFIX + key] = _number_range(definition)
        else:
            form.errors[FIELD_PREFIX + key] = FIELD_REFUSED[definition.kind]


def _number_range(definition: FieldDef) -> str:
    if definition.min is not None and definition.max is not None:
        return NUMBER_BETWEEN
    return NUMBER_FROM if definition.min is not None else NUMBER_UP_TO


def _show_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@catalog_pages_bp.route("/services/{service_id}/request", methods=["GET"])
@page(catalog_pages_bp)
def request_form(current: Page, service_id: str) -> Response:
    item = catalog().get(current.user, _service_id(service_id))
    defaults = {"subject": text_in(item.name, current.locale), "description": ""}
    return _form(current, item, forms.Form(defaults), new_nonce())


@catalog_pages_bp.route("/services/{service_id}/request", methods=["POST"], content_types=ANY_BODY)
@page(catalog_pages_bp)
def file_request(current: Page, service_id: str) -> Response:
    item = catalog().get(current.user, _service_id(service_id))
    values = current.form()
    form = forms.Form({k: v for k, v in values.items() if k != "csrf_token"})
    subject = form.text(
        "subject",
        max_length=forms.SUBJECT_MAX,
        message_too_long=N_("Keep the subject to 200 characters or fewer."),
    )
    description = form.values.get("description", "").strip()
    form.values["description"] = description
    if len(description) > forms.BODY_MAX:
        form.errors["description"] = N_("The description is too long.")
    custom = _custom_fields(item, values)
    nonce = forms.nonce(values) or new_nonce()
    if not form.ok:
        # Say everything at once: the form's fields too, by the rule filing applies.
        try:
            check_values(item.fields, custom)
        except Invalid as refused:
            _place(form, item, refused)
        return _form(current, item, form, nonce, status=422)
    new = NewTicket(
        subject=subject,
        # The form's fields say what is asked; without more words the service's name does.
        description=description or text_in(item.name, current.locale),
        type=TicketType.SERVICE_REQUEST,
        service=item.id,
        custom_fields=custom,
    )
    try:
        ticket, _ = ticket_service().create(
            current.user, new, channel=Channel.PORTAL, idempotency_key=f"portal-{nonce}"
        )
    except Invalid as refused:
        _place(form, item, refused)
        return _form(current, item, form, nonce, status=422)
    except Conflict:
        form.errors["form"] = FORM_ALREADY_USED
        return _form(current, item, form, new_nonce(), status=409)
    current.flash("filed", ticket.number)
    return current.redirect(f"/tickets/{ticket.number}")


def _form(
    current: Page, item: CatalogItem, form: forms.Form, nonce: str, *, status: int = 200
) -> Response:
    current.return_to = f"/services/{item.id}/request"
    fields = [
        {
            "name": FIELD_PREFIX + f.key,
            "label": text_in(f.label, current.locale),
            "kind": f.kind.value,
            "required": f.required,
            "options": f.options,
            "min": _show_number(f.min),
            "max": _show_number(f.max),
        }
        for f in item.fields
    ]
    return current.render(
        "service_request.html",
        status=status,
        service=item,
        name=text_in(item.name, current.locale),
        description=text_in(item.description, current.locale),
        fields=fields,
        form=form,
        nonce=nonce,
    )


# --- a request on the ticket pages -----------------------------------------------------------


def request_details(principal: Principal, ticket: Ticket, locale: str) -> list[tuple[str, Any]]:
    """What a service request asked for, labelled as its form labels it: one GetItem of
    the catalog item, only for service requests with values. A field the form no longer
    has is shown by its key."""
    if ticket.type != TicketType.SERVICE_REQUEST or not ticket.custom_fields:
        return []
    item = catalog().form_of(principal, ticket.service) if ticket.service else None
    labels = {f.key: text_in(f.label, locale) for f in (item.fields if item else ())}
    order = [f.key for f in (item.fields if item else ())]
    keys = [k for k in order if k in ticket.custom_fields]
    keys += sorted(k for k in ticket.custom_fields if k not in order)
    return [(labels.get(k, k), ticket.custom_fields[k]) for k in keys]


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def approval_view(principal: Principal, ticket: Ticket) -> dict[str, Any] | None:
    """The approval as the workspace shows it, and whether this reader may decide it."""
    if not ticket.approval:
        return None
    return {
        **ticket.approval,
        "asked": _moment(ticket.approval.get("requested_at")),
        "decided": _moment(ticket.approval.get("decided_at")),
        "pending": is_pending(ticket.approval),
        "may_decide": is_pending(ticket.approval) and may_decide(principal, ticket),
    }


@catalog_pages_bp.route(
    "/agent/tickets/{number}/approval", methods=["POST"], content_types=ANY_BODY
)
@page(catalog_pages_bp)
def decide(current: Page, number: str) -> Response:
    """The approver (or a supervisor) decides in the workspace, through the service the API
    uses: anyone else is refused there (403, or 404 for a ticket they cannot see)."""
    from chalicelib.web import agent

    ticket_number = agent._number(number)
    values = current.form()
    form = forms.Form(
        {
            "decision": values.get("decision", ""),
            "comment": values.get("comment", "").strip()[: forms.COMMENT_MAX],
        }
    )
    decision = form.choice("decision", tuple(d.value for d in Decision))
    if not form.ok:
        return agent._show(current, ticket_number, status=422, approval_form=form)
    try:
        approval_service().decide(
            current.user, ticket_number, Decision(decision), form.values["comment"]
        )
    except Invalid:
        form.errors["comment"] = APPROVAL_REFUSED
        return agent._show(current, ticket_number, status=422, approval_form=form)
    except Conflict:
        form.errors["form"] = APPROVAL_DECIDED
        return agent._show(current, ticket_number, status=409, approval_form=form)
    current.flash("approved" if decision == Decision.APPROVE else "rejected", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")
