"""How a page handler runs: who asks, in which language, with which CSRF token, and what
the browser sees when something goes wrong.

A page view is `@page(blueprint)` on `def view(page: Page, **path_params) -> Response`.
The decorator reads the session (redirecting to the sign-in page when a signed-in page has
none), picks the language, runs the view and turns every error into a friendly page in that
language, with the security headers of render.PAGE_HEADERS. It is to pages what
api.errors.handled is to the API; the rules themselves stay in the services.
"""

import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.domain.errors import (
    BadRequest,
    BalieError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
)
from chalicelib.domain.principal import Principal
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.web import csrf, i18n, labels, render, session
from chalicelib.web.session import SessionExpired, SessionMissing
from chalicelib.wiring import tenants

FORM_TYPE = "application/x-www-form-urlencoded"
# Every page form has a handful of fields; more is not a form of ours.
_MAX_FIELDS = 50
_PRESESSION_MAX_AGE = 7 * 24 * 3600
_LANGUAGE_MAX_AGE = 365 * 24 * 3600
_FLASH_MAX_AGE = 60
_TENANT_TTL_SECONDS = 60.0

# The error page per status; (title, explanation) as catalog messages.
ERRORS = {
    400: (i18n.N_("That did not work"), i18n.N_("The request could not be understood.")),
    403: (i18n.N_("Not allowed"), i18n.N_("You may not do this.")),
    404: (
        i18n.N_("Not found"),
        i18n.N_("This page or ticket does not exist, or it is not yours to see."),
    ),
    409: (
        i18n.N_("That is not possible now"),
        i18n.N_("The ticket does not allow this in its current state."),
    ),
    413: (i18n.N_("Too large"), i18n.N_("What you sent is too large. Shorten it and try again.")),
    500: (
        i18n.N_("Something went wrong"),
        i18n.N_("Something went wrong on our side. It has been logged; please try again."),
    ),
}
CSRF_ERROR = (
    i18n.N_("This form has expired"),
    i18n.N_(
        "The form was too old or was not sent from this site, so nothing was changed. "
        "Go back, reload the page and try again."
    ),
)

