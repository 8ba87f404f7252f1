"""The inbound-silence rule (domain.silence): quiet in business time, against usual volume."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.calendar import BusinessCalendar, fixed_holidays, parse_week
from chalicelib.domain.silence import (
    DEFAULT_THRESHOLD_HOURS,
    MAX_THRESHOLD_HOURS,
    MIN_EXPECTED_MAILS,
    WINDOW_DAYS,
    silence,
    threshold_of,
    usual_rate,
)

# Monday to Friday 09:00–17:00 in Amsterdam; 2026-12-25 (a Friday) is a holiday.
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = BusinessCalendar(
    "Europe/Amsterdam", parse_week(WEEKDAYS), fixed_holidays([date(2026, 12, 25)])
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def busy(last: datetime, per_day: int) -> dict[date, int]:
    """`per_day` mails on each of the window's days up to the last mail."""
    end = last.date()
    return {end - timedelta(days=i): per_day for i in range(WINDOW_DAYS)}


# 40 mails a day, 20 business days in four weeks, 8 hours a day: 7 an hour, 28 in 4 hours.
LAST = at("2026-11-24T10:00:00+01:00")  # a Tuesday morning
BUSY = busy(LAST, 40)


def test_given_a_busy_tenant_quiet_for_its_threshold_in_business_hours_then_it_is_silent():
    found = silence(LAST + timedelta(hours=4), LAST, BUSY, OFFICE, 4)
    assert found is not None
    assert found.quiet_hours == 4
    assert found.expected >= MIN_EXPECTED_MAILS


def test_given_a_busy_tenant_quiet_for_less_than_its_threshold_then_it_is_not_silent():
    assert silence(LAST + timedelta(hours=3, minutes=59), LAST, BUSY, OFFICE, 4) is None


def test_given_the_night_then_it_does_not_count_as_quiet():
    last = at("2026-11-24T16:00:00+01:00")
    days = busy(last, 40)
    # 16:00 to 09:00 the next morning is one business hour.
    assert silence(at("2026-11-25T09:00:00+01:00"), last, days, OFFICE, 4) is None
    # Three business hours into the next day makes four.
    found = silence(at("2026-11-25T12:00:00+01:00"), last, days, OFFICE, 4)
    assert found is not None and found.quiet_hours == 4


def test_given_a_weekend_then_monday_morning_is_not_silent():
    last = at("2026-11-27T16:30:00+01:00")  # Friday afternoon
    days = busy(last, 40)
    assert silence(at("2026-11-30T10:00:00+01:00"), last, days, OFFICE, 4) is None
    assert silence(at("2026-11-30T12:30:00+01:00"), last, days, OFFICE, 4) is not None


def test_given_a_holiday_then_it_does_not_count_as_quiet():
    last = at("2026-12-24T16:00:00+01:00")  # Thursday; Friday is Christmas, then a weekend
    days = busy(last, 40)
    assert silence(at("2026-12-28T11:00:00+01:00"), last, days, OFFICE, 4) is None
    assert silence(at("2026-12-28T12:00:00+01:00"), last, days, OFFICE, 4) is not None


def test_given_a_quiet_tenant_then_its_usual_silence_is_not_reported():
    # Two mails a day: in 4 business hours one would expect 1, so none is unremarkable.
    days = busy(LAST, 2)
    assert silence(LAST + timedelta(days=1), LAST, days, OFFICE, 4) is None


def test_given_a_tenant_that_never_received_mail_then_it_is_not_silent():
    assert silence(LAST, None, {}, OFFICE, 4) is None


def test_given_a_threshold_of_zero_then_the_check_is_off():
    assert silence(LAST + timedelta(days=2), LAST, BUSY, OFFICE, 0) is None


def test_given_a_longer_threshold_then_fewer_mails_a_day_make_a_tenant_busy_enough():
    days = busy(LAST, 4)  # 0.7 an hour: 2.8 expected in 4 hours, 5.6 in 8
    assert silence(LAST + timedelta(days=1), LAST, days, OFFICE, 4) is None
    assert silence(LAST + timedelta(days=1), LAST, days, OFFICE, 8) is not None


def test_given_the_usual_rate_then_it_is_mails_per_business_hour_up_to_the_last_mail():
    # 20 business days of 8 hours, minus the 7 hours after 10:00 on the last day.
    hours = 20 * 8 - 7
    assert usual_rate(BUSY, LAST, OFFICE) == pytest.approx(40 * WINDOW_DAYS / hours)
    # Mail after the last mail's day, or before the window, does not count.
    later = {**BUSY, LAST.date() + timedelta(days=3): 999, date(2026, 1, 1): 999}
    assert usual_rate(later, LAST, OFFICE) == usual_rate(BUSY, LAST, OFFICE)


def test_given_a_long_silence_then_the_usual_volume_is_still_the_one_before_it():
    later = LAST + timedelta(days=14)
    found = silence(later, LAST, BUSY, OFFICE, 4)
    assert found is not None
    assert found.expected == silence(LAST + timedelta(hours=5), LAST, BUSY, OFFICE, 4).expected


@pytest.mark.parametrize(
    ("settings", "hours"),
    [
        ({}, DEFAULT_THRESHOLD_HOURS),
        ({"inbound_silence_hours": 8}, 8),
        ({"inbound_silence_hours": 0}, 0),
        ({"inbound_silence_hours": -3}, 0),
        ({"inbound_silence_hours": 10_000}, MAX_THRESHOLD_HOURS),
        ({"inbound_silence_hours": "8"}, DEFAULT_THRESHOLD_HOURS),
        ({"inbound_silence_hours": True}, DEFAULT_THRESHOLD_HOURS),
    ],
)
def test_given_the_tenant_setting_then_the_threshold_is_it_within_bounds(settings, hours):
    assert threshold_of(settings) == hours
