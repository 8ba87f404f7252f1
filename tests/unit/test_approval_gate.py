"""While a request waits for its approval, work does not start (domain.approvals.check_change)."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import approvals
from chalicelib.domain.approvals import AwaitingApproval, Decision
from chalicelib.domain.errors import Conflict
from chalicelib.domain.tickets import (
    Channel,
    Level,
    Person,
    Priority,
    Status,
    Ticket,
    TicketType,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BOSS = "boss@demo.example.com"


def waiting() -> Ticket:
    return Ticket(
        tenant="demo", number=7, version=2, subject="Laptop", description="For Fatma",
        type=TicketType.SERVICE_REQUEST, status=Status.ON_HOLD, impact=Level.LOW,
        urgency=Level.LOW, priority=Priority.P4, priority_set_by_agent=True,
        channel=Channel.PORTAL, requester=Person("sanne@demo.example.com", "Sanne"),
        created_at=NOW, updated_at=NOW, created_by={}, service="new-laptop",
        approval=approvals.pending(BOSS, NOW),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"status": Status.OPEN}, ["status"]),
        ({"status": Status.CLOSED}, ["status"]),
        ({"assignee": "eva@demo.example.com"}, ["assignee"]),
        ({"status": Status.PENDING, "assignee": "eva@demo.example.com"}, ["status", "assignee"]),
    ],
)
def test_given_a_pending_approval_when_work_would_start_then_it_is_refused_naming_the_fields(
    changes, refused
):
    with pytest.raises(AwaitingApproval) as raised:
        approvals.check_change(waiting(), changes)

    assert isinstance(raised.value, Conflict)  # the API's 409
    assert BOSS in raised.value.detail
    assert [e["field"] for e in raised.value.errors] == refused


@pytest.mark.parametrize(
    "changes",
    [
        {"priority": Priority.P3, "group": "workplace"},
        {"status": Status.ON_HOLD},  # no move
        {"assignee": None},  # unassigning is not work
        {"tags": ("urgent",)},
    ],
)
def test_given_a_pending_approval_then_routing_and_classification_may_change(changes):
    approvals.check_change(waiting(), changes)


def test_given_a_decided_approval_then_work_may_start():
    ticket = waiting()
    decided = approvals.decide(ticket.approval, Decision.APPROVE, BOSS, "", NOW)
    approvals.check_change(replace(ticket, approval=decided), {"status": Status.OPEN})
    approvals.check_change(replace(ticket, approval=None), {"assignee": "eva@demo.example.com"})
