"""Signing in and out, resetting a password, and choosing the language."""

from urllib.parse import urlencode

from chalice import Blueprint, Response

from chalicelib.domain.errors import BadRequest, Unauthenticated
from chalicelib.services import identity
from chalicelib.web import forms, i18n, password_reset, session
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, page, safe_next

account_bp = Blueprint(__name__)

# Any body type reaches the view, so that Page.form answers a wrong one with a page.
ANY_BODY = ["*/*"]

# Why the sign-in page is shown, from `?reason=`.
NOTICES = {
    "expired": N_("Your session has ended. Please sign in again."),
    "signed_out": N_("You have signed out."),
    "password_reset": N_("Your password has been changed. Sign in with your new password."),
}
WRONG_CREDENTIALS = N_("The e-mail address or password is not right.")
NOT_SET_UP = N_("This account is not set up for the helpdesk yet. Ask your IT contact.")
RESET_REFUSALS = {
    password_reset.Refusal.CODE: ("code", N_("This code is not right or has expired.")),
    password_reset.Refusal.PASSWORD: (
        "password",
        N_("Use at least 12 characters, with upper and lower case letters, a digit and a symbol."),
    ),
    password_reset.Refusal.LIMIT: (
        "form",
        N_("Too many attempts. Please wait a few minutes and try again."),
    ),
}


@account_bp.route("/login", methods=["GET"])
@page(account_bp, public=True)
def login_page(current: Page) -> Response:
    next_path = safe_next(current.query("next"))
    if current.principal is not None:
        return current.redirect(next_path)
    return _sign_in_form(current, forms.Form({"email": ""}), next_path)


@account_bp.route("/login", methods=["POST"], content_types=ANY_BODY)
@page(account_bp, public=True)
def login(current: Page) -> Response:
    values = current.form()
    form = forms.sign_in(values)
    next_path = safe_next(values.get("next"))
    if not form.ok:
        return _sign_in_form(current, form, next_path, status=422)
    try:
        tokens = identity.login(form.values["email"], form.values["password"])
    except Unauthenticated:
        return _sign_in_form(current, form, next_path, status=401, refused=WRONG_CREDENTIALS)
    try:
        who = identity.authenticate(f"Bearer {tokens.id_token}")
    except Unauthenticated:
        return _sign_in_form(current, form, next_path, status=403, refused=NOT_SET_UP)
    if next_path == "/" and who.is_staff:
        # Staff work from the workspace; the portal's home is a requester's.
        next_path = "/agent"
    current.set_cookies.append(
        session.set_cookie(session.SESSION_COOKIE, tokens.id_token, max_age=tokens.expires_in)
    )
    return current.redirect(next_path)


def _sign_in_form(
    current: Page,
    form: forms.Form,
    next_path: str,
    *,
    status: int = 200,
    refused: str | None = None,
) -> Response:
    # A password is never sent back into a page.
    form.values.pop("password", None)
    current.return_to = f"/login?{urlencode({'next': next_path})}"
    return current.render(
        "login.html",
        status=status,
        form=form,
        next_path=next_path,
        notice=NOTICES.get(current.query("reason") or ""),
        refused=refused,
    )


@account_bp.route("/logout", methods=["POST"], content_types=ANY_BODY)
@page(account_bp)
def logout(current: Page) -> Response:
    current.form()
    current.set_cookies.append(session.clear_cookie(session.SESSION_COOKIE))
    return current.redirect("/login", reason="signed_out")


@account_bp.route("/forgot-password", methods=["GET"])
@page(account_bp, public=True)
def forgot_password_page(current: Page) -> Response:
    return current.render("forgot_password.html", step="request", form=forms.Form({"email": ""}))


@account_bp.route("/forgot-password", methods=["POST"], content_types=ANY_BODY)
@page(account_bp, public=True)
def forgot_password(current: Page) -> Response:
    values = current.form()
    step = values.get("step")
    if step == "request":
        form = forms.reset_request(values)
        if not form.ok:
            return current.render("forgot_password.html", status=422, step="request", form=form)
        try:
            password_reset.request_code(form.values["email"])
        except password_reset.ResetRefused as refused:
            return _reset_refused(current, "request", form, refused.reason)
        return current.render("forgot_password.html", step="confirm", form=form, sent=True)
    if step == "confirm":
        form = forms.reset_confirm(values)
        form.values.pop("password", None)
        if not form.ok:
            return current.render("forgot_password.html", status=422, step="confirm", form=form)
        try:
            password_reset.confirm(form.values["email"], form.values["code"], values["password"])
        except password_reset.ResetRefused as refused:
            return _reset_refused(current, "confirm", form, refused.reason)
        return current.redirect("/login", reason="password_reset")
    raise BadRequest("Unknown step.")


def _reset_refused(
    current: Page, step: str, form: forms.Form, reason: password_reset.Refusal
) -> Response:
    field, message = RESET_REFUSALS[reason]
    form.errors[field] = message
    return current.render("forgot_password.html", status=422, step=step, form=form)


@account_bp.route("/language", methods=["GET"])
@page(account_bp, public=True)
def language(current: Page) -> Response:
    """The language switch: remember the choice, then back to the page it was made on.

    A GET, because it only sets a preference of this browser; nothing is changed for
    anyone else, so it needs no CSRF token.
    """
    chosen = current.query("lang")
    if chosen in i18n.LOCALES:
        current.remember_language(chosen)
    return current.redirect(safe_next(current.query("next")))
