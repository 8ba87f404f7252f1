"""Watchers: people copied on a ticket who hear about its public changes by mail.

A watcher is not a requester: they get a copy of public replies and status changes, never
internal notes, and they cannot open the ticket in the portal (it stays its requester's).
Who may add whom is decided here, pure (docs/watchers.md):

- staff (agent+) add anyone known to the tenant (a profile: staff or requester), and other
  addresses only when the tenant allows outside watchers (`external_watchers` on its item);
- the ticket's requester adds and removes colleagues of their own mail domain;
- nobody adds the requester (they hear about everything already).
"""

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import Conflict, Forbidden, Invalid

# Each watcher is one more mail per public change: a ticket copies at most this many.
MAX_WATCHERS = 20


@dataclass(frozen=True)
class Watcher:
    """One address following one ticket; an item in the ticket's partition (`WATCH#`)."""

    tenant: str
    ticket: int
    email: str
    added_by: str
    added_at: datetime


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def check_can_add(
    *,
    staff: bool,
    actor_email: str | None,
    requester_email: str,
    email: str,
    known: bool,
    external_allowed: bool,
    current: int,
) -> None:
    """Refuse what the rules above do not allow; `known`: the address has a profile here."""
    address = email.lower()
    if address == requester_email.lower():
        raise Invalid(
            "The requester already hears about every change.",
            errors=[{"field": "email", "message": "This is the ticket's requester."}],
        )
    if staff:
        if not known and not external_allowed:
            raise Invalid(
                "Only people known to this helpdesk can watch its tickets.",
                errors=[{"field": "email", "message": "Not known to this helpdesk."}],
            )
    else:
        check_same_domain(actor_email, requester_email, address)
    if current >= MAX_WATCHERS:
        raise Conflict(f"A ticket has at most {MAX_WATCHERS} watchers; remove one first.")


def check_can_remove(
    *, staff: bool, actor_email: str | None, requester_email: str, email: str
) -> None:
    if not staff:
        check_same_domain(actor_email, requester_email, email)


def check_same_domain(actor_email: str | None, requester_email: str, email: str) -> None:
    """A requester manages watchers of their own ticket, from their own mail domain."""
    if (actor_email or "").lower() != requester_email.lower():
        raise Forbidden("Only the requester of a ticket manages its watchers.")
    if domain_of(email) != domain_of(requester_email):
        raise Forbidden("You can only add colleagues with an address of your own domain.")


def cc_watchers(
    sender: str, recipients: tuple[str, ...], own_addresses: set[str], limit: int = MAX_WATCHERS
) -> list[str]:
    """Addresses on a new mail that become watchers of the ticket it files: other people
    of the sender's domain (not the helpdesk's own addresses, not the sender)."""
    found: list[str] = []
    for raw in recipients:
        address = raw.lower()
        if address == sender.lower() or address in own_addresses:
            continue
        if domain_of(address) == domain_of(sender) and address not in found:
            found.append(address)
    return found[:limit]
