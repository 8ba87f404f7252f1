"""What the services need from the outside world; adapters implement these."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.domain.tickets import Attachment, Event, MailRef, Message, Record, Ticket

T = TypeVar("T")

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    priority: str | None = None
    assignee: str | None = None
    group: str | None = None
    type: str | None = None
    requester: str | None = None
    text: str | None = None
    sla: str | None = None  # "breached" | "at_risk"
    # The agent workspace's queues: only tickets still to work on (not resolved or closed,
    # unless `status` names one), only those without an assignee, and the oldest first.
    open_only: bool = False
    unassigned: bool = False
    oldest_first: bool = False


@dataclass(frozen=True)
class OpenTicketFacts:
    """What the queue counts need of one open ticket, and nothing more."""

    status: str
    priority: str
    assignee: str | None
    group: str | None
    sla_breached: bool
    sla_warned: bool


@dataclass(frozen=True)
class IdempotencyClaim:
    """A caller's Idempotency-Key, claimed in the same transaction as what it creates."""

    caller: str
    key: str
    request_hash: str
    expires_at: int


@dataclass(frozen=True)
class Remembered:
    request_hash: str
    number: int


class VersionConflict(Exception):
    """The stored version is not the one the change was based on."""


class NumberTaken(Exception):
    """Another writer allocated the same ticket number first; take the next one."""


class AlreadyReceived(Exception):
    """A mail with this Message-ID was already received for the tenant: nothing to do."""


class AlreadyDone(Exception):
    def __init__(self, remembered: Remembered) -> None:
        super().__init__("idempotency key already used")
        self.remembered = remembered


class TicketRepository(Protocol):
    def next_number(self, tenant: str) -> int: ...

    def insert(
        self,
        ticket: Ticket,
        event: Event,
        claim: IdempotencyClaim | None,
        records: tuple[Record, ...] = (),
    ) -> None: ...

    def remembered(self, tenant: str, caller: str, key: str) -> Remembered | None: ...

    def get(self, tenant: str, number: int) -> Ticket | None: ...

    def save(self, ticket: Ticket, expected_version: int, records: list[Record]) -> None: ...

    def message(self, tenant: str, number: int, message_id: str) -> Message | None: ...

    def thread_of(self, tenant: str, message_ids: list[str]) -> MailRef | None: ...

    def add_mail_ref(self, ref: MailRef) -> None: ...

    def attachments(self, tenant: str, number: int) -> list[Attachment]: ...

    def list_tickets(
        self, tenant: str, where: TicketFilter, limit: int, cursor: str | None
    ) -> Page[Ticket]: ...

    def messages(
        self, tenant: str, number: int, public_only: bool, limit: int, cursor: str | None
    ) -> Page[Message]: ...

    def events(
        self,
        tenant: str,
        number: int,
        limit: int,
        cursor: str | None,
        newest_first: bool = False,
    ) -> Page[Event]: ...

    def open_ticket_facts(
        self, tenant: str, statuses: tuple[str, ...], max_pages: int
    ) -> tuple[list[OpenTicketFacts], bool]: ...

    def due(self, shard: int, now: datetime) -> Iterator[Ticket]: ...

    def resolved_before(self, tenant: str, cutoff: datetime) -> Iterator[Ticket]: ...


class PersonalData(Protocol):
    """Where a requester's personal data lives, for GDPR access and erasure."""

    def requester_tickets(self, tenant: str, email: str) -> Iterator[Ticket]: ...

    def get(self, tenant: str, number: int) -> Ticket | None: ...

    def records(self, tenant: str, number: int) -> list[Record]: ...

    def append_event(self, event: Event) -> None: ...

    def rewrite(self, ticket: Ticket, expected_version: int, records: list[Record]) -> None: ...

    def profile_role(self, tenant: str, email: str) -> str | None: ...

    def delete_profile(self, tenant: str, email: str) -> bool: ...


class FileStore(Protocol):
    def delete(self, key: str) -> None: ...


class Accounts(Protocol):
    """Sign-in accounts: erase one, if it belongs to the tenant; True when one was removed."""

    def delete(self, tenant: str, email: str) -> bool: ...


class Directory(Protocol):
    """Who works at a tenant: validates assignees and groups."""

    def is_agent(self, tenant: str, email: str) -> bool: ...

    def has_group(self, tenant: str, group: str) -> bool: ...


class RuleStore(Protocol):
    """A tenant's routing rules: one versioned list (services.rules)."""

    def get(self, tenant: str, *, consistent: bool = False) -> tuple[list[dict], int]: ...

    def put(self, tenant: str, rules: list[dict], expected: int) -> int: ...


class GroupMembers(Protocol):
    """What round-robin and least-loaded assignment ask about a group's agents."""

    def members(self, tenant: str, group: str, limit: int) -> list[str]: ...

    def next_turn(self, tenant: str, group: str) -> int: ...

    def open_assigned(self, tenant: str, email: str, rounds: int) -> int: ...


class SpokenLanguages(Protocol):
    """The language to write to someone in: their profile's, else the tenant's."""

    def locale(self, tenant: str, email: str) -> str | None: ...


class FactsChanged(Exception):
    """Another consumer counted an event of the same ticket meanwhile: read the facts again."""


@dataclass(frozen=True)
class StoredFacts:
    facts: dict[str, Any]
    version: int


@dataclass(frozen=True)
class SliceRows:
    """A slice's stored counters: per day from the range's start on, and its open total."""

    days: dict[str, dict[str, int]]
    open_now: int


class MetricsStore(Protocol):
    def facts(self, tenant: str, number: int) -> StoredFacts | None: ...

    def count(
        self,
        tenant: str,
        source_id: str,
        counts: dict[tuple[str, str, str], dict[str, int]],
        open_moves: dict[tuple[str, str], int],
        facts: tuple[int, dict[str, Any], int | None] | None = None,
    ) -> bool:
        """Add the deltas and write the facts, once per `source_id`: False when it had
        been counted already. Raises FactsChanged when the facts moved meanwhile."""
        ...

    def slices(
        self, tenant: str, dimension: str, since: str, values: str | None = None
    ) -> dict[str, SliceRows]:
        """Every value of `dimension`: its days from `since` on, and its open total; with
        `values`, that value's distribution entries too (for medians and p90)."""
        ...


class TenantSettingsStore(Protocol):
    """The tenant item and the log of its admin's changes (adapters/dynamo/tenants.py)."""

    def get(self, tenant: str, *, consistent: bool = False) -> dict[str, Any] | None: ...

    def update_settings(
        self,
        tenant: str,
        changes: dict[str, Any],
        expected: int,
        stamp: dict[str, Any],
        record: dict[str, Any],
    ) -> int:
        """Raises VersionConflict when the item is no longer at `expected`."""
        ...

    def settings_changes(self, tenant: str, limit: int) -> list[dict[str, Any]]: ...
