"""The SLA sweep at 1,000, 10,000 and 100,000 open tickets of which the same five are due.

The minute schedule must read what is due, never the whole tenant (docs/data-model.md, GSI6).
One moto table is filled in steps up to each size, and the sweep is measured at every step:

- Every ticket is a domain `Ticket` whose clocks come from the app's own code:
  `open_clocks` when it is filed, then `advance` for the agent's first reply and for parking
  or resolving it, all with the tenant's calendars (`sla_settings().effective("demo")`). The
  stored item is `ticket_item()`'s, so the due-index keys are the repository's own.
- Five tickets are due at the sweep's moment `NOW`: three warnings and two breaches (which
  escalate). Every other running clock's next moment is at least `AHEAD` after `NOW`. About
  30 % of the tickets run no clock at all (pending, on hold, resolved), so they are not in
  the due index.
- A sweep records what it acted on, which moves the five tickets' next moment. Each sweep
  therefore starts by putting the five tickets back as they were seeded, so every sweep finds
  the same five (their versions are reset too; the sweep's events stay).

`python -m bench.run --only sla` prints this section alone; bench/README.md explains it.
"""

import gc
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Any

from bench.recorder import CallRecorder, Window
from bench.seed import (
    AGENTS,
    BATCH,
    CATEGORIES,
    FIRST_NUMBER,
    SUBJECTS,
    TAGS,
    TENANT,
    pick,
    requester_weights,
    write_batch,
)
from chalicelib.domain import sla
from chalicelib.domain.tickets import (
    Channel,
    Level,
    Person,
    Status,
    Ticket,
    TicketType,
    priority_for,
)

# Monday 23 November 2026, 10:00 in Amsterdam: inside the demo tenant's office hours.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SIZES = (1_000, 10_000, 100_000)
SWEEPS = 3
# Unmeasured sweeps before the first size: the first creates clients and imports what a
# sweep needs. Later sizes need none (each sweep restores the due tickets itself).
WARMUP = 1
# How far after NOW the next moment of every ticket that is not due lies, at least.
AHEAD = timedelta(minutes=15)
# Tickets are filed within this long before NOW (less where their clocks demand it).
FILED_WITHIN = timedelta(hours=8)
# The first tickets go through the DynamoDB API (BatchWriteItem); the rest straight into
# moto's table object, because moto's own item construction is far too slow for 100,000.
THROUGH_API = 1_000

