"""SLA clocks: what a helpdesk promised, how much of it is used, and when it runs out.

Each ticket carries up to three clocks (first response, next response, resolution). A clock
counts business time of its calendar while it runs; it pauses while the ticket waits on the
requester, is met by the event it measures, and is breached when its due moment passes.
The functions here are pure: the ticket service applies them on every change, the SLA sweep
on every tick.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from chalicelib.domain.tickets import Priority, Status


class Calendar(Protocol):
    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> timedelta: ...


class ClockName(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class CalendarKind(StrEnum):
    ALWAYS = "24x7"
    BUSINESS = "business"


@dataclass(frozen=True)
class Target:
    """The promise for one priority, in minutes of its calendar."""

    priority: Priority
    calendar: CalendarKind
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int

    def minutes(self, clock: ClockName) -> int:
        return {
            ClockName.FIRST_RESPONSE: self.first_response_minutes,
            ClockName.NEXT_RESPONSE: self.next_response_minutes,
            ClockName.RESOLUTION: self.resolution_minutes,
        }[clock]


DEFAULT_TARGETS = (
    Target(Priority.P1, CalendarKind.ALWAYS, 30, 60, 240, 10),
    Target(Priority.P2, CalendarKind.BUSINESS, 60, 120, 480, 15),
    Target(Priority.P3, CalendarKind.BUSINESS, 240, 480, 1440, 30),
    Target(Priority.P4, CalendarKind.BUSINESS, 480, 960, 2400, 60),
)


@dataclass(frozen=True)
class Escalation:
    """What a breach does besides recording itself (the tenant's escalation rules)."""

    notify_supervisors: bool = True
    raise_tier: bool = True
    # The group that takes over a ticket at each higher line, e.g. {2: "network"}.
    tier_groups: dict[int, str] = field(default_factory=dict)
    bump_priority: bool = False


@dataclass(frozen=True)
class Scope:
    """What, besides its priority, decides a ticket's targets."""

    service: str | None = None
    organisation: str | None = None  # the requester's mail domain

    @classmethod
    def of(cls, service: str | None, requester_email: str) -> "Scope":
        return cls(service=service, organisation=requester_email.rsplit("@", 1)[-1].lower())


@dataclass(frozen=True)
class Override:
    """Targets that replace the defaults for one service or one requester organisation."""

    targets: dict[Priority, Target]
    service: str | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class Policy:
    version: int
    targets: dict[Priority, Target]
    pause_on_hold: bool = True
    escalation: Escalation = field(default_factory=Escalation)
    overrides: tuple[Override, ...] = ()

    def target(self, priority: Priority, scope: Scope | None = None) -> Target:
        """A service's own targets win over an organisation's, which win over the defaults."""
        scope = scope or Scope()
        for matches in (
            lambda o: o.service is not None and o.service == scope.service,
            lambda o: o.organisation is not None and o.organisation == scope.organisation,
        ):
            for override in self.overrides:
                if matches(override) and priority in override.targets:
                    return override.targets[priority]
        return self.targets[priority]


DEFAULT_POLICY = Policy(version=0, targets={t.priority: t for t in DEFAULT_TARGETS})


@dataclass(frozen=True)
class Clock:
    name: ClockName
    calendar: CalendarKind
    target_minutes: int
    warn_before_minutes: int
    started_at: datetime
    elapsed: timedelta = timedelta(0)  # business time of the segments already closed
    running_since: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    met_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    pauses: int = 0

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def state(self, now: datetime) -> str:
        if self.met_at is not None:
            return "met"
        if not self.running:
            return "paused"
        if self.breached_at is not None or (self.due_at is not None and now >= self.due_at):
            return "breached"
        return "running"

    def next_moment(self) -> datetime | None:
        """When the sweep must next look at this clock: its warning, then its breach."""
        if not self.running:
            return None
        if self.warned_at is None and self.warn_at is not None:
            return self.warn_at
        if self.breached_at is None:
            return self.due_at
        return None


Calendars = dict[CalendarKind, Calendar]


def start(name: ClockName, target: Target, now: datetime, calendars: Calendars) -> Clock:
    clock = Clock(
        name=name,
        calendar=target.calendar,
        target_minutes=target.minutes(name),
        warn_before_minutes=target.warn_before_minutes,
        started_at=now,
    )
    return _run_from(clock, now, calendars)


def pause(clock: Clock, now: datetime, calendars: Calendars) -> Clock:
    if not clock.running or clock.met_at is not None:
        return clock
    used = _used(clock, now, calendars)
    return replace(
        clock, elapsed=used, running_since=None, due_at=None, warn_at=None, pauses=clock.pauses + 1
    )


def resume(clock: Clock, now: datetime, calendars: Calendars) -> Clock:
    if clock.running or clock.met_at is not None:
        return clock
    return _run_from(clock, now, calendars)


def meet(clock: Clock, now: datetime, calendars: Calendars) -> Clock:
    if clock.met_at is not None:
        return clock
    return replace(
        clock,
        elapsed=_used(clock, now, calendars),
        running_since=None,
        due_at=None,
        warn_at=None,
        met_at=now,
    )


def reopen(clock: Clock, now: datetime, calendars: Calendars) -> Clock:
    """A met clock that counts again from where it stopped (resolution after a reopen)."""
    if clock.met_at is None:
        return clock
    return _run_from(replace(clock, met_at=None), now, calendars)


def retarget(clock: Clock, target: Target, calendars: Calendars) -> Clock:
    """The same clock measured against another priority's target, counted from its start."""
    if clock.met_at is not None:
        return clock
    changed = replace(
        clock,
        calendar=target.calendar,
        target_minutes=target.minutes(clock.name),
        warn_before_minutes=target.warn_before_minutes,
    )
    if not changed.running:
        return changed
    assert changed.running_since is not None
    return _run_from(changed, changed.running_since, calendars)


def _used(clock: Clock, now: datetime, calendars: Calendars) -> timedelta:
    if clock.running_since is None:
        return clock.elapsed
    return clock.elapsed + calendars[clock.calendar].between(clock.running_since, now)


def _run_from(clock: Clock, since: datetime, calendars: Calendars) -> Clock:
    calendar = calendars[clock.calendar]
    target = timedelta(minutes=clock.target_minutes)
    remaining = max(target - clock.elapsed, timedelta(0))
    warn_ahead = max(remaining - timedelta(minutes=clock.warn_before_minutes), timedelta(0))
    return replace(
        clock,
        running_since=since,
        due_at=calendar.add(since, remaining),
        warn_at=calendar.add(since, warn_ahead) if clock.warned_at is None else clock.warn_at,
    )


@dataclass(frozen=True)
class TicketSla:
    priority: Priority
    policy_version: int
    clocks: dict[ClockName, Clock]
    scope: Scope = field(default_factory=Scope)

    def next_moment(self) -> datetime | None:
        moments = [m for c in self.clocks.values() if (m := c.next_moment()) is not None]
        return min(moments, default=None)

    @property
    def breached(self) -> bool:
        return any(c.breached_at is not None for c in self.clocks.values())

    @property
    def warned(self) -> bool:
        return any(c.warned_at is not None and c.met_at is None for c in self.clocks.values())

    def with_clock(self, clock: Clock) -> "TicketSla":
        return replace(self, clocks={**self.clocks, clock.name: clock})


def open_clocks(
    priority: Priority,
    policy: Policy,
    now: datetime,
    calendars: Calendars,
    scope: Scope | None = None,
) -> TicketSla:
    """A new ticket starts its first-response and resolution clocks."""
    scope = scope or Scope()
    target = policy.target(priority, scope)
    return TicketSla(
        priority=priority,
        policy_version=policy.version,
        scope=scope,
        clocks={
            name: start(name, target, now, calendars)
            for name in (ClockName.FIRST_RESPONSE, ClockName.RESOLUTION)
        },
    )


@dataclass(frozen=True)
class Change:
    """What happened to a ticket, as far as its clocks are concerned."""

    before_status: Status
    after_status: Status
    before_priority: Priority
    after_priority: Priority
    agent_replied: bool = False
    requester_replied: bool = False


def advance(
    sla: TicketSla, change: Change, policy: Policy, now: datetime, calendars: Calendars
) -> TicketSla:
    """The clocks after a change: priority first, then status, then who replied."""
    if change.after_priority != change.before_priority:
        target = policy.target(change.after_priority, sla.scope)
        sla = TicketSla(
            priority=change.after_priority,
            policy_version=policy.version,
            scope=sla.scope,
            clocks={n: retarget(c, target, calendars) for n, c in sla.clocks.items()},
        )
    sla = _on_status(sla, change, policy, now, calendars)
    if change.agent_replied:
        for name in (ClockName.FIRST_RESPONSE, ClockName.NEXT_RESPONSE):
            if name in sla.clocks:
                sla = sla.with_clock(meet(sla.clocks[name], now, calendars))
    if change.requester_replied and _awaits_next_response(sla):
        target = policy.target(sla.priority, sla.scope)
        sla = sla.with_clock(start(ClockName.NEXT_RESPONSE, target, now, calendars))
        if _waits(change.after_status, policy):
            sla = sla.with_clock(pause(sla.clocks[ClockName.NEXT_RESPONSE], now, calendars))
    return sla


def _awaits_next_response(sla: TicketSla) -> bool:
    """A requester's message restarts the next-response clock once an agent has answered."""
    first = sla.clocks.get(ClockName.FIRST_RESPONSE)
    following = sla.clocks.get(ClockName.NEXT_RESPONSE)
    answered = first is not None and first.met_at is not None
    return answered and (following is None or following.met_at is not None)


def _waits(status: Status, policy: Policy) -> bool:
    return status == Status.PENDING or (status == Status.ON_HOLD and policy.pause_on_hold)


def _on_status(
    sla: TicketSla, change: Change, policy: Policy, now: datetime, calendars: Calendars
) -> TicketSla:
    before, after = change.before_status, change.after_status
    if before == after:
        return sla
    clocks = dict(sla.clocks)
    if after in (Status.RESOLVED, Status.CLOSED):
        # Resolving answers the requester too: every clock still counting is met.
        clocks = {n: meet(c, now, calendars) for n, c in clocks.items()}
    elif before == Status.RESOLVED:
        resolution = clocks.get(ClockName.RESOLUTION)
        if resolution is not None:
            clocks[ClockName.RESOLUTION] = reopen(resolution, now, calendars)
    if after not in (Status.RESOLVED, Status.CLOSED):
        if _waits(after, policy):
            clocks = {n: pause(c, now, calendars) for n, c in clocks.items()}
        elif _waits(before, policy) or before == Status.RESOLVED:
            clocks = {n: resume(c, now, calendars) for n, c in clocks.items()}
    return replace(sla, clocks=clocks)


@dataclass(frozen=True)
class Due:
    clock: ClockName
    kind: str  # "warning" | "breach"


def due_now(sla: TicketSla, now: datetime) -> list[Due]:
    """What the sweep must act on at `now`; empty when the index entry was stale."""
    found: list[Due] = []
    for clock in sla.clocks.values():
        if not clock.running:
            continue
        if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
            found.append(Due(clock.name, "warning"))
        if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
            found.append(Due(clock.name, "breach"))
    return found


def record(sla: TicketSla, due: list[Due], now: datetime) -> TicketSla:
    """Mark what was acted on, so that a repeated sweep never acts twice."""
    for item in due:
        clock = sla.clocks[item.clock]
        if item.kind == "warning":
            clock = replace(clock, warned_at=now)
        else:
            # A breach also stands for its warning: no warning after the fact.
            clock = replace(clock, breached_at=now, warned_at=clock.warned_at or now)
        sla = sla.with_clock(clock)
    return sla


def _phase(clock: Clock | None) -> str | None:
    if clock is None:
        return None
    if clock.met_at is not None:
        return "met"
    return "running" if clock.running else "paused"


def transitions(before: TicketSla | None, after: TicketSla | None) -> dict[str, str]:
    """Clocks that started, paused, resumed or were met by a change, for its audit event."""
    if after is None:
        return {}
    moved: dict[str, str] = {}
    for name, clock in after.clocks.items():
        old = _phase(before.clocks.get(name) if before else None)
        new = _phase(clock)
        restarted = (
            before is not None
            and name in before.clocks
            and (clock.started_at != before.clocks[name].started_at)
        )
        if old is None or restarted:
            moved[name.value] = "started"
        elif old != new:
            moved[name.value] = "resumed" if (old, new) == ("paused", "running") else str(new)
    return moved


def view(sla: TicketSla, now: datetime, calendars: Calendars) -> dict[str, object]:
    """The SLA as the API shows it: per clock its due moment, state and business minutes."""
    shown: dict[str, object] = {"policy": sla.priority.value, "policy_version": sla.policy_version}
    for name, clock in sla.clocks.items():
        used = _used(clock, now, calendars) if clock.met_at is None else clock.elapsed
        elapsed = int(used.total_seconds() // 60)
        shown[name.value] = {
            "state": clock.state(now),
            "due_at": clock.due_at,
            "elapsed_minutes": elapsed,
            "remaining_minutes": clock.target_minutes - elapsed,
            "target_minutes": clock.target_minutes,
            "breached": clock.breached_at is not None
            or (clock.due_at is not None and now >= clock.due_at),
            "met_at": clock.met_at,
            "pauses": clock.pauses,
        }
    return shown
