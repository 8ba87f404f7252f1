"""The report endpoint at 10,000 and 100,000 tickets over 30 days: its reads must not grow.

A report reads day counters (docs/metrics.md), never tickets. To show that, one moto table is
filled for each size with what the stream consumer would have written for a month of that
many tickets, and `GET /v1/reports/summary` is timed over the month:

- Each ticket gets a synthetic history (filed, answered, resolved, sometimes reopened,
  escalated, rated) as audit events of the real shapes; `domain.metrics.apply` turns them
  into the counter deltas and facts exactly as the consumer does, with the demo tenant's
  business calendar. The summed counter items, the open totals and one `FACTS` item per
  ticket are written straight into moto's table (the consumer's per-event transactions
  would take hours on moto; the items are the same).
- The ticket count changes only how big the counters are, not how many there are: a month
  has 30 days × the slices that occur (channels, priorities, types, groups, agents,
  categories), whatever the number of tickets.

`python -m bench.run --only reports` prints this section alone; bench/README.md explains it.
"""

import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain import metrics

SIZES = (10_000, 100_000)
REQUESTS = 10
DAYS = 30
# 1 to 30 November 2026, in the demo tenant's timezone (Europe/Amsterdam).
FIRST = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
CHANNELS = ("email", "portal", "phone", "api", "chat")
PRIORITIES = ("P1", "P2", "P3", "P4")
TYPES = ("incident", "service_request", "question", "problem")
GROUPS = (None, "servicedesk", "network", "workplace")
AGENTS = (None, *(f"agent{i}@demo.example.com" for i in range(12)))
CATEGORIES = (None, "hardware", "software", "access", "network")


def _event(kind: str, at: datetime, ident: int, **fields: Any) -> dict[str, Any]:
    return {"id": str(ident), "type": kind, "occurred_at": at.isoformat(),
            "actor": {"role": fields.pop("role", "agent")}, **fields}  # fmt: skip


def history(rng: random.Random, number: int) -> list[dict[str, Any]]:
    """One ticket's audit events, in order, in the shapes the ticket service writes."""
    at = FIRST + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
    ident = number * 100
    events = [_event("ticket.created", at, ident, data={
        "channel": rng.choice(CHANNELS), "priority": rng.choice(PRIORITIES),
        "type": rng.choice(TYPES), "group": rng.choice(GROUPS),
        "assignee": rng.choice(AGENTS), "category": rng.choice(CATEGORIES)})]  # fmt: skip
    status = "new"
    stopped = False

    def then(kind: str, **fields: Any) -> None:
        # The month ends for every ticket at the same moment: what would happen later does
        # not happen, so both sizes have exactly the month's 30 days of counters.
        nonlocal at, ident, stopped
        at += timedelta(minutes=rng.randrange(5, 3000))
        ident += 1
        stopped = stopped or at >= FIRST + timedelta(days=DAYS)
        if not stopped:
            events.append(_event(kind, at, ident, **fields))

    if rng.random() < 0.9:
        then("message.added", changes={"status": {"from": "new", "to": "open"}},
             data={"visibility": "public", "sla": {"first_response": "met"}})  # fmt: skip
        status = "open"
    if rng.random() < 0.1:
        then("sla.breached", data={"clock": "resolution"})
        then("ticket.escalated", changes={"tier": {"from": 1, "to": 2}})
    if rng.random() < 0.5:
        then("time.logged", data={"minutes": rng.randrange(5, 120)})
    if rng.random() < 0.8:
        then("ticket.updated", changes={"status": {"from": status, "to": "resolved"}},
             data={"sla": {"resolution": "met", "first_response": "met"}})  # fmt: skip
        if rng.random() < 0.4:
            then("satisfaction.received", role="requester",
                 data={"rating": rng.choice(("good", "good", "bad")), "resolution": 1})  # fmt: skip
        if rng.random() < 0.08:
            then("message.added", role="requester", data={"visibility": "public"},
                 changes={"status": {"from": "resolved", "to": "open"}})  # fmt: skip
    return events


