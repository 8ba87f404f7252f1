"""The business calendar against a brute-force reference that walks UTC minute by minute.

The reference restates the definition and nothing more: a UTC minute is business time iff its
wall-clock time in the zone (`datetime.fromtimestamp`) is inside an interval of its local
weekday and its local date is not a holiday. Every drawn calendar, zone offset and instant is
minute-aligned, so a whole UTC minute is either business time or not.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import BusinessCalendar, fixed_holidays

ZONES = (
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Asia/Kolkata",  # +05:30, no DST
    "UTC",
)
# The 2026 DST transitions of the zones above, in UTC, and two other seams: instants are drawn
# around them so most spans cross one.
TRANSITIONS = tuple(
    datetime.fromisoformat(moment)
    for moment in (
        "2026-03-08T07:00:00+00:00",  # New York springs forward
        "2026-03-29T01:00:00+00:00",  # Amsterdam springs forward
        "2026-04-04T15:00:00+00:00",  # Lord Howe falls back 30 minutes
        "2026-10-03T15:30:00+00:00",  # Lord Howe springs forward 30 minutes
        "2026-10-25T01:00:00+00:00",  # Amsterdam falls back
        "2026-11-01T06:00:00+00:00",  # New York falls back
        "2026-12-31T23:00:00+00:00",  # a new year: holidays are loaded per year
        "2026-08-28T00:00:00+00:00",  # the calendar's cached offset blocks (365 days) meet here
    )
)
MAX_SPAN = 10 * 1440  # minutes
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    zone: str
    week: dict[int, list[tuple[int, int]]]  # weekday → [start, end) in minutes since midnight
    holidays: frozenset[date]
    start: datetime

    def calendar(self) -> BusinessCalendar:
        def as_time(minutes: int) -> time:
            return time(0, 0) if minutes == 1440 else time(minutes // 60, minutes % 60)

        week = {d: [(as_time(a), as_time(b)) for a, b in spans] for d, spans in self.week.items()}
        return BusinessCalendar(self.zone, week, fixed_holidays(self.holidays))

    def reference(self, minutes: int) -> list[bool]:
        """Whether each UTC minute from `start` on is business time."""
        open_minutes = bytearray(7 * 1440)
        for day, spans in self.week.items():
            for a, b in spans:
                open_minutes[day * 1440 + a : day * 1440 + b] = b"\x01" * (b - a)
        zone = ZoneInfo(self.zone)
        first = self.start.timestamp()
        flags = []
        for i in range(minutes):
            local = datetime.fromtimestamp(first + 60 * i, zone)
            minute_of_week = local.weekday() * 1440 + local.hour * 60 + local.minute
            flags.append(bool(open_minutes[minute_of_week]) and local.date() not in self.holidays)
        return flags


def _day() -> st.SearchStrategy[list[tuple[int, int]]]:
    # Sorted distinct minute marks paired up: 0–3 non-overlapping intervals, 24:00 as an end.
    marks = st.lists(st.integers(0, 1440), unique=True, max_size=6).map(sorted)
    paired = marks.map(lambda m: [(m[i], m[i + 1]) for i in range(0, len(m) - 1, 2)])
    return st.one_of(paired, st.just([(0, 1440)]), st.just([]))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES))
    week = {d: draw(_day()) for d in range(7)}
    anchor = draw(st.sampled_from(TRANSITIONS))
    start = anchor + timedelta(minutes=draw(st.integers(-MAX_SPAN, 2 * 1440)))
    # Holidays near the span, so they matter: local dates differ from UTC ones by a day at most.
    offsets = draw(st.sets(st.integers(-1, 11), max_size=4))
    holidays = frozenset(start.date() + timedelta(days=k) for k in offsets)
    return Case(zone, week, holidays, start)


spans = st.integers(0, MAX_SPAN).map(lambda m: timedelta(minutes=m))


@SETTINGS
@given(cases(), spans)
def test_given_random_calendars_when_between_then_it_counts_the_reference_minutes(case, span):
    flags = case.reference(span // timedelta(minutes=1))

    measured = case.calendar().between(case.start, case.start + span)

    assert measured == timedelta(minutes=sum(flags))


@SETTINGS
@given(cases(), spans, st.data())
def test_given_random_calendars_when_adding_then_it_stops_at_the_reference_minute(case, span, data):
    flags = case.reference(span // timedelta(minutes=1))
    calendar = case.calendar()
    end = case.start + span
    business = [i for i, flag in enumerate(flags) if flag]
    amount = data.draw(st.integers(0, len(business)), label="business minutes")

    reached = calendar.add(case.start, timedelta(minutes=amount))
    within = calendar.add(case.start, calendar.between(case.start, end))

    # The instant right after the amount-th business minute; the start itself for nothing.
    expected = case.start + timedelta(minutes=business[amount - 1] + 1 if amount else 0)
    assert reached == expected
    assert reached.tzinfo is UTC
    assert within <= end


@SETTINGS
@given(
    cases(),
    st.timedeltas(timedelta(0), timedelta(days=60)),
    st.integers(0, 59_999_999),
)
def test_given_random_calendars_when_adding_then_between_gives_the_amount_back(
    case, amount, microseconds
):
    # Off the minute grid on purpose: exactness to the microsecond of the inputs.
    start = case.start + timedelta(microseconds=microseconds)
    calendar = case.calendar()
    assume(any(case.week.values()))

    later = calendar.add(start, amount)

    assert later >= start
    assert calendar.between(start, later) == amount


@SETTINGS
@given(cases(), st.timedeltas(-timedelta(days=30), timedelta(days=30)))
def test_given_any_two_instants_when_swapped_then_between_changes_sign(case, shift):
    calendar = case.calendar()
    other = case.start + shift

    forward = calendar.between(case.start, other)

    assert calendar.between(other, case.start) == -forward
    if other < case.start:
        assert forward <= timedelta(0)
    else:
        assert forward >= timedelta(0)


@pytest.mark.parametrize("zone", ZONES)
def test_given_a_closed_week_when_adding_then_it_refuses_instead_of_looping(zone):
    calendar = BusinessCalendar(zone, {}, fixed_holidays(()))

    with pytest.raises(ValueError, match="no business hours"):
        calendar.add(TRANSITIONS[0], timedelta(minutes=1))
