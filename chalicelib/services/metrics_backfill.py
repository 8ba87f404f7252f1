"""Metrics backfill (docs/metrics.md): count the tickets filed before the report consumer.

The stream consumer counts a ticket's events only from its `ticket.created` on, so tickets
filed before it existed have no facts and count nowhere. The backfill replays such a
ticket's audit events, oldest first, through the consumer's own code (`MetricsRecorder`), so
the figures are the ones the stream would have counted.

Exactly once, however often it runs and wherever it stops:
- a ticket whose facts the stream made (no `backfill` note in them) is left alone: the
  stream counted it from its creation;
- every event the backfill counts writes, in the same transaction as its counters, its
  COUNTED marker and the facts with the note `backfill = {"applied": i, "of": n}`: a run
  that stopped half-way resumes after the last event it counted, and a finished ticket
  (`applied == of`) is skipped. The markers also stop an event that the stream counts at the
  same moment from counting twice.

Tickets are read through the per-tenant index (GSI5) a page at a time; `run` stops after
its time budget with a cursor to continue from.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain import permissions
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.observability import logger
from chalicelib.services.metrics import MetricsRecorder
from chalicelib.services.ports import StoredFacts

PAGE = 25
NOTE = "backfill"


class BackfillSource(Protocol):
    def tickets(
        self, tenant: str, cursor: str | None, limit: int
    ) -> tuple[list[int], str | None]: ...

    def events(self, tenant: str, number: int) -> Iterable[dict[str, Any]]: ...


class FactsReader(Protocol):
    def facts(self, tenant: str, number: int) -> StoredFacts | None: ...


@dataclass
class BackfillReport:
    tenant: str
    tickets: int = 0  # read from the index
    backfilled: int = 0  # tickets whose events this run counted (some or all)
    events: int = 0  # events counted now
    counted_already: int = 0  # tickets the stream or an earlier run had counted
    next_cursor: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "tickets": self.tickets,
            "backfilled": self.backfilled,
            "events": self.events,
            "counted_already": self.counted_already,
            "next_cursor": self.next_cursor,
        }


class MetricsBackfill:
    def __init__(
        self, source: BackfillSource, facts: FactsReader, recorder: MetricsRecorder
    ) -> None:
        self.source = source
        self.facts = facts
        self.recorder = recorder

    def run_as(self, principal: Principal, tenant: str, cursor: str | None = None,
               out_of_time: Callable[[], bool] = lambda: False) -> BackfillReport:  # fmt: skip
        """For an operator (POST /v1/tenants/{id}/metrics-backfill)."""
        permissions.require(principal, Action.BACKFILL_METRICS)
        return self.run(tenant, cursor, out_of_time)

    def run(
        self,
        tenant: str,
        cursor: str | None = None,
        out_of_time: Callable[[], bool] = lambda: False,
    ) -> BackfillReport:
        report = BackfillReport(tenant)
        while True:
            numbers, cursor = self.source.tickets(tenant, cursor, PAGE)
            for number in numbers:
                report.tickets += 1
                counted = self.ticket(tenant, number)
                if counted is None:
                    report.counted_already += 1
                else:
                    report.backfilled += 1
                    report.events += counted
            if cursor is None or out_of_time():
                report.next_cursor = cursor
                logger.info("metrics backfill", extra=report.as_dict())
                return report

    def ticket(self, tenant: str, number: int) -> int | None:
        """How many of the ticket's events were counted now; None when it was counted
        already (by the stream, or by an earlier run that finished it)."""
        stored = self.facts.facts(tenant, number)
        done = 0
        if stored is not None:
            progress = stored.facts.get(NOTE)
            if not isinstance(progress, dict) or progress["applied"] >= progress["of"]:
                return None
            done = progress["applied"]
        # Creation first: events written with it in one transaction may sort before it
        # (their ids share its millisecond), and nothing counts before the ticket exists.
        events = sorted(
            self.source.events(tenant, number),
            key=lambda e: (e.get("type") != "ticket.created", e["id"]),
        )
        counted = 0
        for index, event in enumerate(events[done:], start=done):
            note = {NOTE: {"applied": index + 1, "of": len(events)}}
            counted += self.recorder.record(event, note)
        return counted
