"""Survey links: one click in the resolution mail records a rating, without signing in.

A link names the tenant, the ticket, which resolution it asks about, the rating and when it
expires, signed with the tenant's secret key, so it cannot be made for someone else's ticket
nor changed into another rating. It is single use because a resolution is rated only once:
the first click counts, a later one is told so. A reopened and again resolved ticket gets new
links, for the new resolution.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.tickets import Rating, Ticket

LINK_DAYS = 30
# 128 bits of HMAC-SHA256: a link is a bearer credential for one rating.
_SIGNATURE_CHARS = 26
_TOKEN = re.compile(
    r"^(?P<tenant>[a-z0-9][a-z0-9-]{1,30})\.(?P<number>[1-9][0-9]{0,11})\."
    r"(?P<resolution>[1-9][0-9]{0,5})\.(?P<rating>good|bad)\.(?P<expires>[0-9]{1,12})\."
    r"(?P<signature>[a-z2-7]{26})$"
)


class InvalidLink(Exception):
    """Not a survey link of ours: mistyped, cut off by a mail client, or forged."""


class ExpiredLink(Exception):
    """A genuine link, too old to use."""


@dataclass(frozen=True)
class SurveyLink:
    tenant: str
    number: int
    resolution: int
    rating: Rating
    expires: datetime


def tenant_of(token: str) -> str | None:
    """Whose key checks this token; None when it cannot be one of ours."""
    found = _TOKEN.match(token)
    return found.group("tenant") if found else None


def links_for(key: str, ticket: Ticket, now: datetime) -> dict[Rating, str] | None:
    """Both answers to the survey about the ticket's current resolution, as tokens."""
    if ticket.resolution is None:
        return None
    expires = int((now + timedelta(days=LINK_DAYS)).timestamp())
    return {
        rating: _token(key, ticket.tenant, ticket.number, ticket.resolution, rating, expires)
        for rating in Rating
    }


def read(key: str, token: str, now: datetime) -> SurveyLink:
    found = _TOKEN.match(token)
    if not found:
        raise InvalidLink("not a survey link")
    tenant, rating = found.group("tenant"), Rating(found.group("rating"))
    number, resolution = int(found.group("number")), int(found.group("resolution"))
    expires = int(found.group("expires"))
    expected = _token(key, tenant, number, resolution, rating, expires)
    if not hmac.compare_digest(expected, token):
        raise InvalidLink("signature does not match")
    if now.timestamp() > expires:
        raise ExpiredLink("expired")
    return SurveyLink(tenant, number, resolution, rating, datetime.fromtimestamp(expires, UTC))


def _token(
    key: str, tenant: str, number: int, resolution: int, rating: Rating, expires: int
) -> str:
    claims = f"{tenant}.{number}.{resolution}.{rating.value}.{expires}"
    # "survey:" keeps these signatures apart from the reply tokens made with the same key.
    digest = hmac.new(key.encode(), f"survey:{claims}".encode(), hashlib.sha256).digest()
    return f"{claims}.{base64.b32encode(digest).decode().lower()[:_SIGNATURE_CHARS]}"
