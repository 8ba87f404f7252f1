"""Routing rules: evaluation time per ticket with 50 rules (docs/rules.md).

Two figures. `pure`: `domain.rules.evaluate` alone over 50 realistic rules (text terms,
requester domains, fields, custom fields, business hours; a few match and act) for a spread
of tickets — the CPU a ticket change spends on rules. `service`: `RuleService.route` as
TicketService calls it, on moto: the first call of a container reads the rules document
(one GetItem) and compiles it, later calls use the 60-second cache; both are timed, with the
AWS calls each makes. No assignment action runs here (its reads are per action, not per
rule; docs/rules.md lists them).
`python -m bench.rules` prints the pure figures alone.
"""

import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any

from chalicelib.domain.calendar import BusinessCalendar, holiday_source
from chalicelib.domain.rules import Trigger, evaluate, ordered, rule_from_document
from chalicelib.domain.tickets import (
    Channel,
    Level,
    Person,
    Priority,
    Status,
    Ticket,
    TicketType,
)

RULES = 50
TICKETS = 2_000
SERVICE_TICKETS = 200
WEEK = {d: [(clock(8, 30), clock(12, 0)), (clock(13, 0), clock(17, 30))] for d in range(5)}
_TOPICS = "vpn printer laptop wachtwoord outlook teams wifi scherm licentie toegang storing "
_TOPICS += "factuur telefoon docking backup"
# A helpdesk's vocabulary: rules and tickets draw from the same 120 words, so a ticket
# matches a few rules (median 3 here), as in a real queue.
_WORDS = tuple(_TOPICS.split()) + tuple(f"{t}{n}" for t in _TOPICS.split() for n in range(7))
_DOMAINS = ("contoso.com", "fabrikam.nl", "example.org", "gemeente.example.nl")


