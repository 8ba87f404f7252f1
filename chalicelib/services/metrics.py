"""Report metrics: counted from the table stream as things happen, read per day and slice.

`MetricsRecorder` is the stream consumer's part: each audit event (and knowledge-base
deflection) is turned into counter deltas by domain.metrics and added exactly once.
`Reports` answers GET /v1/reports/summary from those counters; it never reads a ticket.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain import metrics, permissions
from chalicelib.domain.errors import Invalid
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.sla import CalendarKind
from chalicelib.domain.tickets import Channel, Priority
from chalicelib.observability import logger
from chalicelib.services.ports import FactsChanged, MetricsStore, SliceRows
from chalicelib.services.sla import SlaSettings

_RETRIES = 5
_TIMEZONE_SECONDS = 300.0
MAX_DAYS = 366
# Filters the report accepts, each one a stored dimension.
FILTERS = ("group", "channel", "priority")
# Breakdowns the report gives (supervisors and up: agents may not read reports at all).
BREAKDOWNS = ("channel", "priority", "type", "group", "agent", "category")
_CHOICES = {"channel": [c.value for c in Channel], "priority": [p.value for p in Priority]}


class Timezones:
    """A tenant's timezone, remembered by the container for a few minutes."""

    def __init__(self, lookup: Callable[[str], dict[str, Any] | None], default: str = "UTC"):
        self.lookup = lookup
        self.default = default
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, tenant: str) -> str:
        cached = self._cache.get(tenant)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        settings = self.lookup(tenant) or {}
        zone = settings.get("timezone") or self.default
        self._cache[tenant] = (time.monotonic() + _TIMEZONE_SECONDS, zone)
        return zone


class MetricsRecorder:
    def __init__(self, store: MetricsStore, sla: SlaSettings, timezones: Timezones) -> None:
        self.store = store
        self.sla = sla
        self.timezones = timezones

    def record(self, image: dict[str, Any], note: dict[str, Any] | None = None) -> bool:
        """Count one inserted item if it is something the report counts; True when counted
        now, False when it is not counted or was counted before. `note` is kept in the
        ticket's facts in the same write (the backfill's progress, services/metrics_backfill)."""
        kind = image.get("kind")
        if kind == "event":
            return self._event(image, note)
        if kind == "deflection":
            change = metrics.deflection(image, self.timezones(image["tenant"]))
            return self.store.count(
                image["tenant"], f"deflection#{image['id']}", _plain(change.counts), change.open
            )
        return False

    def _event(self, event: dict[str, Any], note: dict[str, Any] | None = None) -> bool:
        tenant, number = event["tenant"], event["ticket"]
        timezone = self.timezones(tenant)
        minutes = self._business_minutes(tenant)
        for _ in range(_RETRIES):
            stored = self.store.facts(tenant, number)
            before = stored.facts if stored else None
            after, change = metrics.apply(before, event, timezone, minutes)
            if after is None:
                logger.info(
                    "metrics: event of a ticket filed before metrics, not counted",
                    extra={"ticket": number, "event_type": event["type"]},
                )
                return False
            if note:
                after = {**after, **note}
            try:
                return self.store.count(
                    tenant,
                    event["id"],
                    _plain(change.counts),
                    change.open,
                    (number, after, stored.version if stored else None),
                )
            except FactsChanged:
                continue
        raise FactsChanged(f"facts of ticket {number} kept changing")

    def _business_minutes(self, tenant: str) -> metrics.Minutes:
        calendar = self.sla.effective(tenant).calendars[CalendarKind.BUSINESS]

        def minutes(start: datetime, end: datetime) -> int:
            return int(calendar.between(start, end).total_seconds() // 60)

        return minutes


def _plain(counts: metrics.Deltas) -> dict[tuple[str, str, str], dict[str, int]]:
    return {key: dict(deltas) for key, deltas in counts.items()}


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date
    filter: tuple[str, str] | None = None  # (dimension, value)


class Reports:
    def __init__(self, store: MetricsStore, timezones: Timezones) -> None:
        self.store = store
        self.timezones = timezones

    def summary(self, principal: Principal, query: ReportQuery) -> dict[str, Any]:
        permissions.require(principal, Action.READ_REPORTS)
        _check_range(query.start, query.end)
        tenant = principal.tenant
        since = query.start.isoformat()
        dimension, value = query.filter or (metrics.ALL, metrics.NONE)
        rows = self.store.slices(tenant, dimension, since, values=value).get(
            value, SliceRows({}, 0)
        )
        chosen = _slice(rows)
        report: dict[str, Any] = {
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "timezone": self.timezones(tenant),
            **({"filter": {dimension: value}} if query.filter else {}),
            **chosen.figures(query.start, query.end),
        }
        if query.filter:
            # Deflections are not tied to tickets, so no group or channel owns them.
            report["deflections"] = None
        by: dict[str, dict[str, Any]] = {name: {} for name in BREAKDOWNS}
        if not query.filter:
            for name in BREAKDOWNS:
                for each, stored in self.store.slices(tenant, name, since).items():
                    rows = _slice(stored)
                    if rows.shows_in(query.start, query.end):
                        # Means only: medians of every agent would read every value map.
                        figures = rows.figures(query.start, query.end, percentiles=False)
                        by[name][each] = {k: v for k, v in figures.items() if k != "deflections"}
        report["by"] = by
        report["daily"] = [
            {"date": day.isoformat(), **_daily(chosen.figures(day, day), query.filter)}
            for day in _days(query.start, query.end)
        ]
        return report


def _slice(rows: SliceRows) -> metrics.SliceDays:
    return metrics.SliceDays({d: Counter(c) for d, c in rows.days.items()}, rows.open_now)


def _daily(figures: dict[str, Any], filtered: tuple[str, str] | None) -> dict[str, Any]:
    backlog = figures.pop("backlog_end")
    if filtered:
        figures["deflections"] = None
    return {
        "created": figures.pop("created"),
        "resolved": figures.pop("resolved"),
        "backlog": backlog,
        **figures,
    }


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _check_range(start: date, end: date) -> None:
    if start > end:
        raise Invalid(
            "`from` is after `to`.",
            errors=[{"field": "from", "message": "Must not be after `to`."}],
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(
            f"A report covers at most {MAX_DAYS} days.",
            errors=[{"field": "to", "message": f"At most {MAX_DAYS} days after `from`."}],
        )


def parse_query(params: dict[str, str]) -> ReportQuery:
    """The query string as a ReportQuery; every way it can be wrong is a 422 naming the field."""
    problems: list[dict[str, str]] = []
    dates: dict[str, date] = {}
    for name in ("from", "to"):
        text = params.get(name)
        try:
            dates[name] = date.fromisoformat(text or "")
        except ValueError:
            problems.append({"field": name, "message": "A date as YYYY-MM-DD is required."})
    filters = [(n, params[n]) for n in FILTERS if params.get(n)]
    for name, value in filters:
        allowed = _CHOICES.get(name)
        if allowed and value not in allowed:
            problems.append({"field": name, "message": f"One of {', '.join(allowed)}."})
    if len(filters) > 1:
        problems.append(
            {
                "field": filters[1][0],
                "message": "Filter on one of group, channel, priority at a time.",
            }
        )
    unknown = sorted(set(params) - {"from", "to", *FILTERS})
    problems += [{"field": n, "message": "Not a parameter of this report."} for n in unknown]
    if problems:
        raise Invalid("The report cannot be made for these parameters.", errors=problems)
    return ReportQuery(dates["from"], dates["to"], filters[0] if filters else None)
