from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.calendar import (
    ALWAYS_OPEN,
    NO_HOLIDAYS,
    BusinessCalendar,
    fixed_holidays,
    format_week,
    holiday_source,
    parse_week,
)

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = {d: [(time(8, 30), time(17, 30))] for d in range(5)}
LUNCH = {d: [(time(8, 30), time(12, 0)), (time(13, 0), time(17, 30))] for d in range(5)}
SUNDAY_24H = {6: [(time(0, 0), time(0, 0))]}


def ams(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMS)  # type: ignore[misc]


def office(holidays=NO_HOLIDAYS, week=OFFICE) -> BusinessCalendar:
    return BusinessCalendar("Europe/Amsterdam", week, holidays)


# --- add and between ---------------------------------------------------------------------


def test_given_friday_1700_when_adding_60_minutes_then_30_friday_and_30_monday():
    calendar = office()

    due = calendar.add(ams(2026, 11, 27, 17, 0), timedelta(minutes=60))

    assert due == ams(2026, 11, 30, 9, 0)
    assert due.tzinfo is UTC
    assert calendar.between(ams(2026, 11, 27, 17, 0), due) == timedelta(minutes=60)


def test_given_a_start_outside_hours_when_adding_then_the_clock_starts_at_opening():
    calendar = office()

    assert calendar.add(ams(2026, 11, 28, 11, 0), timedelta(minutes=15)) == ams(2026, 11, 30, 8, 45)
    assert calendar.add(ams(2026, 11, 30, 7, 0), timedelta(minutes=15)) == ams(2026, 11, 30, 8, 45)


def test_given_zero_when_adding_then_the_start_comes_back_even_outside_hours():
    saturday = ams(2026, 11, 28, 11, 0)

    assert office().add(saturday, timedelta(0)) == saturday


def test_given_a_lunch_break_when_adding_across_it_then_the_break_does_not_count():
    calendar = office(week=LUNCH)

    assert calendar.add(ams(2026, 11, 30, 11, 30), timedelta(minutes=60)) == ams(
        2026, 11, 30, 13, 30
    )
    assert calendar.between(ams(2026, 11, 30, 11, 0), ams(2026, 11, 30, 14, 0)) == timedelta(
        hours=2
    )
    assert calendar.between(ams(2026, 11, 30, 12, 10), ams(2026, 11, 30, 12, 50)) == timedelta(0)


def test_given_an_amount_that_ends_at_lunch_when_adding_then_it_is_due_at_lunch_not_after():
    calendar = office(week=LUNCH)

    assert calendar.add(ams(2026, 11, 30, 11, 30), timedelta(minutes=30)) == ams(
        2026, 11, 30, 12, 0
    )


def test_given_christmas_and_an_extra_day_off_when_adding_then_they_are_skipped():
    calendar = office(holiday_source("NL", None, extra=[date(2026, 12, 24)], exclude=[]))

    # Wed 23 Dec 17:00: 30 minutes that day, then 24 (extra), 25, 26 (NL) and the weekend.
    due = calendar.add(ams(2026, 12, 23, 17, 0), timedelta(minutes=60))

    assert due == ams(2026, 12, 28, 9, 0)
    assert calendar.between(ams(2026, 12, 23, 9, 0), ams(2026, 12, 29, 9, 0)) == timedelta(
        hours=8.5 + 9 + 0.5
    )


def test_given_new_years_day_when_adding_across_the_year_end_then_it_is_skipped():
    calendar = office(holiday_source("NL", None, extra=[], exclude=[]))

    # Thu 31 Dec 17:00: 30 minutes that day, Fri 1 Jan is New Year's Day, then the weekend.
    assert calendar.add(ams(2026, 12, 31, 17, 0), timedelta(minutes=60)) == ams(2027, 1, 4, 9, 0)


def test_given_an_excluded_holiday_when_adding_then_that_day_is_open_again():
    calendar = office(
        holiday_source("NL", None, extra=[date(2026, 12, 24)], exclude=[date(2026, 12, 25)])
    )

    assert calendar.add(ams(2026, 12, 23, 17, 0), timedelta(minutes=60)) == ams(2026, 12, 25, 9, 0)


def test_given_a_year_of_office_hours_when_measuring_then_nl_weekday_holidays_are_left_out():
    calendar = office(holiday_source("NL", None, extra=[], exclude=[]))

    # 2026 has 261 weekdays; 7 NL holidays fall on one (1 Jan, Good Friday, Easter Monday,
    # King's Day, Ascension, Whit Monday, Christmas Day).
    measured = calendar.between(ams(2026, 1, 1), ams(2027, 1, 1))

    assert measured == timedelta(hours=9) * (261 - 7)
    assert calendar.add(ams(2026, 1, 1), measured) == ams(2026, 12, 31, 17, 30)


