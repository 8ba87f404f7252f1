"""Report metrics: how each audit event moves the counters, and how counters become figures.

Pure functions, no AWS. The stream consumer (services.metrics) feeds every audit event of a
ticket, in order, through `apply` together with the ticket's facts so far; `apply` returns the
new facts and the counter deltas to add, per (dimension, value, day). The report reads the
counters of a date range and `summarise`s them. docs/metrics.md states every rule in words.

A figure lands on the slices the ticket has *after* the change that produced it (a PATCH that
resolves and reassigns counts the resolution for the new assignee), on the day the event
occurred in the tenant's timezone.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

# Dimensions a ticket is counted under, besides the whole tenant (`all`).
DIMENSIONS = ("channel", "priority", "type", "group", "agent", "category")
ALL = "all"
# The value of an unset group, assignee or category, and of the `all` slice.
NONE = "-"
# Ticket fields whose change moves a ticket from one slice to another.
_SLICE_FIELDS = {
    "priority": "priority",
    "type": "type",
    "group": "group",
    "assignee": "agent",
    "category": "category",
}
STAFF_ROLES = frozenset({"agent", "supervisor", "admin", "operator"})
OPEN_STATUSES = frozenset({"new", "open", "pending", "on_hold"})
# SLA clocks the report shows compliance for, and their counter names.
SLA_CLOCKS = {"first_response": "sla_fr", "resolution": "sla_res"}

# Counter names. Distributions are stored as one counter per value: `frt_34` = 2 means two
# first responses took 34 business minutes.
COUNTERS = (
    "created",
    "resolved",
    "reopened",
    "escalated",
    "backlog",  # signed: change of the number of open tickets in the slice that day
    "fcr",
    "handle_minutes",
    "csat_good",
    "csat_bad",
    "sla_fr_met",
    "sla_fr_ok",
    "sla_res_met",
    "sla_res_ok",
    "deflections",
)
FIRST_RESPONSE = "frt_"
RESOLUTION = "res_"

Slices = dict[str, str]
# (dimension, value, day) → counter name → delta
Deltas = dict[tuple[str, str, str], Counter[str]]
# (dimension, value) → delta of the number of open tickets now
OpenDeltas = dict[tuple[str, str], int]


@dataclass
class Change:
    """What one event does to the counters: dated deltas and the moves of the open totals."""

    counts: Deltas = field(default_factory=dict)
    open: OpenDeltas = field(default_factory=dict)

    def add(self, slices: Slices, day: str, name: str, amount: int = 1) -> None:
        for dimension, value in slices.items():
            self.counts.setdefault((dimension, value, day), Counter())[name] += amount

    def move_open(self, slices: Slices, day: str, amount: int) -> None:
        self.add(slices, day, "backlog", amount)
        for dimension, value in slices.items():
            self.open[(dimension, value)] = self.open.get((dimension, value), 0) + amount

    def pruned(self) -> "Change":
        """Without deltas that cancelled out (a ticket moved away and back in one event)."""
        counts = {k: Counter({n: v for n, v in c.items() if v}) for k, c in self.counts.items()}
        return Change(
            counts={k: c for k, c in counts.items() if c},
            open={k: v for k, v in self.open.items() if v},
        )


def slices_of(values: Mapping[str, Any]) -> Slices:
    """Every slice a ticket with these field values is counted in, `all` included."""
    found = {ALL: NONE}
    for dimension in DIMENSIONS:
        value = values.get(dimension)
        found[dimension] = str(value) if value not in (None, "") else NONE
    return found


def day_of(moment: str | datetime, timezone: str) -> str:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return when.astimezone(ZoneInfo(timezone)).date().isoformat()


# Business minutes between two moments on the tenant's business calendar, whole minutes.
Minutes = Callable[[datetime, datetime], int]


def apply(
    facts: dict[str, Any] | None,
    event: Mapping[str, Any],
    timezone: str,
    minutes: Minutes,
) -> tuple[dict[str, Any] | None, Change]:
    """The ticket's facts after `event`, and what the event adds to the counters.

    `facts` is None before the ticket's `ticket.created` was seen; events of a ticket whose
    creation was never counted (filed before metrics existed) change nothing.
    """
    change = Change()
    kind = event["type"]
    day = day_of(event["occurred_at"], timezone)
    data = event.get("data") or {}
    if kind == "ticket.created":
        if facts is not None:
            return facts, change
        facts = _new_facts(event)
        slices = facts["slices"]
        change.add(slices, day, "created")
        change.move_open(slices, day, 1)
        return facts, change
    if facts is None:
        return None, change
    facts = _copy(facts)
    changes = event.get("changes") or {}
    _move_slices(facts, changes, day, change)
    slices = facts["slices"]
    if kind == "message.added":
        _message(facts, event, day, minutes, change)
    tier = (changes.get("tier") or {}).get("to")
    if isinstance(tier, int) and tier >= 2 and not facts["escalated"]:
        facts["escalated"] = True
        change.add(slices, day, "escalated")
    status = changes.get("status")
    if status:
        _status(facts, status["from"], status["to"], event, day, minutes, change)
    for clock, phase in (data.get("sla") or {}).items():
        if phase == "met" and clock in SLA_CLOCKS:
            prefix = SLA_CLOCKS[clock]
            change.add(slices, day, f"{prefix}_met")
            if clock not in facts["breached"]:
                change.add(slices, day, f"{prefix}_ok")
    if kind == "sla.breached" and data.get("clock") not in facts["breached"]:
        facts["breached"] = sorted({*facts["breached"], data.get("clock")})
    if kind == "time.logged":
        facts["logged"] += int(data.get("minutes") or 0)
    if kind == "satisfaction.received":
        _rating(facts, data, day, change)
    return facts, change.pruned()


def _new_facts(event: Mapping[str, Any]) -> dict[str, Any]:
    data = event.get("data") or {}
    return {
        "created_at": event["occurred_at"],
        "slices": slices_of({**data, "agent": data.get("assignee")}),
        "status": "new",
        "responded": False,
        "replies": 0,  # public staff messages before the first resolution
        "resolutions": 0,
        "reopened": False,
        "escalated": False,
        "fcr": None,  # {"day", "slices"} while the ticket counts as resolved at first contact
        "breached": [],
        "logged": 0,  # minutes logged since the last resolution
        "ratings": {},  # resolution number → {"rating", "day", "slices"}
    }


def _copy(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        **facts,
        "slices": dict(facts["slices"]),
        "breached": list(facts["breached"]),
        "ratings": dict(facts["ratings"]),
    }


def _move_slices(facts: dict[str, Any], changes: Mapping[str, Any], day: str, change: Change):
    for name, dimension in _SLICE_FIELDS.items():
        if name not in changes:
            continue
        to = changes[name].get("to")
        value = str(to) if to not in (None, "") else NONE
        old = facts["slices"][dimension]
        if value == old:
            continue
        if facts["status"] in OPEN_STATUSES:
            change.move_open({dimension: old}, day, -1)
            change.move_open({dimension: value}, day, 1)
        facts["slices"][dimension] = value


def _message(
    facts: dict[str, Any], event: Mapping[str, Any], day: str, minutes: Minutes, change: Change
) -> None:
    data = event.get("data") or {}
    actor = event.get("actor") or {}
    if data.get("visibility") != "public" or actor.get("role") not in STAFF_ROLES:
        return
    if actor.get("kind") == "rule":
        return  # a routing rule's template reply is no one's response (as for the SLA clock)
    if facts["resolutions"] == 0:
        facts["replies"] += 1
    if not facts["responded"]:
        facts["responded"] = True
        taken = minutes(_at(facts["created_at"]), _at(event["occurred_at"]))
        _time(change, facts["slices"], day, FIRST_RESPONSE, taken)


def _time(change: Change, slices: Slices, day: str, prefix: str, taken: int) -> None:
    """A duration: its count and sum (for means everywhere) and its value (for percentiles)."""
    change.add(slices, day, f"{prefix}{taken}")
    change.add(slices, day, f"{prefix}n")
    change.add(slices, day, f"{prefix}sum", taken)


def _status(
    facts: dict[str, Any],
    before: str,
    after: str,
    event: Mapping[str, Any],
    day: str,
    minutes: Minutes,
    change: Change,
) -> None:
    slices = facts["slices"]
    facts["status"] = after
    if after == "resolved" and before != "resolved":
        facts["resolutions"] += 1
        change.add(slices, day, "resolved")
        taken = minutes(_at(facts["created_at"]), _at(event["occurred_at"]))
        _time(change, slices, day, RESOLUTION, taken)
        change.add(slices, day, "handle_minutes", facts["logged"])
        facts["logged"] = 0
        first = facts["resolutions"] == 1
        if first and facts["replies"] == 1 and not facts["reopened"]:
            facts["fcr"] = {"day": day, "slices": dict(slices)}
            change.add(slices, day, "fcr")
    if before == "resolved" and after in OPEN_STATUSES:
        change.add(slices, day, "reopened")
        facts["reopened"] = True
        if facts["fcr"]:
            # Reopened after all: it was not resolved at first contact, on the day it counted.
            change.add(facts["fcr"]["slices"], facts["fcr"]["day"], "fcr", -1)
            facts["fcr"] = None
    was_open, is_open = before in OPEN_STATUSES, after in OPEN_STATUSES
    if was_open != is_open:
        change.move_open(slices, day, 1 if is_open else -1)


def _rating(facts: dict[str, Any], data: Mapping[str, Any], day: str, change: Change) -> None:
    rating = data.get("rating")
    if rating not in ("good", "bad"):
        return
    key = str(data.get("resolution") or facts["resolutions"] or 1)
    earlier = facts["ratings"].get(key)
    if earlier:
        # A changed mind replaces the earlier rating of the same resolution.
        change.add(earlier["slices"], earlier["day"], f"csat_{earlier['rating']}", -1)
    facts["ratings"][key] = {"rating": rating, "day": day, "slices": dict(facts["slices"])}
    change.add(facts["slices"], day, f"csat_{rating}")


def deflection(item: Mapping[str, Any], timezone: str) -> Change:
    """A knowledge-base article answered someone: counted for the whole tenant only."""
    change = Change()
    change.add({ALL: NONE}, day_of(item["occurred_at"], timezone), "deflections")
    return change


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- reading: counters of many days → figures ---------------------------------------------


def merge(days: Iterable[Mapping[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counters in days:
        for name, value in counters.items():
            total[name] += value
    return total


def is_value(name: str) -> bool:
    """A value → count entry of a distribution (`frt_34`), as opposed to a plain counter."""
    return name.startswith((FIRST_RESPONSE, RESOLUTION)) and name[4:].isdigit()


def split(deltas: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Plain counters, and distribution entries: stored apart, so that breakdowns read only
    the small plain items, and only the one slice asked for reads its distributions."""
    plain = {k: v for k, v in deltas.items() if not is_value(k)}
    values = {k: v for k, v in deltas.items() if is_value(k)}
    return plain, values


