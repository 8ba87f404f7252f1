from datetime import UTC, datetime, timedelta

from chalicelib.domain.sla import (
    DEFAULT_POLICY,
    CalendarKind,
    Change,
    ClockName,
    advance,
    due_now,
    open_clocks,
    record,
)
from chalicelib.domain.tickets import Priority, Status

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FR, NR, RES = ClockName.FIRST_RESPONSE, ClockName.NEXT_RESPONSE, ClockName.RESOLUTION


class Wall:
    """Every minute counts: enough to test the clock rules apart from calendars."""

    def add(self, start, amount):
        return start + amount

    def between(self, start, end):
        return end - start


CALENDARS = {CalendarKind.ALWAYS: Wall(), CalendarKind.BUSINESS: Wall()}


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def change(before=Status.OPEN, after=Status.OPEN, priority=Priority.P2, **kw) -> Change:
    return Change(before, after, kw.pop("before_priority", priority), priority, **kw)


def go(sla, at, **kw):
    return advance(sla, change(**kw), DEFAULT_POLICY, at, CALENDARS)


def test_given_a_new_p2_ticket_then_first_response_and_resolution_run_with_p2_targets():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    assert set(sla.clocks) == {FR, RES}
    assert sla.clocks[FR].due_at == T0 + minutes(60)
    assert sla.clocks[FR].warn_at == T0 + minutes(45)
    assert sla.clocks[RES].due_at == T0 + minutes(480)
    assert sla.next_moment() == T0 + minutes(45)


def test_given_pending_then_clocks_pause_and_resume_with_the_time_left():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    sla = go(sla, T0 + minutes(20), before=Status.OPEN, after=Status.PENDING)
    assert sla.clocks[FR].state(T0 + minutes(500)) == "paused"
    assert sla.next_moment() is None
    sla = go(sla, T0 + minutes(120), before=Status.PENDING, after=Status.OPEN)
    # 20 minutes were used before the pause; 40 remain from the resume.
    assert sla.clocks[FR].due_at == T0 + minutes(160)
    assert sla.clocks[FR].pauses == 1


def test_given_an_agent_reply_then_first_response_is_met_and_a_requester_reply_starts_next():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    sla = go(sla, T0 + minutes(10), agent_replied=True)
    assert sla.clocks[FR].state(T0 + minutes(10)) == "met"
    assert NR not in sla.clocks
    sla = go(sla, T0 + minutes(30), requester_replied=True)
    assert sla.clocks[NR].due_at == T0 + minutes(30 + 120)
    sla = go(sla, T0 + minutes(40), agent_replied=True)
    assert sla.clocks[NR].met_at == T0 + minutes(40)


def test_given_a_requester_message_before_any_answer_then_no_next_response_clock():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    sla = go(sla, T0 + minutes(5), requester_replied=True)
    assert NR not in sla.clocks


def test_given_resolution_then_all_clocks_stop_and_a_reopen_resumes_resolution_only():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    sla = go(sla, T0 + minutes(100), before=Status.OPEN, after=Status.RESOLVED)
    assert {c.state(T0) for c in sla.clocks.values()} == {"met"}
    sla = go(sla, T0 + minutes(200), before=Status.RESOLVED, after=Status.OPEN)
    assert sla.clocks[RES].due_at == T0 + minutes(200 + 380)
    assert sla.clocks[FR].met_at == T0 + minutes(100)


def test_given_a_priority_change_then_running_clocks_are_retargeted_from_their_start():
    sla = open_clocks(Priority.P3, DEFAULT_POLICY, T0, CALENDARS)
    sla = go(sla, T0 + minutes(10), before_priority=Priority.P3, priority=Priority.P1)
    assert sla.priority == Priority.P1
    assert sla.clocks[FR].due_at == T0 + minutes(30)
    assert sla.clocks[FR].calendar == CalendarKind.ALWAYS


def test_given_on_hold_then_clocks_pause_only_when_the_tenant_says_so():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    held = go(sla, T0 + minutes(5), after=Status.ON_HOLD)
    assert not held.clocks[FR].running
    from dataclasses import replace

    policy = replace(DEFAULT_POLICY, pause_on_hold=False)
    kept = advance(sla, change(after=Status.ON_HOLD), policy, T0 + minutes(5), CALENDARS)
    assert kept.clocks[FR].running


def test_given_the_warning_and_due_moments_then_the_sweep_acts_once_on_each():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    assert due_now(sla, T0 + minutes(44)) == []
    warned = record(sla, due_now(sla, T0 + minutes(45)), T0 + minutes(45))
    assert due_now(warned, T0 + minutes(50)) == []
    assert warned.next_moment() == T0 + minutes(60)
    breached = record(warned, due_now(warned, T0 + minutes(61)), T0 + minutes(61))
    assert breached.clocks[FR].breached_at == T0 + minutes(61)
    assert breached.clocks[FR].state(T0 + minutes(61)) == "breached"
    assert due_now(breached, T0 + minutes(70)) == []
    assert breached.next_moment() == T0 + minutes(480 - 15)  # resolution warns 15 min ahead


def test_given_a_late_sweep_then_a_breach_stands_for_its_unsent_warning():
    sla = open_clocks(Priority.P2, DEFAULT_POLICY, T0, CALENDARS)
    due = due_now(sla, T0 + minutes(90))
    assert {(d.clock, d.kind) for d in due} == {(FR, "warning"), (FR, "breach")}


def test_given_overrides_then_a_service_wins_over_an_organisation_over_the_defaults():
    from dataclasses import replace

    from chalicelib.domain.sla import Override, Scope, Target

    def p2(first: int) -> dict:
        return {Priority.P2: Target(Priority.P2, CalendarKind.ALWAYS, first, 60, 240, 5)}

    policy = replace(
        DEFAULT_POLICY,
        overrides=(Override(p2(10), organisation="acme.example"), Override(p2(5), service="vpn")),
    )
    both = Scope(service="vpn", organisation="acme.example")
    assert policy.target(Priority.P2, both).first_response_minutes == 5
    assert (
        policy.target(Priority.P2, Scope(organisation="acme.example")).first_response_minutes == 10
    )
    assert policy.target(Priority.P2, Scope(service="laptop")).first_response_minutes == 60
    assert policy.target(Priority.P3, both).first_response_minutes == 240  # not overridden
    assert Scope.of(None, "Ann@Acme.Example").organisation == "acme.example"
