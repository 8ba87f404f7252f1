"""SLA settings of a tenant: business hours and policies, and the calendars built from them."""

import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from chalicelib.adapters.dynamo.sla_settings import DynamoSlaSettings
from chalicelib.domain import permissions, sla
from chalicelib.domain.calendar import ALWAYS_OPEN, BusinessCalendar, holiday_source, parse_week
from chalicelib.domain.errors import Invalid, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.sla import (
    DEFAULT_TARGETS,
    CalendarKind,
    Calendars,
    Escalation,
    Override,
    Policy,
    Target,
)
from chalicelib.domain.tickets import Priority, Ticket
from chalicelib.services.ports import VersionConflict

# The catalog's SLA overrides of a tenant ({"service", "items"} like the policies'
# `overrides`); services.catalog.sla_overrides reads them.
ServiceTargets = Callable[[str], list[dict[str, Any]]]

# Settings change rarely and are read on every ticket change: a warm container keeps them
# this long. A PUT refreshes its own container at once; others follow within the minute.
_CACHE_SECONDS = 60.0


def default_hours(timezone: str) -> dict[str, Any]:
    office = [["08:30", "17:30"]]
    week = {d: office for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}
    return {
        "timezone": timezone,
        "week": week,
        "holidays": {"country": None, "subdivision": None, "extra": [], "exclude": []},
    }


def default_policies() -> dict[str, Any]:
    return {
        "items": [
            {
                "priority": t.priority.value,
                "calendar": t.calendar.value,
                "first_response_minutes": t.first_response_minutes,
                "next_response_minutes": t.next_response_minutes,
                "resolution_minutes": t.resolution_minutes,
                "warn_before_minutes": t.warn_before_minutes,
            }
            for t in DEFAULT_TARGETS
        ],
        "pause_on_hold": True,
        "overrides": [],
        "escalation": {
            "notify_supervisors": True,
            "raise_tier": True,
            "tier_groups": {},
            "bump_priority": False,
        },
    }


@dataclass(frozen=True)
class Versioned:
    document: dict[str, Any]
    version: int


@dataclass(frozen=True)
class Effective:
    hours: Versioned
    policies: Versioned
    policy: Policy
    calendars: Calendars
    service_overrides: tuple[dict[str, Any], ...] = ()


def calendars_from(hours: dict[str, Any]) -> Calendars:
    """The tenant's calendars; ValueError names what is wrong with the document."""
    return _calendars(json.dumps(hours, sort_keys=True))


@lru_cache(maxsize=256)
def _calendars(hours_json: str) -> Calendars:
    hours = json.loads(hours_json)
    spec = hours["holidays"]
    holidays = holiday_source(
        spec.get("country"),
        spec.get("subdivision"),
        [date.fromisoformat(d) for d in spec.get("extra", [])],
        [date.fromisoformat(d) for d in spec.get("exclude", [])],
    )
    business = BusinessCalendar(hours["timezone"], parse_week(hours["week"]), holidays)
    return {CalendarKind.ALWAYS: ALWAYS_OPEN, CalendarKind.BUSINESS: business}


def _targets(items: list[dict[str, Any]]) -> dict[Priority, Target]:
    return {
        Priority(i["priority"]): Target(
            priority=Priority(i["priority"]),
            calendar=CalendarKind(i["calendar"]),
            first_response_minutes=i["first_response_minutes"],
            next_response_minutes=i["next_response_minutes"],
            resolution_minutes=i["resolution_minutes"],
            warn_before_minutes=i["warn_before_minutes"],
        )
        for i in items
    }


def policy_from(
    document: dict[str, Any], version: int, catalog: tuple[dict[str, Any], ...] = ()
) -> Policy:
    """The policy document, plus the catalog's service targets after its own overrides
    (so an override a supervisor wrote in the policies wins over the catalog's)."""
    targets = _targets(document["items"])
    overrides = tuple(
        Override(
            targets=_targets(o["items"]),
            service=o.get("service"),
            organisation=o.get("organisation"),
        )
        for o in [*document.get("overrides", []), *catalog]
    )
    rules = document.get("escalation", {})
    return Policy(
        version=version,
        targets=targets,
        pause_on_hold=document.get("pause_on_hold", True),
        escalation=Escalation(
            notify_supervisors=rules.get("notify_supervisors", True),
            raise_tier=rules.get("raise_tier", True),
            tier_groups={int(k): v for k, v in rules.get("tier_groups", {}).items()},
            bump_priority=rules.get("bump_priority", False),
        ),
        overrides=overrides,
    )


