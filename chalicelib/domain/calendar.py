"""Business calendars: add business time to an instant, measure business time between two.

The definition every function here answers to: a UTC instant is business time iff its wall-clock
time in the calendar's timezone falls inside one of the `[start, end)` intervals of its local
weekday, and its local date is not a holiday. DST follows from that definition: on the
spring-forward day the skipped hour is simply never a wall-clock time, and on the fall-back day
the repeated hour is two distinct stretches of UTC time that both count.

How it stays exact and fast: between two UTC-offset transitions the local wall clock is UTC
plus a constant, so business time there is plain arithmetic on naive wall-clock time. Every
instant is an integer count of microseconds, so nothing rounds, and whole weeks are counted at
once instead of walked day by day.
"""

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALWAYS_OPEN",
    "DAY_NAMES",
    "NO_HOLIDAYS",
    "BusinessCalendar",
    "Calendar",
    "HolidaySource",
    "fixed_holidays",
    "format_week",
    "holiday_source",
    "parse_week",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Week = Mapping[int, Sequence[tuple[time, time]]]


class Calendar(Protocol):
    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> timedelta: ...


class HolidaySource(Protocol):
    """The holiday dates that fall in one calendar year."""

    def __call__(self, year: int) -> Set[date]: ...


# --- integer time ------------------------------------------------------------------------
# Instants are microseconds since 0001-01-01T00:00 (UTC for instants, wall clock for local
# times). Day 0 of that count is a Monday, so `day % 7` is the weekday without a date object.

_US = 1_000_000
_DAY = 86_400 * _US
_WEEK = 7 * _DAY
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
# "No business time at all within 5 years": leap days included, so never short of 5 years.
_HORIZON = 5 * 366 * _DAY


