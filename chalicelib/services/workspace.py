"""The agent workspace's queues: which tickets each queue holds, and how many.

A queue is a ticket filter (`queue_filter`) listed through TicketService.list_tickets, so the
tenant and role rules are the API's own. The counts of all queues come from one pass over
the open status partitions of the status index (`TicketRepository.open_ticket_facts`): its
cost follows the open backlog, never the tenant's history, and docs/web.md explains it.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Protocol

from chalicelib.domain import permissions
from chalicelib.domain.errors import NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Status
from chalicelib.services.ports import OpenTicketFacts, TicketFilter, TicketRepository

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
# 1 MB pages per status partition before a count is shown as "at least": thousands of
# open tickets per status, far beyond a team's backlog, and a bound on one page's reads.
MAX_COUNT_PAGES = 5

# The queues every agent has, in the order shown; `group:<name>` adds one per own group.
FIXED_QUEUES = ("mine", "unassigned", "breached", "at_risk", "open")


class Profiles(Protocol):
    def groups_of(self, tenant: str, email: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class QueueCounts:
    by_queue: dict[str, int]
    # True when the backlog was too large to count in full: the numbers are lower bounds.
    capped: bool


@dataclass(frozen=True)
class LiveCounts:
    """Open work by status, group, priority and SLA state, for the supervisor."""

    total: int
    by_status: dict[str, int]
    by_group: dict[str, int]
    by_priority: dict[str, int]
    by_sla: dict[str, int]
    capped: bool
    by_assignee: dict[str, int] = field(default_factory=dict)


def queue_filter(queue: str, principal: Principal, groups: tuple[str, ...]) -> TicketFilter:
    """The filter of one queue; NotFound for a queue this agent does not have."""
    base = TicketFilter(open_only=True)
    if queue == "mine":
        return replace(base, assignee="me")
    if queue == "unassigned":
        return replace(base, unassigned=True)
    if queue in ("breached", "at_risk"):
        return replace(base, sla=queue)
    if queue == "open":
        return base
    name = queue.removeprefix("group:")
    if queue.startswith("group:") and name in groups:
        return replace(base, group=name)
    raise NotFound("No such queue.")


class Workspace:
    def __init__(self, tickets: TicketRepository, profiles: Profiles) -> None:
        self.tickets = tickets
        self.profiles = profiles

    def my_groups(self, principal: Principal) -> tuple[str, ...]:
        permissions.require(principal, Action.WORK_QUEUES)
        if principal.email is None:
            return ()
        return self.profiles.groups_of(principal.tenant, principal.email)

    def queues(self, principal: Principal, groups: tuple[str, ...]) -> list[str]:
        permissions.require(principal, Action.WORK_QUEUES)
        return ["mine", *(f"group:{g}" for g in groups), *FIXED_QUEUES[1:]]

    def queue_counts(self, principal: Principal, groups: tuple[str, ...]) -> QueueCounts:
        permissions.require(principal, Action.WORK_QUEUES)
        facts, capped = self._open(principal)
        me = (principal.email or "").lower()
        counts = dict.fromkeys(self.queues(principal, groups), 0)
        for ticket in facts:
            for queue in _queues_of(ticket, me, groups):
                counts[queue] += 1
        return QueueCounts(counts, capped)

    def live_counts(self, principal: Principal) -> LiveCounts:
        permissions.require(principal, Action.READ_LIVE_COUNTS)
        facts, capped = self._open(principal)
        by_sla: Counter[str] = Counter()
        for ticket in facts:
            by_sla[_sla_state(ticket)] += 1
        return LiveCounts(
            total=len(facts),
            by_status={
                s.value: sum(1 for t in facts if t.status == s.value) for s in OPEN_STATUSES
            },
            by_group=dict(Counter(t.group or "" for t in facts).most_common()),
            by_priority={p: sum(1 for t in facts if t.priority == p) for p in _PRIORITIES},
            by_sla={state: by_sla[state] for state in ("breached", "at_risk", "on_track")},
            by_assignee=dict(Counter(t.assignee or "" for t in facts).most_common()),
            capped=capped,
        )

    def _open(self, principal: Principal) -> tuple[list[OpenTicketFacts], bool]:
        statuses = tuple(s.value for s in OPEN_STATUSES)
        return self.tickets.open_ticket_facts(principal.tenant, statuses, MAX_COUNT_PAGES)


_PRIORITIES = ("P1", "P2", "P3", "P4")


def _sla_state(ticket: OpenTicketFacts) -> str:
    if ticket.sla_breached:
        return "breached"
    if ticket.sla_warned:
        return "at_risk"
    return "on_track"


def _queues_of(ticket: OpenTicketFacts, me: str, groups: tuple[str, ...]) -> list[str]:
    """Every queue one open ticket counts in (the same rules as queue_filter)."""
    found = ["open"]
    if me and ticket.assignee and ticket.assignee.lower() == me:
        found.append("mine")
    if not ticket.assignee:
        found.append("unassigned")
    if ticket.group in groups:
        found.append(f"group:{ticket.group}")
    state = _sla_state(ticket)
    if state != "on_track":
        found.append(state)
    return found
