"""The SLA sweep: warn before a clock runs out, record its breach and escalate, exactly once.

It reads only the due index (tickets whose next SLA moment has come), never all tickets. Each
action is written with the ticket's version as condition, so two sweeps running at once, or
one repeated, act once: the loser re-reads and finds the moment already recorded.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain import sla
from chalicelib.domain.tickets import Event, Priority, Ticket, diff, new_event
from chalicelib.observability import count, logger
from chalicelib.services.ports import TicketRepository, VersionConflict
from chalicelib.services.sla import SlaSettings

SWEEP_ACTOR = {"kind": "system", "id": "sla-sweep", "name": "SLA", "role": "system"}
_RETRIES = 5
_HIGHER = {Priority.P4: Priority.P3, Priority.P3: Priority.P2, Priority.P2: Priority.P1}


@dataclass
class Report:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    by_tenant: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "warnings": self.warnings,
            "breaches": self.breaches,
            "escalations": self.escalations,
        }


class SlaSweep:
    def __init__(self, tickets: TicketRepository, settings: SlaSettings, shards: int) -> None:
        self.tickets = tickets
        self.settings = settings
        self.shards = shards

    def run(self, now: datetime) -> Report:
        report = Report()
        for shard in range(self.shards):
            for ticket in self.tickets.due(shard, now):
                report.tickets += 1
                self._act(ticket, now, report)
        for tenant, breaches in report.by_tenant.items():
            count("SlaBreaches", tenant, breaches)
        return report

    def _act(self, ticket: Ticket, now: datetime, report: Report) -> None:
        current: Ticket | None = ticket
        for _ in range(_RETRIES):
            if current is None or current.sla is None:
                return
            due = sla.due_now(current.sla, now)
            if not due:
                return  # the entry was stale, or another sweep got here first
            after, events = self._consequences(current, due, now)
            try:
                self.tickets.save(after, current.version, events)
            except VersionConflict:
                current = self.tickets.get(current.tenant, current.number)
                continue
            warnings = sum(d.kind == "warning" for d in due)
            breaches = len(due) - warnings
            report.warnings += warnings
            report.breaches += breaches
            report.escalations += any(e.type == "ticket.escalated" for e in events)
            if breaches:
                report.by_tenant[current.tenant] = report.by_tenant.get(current.tenant, 0) + 1
            return
        logger.warning("sla sweep gave up on a busy ticket", extra={"ticket": ticket.number})

    def _consequences(
        self, ticket: Ticket, due: list[sla.Due], now: datetime
    ) -> tuple[Ticket, list[Event]]:
        """The ticket's next version and its events: what was due, and the escalation."""
        assert ticket.sla is not None
        terms = self.settings.effective(ticket.tenant)
        rules = terms.policy.escalation
        changes: dict[str, Any] = {}
        if any(d.kind == "breach" for d in due):
            if rules.raise_tier and ticket.tier < 3:
                changes["tier"] = ticket.tier + 1
                group = rules.tier_groups.get(ticket.tier + 1)
                if group and group != ticket.group:
                    changes.update(group=group, assignee=None)
            if rules.bump_priority and ticket.priority in _HIGHER:
                changes["priority"] = _HIGHER[ticket.priority]
        recorded = sla.record(ticket.sla, due, now)
        after = replace(ticket.with_changes(changes, now), sla=recorded)
        if "priority" in changes:
            change = sla.Change(ticket.status, ticket.status, ticket.priority, after.priority)
            after = replace(
                after, sla=sla.advance(recorded, change, terms.policy, now, terms.calendars)
            )
        events = [
            new_event(
                after,
                "sla.warning" if d.kind == "warning" else "sla.breached",
                SWEEP_ACTOR,
                data={
                    "clock": d.clock.value,
                    "due_at": _iso(ticket.sla.clocks[d.clock].due_at),
                    "assignee": ticket.assignee,
                    "group": ticket.group,
                    "notify_supervisors": d.kind == "breach" and rules.notify_supervisors,
                },
            )
            for d in due
        ]
        if changes:
            events.append(
                new_event(
                    after,
                    "ticket.escalated",
                    SWEEP_ACTOR,
                    changes=diff(ticket, after),
                    data={"reason": "sla breach"},
                )
            )
        return after, events


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
