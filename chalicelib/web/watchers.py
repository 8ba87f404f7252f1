"""Watchers on the agent's ticket page: add and remove (docs/watchers.md).

Both forms post here and go back to the ticket page; what may be added is decided by
WatcherService exactly as for the API, and a refusal is shown next to the field.
"""

from contextlib import suppress

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict, Invalid, NotFound
from chalicelib.web import forms
from chalicelib.web.agent import _number, _show
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, page
from chalicelib.wiring import watcher_service

watchers_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
NOT_AN_ADDRESS = N_("Enter an email address.")
NOT_KNOWN = N_("Only people known to the helpdesk can watch its tickets.")
IS_REQUESTER = N_("The requester already hears about every change.")
TOO_MANY = N_("This ticket already has the most watchers it can have.")


@watchers_bp.route("/agent/tickets/{number}/watchers", methods=["POST"], content_types=ANY_BODY)
@page(watchers_bp)
def add(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    form = forms.Form({"email": current.form().get("email", "").strip()})
    address = form.values["email"]
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        form.errors["email"] = NOT_AN_ADDRESS
        return _show(current, ticket_number, status=422, watcher_form=form)
    try:
        watcher_service().add(current.user, ticket_number, address)
    except Invalid as refused:
        requester = any(e["field"] == "email" and "requester" in e["message"]
                        for e in refused.errors)  # fmt: skip
        form.errors["email"] = IS_REQUESTER if requester else NOT_KNOWN
        return _show(current, ticket_number, status=422, watcher_form=form)
    except Conflict:
        form.errors["email"] = TOO_MANY
        return _show(current, ticket_number, status=409, watcher_form=form)
    current.flash("watcher_added", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")


@watchers_bp.route(
    "/agent/tickets/{number}/watchers/remove", methods=["POST"], content_types=ANY_BODY
)
@page(watchers_bp)
def remove(current: Page, number: str) -> Response:
    ticket_number = _number(number)
    address = current.form().get("email", "").strip()
    # Already gone: the page shows the list as it is now.
    with suppress(NotFound):
        watcher_service().remove(current.user, ticket_number, address[:254])
    current.flash("watcher_removed", ticket_number)
    return current.redirect(f"/agent/tickets/{ticket_number}")