_STATUS_OF: tuple[tuple[type[BalieError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (BadRequest, 400),
)


@dataclass(frozen=True)
class Flash:
    kind: str
    number: int


class Page:
    """One page request: the visitor, the language, cookies to set, and how to answer."""

    def __init__(self, request: Request, jar: dict[str, str], who: Principal | None) -> None:
        self.request = request
        self.jar = jar
        self.principal = who
        self.set_cookies: list[str] = []
        # The page to come back to after switching the language, when it is not this
        # request's own path (a form's answer shown at its POST address).
        self.return_to: str | None = None
        self.prefix, self.path = _split_path(request)
        self.tenant = _tenant_settings(who.tenant) if who else {}
        self.locale = self._negotiate()

    def _negotiate(self) -> str:
        return i18n.negotiate(
            chosen=(
                self.query("lang"),
                self.jar.get(session.LANGUAGE_COOKIE),
                self.principal.locale if self.principal else None,
            ),
            accept_language=(self.request.headers or {}).get("accept-language"),
            fallback=self.tenant.get("locale"),
        )

    def speak_for(self, tenant: dict[str, Any]) -> None:
        """A signed-out page about one tenant (a survey link) shows its name and language."""
        self.tenant = tenant
        self.locale = self._negotiate()

    # --- reading --------------------------------------------------------------------------

    def query(self, name: str) -> str | None:
        value = (self.request.query_params or {}).get(name)
        return value if isinstance(value, str) else None

    def form(self) -> dict[str, str]:
        """The submitted form, after its CSRF token has been checked."""
        content_type = (self.request.headers or {}).get("content-type") or ""
        if content_type.split(";")[0].strip().lower() != FORM_TYPE:
            # Tokens are read from our own url-encoded forms only, so any other body is a
            # request without one (a cross-site text/plain or multipart post included).
            raise csrf.CsrfRejected("not a form")
        raw = self.request.raw_body or b""
        if len(raw) > get_settings().max_body_bytes:
            raise PayloadTooLarge("The form is too large.")
        try:
            pairs = parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                max_num_fields=_MAX_FIELDS,
                errors="strict",
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest("The form could not be read.") from exc
        values: dict[str, str] = {}
        for name, value in pairs:
            values.setdefault(name, value.replace("\r\n", "\n"))
        csrf.check(self._csrf_secret(), values.get(csrf.FIELD))
        return values

    @property
    def user(self) -> Principal:
        """The signed-in principal (pages that need one are never reached without it)."""
        assert self.principal is not None
        return self.principal

    # --- answering ------------------------------------------------------------------------

    def href(self, path: str, **params: Any) -> str:
        """A link to one of our pages, behind whatever stage prefix this request came in."""
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.prefix}{path}" + (f"?{query}" if query else "")

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        """A page, or with a template named `_…` a fragment of one for htmx to swap in."""
        whole_page = not template.startswith("_")
        body = render.render(self.locale, template, {**self._context(whole_page), **context})
        return self._respond(render.page_response(body, status=status))

    def redirect(self, path: str, **params: Any) -> Response:
        """303 See Other: after a form, the browser GETs the result (no resubmit on reload)."""
        return self._respond(_redirect(self.request, self.href(path, **params)))

    def respond(self, response: Response) -> Response:
        """Any other answer (JSON for a page's script, a redirect elsewhere), with the
        cookies this request set."""
        return self._respond(response)

    def flash(self, kind: str, number: int) -> None:
        self.set_cookies.append(
            session.set_cookie(session.FLASH_COOKIE, f"{kind}.{number}", max_age=_FLASH_MAX_AGE)
        )

    def remember_language(self, locale: str) -> None:
        self.set_cookies.append(
            session.set_cookie(session.LANGUAGE_COOKIE, locale, max_age=_LANGUAGE_MAX_AGE)
        )

    def error(self, status: int, *, csrf_failed: bool = False) -> Response:
        title, text = CSRF_ERROR if csrf_failed else ERRORS[status]
        try:
            return self.render("error.html", status=status, title=title, text=text)
        except Exception:
            logger.exception("error page failed")
            return self._respond(render.page_response(render.FALLBACK_ERROR, status=status))

    # --- internals ------------------------------------------------------------------------

    def anonymous_voter(self) -> str | None:
        """Without a session: this browser's knowledge-base voter id (csrf.voter_id). Call
        after form(), which proved the browser holds the secret."""
        if self.principal is not None:
            return None
        secret = self.jar.get(csrf.PRESESSION_COOKIE)
        return csrf.voter_id(secret) if secret else None

    def csrf_token(self) -> str:
        return csrf.token_for(self._csrf_secret())

    def _csrf_secret(self) -> str:
        # The session's token when signed in; otherwise a pre-session secret (csrf.py).
        secret = self.jar.get(session.SESSION_COOKIE) or self.jar.get(csrf.PRESESSION_COOKIE)
        if not secret:
            secret = csrf.new_presession_secret()
            self.jar[csrf.PRESESSION_COOKIE] = secret
            self.set_cookies.append(
                session.set_cookie(csrf.PRESESSION_COOKIE, secret, max_age=_PRESESSION_MAX_AGE)
            )
        return secret

    def _context(self, whole_page: bool) -> dict[str, Any]:
        timezone = str(self.tenant.get("timezone") or "UTC")
        return {
            "locale": self.locale,
            "principal": self.principal,
            "tenant_name": self.tenant.get("name"),
            "href": self.href,
            "csrf_field": csrf.FIELD,
            "csrf_token": self.csrf_token(),
            "when": lambda moment: i18n.format_moment(moment, self.locale, timezone),
            "iso": lambda moment: moment.isoformat() if moment else "",
            "labels": labels,
            # Only a whole page shows (and so uses up) what the last form did.
            "flash": self._take_flash() if whole_page else None,
            "languages": [
                (code, name, self.href("/language", lang=code, next=self._here()))
                for code, name in i18n.LANGUAGE_NAMES.items()
            ],
        }

    def _here(self) -> str:
        """This page's path and query, to come back to after switching the language."""
        if self.return_to is not None:
            return self.return_to
        if self.request.method != "GET":
            return "/"
        params = {k: v for k, v in (self.request.query_params or {}).items() if k != "lang"}
        return self.path + (f"?{urlencode(params)}" if params else "")

    def _take_flash(self) -> Flash | None:
        raw = self.jar.pop(session.FLASH_COOKIE, None)
        if raw is None:
            return None
        self.set_cookies.append(session.clear_cookie(session.FLASH_COOKIE))
        kind, _, number = raw.partition(".")
        if kind in labels.FLASH and number.isdigit() and len(number) <= 12:
            return Flash(kind, int(number))
        return None

    def _respond(self, response: Response) -> Response:
        if self.set_cookies:
            response.headers["Set-Cookie"] = list(self.set_cookies)
        return response


def page(blueprint: Blueprint, *, public: bool = False) -> Callable[..., Callable[..., Response]]:
    """Run a view as a page; `public` pages (sign-in, password reset) need no session."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**path_params: str) -> Response:
            request = blueprint.current_request
            jar = session.cookies(request)
            who: Principal | None = None
            expired = False
            try:
                try:
                    who = session.principal(jar)
                    logger.append_keys(tenant=who.tenant)
                except SessionMissing:
                    if not public:
                        return _to_sign_in(request, expired=False)
                except SessionExpired:
                    if not public:
                        return _to_sign_in(request, expired=True)
                    # Dropped before anything uses it: a form on this page must take its
                    # CSRF token from the pre-session secret, as its submission will.
                    del jar[session.SESSION_COOKIE]
                    expired = True
                current = Page(request, jar, who)
            except Exception:
                # Before the page knows its language (signing keys or tenant settings
                # unreachable): the plain page in both languages.
                logger.exception("page failed before it started")
                return render.page_response(render.FALLBACK_ERROR, status=500)
            if expired:
                current.set_cookies.append(session.clear_cookie(session.SESSION_COOKIE))
            return _run(view, current, path_params)

        return wrapper

    return decorate


def _run(view: Callable[..., Response], current: Page, path_params: dict[str, str]) -> Response:
    try:
        return view(current, **path_params)
    except csrf.CsrfRejected as rejected:
        logger.info("Form refused: CSRF token", extra={"reason": str(rejected)})
        return current.error(403, csrf_failed=True)
    except BalieError as error:
        status = next((code for cls, code in _STATUS_OF if isinstance(error, cls)), 400)
        return current.error(status)
    except Exception:
        # Never a stack trace in a page; the log has it, under the request id.
        logger.exception("page failed")
        return current.error(500)


def _to_sign_in(request: Request, *, expired: bool) -> Response:
    prefix, path = _split_path(request)
    params = {"next": path} if request.method == "GET" and path != "/" else {}
    if expired:
        params["reason"] = "expired"
    response = _redirect(request, f"{prefix}/login" + (f"?{urlencode(params)}" if params else ""))
    if expired:
        response.headers["Set-Cookie"] = [session.clear_cookie(session.SESSION_COOKIE)]
    return response


def _redirect(request: Request, target: str) -> Response:
    if (request.headers or {}).get("hx-request"):
        # XHR follows a 303 by itself and htmx would swap the next page into a fragment's
        # place; HX-Redirect on a 200 makes htmx load it as a whole page instead.
        return render.page_response("", headers={"HX-Redirect": target})
    return render.page_response("", status=303, headers={"Location": target})


def _split_path(request: Request) -> tuple[str, str]:
    """(stage prefix, path of the page): ("/api", "/tickets/7") behind API Gateway's
    stage, ("", "/tickets/7") locally. The route template (`/tickets/{number}`) has as
    many segments as the page's path, so whatever the called path has more is the prefix."""
    called = [s for s in str((request.context or {}).get("path") or "").split("/") if s]
    template = [s for s in request.path.split("/") if s]
    extra = max(len(called) - len(template), 0)
    prefix = "/" + "/".join(called[:extra]) if extra else ""
    return prefix, "/" + "/".join(called[extra:])


def safe_next(value: str | None) -> str:
    """Where to go after signing in: one of our own paths, never another site."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 for c in value)
        or len(value) > 2000
    ):
        return "/"
    return value


_tenant_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def forget_tenant_settings(tenant: str | None = None) -> None:
    """Drop the kept settings of one tenant (its admin changed them), or of every tenant
    (tests that provision a fresh stack per case)."""
    if tenant is None:
        _tenant_cache.clear()
    else:
        _tenant_cache.pop(tenant, None)


def _tenant_settings(tenant: str) -> dict[str, Any]:
    """Name, language and time zone of the tenant; kept a minute per container, like the
    SLA settings, so a page costs no extra read."""
    now = time.monotonic()
    cached = _tenant_cache.get(tenant)
    if cached and now - cached[0] < _TENANT_TTL_SECONDS:
        return cached[1]
    settings = tenants().get(tenant) or {}
    _tenant_cache[tenant] = (now, settings)
    return settings


def new_nonce() -> str:
    """A form's one-time id; a double submit of the same form carries the same one."""
    return secrets.token_urlsafe(18)