def _to_us(moment: datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _td_us(amount: timedelta) -> int:
    return (amount.days * 86_400 + amount.seconds) * _US + amount.microseconds


def _time_us(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US + moment.microsecond


# --- 24x7 --------------------------------------------------------------------------------


class _AlwaysOpen:
    """Every instant is business time."""

    def add(self, start: datetime, amount: timedelta) -> datetime:
        # Through the integer count, not `start + amount`: Python adds a timedelta to an aware
        # datetime on its wall clock, which is wrong by an hour across a DST change.
        here = _to_us(start, "start")
        if amount < timedelta(0):
            raise ValueError(f"amount must not be negative, got {amount}")
        return _from_us(here + _td_us(amount))

    def between(self, start: datetime, end: datetime) -> timedelta:
        # Likewise `end - start` ignores the offsets when both share one tzinfo.
        return timedelta(microseconds=_to_us(end, "end") - _to_us(start, "start"))

    def __repr__(self) -> str:
        return "ALWAYS_OPEN"


ALWAYS_OPEN: Calendar = _AlwaysOpen()


# --- holidays ----------------------------------------------------------------------------


class _FixedHolidays:
    def __init__(self, dates: Iterable[date]) -> None:
        self._by_year: dict[int, frozenset[date]] = {}
        for day in dates:
            self._by_year[day.year] = self._by_year.get(day.year, frozenset()) | {day}

    def __call__(self, year: int) -> frozenset[date]:
        return self._by_year.get(year, frozenset())

    def __repr__(self) -> str:
        return f"fixed_holidays({sorted(d for ds in self._by_year.values() for d in ds)})"


def fixed_holidays(dates: Iterable[date]) -> HolidaySource:
    """A source with exactly these dates: the tenant's own list, and tests."""
    return _FixedHolidays(dates)


NO_HOLIDAYS: HolidaySource = _FixedHolidays(())


class _CountryHolidays:
    def __init__(
        self,
        country: str | None,
        subdivision: str | None,
        extra: Iterable[date],
        exclude: Iterable[date],
        load: Callable[[int], Iterable[date]] | None,
    ) -> None:
        self._label = f"{country}/{subdivision}" if subdivision else str(country)
        self._load = load
        self._extra = _FixedHolidays(extra)
        self._exclude = frozenset(exclude)
        self._cache: dict[int, frozenset[date]] = {}

    def __call__(self, year: int) -> frozenset[date]:
        cached = self._cache.get(year)
        if cached is None:
            public = self._load(year) if self._load else ()
            # An observed holiday can move into a neighbouring year (New Year's Day on a
            # Saturday is observed on 31 December); keep only what falls in the asked year.
            dates = {day for day in public if day.year == year} | self._extra(year)
            cached = self._cache[year] = frozenset(dates - self._exclude)
        return cached

    def __repr__(self) -> str:
        return f"holiday_source({self._label})"


def holiday_source(
    country: str | None,
    subdivision: str | None = None,
    extra: Iterable[date] = (),
    exclude: Iterable[date] = (),
) -> HolidaySource:
    """Public holidays of a country (and subdivision) from the `holidays` package, plus
    `extra` dates, minus `exclude` dates. Raises ValueError for an unknown country or
    subdivision."""
    if country is None:
        if subdivision is not None:
            raise ValueError(f"subdivision {subdivision!r} given without a country")
        return _CountryHolidays(None, None, extra, exclude, None)
    # The package costs ~60 ms to import: only calendars that name a country pay for it,
    # and never at `import app`.
    import holidays

    code = country.strip().upper()
    try:
        holidays.country_holidays(code, subdiv=subdivision)
    except NotImplementedError:
        supported = holidays.list_supported_countries()
        if code not in supported:
            raise ValueError(f"unknown holiday country {country!r}") from None
        known = ", ".join(supported[code]) or "none"
        raise ValueError(
            f"unknown subdivision {subdivision!r} of holiday country {code} (known: {known})"
        ) from None

    def load(year: int) -> Iterable[date]:
        return holidays.country_holidays(code, subdiv=subdivision, years=year).keys()

    return _CountryHolidays(code, subdivision, extra, exclude, load)


# --- timezone offsets --------------------------------------------------------------------
# zoneinfo has no public list of transitions, so they are found by sampling the UTC offset and
# bisecting where it changes. Sampling every 6 hours cannot miss a change: since 1970 no zone
# in the tz database has two offset changes less than 6 days apart.

_BLOCK = 365 * _DAY
_SAMPLE = 6 * 3600 * _US


def _offset_us(zone: ZoneInfo, us: int) -> int:
    local = zone.fromutc((_EPOCH + timedelta(microseconds=us)).replace(tzinfo=zone))
    offset = local.utcoffset()
    assert offset is not None
    return _td_us(offset)


@lru_cache(maxsize=512)
def _transitions(key: str, block: int) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """The offset at the start of one block of UTC time, then the instants in the block where
    the offset changes and the offset from each of them on."""
    zone = ZoneInfo(key)
    lo, hi = block * _BLOCK, (block + 1) * _BLOCK
    first = _offset_us(zone, lo)
    times: list[int] = []
    offsets: list[int] = []
    before, current = lo, first
    for step in range(lo + _SAMPLE, hi + _SAMPLE, _SAMPLE):
        sample = min(step, hi)  # the last sample is the block's end
        after = _offset_us(zone, sample)
        left = before
        # Offsets change on whole seconds; bisect in seconds until the change is pinned.
        while after != current:
            a, b = left // _US, sample // _US
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_us(zone, mid * _US) == current:
                    a = mid
                else:
                    b = mid
            left = b * _US
            current = _offset_us(zone, left)
            if left < hi:
                times.append(left)
                offsets.append(current)
        before = sample
    return first, tuple(times), tuple(offsets)


def _pieces(key: str, start: int, end: int | None) -> Iterator[tuple[int, int, int]]:
    """`(from, to, offset)` pieces covering [start, end) in which the UTC offset is constant,
    none longer than a block; endless when `end` is None."""
    here = start
    while end is None or here < end:
        block = here // _BLOCK
        offset, times, offsets = _transitions(key, block)
        i = bisect_right(times, here)
        if i:
            offset = offsets[i - 1]
        stop = times[i] if i < len(times) else (block + 1) * _BLOCK
        if end is not None:
            stop = min(stop, end)
        yield here, stop, offset
        here = stop


# --- the business calendar ---------------------------------------------------------------


def _check_day(name: str, intervals: Sequence[tuple[time, time]]) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for interval in intervals:
        if len(interval) != 2:
            raise ValueError(f"{name}: an interval is a (start, end) pair, got {interval!r}")
        start, end = interval
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"{name}: interval bounds must be times, got {interval!r}")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{name}: interval times are wall-clock times, without a timezone")
        a = _time_us(start)
        b = _time_us(end) or _DAY  # an end of 00:00 is midnight at the end of the day
        if a >= b:
            raise ValueError(
                f"{name}: interval {_fmt(start, False)}-{_fmt(end, True)} ends before it starts"
            )
        spans.append((a, b))
    spans.sort()
    for (a1, b1), (a2, b2) in pairwise(spans):
        if a2 < b1:
            raise ValueError(
                f"{name}: intervals {_fmt_us(a1)}-{_fmt_us(b1)} and {_fmt_us(a2)}-{_fmt_us(b2)}"
                " overlap"
            )
    return tuple(spans)


class BusinessCalendar:
    """Business hours per weekday in one timezone, minus holidays."""

    def __init__(self, timezone: str, week: Week, holidays: HolidaySource) -> None:
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {timezone!r}") from None
        self.timezone = timezone
        unknown = set(week) - set(range(7))
        if unknown:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(unknown)}")
        self._days = tuple(_check_day(DAY_NAMES[d], week.get(d, ())) for d in range(7))
        self.week: dict[int, tuple[tuple[time, time], ...]] = {
            d: tuple((_us_time(a), _us_time(b)) for a, b in self._days[d]) for d in range(7)
        }
        self._day_total = tuple(sum(b - a for a, b in spans) for spans in self._days)
        self._week_total = sum(self._day_total)
        self._holidays = holidays
        # Holidays as day numbers for the years [_first_year, _last_year] loaded so far, kept
        # contiguous so "is this day loaded" is two comparisons.
        self._first_year = 0
        self._last_year = -1
        self._loaded_lo = 0
        self._loaded_hi = 0
        self._holiday_days: set[int] = set()
        self._holiday_sorted: list[int] = []

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.timezone!r}, {format_week(self.week)}, {self._holidays!r})"

    # -- the Calendar protocol --

    def add(self, start: datetime, amount: timedelta) -> datetime:
        if amount < timedelta(0):
            raise ValueError(f"amount must not be negative, got {amount}")
        here = _to_us(start, "start")
        remaining = _td_us(amount)
        if not remaining:
            return start.astimezone(UTC)
        if not self._week_total:
            raise ValueError("the calendar has no business hours on any weekday")
        quiet_since = here
        for lo, hi, offset in _pieces(self.timezone, here, None):
            available = self._local_between(lo + offset, hi + offset)
            if available >= remaining:
                return _from_us(self._local_add(lo + offset, remaining) - offset)
            remaining -= available
            if available:
                quiet_since = hi
            elif hi - quiet_since > _HORIZON:
                raise ValueError(
                    f"the calendar has no business time from {_from_us(quiet_since).isoformat()}"
                    " for 5 years (holidays everywhere?)"
                )
        raise AssertionError("unreachable: the pieces never end")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        lo, hi = _to_us(start, "start"), _to_us(end, "end")
        sign = 1
        if hi < lo:
            lo, hi, sign = hi, lo, -1
        total = sum(
            self._local_between(a + offset, b + offset)
            for a, b, offset in _pieces(self.timezone, lo, hi)
        )
        return timedelta(microseconds=sign * total)

    # -- wall-clock arithmetic (naive local microseconds) --

    def _local_between(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return 0
        first, start = divmod(lo, _DAY)
        last, end = divmod(hi, _DAY)
        if first == last:
            return self._partial(first, start, end)
        total = self._partial(first, start, _DAY)
        if end:
            total += self._partial(last, 0, end)
        # Whole days first+1 .. last-1: whole weeks at once, the rest one by one, then take
        # back what the holidays among them would have given.
        day = first + 1
        weeks = (last - day) // 7
        total += weeks * self._week_total
        day_total = self._day_total
        for d in range(day + 7 * weeks, last):
            total += day_total[d % 7]
        if last > day:
            self._load(day, last)
            i = bisect_left(self._holiday_sorted, day)
            j = bisect_left(self._holiday_sorted, last, i)
            for d in self._holiday_sorted[i:j]:
                total -= day_total[d % 7]
        return total

    def _partial(self, day: int, start: int, end: int) -> int:
        spans = self._days[day % 7]
        if not spans or self._is_holiday(day):
            return 0
        total = 0
        for a, b in spans:
            if b > start and a < end:
                total += min(b, end) - max(a, start)
        return total

    def _local_add(self, here: int, remaining: int) -> int:
        """The earliest wall-clock time with `remaining` business time since `here`; the
        caller has made sure it exists."""
        # Jump whole weeks while well short: each jump takes at most (weeks x a full week),
        # which leaves at least a week's worth, so the walk below always has work left.
        if self._week_total:
            while remaining > 2 * self._week_total:
                jump = (remaining // self._week_total - 1) * _WEEK
                remaining -= self._local_between(here, here + jump)
                here += jump
        day, start = divmod(here, _DAY)
        while True:
            spans = self._days[day % 7]
            if spans and not self._is_holiday(day):
                for a, b in spans:
                    if b <= start:
                        continue
                    begin = max(a, start)
                    if remaining <= b - begin:
                        return day * _DAY + begin + remaining
                    remaining -= b - begin
            day += 1
            start = 0

    # -- holidays by day number --

    def _is_holiday(self, day: int) -> bool:
        if not self._loaded_lo <= day < self._loaded_hi:
            self._load(day, day + 1)
        return day in self._holiday_days

    def _load(self, lo: int, hi: int) -> None:
        """Make sure the holidays of the days [lo, hi) are known."""
        if self._loaded_lo <= lo and hi <= self._loaded_hi:
            return
        first = date.fromordinal(lo + 1).year
        last = date.fromordinal(hi).year
        if self._last_year >= self._first_year:
            first = min(first, self._first_year)
            last = max(last, self._last_year)
        for year in range(first, last + 1):
            if not self._first_year <= year <= self._last_year:
                self._holiday_days.update(d.toordinal() - 1 for d in self._holidays(year))
        self._holiday_sorted = sorted(self._holiday_days)
        # The loaded range last: a calendar shared between threads never claims days whose
        # holidays are not in place yet.
        self._first_year, self._last_year = first, last
        self._loaded_lo = date(first, 1, 1).toordinal() - 1
        self._loaded_hi = date(last, 12, 31).toordinal()


# --- the API shape of a week -------------------------------------------------------------

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _us_time(us: int) -> time:
    if us >= _DAY:
        return time(0, 0)
    seconds, micro = divmod(us, _US)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def _fmt_us(us: int) -> str:
    return _fmt(_us_time(us), us >= _DAY)


def _fmt(moment: time, is_end: bool) -> str:
    if is_end and moment == time(0, 0):
        return "24:00"
    text = f"{moment.hour:02d}:{moment.minute:02d}"
    if moment.second or moment.microsecond:
        text += f":{moment.second:02d}"
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text


def _parse_time(day: str, text: object, is_end: bool) -> time:
    if isinstance(text, str):
        if is_end and text == "24:00":
            return time(0, 0)
        match = _HHMM.fullmatch(text)
        if match:
            return time(int(match[1]), int(match[2]))
    allowed = '"HH:MM" (00:00-23:59, or 24:00 as an end)' if is_end else '"HH:MM" (00:00-23:59)'
    raise ValueError(f"{day}: {'end' if is_end else 'start'} {text!r} is not {allowed}")


def parse_week(
    doc: Mapping[str, Sequence[Sequence[str]]],
) -> dict[int, tuple[tuple[time, time], ...]]:
    """`{"mon": [["08:30", "17:30"]], …, "sun": []}` to weekday number → intervals.
    A day left out is closed."""
    unknown = [name for name in doc if name not in DAY_NAMES]
    if unknown:
        raise ValueError(f"unknown day {unknown[0]!r}: days are {', '.join(DAY_NAMES)}")
    week: dict[int, tuple[tuple[time, time], ...]] = {}
    for number, name in enumerate(DAY_NAMES):
        intervals = doc.get(name, ())
        if isinstance(intervals, str) or not isinstance(intervals, Sequence):
            raise ValueError(f"{name}: expected a list of [start, end] pairs")
        parsed: list[tuple[time, time]] = []
        for interval in intervals:
            if (
                isinstance(interval, str)
                or not isinstance(interval, Sequence)
                or len(interval) != 2
            ):
                raise ValueError(f"{name}: an interval is a [start, end] pair, got {interval!r}")
            parsed.append(
                (_parse_time(name, interval[0], False), _parse_time(name, interval[1], True))
            )
        _check_day(name, parsed)
        week[number] = tuple(sorted(parsed, key=lambda pair: pair[0]))
    return week


def format_week(week: Week) -> dict[str, list[list[str]]]:
    """Weekday number → intervals back to the API shape, every day present, 24:00 for an end
    at midnight."""
    return {
        name: [[_fmt(start, False), _fmt(end, True)] for start, end in week.get(number, ())]
        for number, name in enumerate(DAY_NAMES)
    }
