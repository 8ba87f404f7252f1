"""The browser session: the Cognito ID token in an HttpOnly, Secure, SameSite=Lax cookie.

The cookie carries the same token an API client sends as `Bearer`, and every page verifies
it with the same `identity.authenticate`: one principal, one tenant, one set of rules. There
is no server-side session to keep or to clean up; a session ends when its token expires
(the user pool's ID token validity) or at sign-out.
"""

from collections.abc import Mapping

from chalice.app import Request

from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.principal import Principal
from chalicelib.services import identity

SESSION_COOKIE = "balie_session"
LANGUAGE_COOKIE = "balie_lang"
FLASH_COOKIE = "balie_flash"
# Cookies a browser keeps are small; anything larger is not one of ours.
_MAX_COOKIE_HEADER = 16_384


class SessionMissing(Exception):
    """No session cookie: the visitor has not signed in (or has signed out)."""


class SessionExpired(Exception):
    """A session cookie that no longer proves who this is (expired, or not a valid token)."""


def cookies(request: Request) -> dict[str, str]:
    """The request's cookies; a malformed pair is skipped, not an error."""
    header = (request.headers or {}).get("cookie") or ""
    found: dict[str, str] = {}
    for pair in header[:_MAX_COOKIE_HEADER].split(";"):
        name, equals, value = pair.strip().partition("=")
        if equals and name and name not in found:
            found[name] = value.strip().strip('"')
    return found


def principal(jar: Mapping[str, str]) -> Principal:
    token = jar.get(SESSION_COOKIE)
    if not token:
        raise SessionMissing
    try:
        who = identity.authenticate(f"Bearer {token}")
    except Unauthenticated:
        raise SessionExpired from None
    if who.kind != "user":
        # An API key pasted into the cookie is not a browser session.
        raise SessionExpired
    return who


def set_cookie(name: str, value: str, *, max_age: int) -> str:
    """A Set-Cookie value with the attributes every Balie cookie has.

    Secure holds on http://127.0.0.1 and http://localhost too: browsers treat them as
    secure origins, so `make run` keeps the same flags as a deployed stack.
    """
    return f"{name}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax"


def clear_cookie(name: str) -> str:
    return set_cookie(name, "", max_age=0)
