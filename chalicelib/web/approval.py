"""The approve / reject links of a service request's approval mail.

Opening a link decides nothing (mail scanners open links before people do): the page shows
the request and asks the approver to confirm, with a comment that a rejection requires. The
link itself is the approver's credential (domain/approvals.py); the form carries the
pre-session CSRF token like every form.
"""

from chalice import Blueprint, Response

from chalicelib.domain import approvals
from chalicelib.domain.errors import Conflict, Invalid, NotFound
from chalicelib.web import forms
from chalicelib.web.views import Page, page
from chalicelib.wiring import approval_service, tenants

approval_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


@approval_bp.route("/approvals/{token}", methods=["GET"])
@page(approval_bp, public=True)
def show(current: Page, token: str) -> Response:
    return _page(current, token, None)


@approval_bp.route("/approvals/{token}", methods=["POST"], content_types=ANY_BODY)
@page(approval_bp, public=True)
def decide(current: Page, token: str) -> Response:
    return _page(current, token, forms.Form({"comment": current.form().get("comment", "")}))


def _page(current: Page, token: str, form: forms.Form | None) -> Response:
    tenant = approvals.tenant_of(token)
    settings = tenants().get(tenant) if tenant else None
    if settings:
        current.speak_for(settings)
    service = approval_service()
    try:
        ticket, decision = service.read_link(token)
        if form is not None:
            comment = form.values["comment"].strip()[: forms.COMMENT_MAX]
            ticket, decision = service.decide_by_link(token, comment)
            return current.render("approval.html", state="decided", ticket=ticket,
                                  decision=decision.value)  # fmt: skip
    except NotFound:
        return current.render("approval.html", status=404, state="invalid")
    except Invalid:
        assert form is not None
        form.errors["comment"] = forms.REQUIRED
        return current.render("approval.html", status=422, state="ask", ticket=ticket,
                              decision=decision.value, form=form, token=token)  # fmt: skip
    except Conflict:
        return current.render("approval.html", status=409, state="closed", ticket=ticket)
    state = "ask" if (ticket.approval or {}).get("state") == "pending" else "closed"
    return current.render("approval.html", state=state, ticket=ticket, decision=decision.value,
                          form=forms.Form({"comment": ""}), token=token)  # fmt: skip