def rule_documents(count: int = RULES, seed: int = 10) -> list[dict[str, Any]]:
    """A tenant's worth of rules: each tests 2–3 conditions, most of them words."""
    rng = random.Random(seed)
    rules = []
    for i in range(count):
        conditions: list[dict[str, Any]] = [
            {"type": "text", "in": "subject_or_body", "op": "any",
             "terms": [*rng.sample(_WORDS, 3), f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"]},
        ]  # fmt: skip
        extra = i % 5
        if extra == 0:
            conditions.append({"type": "requester_domain", "op": "in",
                               "values": rng.sample(_DOMAINS, 2)})  # fmt: skip
        elif extra == 1:
            conditions.append({"type": "field", "field": "channel", "op": "in",
                               "values": ["email", "portal"]})  # fmt: skip
        elif extra == 2:
            conditions.append({"type": "custom_field", "name": "seats", "op": "gte",
                               "value": rng.randrange(10, 200)})  # fmt: skip
        elif extra == 3:
            conditions.append({"type": "business_hours", "op": rng.choice(["within", "outside"])})
        else:
            conditions.append({"type": "tags", "op": "has_none", "values": ["spam"]})
        rules.append(
            {
                "id": f"01BENCH{i:019d}",
                "name": f"Rule {i}",
                "position": i + 1,
                "active": True,
                "trigger": "both",
                "match": "all",
                "conditions": conditions,
                "actions": [
                    {"type": "add_tags", "tags": [f"rule-{i}"]},
                    {"type": "set_priority", "priority": rng.choice(["P2", "P3"])},
                ],
                "stop_processing": False,
                "version": 1,
                "created_at": "2026-11-01T00:00:00Z",
                "updated_at": "2026-11-01T00:00:00Z",
                "updated_by": "supervisor@demo.example.com",
            }
        )
    return rules


def tickets(count: int, seed: int = 11) -> list[Ticket]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    out = []
    for n in range(count):
        moment = start + timedelta(minutes=rng.randrange(60 * 24 * 28))
        words = " ".join(rng.choice(_WORDS) for _ in range(4))
        out.append(
            Ticket(
                tenant="demo", number=1000 + n, version=1,
                subject=f"Probleem met {rng.choice(_WORDS)}",
                description=f"Sinds vanochtend werkt {words} niet meer. " * 20,  # ~1 KB body
                type=TicketType.INCIDENT, status=Status.NEW, impact=Level.MEDIUM,
                urgency=Level.MEDIUM, priority=Priority.P3, priority_set_by_agent=False,
                channel=rng.choice(list(Channel)),
                requester=Person(f"user{n}@{rng.choice(_DOMAINS)}", f"User {n}"),
                created_at=moment, updated_at=moment,
                created_by={"kind": "user", "id": "x", "name": "x", "role": "requester"},
                custom_fields={"seats": rng.randrange(1, 300)},
            )
        )  # fmt: skip
    return out


def _no_pick(target: str, strategy: Any) -> None:
    return None


def measure_pure(count: int = TICKETS) -> dict[str, Any]:
    calendar = BusinessCalendar("Europe/Amsterdam", WEEK, holiday_source("NL", None, [], []))
    compiled = [rule_from_document(d) for d in ordered(rule_documents())]
    sample = tickets(count)
    for ticket in sample[:50]:  # warm the calendar's caches as a warm Lambda would
        evaluate(compiled, ticket, trigger=Trigger.CREATED, now=ticket.created_at,
                 calendar=calendar, pick=_no_pick)  # fmt: skip
    per_ticket: list[float] = []
    matched: list[int] = []
    for ticket in sample:
        started = time.perf_counter()
        outcome = evaluate(compiled, ticket, trigger=Trigger.CREATED, now=ticket.created_at,
                           calendar=calendar, pick=_no_pick)  # fmt: skip
        per_ticket.append((time.perf_counter() - started) * 1e6)
        matched.append(len(outcome.applied))
    compile_started = time.perf_counter()
    for _ in range(100):
        [rule_from_document(d) for d in ordered(rule_documents())]
    compile_us = (time.perf_counter() - compile_started) / 100 * 1e6
    return {
        "rules": RULES,
        "tickets": count,
        "median_us_per_ticket": round(statistics.median(per_ticket), 1),
        "p90_us_per_ticket": round(sorted(per_ticket)[int(0.9 * len(per_ticket)) - 1], 1),
        "rules_matched_median": statistics.median(matched),
        "rules_matched_max": max(matched),
        "compile_50_rules_us": round(compile_us, 1),
    }


def measure_service(recorder: Any, progress: Callable[[str], None]) -> dict[str, Any]:
    """RuleService.route on moto: the cold read of the document, then cached calls."""
    from chalicelib.wiring import rule_service

    service = rule_service()
    service.store.put("demo", rule_documents(), 0)
    sample = tickets(SERVICE_TICKETS)
    progress(f"rules: {SERVICE_TICKETS} tickets through RuleService.route")
    cold: list[float] = []
    cold_aws: list[float] = []
    cold_calls: list[dict[str, int]] = []
    for ticket in sample[:20]:
        service.forget()
        service.sla.forget()
        service.sla.effective("demo")  # the SLA settings are TicketService's read, not ours
        with recorder.window() as window:
            started = time.perf_counter()
            service.route(ticket, Trigger.CREATED, ticket.created_at)
            cold.append((time.perf_counter() - started) * 1000)
        cold_aws.append(window.aws_ms())
        cold_calls.append(window.operations("dynamodb"))
    warm: list[float] = []
    warm_calls: list[dict[str, int]] = []
    for ticket in sample:
        ticket = replace(ticket, tenant="demo")
        with recorder.window() as window:
            started = time.perf_counter()
            service.route(ticket, Trigger.CREATED, ticket.created_at)
            warm.append((time.perf_counter() - started) * 1000)
        warm_calls.append(window.operations("dynamodb"))
    return {
        "tickets": SERVICE_TICKETS,
        "document_bytes": len(json.dumps(rule_documents())),
        "cold_read_median_ms": round(statistics.median(cold), 3),
        "cold_read_in_aws_calls_median_ms": round(statistics.median(cold_aws), 3),
        "cold_read_outside_aws_calls_median_ms": round(
            statistics.median(c - a for c, a in zip(cold, cold_aws, strict=True)), 3
        ),
        "cold_read_dynamodb_calls": _most_common(cold_calls),
        "cached_median_ms": round(statistics.median(warm), 3),
        "cached_p90_ms": round(sorted(warm)[int(0.9 * len(warm)) - 1], 3),
        "cached_dynamodb_calls": _most_common(warm_calls),
    }


def _most_common(calls: list[dict[str, int]]) -> dict[str, int]:
    texts = [json.dumps(c, sort_keys=True) for c in calls]
    return json.loads(max(set(texts), key=texts.count))


if __name__ == "__main__":
    print(json.dumps(measure_pure(), indent=2))
