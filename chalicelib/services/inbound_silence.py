"""Inbound silence (docs/operations.md): mail that stops arriving is the quietest outage.

The mail intake notes every mail it handles for a tenant (one counter per tenant and day);
once an hour the SLA tick asks `InboundWatch.check` which tenants that normally get mail
have had none for their threshold in business hours (domain.silence) and publishes how many
as one metric, `SilentTenants`, which the template's `inbound-silence` alarm watches. Which
tenants they are goes into the log line: a per-tenant metric would bill one custom metric per
tenant every month.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain import silence
from chalicelib.domain.sla import CalendarKind
from chalicelib.services.sla import SlaSettings

METRIC = "SilentTenants"


class InboundLog(Protocol):
    def note(self, tenant: str, at: datetime) -> None: ...

    def recent(self, tenant: str, now: datetime) -> tuple[datetime | None, dict[date, int]]: ...


@dataclass(frozen=True)
class Finding:
    tenant: str
    last_at: str
    quiet_hours: float
    threshold_hours: int
    expected: float


class InboundWatch:
    def __init__(
        self,
        log: InboundLog,
        tenants: Callable[[], Iterable[dict[str, Any]]],
        sla: SlaSettings,
    ) -> None:
        self.log = log
        self.tenants = tenants
        self.sla = sla

    def noted(self, tenant: str, at: datetime) -> None:
        self.log.note(tenant, at)

    def check(self, now: datetime) -> list[Finding]:
        """The silent tenants now. Reads per tenant: its settings (from the registry walk),
        its business calendar (cached by SlaSettings) and one Query of its inbound days."""
        found: list[Finding] = []
        for settings in self.tenants():
            tenant = settings["tenant"]
            threshold = silence.threshold_of(settings)
            if threshold == 0:
                continue
            last_at, days = self.log.recent(tenant, now)
            if last_at is None:
                continue
            calendar = self.sla.effective(tenant).calendars[CalendarKind.BUSINESS]
            quiet = silence.silence(now, last_at, days, calendar, threshold)
            if quiet:
                found.append(
                    Finding(
                        tenant, last_at.isoformat(), quiet.quiet_hours, threshold, quiet.expected
                    )
                )
        return found