def distribution(counters: Mapping[str, int], prefix: str) -> dict[int, int]:
    return {
        int(name[len(prefix) :]): n
        for name, n in counters.items()
        if name.startswith(prefix) and name[len(prefix) :].isdigit() and n
    }


def percentile(values: Mapping[int, int], fraction: float) -> int | None:
    """Nearest rank: the smallest value with at least ⌈fraction × n⌉ values at or below it."""
    n = sum(values.values())
    if n == 0:
        return None
    rank = max(1, ceil(fraction * n))
    seen = 0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: rank ≤ n")


def spread(
    counters: Mapping[str, int], prefix: str, percentiles: bool = True
) -> dict[str, float | int | None]:
    """Mean from the count and sum; median and p90 from the value map, when it was read."""
    n, total = counters.get(f"{prefix}n", 0), counters.get(f"{prefix}sum", 0)
    mean = round(total / n, 1) if n else None
    if not percentiles:
        return {"mean": mean, "median": None, "p90": None}
    values = distribution(counters, prefix)
    return {"mean": mean, "median": percentile(values, 0.5), "p90": percentile(values, 0.9)}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def figures(
    counters: Mapping[str, int], backlog_end: int, percentiles: bool = True
) -> dict[str, Any]:
    """Every figure of the contract from the summed counters of a range."""
    c = Counter(counters)
    good, bad = c["csat_good"], c["csat_bad"]
    return {
        "created": c["created"],
        "resolved": c["resolved"],
        "reopened": c["reopened"],
        "escalated": c["escalated"],
        "backlog_end": backlog_end,
        "fcr_rate": rate(c["fcr"], c["resolved"]),
        "reopen_rate": rate(c["reopened"], c["resolved"]),
        "escalation_rate": rate(c["escalated"], c["created"]),
        "first_response_minutes": spread(c, FIRST_RESPONSE, percentiles),
        "resolution_minutes": spread(c, RESOLUTION, percentiles),
        "sla_compliance": {
            "first_response": rate(c["sla_fr_ok"], c["sla_fr_met"]),
            "resolution": rate(c["sla_res_ok"], c["sla_res_met"]),
        },
        "csat": {
            "good": good,
            "bad": bad,
            "rate": rate(good, good + bad),
            "response_rate": rate(good + bad, c["resolved"]),
        },
        "handle_minutes_mean": round(c["handle_minutes"] / c["resolved"], 1)
        if c["resolved"]
        else None,
        "deflections": c["deflections"],
    }


@dataclass(frozen=True)
class SliceDays:
    """The stored counters of one slice: per day, and its number of open tickets now."""

    days: dict[str, Counter[str]]
    open_now: int

    def backlog_at_end_of(self, day: str) -> int:
        """Open now, minus what opened after `day` (plus what closed after it)."""
        later = sum(c["backlog"] for d, c in self.days.items() if d > day)
        return self.open_now - later

    def _merged(self, start: date, end: date) -> Counter[str]:
        first, last = start.isoformat(), end.isoformat()
        return merge(c for d, c in self.days.items() if first <= d <= last)

    def figures(self, start: date, end: date, percentiles: bool = True) -> dict[str, Any]:
        merged = self._merged(start, end)
        return figures(merged, self.backlog_at_end_of(end.isoformat()), percentiles)

    def shows_in(self, start: date, end: date) -> bool:
        """Whether the slice has anything to report for the range: a figure that landed in
        it (tickets merely passing through do not count), or open tickets at its end."""
        merged = self._merged(start, end)
        landed = any(v for k, v in merged.items() if k != "backlog" and not is_value(k))
        return landed or self.backlog_at_end_of(end.isoformat()) != 0
