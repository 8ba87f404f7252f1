"""CSRF protection: every form carries a token that only our own pages can know.

The token is HMAC-SHA256 of a fixed label, keyed with a secret the browser holds in an
HttpOnly cookie that no other site can read:

- signed in, the session's ID token (the `balie_session` cookie). The form token is then
  bound to that one session: it changes with every sign-in and is useless after sign-out;
- before signing in (the sign-in and password-reset forms), a random pre-session value in
  the `balie_csrf` cookie, set by the page that shows the form. That guards the sign-in
  itself (login CSRF) as a signed double-submit cookie.

A cross-site page can make the browser send the cookies, but it cannot read them nor the
token on our pages, so it cannot send a matching token. The ID token never appears in a
page: an HMAC cannot be turned back into its key. Tokens are compared in constant time.
SameSite=Lax on the cookies is a second layer, not the defence.

No server-side secret is needed: the key material is the per-browser secret itself.
"""

import base64
import hashlib
import hmac
import secrets

PRESESSION_COOKIE = "balie_csrf"
FIELD = "csrf_token"
_LABEL = b"balie-csrf-v1"
_VOTER_LABEL = b"balie-kb-voter-v1"


class CsrfRejected(Exception):
    """A state-changing request without a valid token; nothing may be changed."""


def new_presession_secret() -> str:
    return secrets.token_urlsafe(32)


def token_for(secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), _LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def voter_id(secret: str) -> str:
    """A stable id for an anonymous browser's knowledge-base votes, derived from its
    pre-session secret under another label: it names the browser without revealing the
    secret, and a vote that passed the CSRF check proves the browser holds that secret."""
    digest = hmac.new(secret.encode("utf-8"), _VOTER_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def check(secret: str | None, submitted: str | None) -> None:
    if not secret or not submitted:
        raise CsrfRejected("missing")
    if not hmac.compare_digest(token_for(secret).encode(), submitted.encode("utf-8")):
        raise CsrfRejected("mismatch")