def test_given_inputs_with_microseconds_when_measuring_then_nothing_is_rounded():
    calendar = office()
    start = ams(2026, 11, 30, 8, 29, 59, 999_999)

    assert calendar.between(start, ams(2026, 11, 30, 8, 30, 0, 1)) == timedelta(microseconds=1)
    assert calendar.add(ams(2026, 11, 30, 17, 29, 59, 999_999), timedelta(microseconds=2)) == ams(
        2026, 12, 1, 8, 30, 0, 1
    )


def test_given_end_before_start_when_measuring_then_the_result_is_negative():
    calendar = office()

    assert calendar.between(ams(2026, 12, 1, 9), ams(2026, 11, 30, 9)) == -timedelta(hours=9)


def test_given_inputs_in_any_timezone_when_adding_then_the_result_is_utc():
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 11, 27, 11, 0, tzinfo=new_york)  # 17:00 in Amsterdam

    due = office().add(start, timedelta(minutes=60))

    assert due == ams(2026, 11, 30, 9, 0)
    assert due.utcoffset() == timedelta(0)


# --- DST in Europe/Amsterdam -------------------------------------------------------------


def test_given_a_24h_sunday_when_the_clocks_spring_forward_then_the_day_has_23_hours():
    calendar = office(week=SUNDAY_24H)

    assert calendar.between(ams(2026, 3, 29), ams(2026, 3, 30)) == timedelta(hours=23)
    # 01:30 + 1 hour of business time: 02:00–03:00 never happens that night.
    assert calendar.add(ams(2026, 3, 29, 1, 30), timedelta(hours=1)) == ams(2026, 3, 29, 3, 30)


def test_given_a_24h_sunday_when_the_clocks_fall_back_then_the_day_has_25_hours():
    calendar = office(week=SUNDAY_24H)

    assert calendar.between(ams(2026, 10, 25), ams(2026, 10, 26)) == timedelta(hours=25)
    # 01:30 summer time + 2 hours is 02:30 winter time, the second 02:30 of the night.
    due = calendar.add(ams(2026, 10, 25, 1, 30), timedelta(hours=2))
    assert due == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert due.astimezone(AMS).fold == 1


def test_given_an_interval_over_the_changed_hour_when_measuring_then_it_shrinks_or_grows():
    calendar = office(week={6: [(time(1, 0), time(4, 0))]})

    assert calendar.between(ams(2026, 3, 29), ams(2026, 3, 30)) == timedelta(hours=2)
    assert calendar.between(ams(2026, 10, 25), ams(2026, 10, 26)) == timedelta(hours=4)


def test_given_office_hours_over_the_dst_weekend_then_opening_moves_an_hour_in_utc():
    calendar = office()

    before = calendar.add(ams(2026, 3, 20, 17, 0), timedelta(minutes=60))
    after = calendar.add(ams(2026, 3, 27, 17, 0), timedelta(minutes=60))

    assert before == datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert after == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST


# --- ALWAYS_OPEN -------------------------------------------------------------------------


def test_given_always_open_then_add_and_between_are_plain_arithmetic_in_utc():
    start = ams(2026, 10, 25, 1, 30)

    due = ALWAYS_OPEN.add(start, timedelta(hours=2))

    assert due == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert ALWAYS_OPEN.between(start, due) == timedelta(hours=2)
    assert ALWAYS_OPEN.between(due, start) == -timedelta(hours=2)
    # Both ends on the same zoneinfo: the elapsed time, not the wall-clock difference.
    assert ALWAYS_OPEN.between(ams(2026, 10, 25, 0, 0), ams(2026, 10, 26, 0, 0)) == timedelta(
        hours=25
    )


# --- holidays ----------------------------------------------------------------------------


def test_given_a_holiday_source_then_it_is_asked_once_per_year():
    asked: list[int] = []

    def source(year: int) -> frozenset[date]:
        asked.append(year)
        return frozenset()

    calendar = office(source)
    calendar.between(ams(2025, 12, 1), ams(2027, 2, 1))
    calendar.add(ams(2026, 6, 1), timedelta(hours=100))

    assert sorted(asked) == [2025, 2026, 2027]


def test_given_an_observed_holiday_in_the_previous_year_then_it_belongs_to_that_year():
    us = holiday_source("US", None, extra=[], exclude=[])

    # New Year's Day 2028 is a Saturday: observed on Friday 31 December 2027.
    assert date(2027, 12, 31) in us(2027)
    assert all(day.year == 2028 for day in us(2028))


def test_given_no_country_then_only_the_tenants_own_dates_are_holidays():
    source = holiday_source(None, None, extra=[date(2026, 12, 24)], exclude=[])

    assert source(2026) == {date(2026, 12, 24)}
    assert source(2027) == set()


def test_given_fixed_dates_then_each_year_gets_its_own():
    source = fixed_holidays([date(2026, 12, 31), date(2027, 1, 1)])

    assert source(2026) == {date(2026, 12, 31)}
    assert source(2027) == {date(2027, 1, 1)}
    assert source(2028) == set()


