"""The ticket and its rules: priority matrix, status machine, what a change records."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ulid import ULID

from chalicelib.domain.errors import Conflict
from chalicelib.domain.watchers import Watcher


class Level(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketType(StrEnum):
    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"
    QUESTION = "question"
    PROBLEM = "problem"


class Channel(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    API = "api"
    PHONE = "phone"
    CHAT = "chat"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Rating(StrEnum):
    GOOD = "good"
    BAD = "bad"


# ITIL priority matrix: impact (rows) × urgency (columns).
_MATRIX: dict[tuple[Level, Level], Priority] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P4,
}


def priority_for(impact: Level, urgency: Level) -> Priority:
    return _MATRIX[(impact, urgency)]


_MOVES: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class AlreadyRated(Conflict):
    """A second rating of the same resolution: the first one counts."""


def can_move(current: Status, target: Status) -> bool:
    return target in _MOVES[current]


def check_move(current: Status, target: Status) -> None:
    if current != target and not can_move(current, target):
        raise Conflict(f"A ticket cannot move from {current.value} to {target.value}.")


@dataclass(frozen=True)
class Person:
    email: str
    name: str


@dataclass(frozen=True)
class Satisfaction:
    """The requester's verdict on one resolution of their ticket (the n-th, counting reopens)."""

    rating: Rating
    resolution: int
    rated_at: datetime
    comment: str | None = None


@dataclass(frozen=True)
class Ticket:
    tenant: str
    number: int
    version: int
    subject: str
    description: str
    type: TicketType
    status: Status
    impact: Level
    urgency: Level
    priority: Priority
    priority_set_by_agent: bool
    channel: Channel
    requester: Person
    created_at: datetime
    updated_at: datetime
    created_by: dict[str, str]
    assignee: str | None = None
    group: str | None = None
    tier: int = 1
    category: str | None = None
    service: str | None = None
    problem: int | None = None
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = field(default_factory=dict)
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    time_spent_minutes: int = 0
    reopen_count: int = 0
    # A mail to a closed ticket files a new one that points back at it.
    follow_up_of: int | None = None
    # Clocks of the SLA the ticket runs under (domain.sla.TicketSla); None without a policy.
    sla: Any = None
    # The latest rating; a reopened and again resolved ticket is asked again.
    satisfaction: Satisfaction | None = None
    # A service request that waits for a yes (domain.approvals); None when none is needed.
    approval: dict[str, Any] | None = None
    # Root-cause analysis of a problem: symptoms, root_cause, workaround, permanent_fix,
    # known_error. Staff only.
    rca: dict[str, Any] | None = None

    @property
    def resolution(self) -> int | None:
        """Which resolution the ticket is in (1 for the first), or None while it is not."""
        if self.status in (Status.RESOLVED, Status.CLOSED):
            return self.reopen_count + 1
        return None

    @property
    def awaits_rating(self) -> bool:
        rated = self.satisfaction is not None and self.satisfaction.resolution == self.resolution
        return self.resolution is not None and not rated

    def rated(
        self, rating: Rating, comment: str | None, now: datetime, *, resolution: int | None = None
    ) -> "Ticket":
        """The ticket with the requester's rating of its current resolution; once per
        resolution. `resolution` is the one a survey link asked about, if it came from one."""
        if self.resolution is None:
            raise Conflict(f"Ticket {self.number} is not resolved; rate it once it is.")
        if resolution is not None and resolution != self.resolution:
            raise Conflict(f"This survey asked about an earlier resolution of {self.number}.")
        if not self.awaits_rating:
            raise AlreadyRated(f"Ticket {self.number} has been rated already.")
        verdict = Satisfaction(rating, self.resolution, now, comment or None)
        return self.with_changes({"satisfaction": verdict}, now)

    def commented(self, comment: str, resolution: int, now: datetime) -> "Ticket":
        """A comment added to a rating given by one click in a survey mail."""
        current = self.satisfaction
        if current is None or current.resolution != resolution or current.comment:
            raise Conflict(f"There is no rating of ticket {self.number} to comment on.")
        return self.with_changes({"satisfaction": replace(current, comment=comment)}, now)

    def with_changes(self, changes: dict[str, Any], now: datetime) -> "Ticket":
        """A new version with `changes` applied and the rules that follow from them.

        The status machine, the matrix (unless an agent fixed the priority) and the resolution
        timestamps are applied here so that every route into a change obeys them alike.
        """
        if "status" in changes:
            check_move(self.status, changes["status"])
        updated = replace(self, **changes)
        if "priority" in changes:
            updated = replace(updated, priority_set_by_agent=True)
        elif {"impact", "urgency"} & changes.keys() and not updated.priority_set_by_agent:
            updated = replace(updated, priority=priority_for(updated.impact, updated.urgency))
        if updated.status != self.status:
            updated = _stamp_status(self, updated, now)
        return replace(updated, version=self.version + 1, updated_at=now)


