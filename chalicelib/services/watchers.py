"""Watchers of a ticket: list, add, remove (docs/watchers.md).

Who may add whom is `domain.watchers`; this service reads what that needs (the ticket as
the caller may see it, the address's profile, the tenant's `external_watchers` switch) and
writes the watcher with its audit event (`watcher.added` / `watcher.removed`) in one
transaction. The ticket itself is not rewritten: watching is not a change of the ticket, so
it never clashes with an agent's edit and keeps the ticket's version.
"""

from typing import Any, Protocol

from chalicelib.domain import permissions, watchers
from chalicelib.domain.errors import NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Event, Ticket, new_id
from chalicelib.domain.watchers import Watcher
from chalicelib.services.ports import Clock


class WatcherStore(Protocol):
    def of_ticket(self, tenant: str, number: int, *, consistent: bool = False) -> list[Watcher]: ...

    def add(self, watcher: Watcher, event: Event) -> bool: ...

    def remove(self, tenant: str, number: int, email: str, event: Event) -> bool: ...

    def watching(self, tenant: str, email: str) -> list[int]: ...

    def forget(self, tenant: str, email: str) -> int: ...


class Tickets(Protocol):
    def get(self, principal: Principal, number: int) -> Ticket: ...


class Profiles(Protocol):
    def profile(self, tenant: str, email: str) -> Any: ...


class Settings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


class WatcherService:
    def __init__(
        self,
        tickets: Tickets,
        store: WatcherStore,
        people: Profiles,
        tenants: Settings,
        clock: Clock,
    ) -> None:
        self.tickets = tickets
        self.store = store
        self.people = people
        self.tenants = tenants
        self.clock = clock

    def listed(self, principal: Principal, number: int) -> list[Watcher]:
        """Anyone who may see the ticket sees who watches it (the requester too)."""
        self.tickets.get(principal, number)
        return self.store.of_ticket(principal.tenant, number, consistent=True)

    def of(self, ticket: Ticket) -> list[Watcher]:
        """For a page that already read `ticket` as its caller may see it: one Query."""
        return self.store.of_ticket(ticket.tenant, ticket.number)

    def add(self, principal: Principal, number: int, email: str) -> tuple[Watcher, bool]:
        """The watcher and whether it is new (adding an address twice changes nothing)."""
        ticket = self.tickets.get(principal, number)
        address = email.lower()
        current = self.store.of_ticket(principal.tenant, number, consistent=True)
        for watcher in current:
            if watcher.email == address:
                return watcher, False
        settings = self.tenants.get(principal.tenant) or {}
        watchers.check_can_add(
            staff=permissions.allows(principal, Action.MANAGE_WATCHERS),
            actor_email=principal.email,
            requester_email=ticket.requester.email,
            email=address,
            known=self.people.profile(principal.tenant, address) is not None,
            external_allowed=bool(settings.get("external_watchers")),
            current=len(current),
        )
        now = self.clock()
        watcher = Watcher(principal.tenant, number, address, principal.id, now)
        added = self.store.add(watcher, self._event(principal, ticket, "watcher.added", address))
        return watcher, added

    def remove(self, principal: Principal, number: int, email: str) -> None:
        ticket = self.tickets.get(principal, number)
        address = email.lower()
        watchers.check_can_remove(
            staff=permissions.allows(principal, Action.MANAGE_WATCHERS),
            actor_email=principal.email,
            requester_email=ticket.requester.email,
            email=address,
        )
        event = self._event(principal, ticket, "watcher.removed", address)
        if not self.store.remove(principal.tenant, number, address, event):
            raise NotFound(f"{address} does not watch ticket {number}.")

    def watches(self, tenant: str, number: int, email: str) -> bool:
        """Whether the address watches the ticket now (an unsubscribe page asks)."""
        address = email.lower()
        return any(w.email == address for w in self.store.of_ticket(tenant, number))

    def leave(self, tenant: str, number: int, email: str) -> bool:
        """The watcher stops watching by the unsubscribe link of a copy they were mailed
        (services/unsubscribe.py): the signed link stands in for signing in, for this one
        address and ticket. False when they no longer watch it (a second click)."""
        address = email.lower()
        event = Event(
            id=new_id(),
            type="watcher.removed",
            tenant=tenant,
            ticket=number,
            actor={"kind": "unsubscribe_link", "id": address, "name": address, "role": "watcher"},
            occurred_at=self.clock(),
            data={"watcher": address, "via": "unsubscribe link"},
        )
        return self.store.remove(tenant, number, address, event)

    def _event(self, principal: Principal, ticket: Ticket, kind: str, email: str) -> Event:
        return Event(
            id=new_id(),
            type=kind,
            tenant=ticket.tenant,
            ticket=ticket.number,
            actor=principal.actor(),
            occurred_at=self.clock(),
            data={"watcher": email},
        )
