"""A tenant's worth of realistic tickets, written through the repository's own item mapping.

Tickets are generated newest first from one seeded random stream, so the newest N tickets
have the same statuses, priorities, people and order whatever the total size: a list page
at 1,000 and at 10,000 tickets then reads the same kind of data, and any difference in what
it reads can only come from the size of the table.
"""

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TENANT = "demo"
# The counter starts at 1000 (DynamoTickets.next_number), so the first ticket is 1001.
FIRST_NUMBER = 1001
# BatchWriteItem takes at most 25 items per call.
BATCH = 25

AGENTS = {"agent@demo.example.com": 1, "agent2@demo.example.com": 2}
GROUPS = ("servicedesk", "network", "workplace")
SUBJECTS = (
    "Printer on 3rd floor jams",
    "VPN drops every few minutes",
    "Cannot log in to the expense portal",
    "New laptop for onboarding",
    "Outlook keeps asking for my password",
    "Wi-Fi in meeting room Zuid is slow",
    "Request access to the finance share",
    "Monitor flickers after docking",
    "Teams calls have no sound",
    "Password reset for the HR system",
    "Phone not syncing mail",
    "Software install: Visio",
)
TAGS = ("vpn", "printer", "laptop", "email", "onboarding", "access")
CATEGORIES = ("hardware", "software", "network", "access")


@dataclass(frozen=True)
class Seeded:
    number: int
    status: str
    version: int
    priority: str


@dataclass(frozen=True)
class SeedResult:
    tickets: list[Seeded]
    seconds: float
    items_written: int
    by_status: dict[str, int]
    by_priority: dict[str, int]


def pick(rng: random.Random, weighted: dict[Any, float]) -> Any:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def requester_weights() -> dict[tuple[str, str], float]:
    people = {
        ("requester@demo.example.com", "Sanne de Vries"): 10.0,
        ("requester2@demo.example.com", "Bram Jansen"): 10.0,
    }
    for k in range(80):
        people[(f"employee{k:02d}@demo.example.com", f"Employee {k:02d}")] = 1.0
    return people


