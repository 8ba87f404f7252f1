"""Report metrics: counted from the table stream exactly once, read without scanning tickets.

The month test files and works a month of tickets through the real ticket service and SLA
sweep (ratings and knowledge-base deflections are written as items, as their features will),
feeds the table stream to the consumer with duplicated records, and compares the report with
a brute-force computation from each ticket's audit trail, written here from the definitions in
docs/metrics.md without the aggregator's code.
"""

import csv
import io
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamo.codec import to_item
from chalicelib.domain.errors import Conflict
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.sla import CalendarKind
from chalicelib.domain.tickets import (
    Channel,
    Event,
    Level,
    Priority,
    Status,
    TicketType,
    Visibility,
)
from chalicelib.services.tickets import NewTicket
from chalicelib.workers.table_stream import handle_table_stream_event

AGENT = "agent@demo.example.com"
AGENT2 = "agent2@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
REQUESTER = "requester@demo.example.com"
ZONE = ZoneInfo("Europe/Amsterdam")
OPEN = {"new", "open", "pending", "on_hold"}
STAFF = {"agent", "supervisor", "admin", "operator"}
DIMENSIONS = ("channel", "priority", "type", "group", "agent", "category")


# --- feeding the stream -----------------------------------------------------------------


def all_stream_records(stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream so far, in order, as Lambda would deliver them."""
    streams = boto3.client("dynamodbstreams")
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not answer["Records"]:
                break
            records += [{**r, "eventSourceARN": stream_arn} for r in answer["Records"]]
            iterator = answer.get("NextShardIterator")
    return records


class Stream:
    """Hands the stream's new records to the consumer in batches; some batches twice."""

    def __init__(self, aws_env: dict[str, str]) -> None:
        self.arn = aws_env["BALIE_TABLE_STREAM_ARN"]
        self.seen = 0
        self.batches = 0

    def feed(self) -> None:
        records = all_stream_records(self.arn)
        fresh, self.seen = records[self.seen :], len(records)
        for start in range(0, len(fresh), 100):
            batch = fresh[start : start + 100]
            self.batches += 1
            # moto repeats INSERTs, and Lambda redelivers: every third batch arrives twice.
            times = 2 if self.batches % 3 == 0 else 1
            for _ in range(times):
                answer = handle_table_stream_event({"Records": batch})
                assert answer == {"batchItemFailures": []}


def report(api: Any, who: str, query: str, accept: str | None = None) -> Any:
    headers = {"Accept": accept} if accept else None
    return api.call("GET", f"/v1/reports/summary?{query}", as_=who, headers=headers)


# --- a generated month ------------------------------------------------------------------


def person(email: str, role: Role, tenant: str = "demo") -> Principal:
    return Principal(tenant, role, "user", email, email.split("@")[0], email=email)


STAFF_PEOPLE = [person(AGENT, Role.AGENT), person(AGENT2, Role.AGENT),
                person(SUPERVISOR, Role.SUPERVISOR)]  # fmt: skip
ASKER = person(REQUESTER, Role.REQUESTER)


@dataclass
class Month:
    """What the generator did that the table does not hold as ticket events."""

    numbers: list[int] = field(default_factory=list)
    deflections: list[datetime] = field(default_factory=list)
    resolutions: Counter[int] = field(default_factory=Counter)


START = datetime(2026, 10, 1, 0, 0, tzinfo=ZONE).astimezone(UTC)  # 31 days, with a DST change
DAYS = 31


def generate(seed: int = 11) -> Month:
    rng = random.Random(seed)
    service = wiring.ticket_service()
    sweep = wiring.sla_sweep()
    now = [START]
    service.clock = lambda: now[0]
    month = Month()
    # (moment, order, action): every action at its own minute, so each ticket's history has
    # one order; sweeps run every six hours.
    plan: list[tuple[datetime, int, Any]] = []
    for day in range(DAYS):
        for _ in range(rng.randint(1, 2)):
            at = START + timedelta(days=day, minutes=rng.randrange(6 * 60, 20 * 60))
            plan.append((at, len(plan), ("file", rng.random())))
        if rng.random() < 0.6:
            # Late evening in Amsterdam is the next day in UTC half the time: day edges.
            at = START + timedelta(days=day, minutes=rng.choice([60, 22 * 60 + 50, 23 * 60 + 30]))
            plan.append((at, len(plan), ("deflect", None)))
    for hour in range(0, DAYS * 24, 6):
        plan.append((START + timedelta(hours=hour, seconds=30), len(plan), ("sweep", None)))
    plan.sort()
    pending: list[tuple[datetime, int, Any]] = []
    order = len(plan)

    def later(at: datetime, action: Any) -> None:
        nonlocal order
        order += 1
        pending.append((at, order, action))

    def run(moment: datetime, action: Any) -> None:
        now[0] = moment
        kind = action[0]
        if kind == "sweep":
            sweep.run(moment)
        elif kind == "deflect":
            deflect(moment)
            month.deflections.append(moment)
        elif kind == "file":
            number = file_ticket(rng)
            month.numbers.append(number)
            at = moment
            for step in script(rng):
                at += timedelta(minutes=rng.randrange(7, 60 * 30, 7))
                later(at, (step, number))
        else:
            act(rng, kind, action[1], moment, month)

    def file_ticket(rng: random.Random) -> int:
        staff = rng.random() < 0.6
        new = NewTicket(
            subject="Laptop will not dock",
            description="Black screen",
            type=rng.choice(list(TicketType)),
            impact=rng.choice(list(Level)),
            urgency=rng.choice(list(Level)),
            category=rng.choice([None, "hardware", "software"]),
            requester_email=REQUESTER if staff else None,
            group=rng.choice([None, "servicedesk", "network"]) if staff else None,
            assignee=rng.choice([None, AGENT, AGENT2]) if staff else None,
            channel=rng.choice([Channel.EMAIL, Channel.PHONE]) if staff else None,
        )
        who = rng.choice(STAFF_PEOPLE) if staff else ASKER
        ticket, _ = service.create(who, new, channel=Channel.PORTAL if not staff else Channel.API)
        return ticket.number

    while plan or pending:
        queue = sorted(plan + pending)
        moment, _, action = queue[0]
        if plan and queue[0] == plan[0]:
            plan.pop(0)
        else:
            pending.remove(queue[0])
        run(moment, action)
    return month


def script(rng: random.Random) -> list[str]:
    """What happens to a ticket after it is filed, in order; some steps will not apply."""
    steps: list[str] = []
    for _ in range(rng.randint(0, 2)):
        steps.append(rng.choice(["note", "reply", "time", "route", "pending", "hold"]))
    steps.append(rng.choice(["reply", "reply", "reply", "none"]))
    if rng.random() < 0.25:
        steps.append("escalate")
    steps += rng.sample(["time", "route", "ask"], rng.randint(0, 2))
    if rng.random() < 0.8:
        steps.append("resolve")
        if rng.random() < 0.6:
            steps.append("rate")
        if rng.random() < 0.3:
            steps += [rng.choice(["reopen_reply", "reopen_patch"]), "reply", "resolve", "rate"]
        if rng.random() < 0.15:
            steps.append("rate")  # a changed mind
        if rng.random() < 0.3:
            steps.append("close")
    return steps


def act(rng: random.Random, kind: str, number: int, moment: datetime, month: Month) -> None:
    service = wiring.ticket_service()
    staff = rng.choice(STAFF_PEOPLE)

    def patch(changes: dict[str, Any]) -> None:
        ticket = service.get(staff, number)
        if "status" in changes:
            changes = {**changes, "status": Status(changes["status"])}
        service.update(staff, number, changes, ticket.version)

    try:
        if kind == "reply":
            service.add_message(staff, number, "Try this", Visibility.PUBLIC, Channel.API)
        elif kind == "note":
            service.add_message(staff, number, "Checked", Visibility.INTERNAL, Channel.API)
        elif kind == "ask":
            service.add_message(ASKER, number, "Any news?", Visibility.PUBLIC, Channel.PORTAL)
        elif kind == "time":
            service.log_time(staff, number, rng.randint(1, 90), "work")
        elif kind == "route":
            field_name, value = rng.choice(
                [("group", rng.choice(["servicedesk", "network", "workplace"])),
                 ("assignee", rng.choice([AGENT, AGENT2])),
                 ("priority", rng.choice(list(Priority))),
                 ("category", rng.choice(["hardware", "network"]))]
            )  # fmt: skip
            patch({field_name: value})
        elif kind in ("pending", "hold"):
            patch({"status": "pending" if kind == "pending" else "on_hold"})
        elif kind == "escalate":
            tier = service.get(staff, number).tier + 1
            if tier <= 3:
                service.escalate(staff, number, tier, None, "needs network")
        elif kind == "resolve":
            if service.get(staff, number).status.value in OPEN:
                patch({"status": "resolved"})
                month.resolutions[number] += 1
        elif kind == "reopen_reply":
            service.add_message(ASKER, number, "Still broken", Visibility.PUBLIC, Channel.PORTAL)
        elif kind == "reopen_patch":
            patch({"status": "open"})
        elif kind == "close":
            patch({"status": "closed"})
        elif kind == "rate" and month.resolutions[number]:
            rate(number, rng.choice(["good", "good", "bad"]), month.resolutions[number], moment)
    except Conflict:
        pass  # the step does not apply to the ticket as it is now (closed, resolved, …)


def rate(number: int, rating: str, resolution: int, moment: datetime) -> None:
    """A satisfaction rating, as the survey feature records it: an audit event."""
    from chalicelib.domain.tickets import new_id

    wiring.ticket_service().tickets.append_event(
        Event(
            id=new_id(),
            type="satisfaction.received",
            tenant="demo",
            ticket=number,
            actor={"kind": "user", "id": REQUESTER, "name": "requester", "role": "requester"},
            occurred_at=moment,
            data={"rating": rating, "resolution": resolution},
        )
    )


def deflect(moment: datetime, tenant: str = "demo") -> None:
    """A knowledge-base deflection, as the knowledge base records it."""
    from chalicelib.adapters.dynamo.tickets import iso
    from chalicelib.domain.tickets import new_id
    from chalicelib.settings import get_settings

    ident = new_id()
    item = {
        "PK": f"T#{tenant}#DEFLECTION#{moment.astimezone(UTC).date().isoformat()}",
        "SK": ident,
        "kind": "deflection",
        "tenant": tenant,
        "id": ident,
        "article": "reset-password",
        "occurred_at": iso(moment),
    }
    boto3.client("dynamodb").put_item(TableName=get_settings().table_name, Item=to_item(item))


# --- brute force, from the audit trails ---------------------------------------------------


@dataclass
class Landed:
    """One figure of one ticket: when, in which slices, what."""

    at: datetime
    slices: dict[str, str]
    name: str
    value: int = 1


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def trail(number: int) -> list[Event]:
    repository = wiring.ticket_service().tickets
    events, cursor = [], None
    while True:
        page = repository.events("demo", number, 100, cursor)
        events += page.items
        if not page.next_cursor:
            return sorted(events, key=lambda e: e.occurred_at)
        cursor = page.next_cursor


def business_minutes(start: datetime, end: datetime) -> int:
    calendar = wiring.sla_settings().effective("demo").calendars[CalendarKind.BUSINESS]
    return int(calendar.between(start, end).total_seconds() // 60)


@dataclass
class History:
    created: datetime
    # Each state the ticket was in: from when, status and slice values.
    states: list[tuple[datetime, str, dict[str, str]]]
    landed: list[Landed]

    def state_at_end_of(self, day: date) -> tuple[str, dict[str, str]] | None:
        current = None
        for at, status, slices in self.states:
            if local_day(at) <= day:
                current = (status, slices)
        return current


def history(number: int) -> History:
    events = trail(number)
    created = events[0]
    assert created.type == "ticket.created"
    data = created.data
    fields = {"channel": data["channel"], "priority": data["priority"], "type": data["type"],
              "group": data.get("group") or "-", "agent": data.get("assignee") or "-",
              "category": data.get("category") or "-"}  # fmt: skip
    status = "new"
    states = [(created.occurred_at, status, dict(fields))]
    landed = [Landed(created.occurred_at, dict(fields), "created")]
    resolutions: list[datetime] = []
    reopened = False
    staff_replies: list[datetime] = []
    breaches: list[tuple[datetime, str]] = []
    logged: list[tuple[datetime, int]] = []
    ratings: dict[int, Landed] = {}
    escalated = False
    first_resolution_slices: dict[str, str] = {}
    for event in events[1:]:
        renamed = {"assignee": "agent"}
        for name in ("priority", "type", "group", "assignee", "category"):
            if name in event.changes:
                fields[renamed.get(name, name)] = event.changes[name]["to"] or "-"
        here = dict(fields)
        at = event.occurred_at
        public = event.type == "message.added" and event.data["visibility"] == "public"
        if public and event.actor["role"] in STAFF:
            if not staff_replies:
                taken = business_minutes(created.occurred_at, at)
                landed.append(Landed(at, here, f"frt_{taken}"))
            staff_replies.append(at)
        tier = event.changes.get("tier", {}).get("to")
        if tier and tier >= 2 and not escalated:
            escalated = True
            landed.append(Landed(at, here, "escalated"))
        move = event.changes.get("status")
        if move:
            status = move["to"]
            if move["to"] == "resolved":
                previous = resolutions[-1] if resolutions else created.occurred_at
                resolutions.append(at)
                landed.append(Landed(at, here, "resolved"))
                landed.append(Landed(at, here, f"res_{business_minutes(created.occurred_at, at)}"))
                minutes = sum(m for when, m in logged if previous <= when < at)
                landed.append(Landed(at, here, "handle_minutes", minutes))
                if len(resolutions) == 1:
                    first_resolution_slices = here
            if move["from"] == "resolved" and move["to"] in OPEN:
                reopened = True
                landed.append(Landed(at, here, "reopened"))
        for clock, phase in (event.data.get("sla") or {}).items():
            short = {"first_response": "sla_fr", "resolution": "sla_res"}.get(clock)
            if phase == "met" and short:
                landed.append(Landed(at, here, f"{short}_met"))
                if not any(c == clock and when <= at for when, c in breaches):
                    landed.append(Landed(at, here, f"{short}_ok"))
        if event.type == "sla.breached":
            breaches.append((at, event.data["clock"]))
        if event.type == "time.logged":
            logged.append((at, event.data["minutes"]))
        if event.type == "satisfaction.received":
            ratings[event.data["resolution"]] = Landed(at, here, f"csat_{event.data['rating']}")
        states.append((at, status, here))
    if resolutions:
        before_first = [r for r in staff_replies if r < resolutions[0]]
        if len(before_first) == 1 and not reopened:
            landed.append(Landed(resolutions[0], first_resolution_slices, "fcr"))
    landed += ratings.values()
    return History(created.occurred_at, states, landed)


def nearest_rank(values: list[int], fraction: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, ceil(fraction * len(ordered))) - 1]


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def brute_figures(
    histories: list[History], first: date, last: date, dim: str | None, value: str | None
) -> dict[str, Any]:
    def mine(slices: dict[str, str]) -> bool:
        return dim is None or slices[dim] == value

    inside = [x for h in histories for x in h.landed
              if first <= local_day(x.at) <= last and mine(x.slices)]  # fmt: skip
    n = Counter()
    frt: list[int] = []
    res: list[int] = []
    for x in inside:
        if x.name.startswith("frt_"):
            frt.append(int(x.name[4:]))
        elif x.name.startswith("res_"):
            res.append(int(x.name[4:]))
        else:
            n[x.name] += x.value
    backlog = 0
    for h in histories:
        state = h.state_at_end_of(last)
        if state and state[0] in OPEN and mine(state[1]):
            backlog += 1

    def spread(values: list[int]) -> dict[str, Any]:
        mean = round(sum(values) / len(values), 1) if values else None
        return {"mean": mean, "median": nearest_rank(values, 0.5),
                "p90": nearest_rank(values, 0.9)}  # fmt: skip

    good, bad = n["csat_good"], n["csat_bad"]
    return {
        "created": n["created"],
        "resolved": n["resolved"],
        "reopened": n["reopened"],
        "escalated": n["escalated"],
        "backlog_end": backlog,
        "fcr_rate": ratio(n["fcr"], n["resolved"]),
        "reopen_rate": ratio(n["reopened"], n["resolved"]),
        "escalation_rate": ratio(n["escalated"], n["created"]),
        "first_response_minutes": spread(frt),
        "resolution_minutes": spread(res),
        "sla_compliance": {
            "first_response": ratio(n["sla_fr_ok"], n["sla_fr_met"]),
            "resolution": ratio(n["sla_res_ok"], n["sla_res_met"]),
        },
        "csat": {
            "good": good,
            "bad": bad,
            "rate": ratio(good, good + bad),
            "response_rate": ratio(good + bad, n["resolved"]),
        },
        "handle_minutes_mean": round(n["handle_minutes"] / n["resolved"], 1)
        if n["resolved"]
        else None,
        "shown": bool(inside) or backlog != 0,
    }


def brute_report(
    histories: list[History],
    deflections: list[datetime],
    first: date,
    last: date,
    where: tuple[str, str] | None = None,
) -> dict[str, Any]:
    dim, value = where or (None, None)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def deflected(a: date, b: date) -> int | None:
        return None if where else sum(a <= local_day(d) <= b for d in deflections)

    total = brute_figures(histories, first, last, dim, value)
    total.pop("shown")
    expected: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": "Europe/Amsterdam",
        **({"filter": {dim: value}} if where else {}),
        **total,
        "deflections": deflected(first, last),
    }
    by: dict[str, dict[str, Any]] = {d: {} for d in DIMENSIONS}
    if not where:
        for d in DIMENSIONS:
            values = {x.slices[d] for h in histories for x in h.landed}
            values |= {s[d] for h in histories for _, _, s in h.states}
            for each in sorted(values):
                figures = brute_figures(histories, first, last, d, each)
                if figures.pop("shown"):
                    # Breakdowns give means only (docs/metrics.md).
                    for name in ("first_response_minutes", "resolution_minutes"):
                        figures[name].update(median=None, p90=None)
                    by[d][each] = figures
    expected["by"] = by
    daily = []
    for day in days:
        figures = brute_figures(histories, day, day, dim, value)
        figures.pop("shown")
        backlog = figures.pop("backlog_end")
        daily.append({"date": day.isoformat(), "created": figures.pop("created"),
                      "resolved": figures.pop("resolved"), "backlog": backlog, **figures,
                      "deflections": deflected(day, day)})  # fmt: skip
    expected["daily"] = daily
    return expected


