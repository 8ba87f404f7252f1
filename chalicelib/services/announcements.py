"""Announcements (planned maintenance, outages): made by supervisors, read by everyone of the
tenant and by anonymous visitors of its portal who name the tenant.

Readers see what is going on now and what is announced ahead; once its window has ended an
announcement is over and only supervisors still list it (`include_past`), until TTL removes
it KEEP_DAYS_AFTER_END days later.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ulid import ULID

from chalicelib.domain import permissions
from chalicelib.domain.announcements import Announcement, Kind
from chalicelib.domain.errors import Invalid, NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.services.ports import Clock, Page

_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class AnnouncementStore(Protocol):
    def get(self, tenant: str, announcement_id: str) -> Announcement | None: ...

    def put(self, announcement: Announcement) -> None: ...

    def delete(self, tenant: str, announcement_id: str) -> bool: ...

    def ending_after(
        self,
        tenant: str,
        moment: datetime | None,
        limit: int,
        cursor: str | None,
        *,
        started_by: datetime | None = None,
    ) -> tuple[list[Announcement], str | None]: ...


class TenantSettings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class AnnouncementFields:
    title: dict[str, str]
    body: dict[str, str]
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    mail_requesters: bool = False


class AnnouncementService:
    def __init__(
        self,
        store: AnnouncementStore,
        tenants: TenantSettings,
        clock: Clock,
        mailings: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        # Queues the first page of a mailing to the requesters (the notifications queue).
        self.mailings = mailings
        self.store = store
        self.tenants = tenants
        self.clock = clock

    def list_for(
        self,
        principal: Principal,
        *,
        include_past: bool = False,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[Announcement]:
        """Current and upcoming announcements, soonest end first; with `include_past`
        (supervisors) also those that are over."""
        permissions.require(principal, Action.READ_ANNOUNCEMENTS)
        if include_past:
            permissions.require(principal, Action.READ_PAST_ANNOUNCEMENTS)
        moment = None if include_past else self.clock()
        items, next_cursor = self.store.ending_after(principal.tenant, moment, limit, cursor)
        return Page(items, next_cursor)

    def list_public(
        self, tenant: str, *, limit: int = 25, cursor: str | None = None
    ) -> Page[Announcement]:
        """What an anonymous visitor of the tenant's portal sees: the same as its requesters."""
        if not _TENANT.match(tenant) or self.tenants.get(tenant) is None:
            raise NotFound("No such tenant.")
        items, next_cursor = self.store.ending_after(tenant, self.clock(), limit, cursor)
        return Page(items, next_cursor)

    def create(self, principal: Principal, fields: AnnouncementFields) -> Announcement:
        permissions.require(principal, Action.WRITE_ANNOUNCEMENTS)
        now = self.clock()
        starts_at, ends_at = fields.starts_at.astimezone(UTC), fields.ends_at.astimezone(UTC)
        if ends_at <= starts_at:
            raise Invalid(
                "An announcement ends after it starts.",
                errors=[{"field": "ends_at", "message": "Must be after starts_at."}],
            )
        if ends_at <= now:
            raise Invalid(
                "This announcement would be over before anyone sees it.",
                errors=[{"field": "ends_at", "message": "Must be in the future."}],
            )
        if fields.mail_requesters and self.mailings is None:
            raise Invalid(
                "Mailing an announcement to the requesters is not available yet.",
                errors=[{"field": "mail_requesters", "message": "Not available yet."}],
            )
        announcement = Announcement(
            tenant=principal.tenant,
            id=str(ULID.from_datetime(now)),
            title=dict(fields.title),
            body=dict(fields.body),
            kind=fields.kind,
            starts_at=starts_at,
            ends_at=ends_at,
            mail_requesters=fields.mail_requesters,
            created_by=principal.id,
            created_at=now,
        )
        self.store.put(announcement)
        if announcement.mail_requesters and self.mailings is not None:
            # After the put: the worker reads the announcement back, and a deleted one stops.
            try:
                self.mailings({"type": "announcement.mail",
                               "id": f"announcement-{announcement.id}",
                               "tenant": announcement.tenant, "announcement": announcement.id,
                               "after": None})  # fmt: skip
            except Exception:
                # No announcement that promises a mailing nobody will send: the caller gets
                # the error with nothing written, and announces again.
                self.store.delete(announcement.tenant, announcement.id)
                raise
        return announcement

    def delete(self, principal: Principal, announcement_id: str) -> None:
        permissions.require(principal, Action.WRITE_ANNOUNCEMENTS)
        if not self.store.delete(principal.tenant, announcement_id.upper()):
            raise NotFound("No such announcement.")
