"""Recurring-incident detection: the daily step that suggests problems, and what agents do
with a suggestion (create the problem with its incidents linked, or dismiss it).

The clustering is domain.recurring; this module reads the window, keeps the result as the
tenant's current suggestions and turns a suggestion into a problem through the ticket and
problem services, so that the problem is filed and its incidents linked by the same rules
(and audit events) as by hand.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain import permissions
from chalicelib.domain.errors import NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.recurring import Cluster, Incident, cluster
from chalicelib.domain.tickets import Channel, Status, Ticket, TicketType
from chalicelib.observability import logger
from chalicelib.services.ports import Clock
from chalicelib.services.problems import MAX_LINKS, ProblemService
from chalicelib.services.tickets import NewTicket

JOB = "recurring-incidents"


@dataclass(frozen=True)
class Limits:
    window_days: int = 14  # incidents created this many days back are compared
    min_incidents: int = 3  # a cluster this large becomes a suggestion
    max_read: int = 2000  # items of the ticket index read per tenant per run, at most
    keep_days: int = 3  # a suggestion expires (TTL) if no later run replaces it


@dataclass(frozen=True)
class Detection:
    tenant: str
    read: int  # items of the index evaluated
    incidents: int  # incidents compared
    suggestions: int
    truncated: bool  # max_read stopped the read before the window's start
    seconds: float  # clustering alone (the reads are counted in `read`)


class RecurringStore(Protocol):
    def recent_incidents(
        self, tenant: str, since: datetime, max_read: int
    ) -> tuple[list[Incident], int, bool]: ...

    def replace(
        self, tenant: str, clusters: list[Cluster], found_at: datetime, expires_at: int
    ) -> int: ...

    def suggestions(self, tenant: str) -> list[dict[str, Any]]: ...

    def suggestion(self, tenant: str, cluster_id: str) -> dict[str, Any] | None: ...

    def dismissed(self, tenant: str) -> set[int]: ...

    def dismiss(self, tenant: str, suggestion: dict[str, Any], expires_at: int) -> None: ...

    def remove(self, tenant: str, cluster_id: str) -> None: ...


class TicketFiler(Protocol):
    def create(
        self, principal: Principal, new: NewTicket, *, channel: Channel, idempotency_key: str
    ) -> tuple[Ticket, bool]: ...


class RecurringIncidents:
    def __init__(
        self,
        store: RecurringStore,
        tickets: TicketFiler,
        problems: ProblemService,
        clock: Clock,
        limits: Limits = Limits(),
    ) -> None:
        self.store = store
        self.tickets = tickets
        self.problems = problems
        self.clock = clock
        self.limits = limits

    # --- the daily step -----------------------------------------------------------------

    def detect(self, tenant: dict[str, Any], now: datetime) -> Detection:
        """One tenant: read the window, cluster it, replace the suggestions."""
        tenant_id = tenant["tenant"]
        window = int(tenant.get("recurring_window_days") or self.limits.window_days)
        minimum = int(tenant.get("recurring_min_incidents") or self.limits.min_incidents)
        incidents, read, truncated = self.store.recent_incidents(
            tenant_id, now - timedelta(days=window), self.limits.max_read
        )
        # Dismissed incidents do not make a suggestion again by themselves; one new
        # incident about the same thing brings the cluster back.
        dismissed = self.store.dismissed(tenant_id)
        started = time.perf_counter()
        found = cluster(incidents, min_size=minimum, max_size=MAX_LINKS)
        seconds = time.perf_counter() - started
        fresh = [c for c in found if not set(c.members) <= dismissed]
        expires = int((now + timedelta(days=self.limits.keep_days)).timestamp())
        self.store.replace(tenant_id, fresh, now, expires)
        return Detection(tenant_id, read, len(incidents), len(fresh), truncated, seconds)

    # --- the workspace ------------------------------------------------------------------

    def suggestions(self, principal: Principal) -> list[dict[str, Any]]:
        """The current suggestions, largest first."""
        permissions.require(principal, Action.WORK_PROBLEMS)
        found = self.store.suggestions(principal.tenant)
        return sorted(found, key=lambda s: (-s["size"], s["members"][:1], s["id"]))

    def _suggestion(self, principal: Principal, cluster_id: str) -> dict[str, Any]:
        permissions.require(principal, Action.WORK_PROBLEMS)
        found = self.store.suggestion(principal.tenant, cluster_id)
        if found is None:
            raise NotFound("This suggestion is gone: it was used, dismissed or replaced.")
        return found

    def dismiss(self, principal: Principal, cluster_id: str) -> None:
        suggestion = self._suggestion(principal, cluster_id)
        # Remembered as long as its incidents can be in a window.
        days = self.limits.window_days + self.limits.keep_days
        expires = int((self.clock() + timedelta(days=days)).timestamp())
        self.store.dismiss(principal.tenant, suggestion, expires)

    def create_problem(
        self,
        principal: Principal,
        cluster_id: str,
        subject: str | None = None,
        description: str | None = None,
    ) -> tuple[Ticket, list[int]]:
        """File a problem for the suggestion and link its incidents that can still be
        linked (not closed, not linked elsewhere meanwhile). Filing is idempotent per
        suggestion, so a second click finds the same problem instead of a second one."""
        suggestion = self._suggestion(principal, cluster_id)
        label = " ".join(suggestion["label"]) or "?"
        members = suggestion["members"]
        numbers = ", ".join(f"#{n}" for n in members)
        new = NewTicket(
            subject=(subject or f"Recurring: {label}")[:200],
            description=description or f"{len(members)} similar incidents ({label}): {numbers}.",
            type=TicketType.PROBLEM,
            category=suggestion.get("category"),
        )
        problem, _ = self.tickets.create(
            principal, new, channel=Channel.PORTAL, idempotency_key=f"problem-hint-{cluster_id}"
        )
        found = self.problems.store.get_many(principal.tenant, members)
        linkable = [
            n
            for n in members
            if n in found
            and found[n].type == TicketType.INCIDENT
            and found[n].status != Status.CLOSED
            and found[n].problem in (None, problem.number)
        ]
        linked = self.problems.link(principal, problem.number, linkable) if linkable else []
        self.store.remove(principal.tenant, cluster_id)
        logger.info(
            "problem created from a suggestion",
            extra={"tenant": principal.tenant, "ticket": problem.number, "linked": len(linked)},
        )
        return problem, linked


def detect_recurring(
    service: RecurringIncidents, tenants: list[dict[str, Any]], now: datetime
) -> dict[str, int]:
    """The daily step over every tenant: suggestions per tenant. One tenant's failure is
    logged and does not stop the others."""
    made: dict[str, int] = {}
    for tenant in tenants:
        try:
            result = service.detect(tenant, now)
        except Exception:
            logger.exception(
                "recurring incidents: detection failed", extra={"tenant": tenant.get("tenant")}
            )
            continue
        made[result.tenant] = result.suggestions
        logger.info(
            "recurring incidents",
            extra={
                "tenant": result.tenant,
                "read": result.read,
                "incidents": result.incidents,
                "suggestions": result.suggestions,
                "truncated": result.truncated,
            },
        )
    return made