# --- the tests --------------------------------------------------------------------------


@pytest.fixture
def quick_transactions(aws_env: dict[str, str]) -> Iterator[None]:
    """moto copies the whole table for every item of a TransactWriteItems, to roll back a
    cancelled one; a month of tickets makes that minutes. Here every condition is checked
    first against the table as it was (as DynamoDB does), a failed one cancels before
    anything is written, and moto then writes without its copies."""
    from moto.dynamodb import models
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import TransactionCanceledException

    from bench.mototx import install

    def checked(backend: Any, items: list[dict[str, Any]]) -> None:
        reasons: list[tuple[str | None, str | None, None]] = []
        for entry in items:
            ((kind, op),) = entry.items()
            table = backend.get_table(op["TableName"])
            if kind == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr],
                       table.range_key_attr: op["Item"][table.range_key_attr]}  # fmt: skip
            else:
                key = op["Key"]
            condition = op.get("ConditionExpression")
            holds = condition is None or get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(backend.get_item(op["TableName"], key))
            reasons.append((None, None, None) if holds else ("ConditionalCheckFailed", "", None))
        if any(code for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        unchecked(backend, items)

    with install() as guard:
        unchecked = models.DynamoDBBackend.transact_write_items
        models.DynamoDBBackend.transact_write_items = checked  # type: ignore[method-assign]
        try:
            yield
        finally:
            models.DynamoDBBackend.transact_write_items = unchecked  # type: ignore[method-assign]
    assert guard.cancelled == 0, "a transaction failed after its conditions held"


RANGES = [
    (date(2026, 10, 1), date(2026, 10, 31)),
    (date(2026, 10, 12), date(2026, 10, 18)),
    (date(2026, 10, 25), date(2026, 11, 3)),  # the DST change, and days after the month
]
FILTERS = [("group", "network"), ("channel", "email"), ("priority", "P3"), ("group", "-")]


def test_given_a_month_of_tickets_then_the_report_equals_a_brute_force_count(
    api, aws_env, quick_transactions
):
    generated = generate()
    Stream(aws_env).feed()
    histories = [history(n) for n in generated.numbers]
    assert len(histories) > 30
    landed = Counter(x.name for h in histories for x in h.landed)
    # The month exercises every figure, or the comparison below proves little.
    for name in ("resolved", "reopened", "escalated", "fcr", "csat_good", "csat_bad",
                 "sla_fr_met", "sla_res_met", "handle_minutes"):  # fmt: skip
        assert landed[name] > 0, name
    assert landed["sla_fr_met"] > landed["sla_fr_ok"]  # some clocks were breached
    for first, last in RANGES:
        query = f"from={first}&to={last}"
        answer = report(api, SUPERVISOR, query)
        assert answer.status_code == 200, answer.body
        expected = brute_report(histories, generated.deflections, first, last)
        assert answer.json_body == expected, query
    first, last = RANGES[0]
    for where in FILTERS:
        query = f"from={first}&to={last}&{where[0]}={where[1]}"
        answer = report(api, SUPERVISOR, query)
        assert answer.status_code == 200, answer.body
        expected = brute_report(histories, generated.deflections, first, last, where)
        assert answer.json_body == expected, query
    check_csv(api, *RANGES[1])


def check_csv(api: Any, first: date, last: date) -> None:
    """The CSV rows carry the JSON's figures."""
    query = f"from={first}&to={last}"
    figures = report(api, SUPERVISOR, query).json_body
    answer = report(api, SUPERVISOR, query, accept="text/csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    days = [r for r in rows if r["scope"] == "day"]
    assert [r["date"] for r in days] == [d["date"] for d in figures["daily"]]
    for row, day in zip(days, figures["daily"], strict=True):
        assert (int(row["created"]), int(row["resolved"]), int(row["backlog"])) == (
            day["created"], day["resolved"], day["backlog"])  # fmt: skip
    (total,) = [r for r in rows if r["scope"] == "total"]
    assert int(total["backlog"]) == figures["backlog_end"]
    assert total["fcr_rate"] == ("" if figures["fcr_rate"] is None else str(figures["fcr_rate"]))
    p90 = figures["first_response_minutes"]["p90"]
    assert total["first_response_p90"] == ("" if p90 is None else str(p90))
    assert int(total["deflections"]) == figures["deflections"]
    groups = {r["value"]: r for r in rows if r["scope"] == "group"}
    assert set(groups) == set(figures["by"]["group"])
    for name, row in groups.items():
        assert int(row["created"]) == figures["by"]["group"][name]["created"]


def test_given_the_stream_delivered_twice_then_nothing_is_counted_twice(api, aws_env):
    stream = Stream(aws_env)
    number = api.create_ticket()["number"]
    api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body={"body": "Hi"})
    deflect(datetime.now(UTC))
    records = all_stream_records(stream.arn)
    for _ in range(3):
        assert handle_table_stream_event({"Records": records}) == {"batchItemFailures": []}
    today = datetime.now(UTC).astimezone(ZONE).date()
    body = report(api, SUPERVISOR, f"from={today}&to={today}").json_body
    assert (body["created"], body["backlog_end"], body["deflections"]) == (1, 1, 1)
    assert body["first_response_minutes"]["median"] is not None
    assert body["sla_compliance"]["first_response"] == 1.0


def test_given_an_agent_then_reports_are_forbidden(api):
    answer = report(api, AGENT, "from=2026-10-01&to=2026-10-31")
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-10-31&to=2026-10-01", "from"),
        ("from=2025-01-01&to=2026-10-01", "to"),
        ("from=2026-10-01", "to"),
        ("from=1%20Oct&to=2026-10-31", "from"),
        ("from=2026-10-01&to=2026-10-31&group=network&channel=email", "channel"),
        ("from=2026-10-01&to=2026-10-31&channel=fax", "channel"),
        ("from=2026-10-01&to=2026-10-31&by=agent", "by"),
    ],
)
def test_given_bad_parameters_then_422_names_the_field(api, query, field):
    answer = report(api, SUPERVISOR, query)
    assert answer.status_code == 422, answer.body
    assert field in [e["field"] for e in answer.json_body["errors"]]


def test_given_two_tenants_then_each_report_counts_only_its_own(api, aws_env):
    stream = Stream(aws_env)
    api.create_ticket()
    api.create_ticket(as_="requester@acme.example.com")
    api.create_ticket(as_="requester@acme.example.com")
    deflect(datetime.now(UTC), tenant="acme")
    stream.feed()
    today = datetime.now(UTC).date()
    window = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    demo = report(api, SUPERVISOR, window).json_body
    acme = report(api, "admin@acme.example.com", window).json_body
    assert (demo["created"], demo["deflections"]) == (1, 0)
    assert (acme["created"], acme["deflections"], acme["timezone"]) == (2, 1, "Europe/London")
