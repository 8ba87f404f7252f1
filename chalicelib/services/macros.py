"""Response templates (macros): kept by agents, shared ones by supervisors, filled in for a
ticket in its requester's language.

The agent workspace calls `list_for` and `render` directly; the HTTP API calls the same
methods. Who may see and change what is decided here, through domain/permissions.py:
a personal macro exists only for its owner (anyone else, a supervisor too, gets 404), shared
ones are read by all staff of the tenant and changed by supervisors, requesters get 403.
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ulid import ULID

from chalicelib.domain import permissions
from chalicelib.domain.errors import Invalid, NotFound, PreconditionFailed
from chalicelib.domain.macros import Macro, Scope, fill, pick_language, placeholder_errors
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Ticket
from chalicelib.services.ports import Clock, Page, VersionConflict

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


class MacroStore(Protocol):
    def get(self, tenant: str, macro_id: str) -> Macro | None: ...

    def put(self, macro: Macro, expected: int) -> None: ...

    def delete(self, tenant: str, macro_id: str, expected: int) -> None: ...

    def usable(
        self, tenant: str, owner: str, limit: int, cursor: str | None
    ) -> tuple[list[Macro], str | None]: ...


class Tickets(Protocol):
    """The ticket service: `get` decides whether the caller may see the ticket."""

    def get(self, principal: Principal, number: int) -> Ticket: ...


class People(Protocol):
    def profile(self, tenant: str, email: str) -> Any: ...


class TenantSettings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class MacroFields:
    """What a client sends to create or replace a macro (shape checked by the API schema)."""

    name: str
    body: dict[str, str]
    scope: Scope = Scope.PERSONAL
    actions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    body: str
    language: str
    actions: dict[str, Any]


class MacroService:
    def __init__(
        self,
        store: MacroStore,
        tickets: Tickets,
        people: People,
        tenants: TenantSettings,
        clock: Clock,
        *,
        portal_url: str,
    ) -> None:
        self.store = store
        self.tickets = tickets
        self.people = people
        self.tenants = tenants
        self.clock = clock
        self.portal_url = portal_url.rstrip("/")

    # --- reading ------------------------------------------------------------------------

    def list_for(
        self, principal: Principal, limit: int = 25, cursor: str | None = None
    ) -> Page[Macro]:
        """The shared macros and the caller's own, sorted by name."""
        permissions.require(principal, Action.USE_MACROS)
        items, next_cursor = self.store.usable(principal.tenant, principal.id, limit, cursor)
        return Page(items, next_cursor)

    def get(self, principal: Principal, macro_id: str) -> Macro:
        permissions.require(principal, Action.USE_MACROS)
        macro = self.store.get(principal.tenant, macro_id) if _ULID.match(macro_id) else None
        if macro is None or (macro.scope == Scope.PERSONAL and macro.owner != principal.id):
            raise NotFound("No such macro.")
        return macro

    def render(self, principal: Principal, macro_id: str, ticket_number: int) -> str:
        """The macro's text for a reply on the ticket, in its requester's language."""
        return self.render_for(principal, macro_id, ticket_number).body

    def render_for(self, principal: Principal, macro_id: str, ticket_number: int) -> Rendered:
        macro = self.get(principal, macro_id)
        ticket = self.tickets.get(principal, ticket_number)
        language = pick_language(macro.body, self._language_of(ticket))
        values = {
            "requester_name": ticket.requester.name or ticket.requester.email,
            "ticket_number": str(ticket.number),
            "portal_link": f"{self.portal_url}/tickets/{ticket.number}",
            "agent_name": principal.name,
        }
        return Rendered(fill(macro.body[language], values), language, dict(macro.actions))

    def _language_of(self, ticket: Ticket) -> str | None:
        profile = self.people.profile(ticket.tenant, ticket.requester.email)
        if profile is not None and getattr(profile, "locale", None):
            return str(profile.locale)
        return (self.tenants.get(ticket.tenant) or {}).get("locale")

    # --- writing ------------------------------------------------------------------------

    def create(self, principal: Principal, fields: MacroFields) -> Macro:
        permissions.require(principal, Action.USE_MACROS)
        self._check_scope(principal, fields.scope)
        _check_placeholders(fields.body)
        now = self.clock()
        macro = Macro(
            tenant=principal.tenant,
            id=str(ULID.from_datetime(now)),
            name=fields.name,
            body=dict(fields.body),
            scope=fields.scope,
            owner=principal.id if fields.scope == Scope.PERSONAL else None,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=principal.id,
            actions=dict(fields.actions),
        )
        self.store.put(macro, 0)
        return macro

    def replace(
        self, principal: Principal, macro_id: str, fields: MacroFields, expected: int
    ) -> Macro:
        current = self.get(principal, macro_id)
        self._check_scope(principal, current.scope)
        if fields.scope != current.scope:
            raise Invalid(
                "A macro's scope does not change; make a new macro instead.",
                errors=[{"field": "scope", "message": f"This macro is {current.scope.value}."}],
            )
        _check_placeholders(fields.body)
        if current.version != expected:
            raise PreconditionFailed(f"The macro is at version {current.version}.")
        changed = replace(
            current,
            name=fields.name,
            body=dict(fields.body),
            actions=dict(fields.actions),
            version=current.version + 1,
            updated_at=self.clock(),
        )
        try:
            self.store.put(changed, expected)
        except VersionConflict as exc:
            raise PreconditionFailed("The macro was changed meanwhile.") from exc
        return changed

    def delete(self, principal: Principal, macro_id: str, expected: int | None = None) -> None:
        """With `expected` (If-Match) only that version is deleted."""
        current = self.get(principal, macro_id)
        self._check_scope(principal, current.scope)
        if expected is not None and current.version != expected:
            raise PreconditionFailed(f"The macro is at version {current.version}.")
        try:
            self.store.delete(principal.tenant, macro_id, current.version)
        except VersionConflict as exc:
            raise PreconditionFailed("The macro was changed meanwhile.") from exc

    def _check_scope(self, principal: Principal, scope: Scope) -> None:
        if scope == Scope.SHARED:
            permissions.require(principal, Action.MANAGE_SHARED_MACROS)


def _check_placeholders(body: dict[str, str]) -> None:
    errors = [
        {"field": f"body.{language}", "message": problem}
        for language, template in sorted(body.items())
        for problem in placeholder_errors(template)
    ]
    if errors:
        raise Invalid("The macro has placeholders Balie cannot fill.", errors=errors)
