from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.tickets import (
    Channel,
    Level,
    Person,
    Priority,
    Status,
    Ticket,
    TicketType,
    can_move,
    diff,
    priority_for,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def a_ticket(**overrides) -> Ticket:
    base = Ticket(
        tenant="demo",
        number=1042,
        version=1,
        subject="VPN drops every 10 minutes",
        description="Since this morning",
        type=TicketType.INCIDENT,
        status=Status.NEW,
        impact=Level.MEDIUM,
        urgency=Level.MEDIUM,
        priority=Priority.P3,
        priority_set_by_agent=False,
        channel=Channel.API,
        requester=Person("requester@demo.example.com", "Rita"),
        created_at=NOW,
        updated_at=NOW,
        created_by={"kind": "user", "id": "x", "name": "x", "role": "requester"},
    )
    return replace(base, **overrides)


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("high", "low", "P3"),
        ("medium", "high", "P2"),
        ("medium", "medium", "P3"),
        ("medium", "low", "P4"),
        ("low", "high", "P3"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_given_impact_and_urgency_when_prioritised_then_matrix_decides(impact, urgency, expected):
    assert priority_for(Level(impact), Level(urgency)) == Priority(expected)


ALLOWED = {
    ("new", "open"), ("new", "pending"), ("new", "on_hold"), ("new", "resolved"),
    ("open", "pending"), ("open", "on_hold"), ("open", "resolved"),
    ("pending", "open"), ("pending", "resolved"),
    ("on_hold", "open"), ("on_hold", "resolved"),
    ("resolved", "open"), ("resolved", "closed"),
}  # fmt: skip


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_given_any_two_statuses_then_only_the_documented_moves_are_allowed(current, target):
    assert can_move(current, target) == ((current.value, target.value) in ALLOWED)


def test_given_a_closed_ticket_when_reopened_then_conflict():
    with pytest.raises(Conflict):
        a_ticket(status=Status.CLOSED).with_changes({"status": Status.OPEN}, NOW)


def test_given_a_change_then_version_and_updated_at_move_on():
    later = NOW + timedelta(minutes=5)
    after = a_ticket().with_changes({"subject": "VPN down"}, later)
    assert (after.version, after.updated_at) == (2, later)


def test_given_matrix_priority_when_impact_changes_then_priority_follows():
    after = a_ticket().with_changes({"impact": Level.HIGH, "urgency": Level.HIGH}, NOW)
    assert after.priority == Priority.P1


def test_given_agent_set_priority_when_impact_changes_then_priority_stays():
    fixed = a_ticket().with_changes({"priority": Priority.P1}, NOW)
    after = fixed.with_changes({"impact": Level.LOW}, NOW)
    assert (fixed.priority_set_by_agent, after.priority) == (True, Priority.P1)


def test_given_resolution_then_resolved_at_is_stamped_and_a_reopen_clears_and_counts_it():
    resolved = a_ticket(status=Status.OPEN).with_changes({"status": Status.RESOLVED}, NOW)
    reopened = resolved.with_changes({"status": Status.OPEN}, NOW + timedelta(hours=1))
    assert resolved.resolved_at == NOW
    assert (reopened.resolved_at, reopened.reopen_count) == (None, 1)


def test_given_two_versions_then_diff_lists_only_changed_audited_fields():
    before = a_ticket()
    after = before.with_changes({"status": Status.OPEN, "tags": ("vpn",)}, NOW)
    assert diff(before, after) == {
        "status": {"from": "new", "to": "open"},
        "tags": {"from": [], "to": ["vpn"]},
    }