# Open tickets of a busy helpdesk; pending, on hold and resolved ones run no clock.
STATUSES = {
    Status.NEW: 0.25,
    Status.OPEN: 0.45,
    Status.PENDING: 0.15,
    Status.ON_HOLD: 0.05,
    Status.RESOLVED: 0.10,
}
LEVELS = {Level.LOW: 0.4, Level.MEDIUM: 0.45, Level.HIGH: 0.15}
_ASSIGNEES = {"agent@demo.example.com": 0.45, "agent2@demo.example.com": 0.35, None: 0.2}
_GROUPS = {"servicedesk": 0.5, "network": 0.25, "workplace": 0.15, None: 0.1}
_CHANNELS = {Channel.EMAIL: 0.5, Channel.PORTAL: 0.3, Channel.API: 0.1, Channel.PHONE: 0.1}
_TYPES = {
    TicketType.INCIDENT: 0.6,
    TicketType.SERVICE_REQUEST: 0.25,
    TicketType.QUESTION: 0.1,
    TicketType.PROBLEM: 0.05,
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DueCase:
    """One ticket the sweep must act on at NOW, and the history that brings it there."""

    impact: Level
    urgency: Level
    filed_before: timedelta
    # The agent's first public reply, this long after filing (None: not answered yet).
    answered_after: timedelta | None = None
    # An earlier sweep already recorded the first warning (so the breach is what is due).
    warned_before: bool = False


# P1 runs on the 24x7 calendar (30/60/240 minutes, warned 10 before); P2 on office hours
# (60/120/480, warned 15 before). NOW is 90 minutes into Monday's office hours.
DUE_CASES = (
    DueCase(Level.HIGH, Level.HIGH, timedelta(minutes=20)),  # P1 first-response warning
    DueCase(Level.HIGH, Level.MEDIUM, timedelta(minutes=45)),  # P2 first-response warning
    DueCase(  # P1 answered at once: resolution warning
        Level.HIGH, Level.HIGH, timedelta(minutes=230), answered_after=timedelta(minutes=10)
    ),
    DueCase(Level.HIGH, Level.HIGH, timedelta(minutes=30), warned_before=True),  # P1 breach
    DueCase(Level.HIGH, Level.MEDIUM, timedelta(minutes=60), warned_before=True),  # P2 breach
)


# --- tickets through the domain ------------------------------------------------------------


def _filed(
    rng: random.Random,
    number: int,
    created: datetime,
    impact: Level,
    urgency: Level,
    requesters: dict[tuple[str, str], float],
    terms: Any,
) -> Ticket:
    """A ticket as the service files it: version 1, status new, clocks opened for its scope."""
    email, name = pick(rng, requesters)
    assignee = pick(rng, _ASSIGNEES)
    priority = priority_for(impact, urgency)
    ticket = Ticket(
        tenant=TENANT,
        number=number,
        version=1,
        subject=rng.choice(SUBJECTS),
        description="Seeded by bench: a few lines of what the requester wrote.",
        type=pick(rng, _TYPES),
        status=Status.NEW,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_set_by_agent=False,
        channel=pick(rng, _CHANNELS),
        requester=Person(email=email, name=name),
        created_at=created,
        updated_at=created,
        created_by={"kind": "user", "id": email, "name": name, "role": "requester"},
        assignee=assignee,
        group=pick(rng, _GROUPS),
        tier=AGENTS.get(assignee or "", 1),
        category=rng.choice((*CATEGORIES, None)),
        tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
    )
    scope = sla.Scope.of(ticket.service, ticket.requester.email)
    clocks = sla.open_clocks(priority, terms.policy, created, terms.calendars, scope)
    return replace(ticket, sla=clocks)


def _changed(
    ticket: Ticket, changes: dict[str, Any], at: datetime, terms: Any, agent_replied: bool
) -> Ticket:
    """The next version, with its clocks moved the way the ticket service moves them."""
    after = ticket.with_changes(changes, at)
    change = sla.Change(
        ticket.status, after.status, ticket.priority, after.priority, agent_replied=agent_replied
    )
    return replace(after, sla=sla.advance(ticket.sla, change, terms.policy, at, terms.calendars))


def _answered(ticket: Ticket, at: datetime, terms: Any) -> Ticket:
    """The agent's first public reply: first response met, status open."""
    changes = {"first_response_at": at, "status": Status.OPEN}
    return _changed(ticket, changes, at, terms, agent_replied=True)


def _lived(filed: Ticket, status: Status, age: timedelta, terms: Any) -> Ticket:
    """The ticket `age` after filing: answered after 30 % of it, parked or resolved at 70 %."""
    if status == Status.NEW:
        return filed
    ticket = _answered(filed, filed.created_at + age * 0.3, terms)
    if status == Status.OPEN:
        return ticket
    return _changed(ticket, {"status": status}, filed.created_at + age * 0.7, terms, False)


def population(terms: Any, first_number: int, seed: int = 20261123) -> Iterator[Ticket]:
    """Tickets that are not due at NOW, from one fixed random stream (the same at any size).

    A ticket is filed up to FILED_WITHIN before NOW; when that would bring its next SLA
    moment closer than AHEAD to NOW, it was filed more recently (the age is halved).
    """
    rng = random.Random(seed)
    requesters = requester_weights()
    number = first_number
    while True:
        status = pick(rng, STATUSES)
        impact, urgency = pick(rng, LEVELS), pick(rng, LEVELS)
        age = FILED_WITHIN * rng.uniform(0.02, 1.0)
        fields = rng.getrandbits(64)  # the same fields whatever the age becomes
        for _ in range(40):
            filed = _filed(
                random.Random(fields), number, NOW - age, impact, urgency, requesters, terms
            )
            ticket = _lived(filed, status, age, terms)
            moment = ticket.sla.next_moment()
            if moment is None or moment >= NOW + AHEAD:
                break
            age /= 2
        else:
            raise RuntimeError(f"ticket {number}: no filing time keeps its clocks ahead of NOW")
        yield ticket
        number += 1


def due_tickets(terms: Any, first_number: int) -> list[Ticket]:
    """DUE_CASES as tickets, each with exactly what the sweep must do at NOW."""
    rng = random.Random(1123)
    requesters = requester_weights()
    tickets = []
    for offset, case in enumerate(DUE_CASES):
        created = NOW - case.filed_before
        number = first_number + offset
        ticket = _filed(rng, number, created, case.impact, case.urgency, requesters, terms)
        if case.answered_after is not None:
            ticket = _answered(ticket, created + case.answered_after, terms)
        if case.warned_before:
            # What the sweep did at the warning moment: record it on a new version.
            moment = ticket.sla.next_moment()
            recorded = sla.record(ticket.sla, sla.due_now(ticket.sla, moment), moment)
            ticket = replace(ticket.with_changes({}, moment), sla=recorded)
        due = sla.due_now(ticket.sla, NOW)
        if len(due) != 1 or due[0].kind != ("breach" if case.warned_before else "warning"):
            raise RuntimeError(f"due case {offset} is not due as intended at {NOW}: {due}")
        tickets.append(ticket)
    return tickets


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _describe(ticket: Ticket) -> dict[str, Any]:
    moment = ticket.sla.next_moment()
    return {
        "number": ticket.number,
        "priority": ticket.priority.value,
        "status": ticket.status.value,
        "due": [f"{d.clock.value} {d.kind}" for d in sla.due_now(ticket.sla, NOW)],
        "next_moment": _iso(moment),
    }


# --- writing items -----------------------------------------------------------------------


def _write_api(items: list[dict[str, Any]]) -> None:
    """BatchWriteItem through the app's client, as any DynamoDB caller would."""
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.settings import get_settings

    db, table = client("dynamodb"), get_settings().table_name
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        write_batch(db, table, [{"PutRequest": {"Item": to_item(i)}} for i in chunk])


def _write_moto(items: list[dict[str, Any]]) -> None:
    """Straight into moto's table object: how the bench fills moto, never how the app writes.

    moto checks an item's 400 KB limit by summing the size of every attribute again for each
    attribute it adds, which takes about 2 ms per ticket item; the bench builds the same
    `Item` without that check (as moto's own deep copy does). The table's stream does not see
    these items. The items are the same `ticket_item()` dicts as `_write_api` sends.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.settings import get_settings

    region = os.environ["AWS_REGION"]
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[get_settings().table_name]
    if (table.hash_key_attr, table.range_key_attr) != ("PK", "SK"):
        raise RuntimeError("the table's key schema is not PK/SK")
    for plain in items:
        typed = to_item(plain)
        item = Item(DynamoType(typed["PK"]), DynamoType(typed["SK"]), {})
        for name, value in typed.items():
            dict.__setitem__(item.attrs, name, DynamoType(value))
        stored = table.items[item.hash_key]
        if item.range_key in stored:
            raise RuntimeError(f"{plain['PK']} is already in the table")
        stored[item.range_key] = item


def _check_round_trip(ticket: Ticket) -> None:
    """The last ticket written must read back through the repository as the same Ticket."""
    from chalicelib.wiring import ticket_service

    stored = ticket_service().tickets.get(ticket.tenant, ticket.number)
    if stored != ticket:
        raise RuntimeError(f"ticket {ticket.number} does not read back as it was written")


@dataclass
class Filled:
    """What the table holds so far, and what filling it took."""

    tickets: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    index_entries: int = 0
    earliest_ahead: timedelta | None = None
    build_s: float = 0.0
    api_s: float = 0.0
    api_tickets: int = 0
    moto_s: float = 0.0
    moto_tickets: int = 0

    def add(self, tickets: list[Ticket]) -> list[dict[str, Any]]:
        from chalicelib.adapters.dynamo.tickets import ticket_item

        items = [ticket_item(t) for t in tickets]
        self.by_status.update(t.status.value for t in tickets)
        self.tickets += len(tickets)
        for t, item in zip(tickets, items, strict=True):
            if "GSI6PK" not in item:
                continue
            self.index_entries += 1
            moment = t.sla.next_moment()
            if moment > NOW and (self.earliest_ahead is None or moment - NOW < self.earliest_ahead):
                self.earliest_ahead = moment - NOW
        return items

    def write(self, items: list[dict[str, Any]]) -> None:
        through_api = items[: max(0, THROUGH_API - self.api_tickets)]
        rest = items[len(through_api) :]
        if through_api:
            started = time.perf_counter()
            _write_api(through_api)
            self.api_s += time.perf_counter() - started
            self.api_tickets += len(through_api)
        if rest:
            started = time.perf_counter()
            _write_moto(rest)
            self.moto_s += time.perf_counter() - started
            self.moto_tickets += len(rest)


# --- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    ms: float
    window: Window
    report: dict[str, int]


def _sweep(recorder: CallRecorder, due_items: list[dict[str, Any]]) -> Sweep:
    from chalicelib import wiring

    _write_api(due_items)  # the due tickets as seeded, whatever the last sweep recorded
    # A tick a minute after the last one finds the 60-s settings cache expired.
    wiring.sla_settings.cache_clear()
    wiring.sla_sweep.cache_clear()
    sweep = wiring.sla_sweep()
    with recorder.window() as window:
        started = time.perf_counter()
        report = sweep.run(NOW)
        ms = (time.perf_counter() - started) * 1000
    return Sweep(ms, window, report.as_dict())


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, ceil(0.9 * len(ordered)) - 1)]


def _read_by_operation(window: Window) -> dict[str, int]:
    read: Counter[str] = Counter()
    for call in window.calls:
        if call.service == "dynamodb" and call.items_read:
            read[call.operation] += call.items_read
    return dict(sorted(read.items()))


def _allowed(due: int, shards: int) -> dict[str, int]:
    """docs/data-model.md: 8 Queries (one per shard, more only past a 1 MB page), one
    TransactWriteItems per due ticket, the settings' BatchGetItem; GetItem only to re-read a
    ticket that changed under the sweep (none do here)."""
    return {"Query": shards, "TransactWriteItems": due, "BatchGetItem": 1}


def _summary(sweeps: list[Sweep], allowed: dict[str, int]) -> dict[str, Any]:
    def common(values: list[Any]) -> Any:
        counted = Counter(repr(v) for v in values).most_common(1)[0][0]
        return next(v for v in values if repr(v) == counted)

    calls = [s.window.operations("dynamodb") for s in sweeps]
    totals = {
        name: [s.window.total(name) for s in sweeps]
        for name in ("items_read", "items_scanned", "items_written")
    }
    summary: dict[str, Any] = {
        "sweeps": len(sweeps),
        "report": common([s.report for s in sweeps]),
        "dynamodb_calls": common(calls),
        "other_aws_calls": common([s.window.other_services() for s in sweeps]),
        "items_read": common(totals["items_read"]),
        "items_read_by_operation": common([_read_by_operation(s.window) for s in sweeps]),
        "items_scanned": common(totals["items_scanned"]),
        "items_written": common(totals["items_written"]),
        "median_ms": round(statistics.median(s.ms for s in sweeps), 1),
        "p90_ms": round(_p90([s.ms for s in sweeps]), 1),
        "in_aws_calls_median_ms": round(statistics.median(s.window.aws_ms() for s in sweeps), 1),
        "outside_aws_calls_median_ms": round(
            statistics.median(s.ms - s.window.aws_ms() for s in sweeps), 1
        ),
        "within_documented": all(
            all(op in allowed and n <= allowed[op] for op, n in c.items()) for c in calls
        ),
    }
    varies: dict[str, Any] = {}
    for name, values in {
        "report": [s.report for s in sweeps],
        "dynamodb_calls": calls,
        **totals,
    }.items():
        if len({repr(v) for v in values}) > 1:
            varies[name] = values
    errors = sorted({e for s in sweeps for e in s.window.errors()})
    if errors:
        varies["errors"] = errors
    if varies:
        summary["varies"] = varies
    return summary


def measure(
    recorder: CallRecorder,
    progress: Progress,
    sizes: tuple[int, ...] = SIZES,
    sweeps: int = SWEEPS,
) -> dict[str, Any]:
    """Grow one tenant through `sizes` and sweep at each; run inside a provisioned moto stack."""
    from chalicelib.adapters.dynamo import keys
    from chalicelib.adapters.dynamo.tickets import ticket_item
    from chalicelib.wiring import sla_settings

    terms = sla_settings().effective(TENANT)
    due = due_tickets(terms, FIRST_NUMBER)
    due_items = [ticket_item(t) for t in due]
    kinds = Counter(d.kind for t in due for d in sla.due_now(t.sla, NOW))
    expected = {"tickets": len(due), "warnings": kinds["warning"], "breaches": kinds["breach"]}
    others = population(terms, FIRST_NUMBER + len(due))
    filled = Filled()
    allowed = _allowed(len(due), keys.SLA_SHARDS)
    results: dict[str, Any] = {}
    for size in sorted(sizes):
        if size < len(due):
            raise ValueError(f"--sla-sizes: {size} is fewer than the {len(due)} due tickets")
        progress(f"sla: growing the tenant to {size} tickets")
        gc.unfreeze()
        gc.disable()  # the heap grows by moto items only; collecting mid-way walks it all
        try:
            started = time.perf_counter()
            new: list[Ticket] = [] if filled.tickets else list(due)
            new += [next(others) for _ in range(size - filled.tickets - len(new))]
            items = filled.add(new)
            filled.build_s += time.perf_counter() - started
            filled.write(items)
            _check_round_trip(new[-1])
        finally:
            gc.enable()
        gc.collect()
        gc.freeze()
        warmup = 0 if results else WARMUP
        progress(
            f"sla: {filled.tickets} tickets, {filled.index_entries} in the due index; "
            f"{warmup} warm-up + {sweeps} measured sweeps"
        )
        runs: list[Sweep] = []
        with open(os.devnull, "w") as sink, redirect_stdout(sink):  # EMF metric lines
            for i in range(warmup + sweeps):
                run = _sweep(recorder, due_items)
                if {k: run.report[k] for k in expected} != expected:
                    raise RuntimeError(f"sweep at {size} tickets: {run.report}, not {expected}")
                if i >= warmup:
                    runs.append(run)
        summary = _summary(runs, allowed)
        results[str(size)] = {
            "tickets": filled.tickets,
            "tickets_by_status": dict(filled.by_status.most_common()),
            "due_index_entries": filled.index_entries,
            "earliest_not_due_moment_after_now_min": round(
                (filled.earliest_ahead or timedelta(0)) / timedelta(minutes=1), 1
            ),
            **summary,
        }
        progress(
            f"  sla_sweep {size:>7}: {summary['median_ms']:9.1f} ms median, "
            f"{summary['items_read']} items read, {summary['dynamodb_calls']}"
        )
    reads = [r["items_read"] for r in results.values()]
    flat: bool | None = len(set(reads)) == 1 and not any("varies" in r for r in results.values())
    if len(results) < 2:
        flat = None  # nothing to compare
    return {
        "now": _iso(NOW),
        "due_tickets": [_describe(t) for t in due],
        "documented": (
            f"SLA sweep: {keys.SLA_SHARDS} Queries on GSI6 (one per shard) plus one "
            "TransactWriteItems per due ticket, and the tenant's settings (one BatchGetItem, "
            "cached 60 s)"
        ),
        "documented_calls": allowed,
        "sizes": results,
        "setup": {
            "build_s": round(filled.build_s, 1),
            "batch_write_item_tickets": filled.api_tickets,
            "batch_write_item_s": round(filled.api_s, 1),
            "batch_write_item_tickets_per_s": _rate(filled.api_tickets, filled.api_s),
            "moto_table_tickets": filled.moto_tickets,
            "moto_table_s": round(filled.moto_s, 1),
            "moto_table_tickets_per_s": _rate(filled.moto_tickets, filled.moto_s),
        },
        "items_read_flat": flat,
    }


def _rate(count: int, seconds: float) -> int | None:
    return round(count / seconds) if count and seconds else None