class SlaSettings:
    def __init__(
        self,
        store: DynamoSlaSettings,
        default_timezone: str = "UTC",
        service_targets: ServiceTargets | None = None,
    ) -> None:
        self.store = store
        self.default_timezone = default_timezone
        self.service_targets = service_targets
        self._cache: dict[str, tuple[float, Effective]] = {}

    def advance(
        self,
        before: Ticket,
        after: Ticket,
        now: datetime,
        *,
        agent_replied: bool = False,
        requester_replied: bool = False,
    ) -> Ticket:
        """`after` with its SLA clocks moved on by the change from `before`: the one rule every
        change of a ticket (an update, a reply, an approval, a problem's resolution) follows."""
        if after.sla is None:
            return after
        terms = self.effective(after.tenant)
        change = sla.Change(
            before.status,
            after.status,
            before.priority,
            after.priority,
            agent_replied=agent_replied,
            requester_replied=requester_replied,
        )
        return replace(
            after, sla=sla.advance(after.sla, change, terms.policy, now, terms.calendars)
        )

    def effective(self, tenant: str) -> Effective:
        cached = self._cache.get(tenant)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        stored = self.store.get(tenant)
        hours = Versioned(*stored.get("hours", (default_hours(self.default_timezone), 0)))
        policies = Versioned(*stored.get("policies", (default_policies(), 0)))
        catalog = tuple(self.service_targets(tenant)) if self.service_targets else ()
        return self._remember(tenant, hours, policies, catalog)

    def _remember(
        self,
        tenant: str,
        hours: Versioned,
        policies: Versioned,
        catalog: tuple[dict[str, Any], ...] = (),
    ) -> Effective:
        effective = Effective(
            hours=hours,
            policies=policies,
            policy=policy_from(policies.document, policies.version, catalog),
            calendars=calendars_from(hours.document),
            service_overrides=catalog,
        )
        self._cache[tenant] = (time.monotonic() + _CACHE_SECONDS, effective)
        return effective

    def read(self, principal: Principal, part: str) -> Versioned:
        permissions.require(principal, Action.READ_SLA)
        current = self.effective(principal.tenant)
        return current.hours if part == "hours" else current.policies

    def replace(
        self, principal: Principal, part: str, document: dict[str, Any], expected: int
    ) -> Versioned:
        permissions.require(principal, Action.WRITE_SLA)
        current = self.effective(principal.tenant)
        if part == "hours":
            try:
                calendars_from(document)
            except (ValueError, ZoneInfoNotFoundError) as exc:
                raise Invalid(str(exc), errors=[{"field": "body", "message": str(exc)}]) from exc
        existing = current.hours if part == "hours" else current.policies
        if existing.version != expected:
            raise PreconditionFailed(f"The {part} are at version {existing.version}.")
        try:
            version = self.store.put(principal.tenant, part, document, expected)
        except VersionConflict as exc:
            raise PreconditionFailed(f"The {part} were changed meanwhile.") from exc
        written = Versioned(document, version)
        catalog = current.service_overrides
        if part == "hours":
            self._remember(principal.tenant, written, current.policies, catalog)
        else:
            self._remember(principal.tenant, current.hours, written, catalog)
        return written

    def refresh(self, tenant: str) -> None:
        """Read the tenant's settings afresh next time (its catalog changed)."""
        self._cache.pop(tenant, None)

    def forget(self) -> None:
        """Drop what this container cached: the next read goes to the table, as when cold."""
        self._cache.clear()

    def ensure_defaults(self, tenant: str, timezone: str) -> None:
        """A new tenant's calendar: office hours in its own timezone, until a supervisor says
        otherwise. Existing settings are left as they are."""
        if "hours" not in self.store.get(tenant):
            with suppress(VersionConflict):  # written meanwhile: theirs stands
                self.store.put(tenant, "hours", default_hours(timezone), 0)
        self._cache.pop(tenant, None)