def _stamp_status(before: Ticket, after: Ticket, now: datetime) -> Ticket:
    if after.status == Status.RESOLVED:
        return replace(after, resolved_at=now)
    if after.status == Status.CLOSED:
        return replace(after, closed_at=now)
    if before.status == Status.RESOLVED and after.status == Status.OPEN:
        return replace(after, resolved_at=None, reopen_count=before.reopen_count + 1)
    return after


# Fields whose change an audit event records, in a stable order.
AUDITED_FIELDS = (
    "subject",
    "type",
    "status",
    "impact",
    "urgency",
    "priority",
    "assignee",
    "group",
    "tier",
    "category",
    "service",
    "problem",
    "tags",
    "custom_fields",
    "approval",
    "rca",
)


def diff(before: Ticket, after: Ticket) -> dict[str, dict[str, Any]]:
    """What changed, as {field: {"from": old, "to": new}} in plain JSON values."""
    changes: dict[str, dict[str, Any]] = {}
    for name in AUDITED_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes[name] = {"from": plain(old), "to": plain(new)}
    return changes


def plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class MailFacts:
    """Where a message came from when it arrived by mail, for agents and for threading."""

    message_id: str
    sender: str
    # The raw MIME in the files bucket: agents can always get the original.
    raw_key: str | None = None
    # The body before quoted history and signature were trimmed.
    original: str | None = None
    # human | auto_reply | bulk | unparseable (adapters.mail.classify).
    kind: str = "human"
    # SES spam/virus/SPF/DKIM/DMARC verdicts, as SES reported them.
    verdicts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    id: str
    tenant: str
    ticket: int
    author: dict[str, str]
    visibility: Visibility
    body: str
    created_at: datetime
    channel: Channel
    mail: MailFacts | None = None
    attachments: tuple[str, ...] = ()  # ids of the message's Attachment records


@dataclass(frozen=True)
class Attachment:
    """A file on a ticket; its bytes are in the files bucket under `key`."""

    id: str
    tenant: str
    ticket: int
    message: str
    filename: str
    content_type: str
    size: int
    key: str
    visibility: Visibility
    created_at: datetime
    content_id: str | None = None  # an inline image's cid
    # An upload asked for but not yet seen in the bucket: listed to nobody, not downloadable,
    # and gone by itself (TTL) if the file never arrives (services/attachments.py).
    pending: bool = False
    uploaded_by: dict[str, str] | None = None  # who asked for the upload (not mail-borne files)


@dataclass(frozen=True)
class MailReceipt:
    """The mail a ticket was filed from: kept beside the ticket, not in it, because the
    ticket item is rewritten on every change and the original text can be long."""

    id: str
    tenant: str
    ticket: int
    facts: MailFacts
    received_at: datetime


@dataclass(frozen=True)
class MailRef:
    """A Message-ID sent or received for a ticket: how In-Reply-To/References find it.

    An inbound ref is written only if absent, which makes receiving a mail happen once.
    """

    tenant: str
    message_id: str
    ticket: int
    inbound: bool


@dataclass(frozen=True)
class TimeEntry:
    id: str
    tenant: str
    ticket: int
    minutes: int
    note: str
    author: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class Event:
    """One entry of the audit trail; also the domain event published to the bus."""

    id: str
    type: str
    tenant: str
    ticket: int
    actor: dict[str, str]
    occurred_at: datetime
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProblemLink:
    """An incident listed in its problem's partition (`LINK#<incident>`), written with the
    incident's change of `problem` so the problem's list of incidents stays whole."""

    tenant: str
    problem: int
    incident: int
    linked_at: datetime


# What a ticket change can write alongside the ticket, in the same transaction.
Record = Message | Event | TimeEntry | Attachment | MailRef | MailReceipt | ProblemLink | Watcher


def files_of(records: list[Record]) -> list[str]:
    """Bucket keys of every file a ticket holds: attachments, and the raw mail it came by."""
    found = [r.key for r in records if isinstance(r, Attachment)]
    for record in records:
        facts = record.facts if isinstance(record, MailReceipt) else None
        if isinstance(record, Message):
            facts = record.mail
        if facts and facts.raw_key:
            found.append(facts.raw_key)
    return list(dict.fromkeys(found))


def new_id() -> str:
    """Ids are ULIDs: unique without coordination, and they sort by creation time."""
    return str(ULID())


def new_event(
    ticket: Ticket,
    kind: str,
    actor: dict[str, str],
    *,
    changes: dict[str, dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """An audit event of `ticket`'s current version, stamped with its moment of change."""
    return Event(
        id=new_id(),
        type=kind,
        tenant=ticket.tenant,
        ticket=ticket.number,
        actor=actor,
        occurred_at=ticket.updated_at,
        changes=changes or {},
        data=data or {},
    )