def generate(count: int, now: datetime) -> Iterator[tuple[Any, Any]]:
    """(Ticket, its ticket.created Event), newest first."""
    from ulid import ULID

    from chalicelib.domain.tickets import (
        Channel,
        Event,
        Level,
        Person,
        Priority,
        Status,
        Ticket,
        TicketType,
        priority_for,
    )

    rng = random.Random(20261123)  # fixed: both sizes must see the same newest tickets
    requesters = requester_weights()
    levels = {Level.LOW: 0.4, Level.MEDIUM: 0.45, Level.HIGH: 0.15}
    recent = {
        Status.NEW: 0.25,
        Status.OPEN: 0.35,
        Status.PENDING: 0.15,
        Status.ON_HOLD: 0.05,
        Status.RESOLVED: 0.2,
    }
    older = {
        Status.NEW: 0.01,
        Status.OPEN: 0.07,
        Status.PENDING: 0.05,
        Status.ON_HOLD: 0.02,
        Status.RESOLVED: 0.15,
        Status.CLOSED: 0.7,
    }
    for rank in range(count):
        # Half an hour apart with jitter below that, so the order by updated_at is strict.
        updated = now - timedelta(minutes=30 * rank + rng.uniform(0, 29))
        status = pick(rng, recent if rank < 150 else older)
        created = updated if status == Status.NEW else updated - timedelta(hours=rng.uniform(1, 72))
        email, name = pick(rng, requesters)
        requester = Person(email=email, name=name)
        impact, urgency = pick(rng, levels), pick(rng, levels)
        set_by_agent = rng.random() < 0.1
        priority = pick(rng, dict.fromkeys(Priority, 1.0)) if set_by_agent else None
        assignee = None
        if status != Status.NEW or rng.random() < 0.2:
            assignee = pick(
                rng, {"agent@demo.example.com": 0.45, "agent2@demo.example.com": 0.35, None: 0.2}
            )
        group = pick(rng, {"servicedesk": 0.5, "network": 0.25, "workplace": 0.15, None: 0.1})
        channel = pick(
            rng, {Channel.EMAIL: 0.5, Channel.PORTAL: 0.3, Channel.API: 0.1, Channel.PHONE: 0.1}
        )
        done = status in (Status.RESOLVED, Status.CLOSED)
        actor = {"kind": "user", "id": email, "name": name, "role": "requester"}
        if channel == Channel.PHONE:
            actor = {
                "kind": "user",
                "id": "agent@demo.example.com",
                "name": "Eva Bakker",
                "role": "agent",
            }
        ticket = Ticket(
            tenant=TENANT,
            number=FIRST_NUMBER + count - 1 - rank,
            version=1 if status == Status.NEW else rng.randint(2, 6),
            subject=rng.choice(SUBJECTS),
            description="Seeded by bench: a few lines of what the requester wrote.",
            type=pick(
                rng,
                {
                    TicketType.INCIDENT: 0.6,
                    TicketType.SERVICE_REQUEST: 0.25,
                    TicketType.QUESTION: 0.1,
                    TicketType.PROBLEM: 0.05,
                },
            ),
            status=status,
            impact=impact,
            urgency=urgency,
            priority=priority or priority_for(impact, urgency),
            priority_set_by_agent=set_by_agent,
            channel=channel,
            requester=requester,
            created_at=created,
            updated_at=updated,
            created_by=actor,
            assignee=assignee,
            group=group,
            tier=AGENTS.get(assignee or "", 1),
            category=rng.choice((*CATEGORIES, None)),
            tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
            first_response_at=None if status == Status.NEW else created + (updated - created) / 4,
            resolved_at=created + (updated - created) * 0.8 if done else None,
            closed_at=updated if status == Status.CLOSED else None,
            time_spent_minutes=0 if status == Status.NEW else rng.randint(5, 240),
        )
        event = Event(
            id=str(ULID.from_datetime(created)),
            type="ticket.created",
            tenant=TENANT,
            ticket=ticket.number,
            actor=actor,
            occurred_at=created,
            data={
                "subject": ticket.subject,
                "priority": ticket.priority.value,
                "channel": ticket.channel.value,
                "requester": email,
            },
        )
        yield ticket, event


def seed(count: int, now: datetime) -> SeedResult:
    """Write `count` tickets with their first audit event into the tenant.

    The newest goes through DynamoTickets.insert (the ticket-creation transaction, which
    also sets the tenant's counter); the rest are batch-written as the items that the
    repository's ticket_item()/event_item() build, because creating them one transaction at
    a time is far too slow on moto.
    """
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.adapters.dynamo.tickets import DynamoTickets, event_item, ticket_item

    started = time.perf_counter()
    repository = DynamoTickets()
    db = client("dynamodb")
    seeded: list[Seeded] = []
    pending: list[dict[str, Any]] = []
    written = 0
    for ticket, event in generate(count, now):
        seeded.append(
            Seeded(ticket.number, ticket.status.value, ticket.version, ticket.priority.value)
        )
        if not written:
            repository.insert(ticket, event, None)
            written = 3  # counter, ticket, event
            continue
        for item in (ticket_item(ticket), event_item(event)):
            pending.append({"PutRequest": {"Item": to_item(item)}})
            if len(pending) == BATCH:
                written += write_batch(db, repository.table, pending)
                pending = []
    if pending:
        written += write_batch(db, repository.table, pending)
    return SeedResult(
        tickets=seeded,
        seconds=time.perf_counter() - started,
        items_written=written,
        by_status=dict(Counter(s.status for s in seeded).most_common()),
        by_priority=dict(sorted(Counter(s.priority for s in seeded).items())),
    )


def write_batch(db: Any, table: str, requests: list[dict[str, Any]]) -> int:
    batch = {table: requests}
    while batch:
        answer = db.batch_write_item(RequestItems=batch)
        batch = answer.get("UnprocessedItems") or {}
    return len(requests)