def counters(
    tickets: int, minutes: metrics.Minutes, timezone: str
) -> tuple[list[dict[str, Any]], int]:
    """The items the stream consumer would have written: counters, open totals, facts."""
    from chalicelib.adapters.dynamo import keys

    rng = random.Random(20261130 + tickets)
    days: dict[tuple[str, str, str], Counter[str]] = {}
    open_now: Counter[tuple[str, str]] = Counter()
    items: list[dict[str, Any]] = []
    for number in range(1001, 1001 + tickets):
        facts = None
        for event in history(rng, number):
            facts, change = metrics.apply(facts, event, timezone, minutes)
            for key, deltas in change.counts.items():
                days.setdefault(key, Counter()).update(deltas)
            open_now.update(change.open)
        items.append({**keys.facts_key("demo", number), "kind": "facts", "facts": facts,
                      "version": 1, "tenant": "demo", "ticket": number})  # fmt: skip
    stats = 0
    for (dimension, value, day), summed in days.items():
        plain, values = metrics.split({k: v for k, v in summed.items() if v})
        items.append({**keys.stats_day_key("demo", dimension, value, day), "kind": "stats",
                      **plain})  # fmt: skip
        if values:
            items.append({**keys.stats_values_key("demo", dimension, value, day),
                          "kind": "stats", **values})  # fmt: skip
            stats += 1
        stats += 1
    for (dimension, value), total in open_now.items():
        items.append({**keys.stats_open_key("demo", dimension, value), "kind": "stats",
                      "open": total})  # fmt: skip
        stats += 1
    return items, stats


def measure(
    client: Any,
    recorder: Any,
    progress: Callable[[str], None],
    write: Callable[..., None],
    size: int,
) -> dict[str, Any]:
    """Fill a fresh table with a month of `size` tickets' counters and time the report."""
    from bench.cost import item_size, read_units
    from chalicelib.adapters.aws import client as aws_client
    from chalicelib.domain.sla import CalendarKind
    from chalicelib.wiring import sla_settings

    business = sla_settings().effective("demo").calendars[CalendarKind.BUSINESS]
    # Read units as DynamoDB bills a Query: the summed size of what one page returned, per
    # 4 KB, halved for an eventually consistent read.
    units: list[float] = []

    def charge(parsed: dict[str, Any], **_: Any) -> None:
        size = sum(item_size(i) for i in parsed.get("Items", []))
        units.append(read_units(size, consistent=False))

    aws_client("dynamodb").meta.events.register("after-call.dynamodb.Query", charge)

    def minutes(start: datetime, end: datetime) -> int:
        return int(business.between(start, end).total_seconds() // 60)

    token = client.http.request(
        "POST", "/v1/auth/login", headers={"Content-Type": "application/json"},
        body=b'{"email": "supervisor@demo.example.com", "password": "Balie-bench-2026!"}',
    ).json_body["id_token"]  # fmt: skip
    progress(f"reports: {size} tickets, building the consumer's items")
    started = time.perf_counter()
    items, stats = counters(size, minutes, "Europe/Amsterdam")
    write(items)
    progress(f"reports: {len(items)} items written in {time.perf_counter() - started:.1f}s")
    path = "/v1/reports/summary?from=2026-11-01&to=2026-11-30"
    samples = []
    read = 0.0
    for i in range(REQUESTS + 2):
        units.clear()
        with recorder.window() as window:
            began = time.perf_counter()
            answer = client.http.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            ms = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"report answered {answer.status_code}: {answer.body[:300]}")
        if i >= 2:  # the first two warm the container's caches
            samples.append((ms, window))
            read = sum(units)
    body = answer.json_body
    queries = [c for c in samples[-1][1].calls if c.service == "dynamodb"]
    figures = {
        "tickets": size,
        "created_in_report": body["created"],
        "counter_items_in_table": stats,
        "median_ms": round(statistics.median(ms for ms, _ in samples), 1),
        "p95_ms": round(sorted(ms for ms, _ in samples)[int(0.95 * len(samples)) - 1], 1),
        # Of which in the AWS calls: moto parsing the request, querying, serialising.
        "aws_calls_ms_median": round(statistics.median(w.aws_ms() for _, w in samples), 1),
        "dynamodb_calls": dict(Counter(c.operation for c in queries)),
        "items_read": sum(c.items_read for c in queries),
        "read_units": round(read, 1),
    }
    progress(f"reports: {size}: {figures['median_ms']} ms median, "
             f"{figures['items_read']} items read")  # fmt: skip
    return figures
