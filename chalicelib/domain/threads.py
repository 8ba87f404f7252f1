"""Mail threading rules: which ticket a reply belongs to, and how our mail is marked.

A reply is matched, in this order, by
1. the token in the plus-addressed Reply-To we sent (`support+1042-k3m9x2qa@…`): signed with
   the tenant's key, so it cannot be guessed for someone else's ticket;
2. In-Reply-To / References against every Message-ID sent or received for a ticket;
3. `[#1042]` in the subject, but only from a participant of that ticket, because anyone can
   type a number into a subject.
"""

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.tickets import Status, Ticket

# The X-Loop value on every mail Balie sends; mail carrying it back is never answered.
LOOP_MARKER = "balie"

_TAG = re.compile(r"\[#(\d{1,10})\]")
_TOKEN = re.compile(r"^(\d{1,10})-([a-z2-7]{8})$")
_SIGNATURE_CHARS = 8


def tag_subject(number: int, subject: str) -> str:
    """`[#1042] subject`, once: a reply's "Re: [#1042] …" keeps its single tag."""
    if f"[#{number}]" in subject:
        return subject
    return f"[#{number}] {subject}".strip()


def number_in_subject(subject: str) -> int | None:
    found = _TAG.search(subject)
    return int(found.group(1)) if found else None


def _signature(key: str, tenant: str, number: int) -> str:
    digest = hmac.new(key.encode(), f"{tenant}:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_SIGNATURE_CHARS]


def reply_token(key: str, tenant: str, number: int) -> str:
    return f"{number}-{_signature(key, tenant, number)}"


def number_of_token(key: str, tenant: str, token: str) -> int | None:
    """The ticket a token was made for, or None when it is not one of ours."""
    found = _TOKEN.match(token.lower())
    if not found:
        return None
    number = int(found.group(1))
    expected = _signature(key, tenant, number)
    return number if hmac.compare_digest(expected, found.group(2)) else None


def split_plus(address: str) -> tuple[str, str | None]:
    """`support+tok@x` → (`support@x`, `tok`); an address without a tag → (address, None)."""
    local, at, domain = address.lower().partition("@")
    if not at:
        return address.lower(), None
    base, plus, tag = local.partition("+")
    return f"{base}@{domain}", (tag or None) if plus else None


def reply_address(address: str, token: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local}+{token}@{domain}"


def is_participant(ticket: Ticket, sender: str, staff: bool) -> bool:
    """Who may thread a mail by the subject tag alone: the requester, or the tenant's staff."""
    return staff or sender.lower() == ticket.requester.email.lower()


class Placement(StrEnum):
    APPEND = "append"  # add to the ticket (a reply to pending/resolved reopens it)
    FOLLOW_UP = "follow_up"  # a new ticket, linked to the old one


def place_reply(ticket: Ticket, now: datetime, reopen_days: int) -> Placement:
    """Closed tickets stay closed; a resolved one reopens only within the tenant's window."""
    if ticket.status == Status.CLOSED:
        return Placement.FOLLOW_UP
    resolved_long_ago = (
        ticket.status == Status.RESOLVED
        and ticket.resolved_at is not None
        and now - ticket.resolved_at > timedelta(days=reopen_days)
    )
    return Placement.FOLLOW_UP if resolved_long_ago else Placement.APPEND
