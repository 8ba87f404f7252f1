"""Unsubscribe links: stop announcement mailings, or the copies of one watched ticket.

The signed link (domain/unsubscribe.py) stands in for signing in, for one address and one
kind of mail only. Leaving announcements sets `announcements_opt_out` on the person's profile
and can be undone from the same link; leaving a watched ticket removes the watcher through
WatcherService, which writes the `watcher.removed` event (actor: the address itself, via the
unsubscribe link). That one is not undone by the link: who watches a ticket is for its
requester and the desk to decide, and an old link must not bring back a watcher they removed.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain import unsubscribe
from chalicelib.domain.errors import Conflict
from chalicelib.domain.unsubscribe import InvalidLink, Link

__all__ = ["InvalidLink", "Opened", "UnsubscribeService"]


class TenantSettings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


class People(Protocol):
    def profile(self, tenant: str, email: str) -> Any: ...

    def set_announcements_opt_out(self, tenant: str, email: str, opted_out: bool) -> bool: ...


class Watching(Protocol):
    def watches(self, tenant: str, number: int, email: str) -> bool: ...

    def leave(self, tenant: str, number: int, email: str) -> bool: ...


@dataclass(frozen=True)
class Opened:
    """A genuine link, the tenant it belongs to, and whether that mail still comes."""

    link: Link
    settings: dict[str, Any]
    subscribed: bool
    changed: bool = False

    @property
    def undoable(self) -> bool:
        return self.link.topic == unsubscribe.ANNOUNCEMENTS


class UnsubscribeService:
    def __init__(self, tenants: TenantSettings, people: People, watchers: Watching) -> None:
        self.tenants = tenants
        self.people = people
        self.watchers = watchers

    def open(self, token: str) -> Opened:
        """What the link is about; InvalidLink for anything that is not a link of ours."""
        link, settings = self._read(token)
        return Opened(link, settings, self._subscribed(link))

    def leave(self, token: str) -> Opened:
        """Stop the mail the link names; a second time changes nothing."""
        link, settings = self._read(token)
        if link.ticket is not None:
            changed = self.watchers.leave(link.tenant, link.ticket, link.address)
        else:
            was = self._subscribed(link)
            self.people.set_announcements_opt_out(link.tenant, link.address, True)
            changed = was
        return Opened(link, settings, subscribed=False, changed=changed)

    def rejoin(self, token: str) -> Opened:
        """Undo leaving the announcements (only those: see the module's docstring)."""
        link, settings = self._read(token)
        if link.ticket is not None:
            raise Conflict("Ask the helpdesk to add you as a watcher again.")
        was = self._subscribed(link)
        self.people.set_announcements_opt_out(link.tenant, link.address, False)
        return Opened(link, settings, subscribed=True, changed=not was)

    def _read(self, token: str) -> tuple[Link, dict[str, Any]]:
        tenant = unsubscribe.tenant_of(token)
        settings = self.tenants.get(tenant) if tenant else None
        if not settings:
            raise InvalidLink("no such tenant")
        return unsubscribe.read(unsubscribe.keys_of(settings), token), settings

    def _subscribed(self, link: Link) -> bool:
        if link.ticket is not None:
            return self.watchers.watches(link.tenant, link.ticket, link.address)
        profile = self.people.profile(link.tenant, link.address)
        # Without a profile nobody mails them announcements (the mailing reads profiles).
        return bool(profile) and not profile.announcements_opt_out