def test_given_a_lowercase_country_code_then_it_is_accepted():
    assert date(2026, 4, 27) in holiday_source("nl", None, extra=[], exclude=[])(2026)


@pytest.mark.parametrize(
    ("country", "subdivision", "message"),
    [
        ("XX", None, "unknown holiday country 'XX'"),
        ("NL", "ZZ", "unknown subdivision 'ZZ' of holiday country NL"),
        (None, "CA", "without a country"),
    ],
)
def test_given_an_unknown_country_or_subdivision_then_value_error(country, subdivision, message):
    with pytest.raises(ValueError, match=message):
        holiday_source(country, subdivision, extra=[], exclude=[])


def test_given_holidays_on_every_day_when_adding_then_it_refuses_instead_of_looping():
    def every_day(year: int) -> frozenset[date]:
        first = date(year, 1, 1)
        return frozenset(
            first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)
        )

    with pytest.raises(ValueError, match="5 years"):
        office(every_day).add(ams(2026, 1, 1), timedelta(minutes=1))


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "message"),
    [
        (
            {0: [(time(9), time(12)), (time(11), time(13))]},
            "mon: intervals 09:00-12:00 and 11:00-13:00 overlap",
        ),
        ({2: [(time(12), time(9))]}, "wed: interval 12:00-09:00 ends before it starts"),
        ({4: [(time(9), time(9))]}, "fri: interval 09:00-09:00 ends before it starts"),
        ({7: [(time(9), time(12))]}, r"weekdays are 0 \(Monday\) to 6 \(Sunday\)"),
        ({0: [(time(9), time(12, tzinfo=UTC))]}, "without a timezone"),
    ],
)
def test_given_an_invalid_week_then_value_error_names_the_problem(week, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("Europe/Amsterdam", week, NO_HOLIDAYS)


def test_given_touching_intervals_and_an_end_at_midnight_then_the_week_is_valid():
    calendar = BusinessCalendar(
        "Europe/Amsterdam", {0: [(time(12), time(0)), (time(8), time(12))]}, NO_HOLIDAYS
    )

    assert calendar.between(ams(2026, 11, 30), ams(2026, 12, 1)) == timedelta(hours=16)


def test_given_an_unknown_timezone_then_value_error():
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        BusinessCalendar("Mars/Olympus", OFFICE, NO_HOLIDAYS)


@pytest.mark.parametrize("calendar", [office(), ALWAYS_OPEN], ids=["business", "24x7"])
def test_given_naive_datetimes_or_a_negative_amount_then_value_error(calendar):
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add(datetime(2026, 11, 30, 9), timedelta(minutes=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.between(ams(2026, 11, 30, 9), datetime(2026, 11, 30, 10))
    with pytest.raises(ValueError, match="must not be negative"):
        calendar.add(ams(2026, 11, 30, 9), timedelta(minutes=-1))


def test_given_a_fixed_offset_start_then_it_is_accepted():
    start = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=1)))

    assert office().add(start, timedelta(minutes=5)) == ams(2026, 11, 30, 9, 5)


# --- the API shape -----------------------------------------------------------------------

API_WEEK = {
    "mon": [["08:30", "12:00"], ["13:00", "17:30"]],
    "tue": [["08:30", "17:30"]],
    "wed": [["08:30", "17:30"]],
    "thu": [["08:30", "17:30"]],
    "fri": [["08:30", "17:30"]],
    "sat": [],
    "sun": [["00:00", "24:00"]],
}


def test_given_the_api_shape_when_parsed_and_formatted_then_it_comes_back_unchanged():
    week = parse_week(API_WEEK)

    assert week[0] == ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30)))
    assert week[6] == ((time(0, 0), time(0, 0)),)
    assert format_week(week) == API_WEEK
    assert format_week(BusinessCalendar("UTC", week, NO_HOLIDAYS).week) == API_WEEK


def test_given_days_left_out_then_they_are_closed():
    assert parse_week({"mon": [["09:00", "17:00"]]})[6] == ()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"mo": []}, "unknown day 'mo'"),
        ({"tue": [["8:30", "17:30"]]}, "tue: start '8:30' is not"),
        ({"wed": [["08:30", "25:00"]]}, "wed: end '25:00' is not"),
        ({"thu": [["24:00", "24:00"]]}, "thu: start '24:00' is not"),
        ({"fri": [["08:30"]]}, "fri: an interval is a"),
        ({"sat": "08:30-17:30"}, "sat: expected a list"),
        ({"sun": [["17:30", "08:30"]]}, "sun: interval 17:30-08:30 ends before it starts"),
        ({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}, "mon: intervals .* overlap"),
    ],
)
def test_given_a_bad_api_week_then_value_error_names_the_day(doc, message):
    with pytest.raises(ValueError, match=message):
        parse_week(doc)
