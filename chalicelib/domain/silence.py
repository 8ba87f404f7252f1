"""Inbound silence: has a tenant that normally receives mail had none for too long?

The rule, in business time on the tenant's own calendar (hours and holidays), so that nights,
weekends and holidays never make a tenant look silent:

- **quiet**: the business time since the tenant's last inbound mail;
- **usual volume**: the mails of the `WINDOW_DAYS` days up to that last mail, per business
  hour of the same stretch (mails that came outside business hours count too: a desk that
  gets mail at night still gets it); measured before the silence began, so a long silence
  does not talk itself into being normal;
- a tenant is **silent** when quiet reaches its threshold (`threshold_hours`, a tenant
  setting; 0 switches the check off) and its usual volume would have brought at least
  `MIN_EXPECTED_MAILS` in that many business hours. With mail arriving at random at the usual
  rate, the chance of that many expected mails all staying away is e^-5, under 1%: a quiet
  tenant is a finding, not noise.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from chalicelib.domain.calendar import Calendar

DEFAULT_THRESHOLD_HOURS = 4
MAX_THRESHOLD_HOURS = 24 * 7
WINDOW_DAYS = 28
MIN_EXPECTED_MAILS = 5.0
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Silence:
    quiet_hours: float  # business hours since the last mail
    expected: float  # mails the usual volume brings in `threshold` business hours


def threshold_of(settings: Mapping[str, object]) -> int:
    """The tenant's threshold in business hours: its setting, else the default; 0 is off."""
    value = settings.get("inbound_silence_hours", DEFAULT_THRESHOLD_HOURS)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_THRESHOLD_HOURS
    return max(0, min(int(value), MAX_THRESHOLD_HOURS))


def usual_rate(days: Mapping[date, int], last_at: datetime, calendar: Calendar) -> float:
    """Mails per business hour over the `WINDOW_DAYS` days (UTC) that end with the last mail."""
    first = last_at.astimezone(UTC).date() - timedelta(days=WINDOW_DAYS - 1)
    mails = sum(n for day, n in days.items() if first <= day <= last_at.astimezone(UTC).date())
    hours = calendar.between(datetime.combine(first, time(), UTC), last_at) / _HOUR
    return mails / hours if hours > 0 else 0.0


def silence(
    now: datetime,
    last_at: datetime | None,
    days: Mapping[date, int],
    calendar: Calendar,
    threshold_hours: int,
) -> Silence | None:
    """The tenant's silence, or None when there is nothing to report."""
    if threshold_hours <= 0 or last_at is None or last_at >= now:
        return None
    quiet = calendar.between(last_at, now) / _HOUR
    if quiet < threshold_hours:
        return None
    expected = usual_rate(days, last_at, calendar) * threshold_hours
    if expected < MIN_EXPECTED_MAILS:
        return None
    return Silence(quiet_hours=round(quiet, 2), expected=round(expected, 1))
