"""The survey links of the resolution mail: one click rates, then a comment may follow.

Signed out on purpose: the signed link stands in for signing in (domain/survey.py). Because a
link is used by a GET, a mail scanner that follows links could answer before the requester
does; the first answer counts, and docs/satisfaction.md says what that means for CSAT.
"""

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict
from chalicelib.domain.survey import ExpiredLink, InvalidLink
from chalicelib.web import forms
from chalicelib.web.views import Page, page
from chalicelib.wiring import survey

survey_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


@survey_bp.route("/survey/{token}", methods=["GET"])
@page(survey_bp, public=True)
def answer(current: Page, token: str) -> Response:
    return _answer(current, token, None)


@survey_bp.route("/survey/{token}", methods=["POST"], content_types=ANY_BODY)
@page(survey_bp, public=True)
def comment(current: Page, token: str) -> Response:
    return _answer(current, token, forms.survey_comment(current.form()))


def _answer(current: Page, token: str, form: forms.Form | None) -> Response:
    service = survey()
    try:
        current.speak_for(service.tenant_settings(token))
        if form is None:
            answered = service.answer(token)
        elif form.ok:
            answered = service.comment(token, form.values["comment"])
        else:
            answered = service.answer(token)
    except InvalidLink:
        return current.render("survey.html", status=404, state="invalid")
    except ExpiredLink:
        return current.render("survey.html", status=410, state="expired")
    except Conflict:
        # Reopened since the mail went out (or already commented): nothing to record now.
        return current.render("survey.html", status=409, state="moved_on")
    if form is not None and form.ok:
        state = "commented"
    else:
        state = "recorded" if answered.recorded else "already"
    return current.render(
        "survey.html",
        status=422 if form is not None and not form.ok else 200,
        state=state,
        answer=answered,
        form=form or forms.Form({"comment": ""}),
        token=token,
    )
