"""Business-calendar arithmetic: `add` and `between` per second on an office calendar.

The SLA sweep and every ticket change call these, so they are timed on what a tenant really
has: Mon–Fri 08:30–12:00 + 13:00–17:30 in Europe/Amsterdam with Dutch public holidays, over
three-day spans starting anywhere in a year (nights, weekends, holidays and both DST changes
included). `python -m bench.calendar_ops` prints the figures alone.
"""

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any

from chalicelib.domain.calendar import BusinessCalendar, holiday_source

OPERATIONS = 20_000
SPAN = timedelta(days=3)
# Three business days of this calendar (8 hours each): a P3 resolution target.
AMOUNT = timedelta(hours=24)
WEEK = {d: [(clock(8, 30), clock(12, 0)), (clock(13, 0), clock(17, 30))] for d in range(5)}


def _ops_per_second(run: Callable[[datetime], object], starts: list[datetime]) -> float:
    began = time.perf_counter()
    for start in starts:
        run(start)
    return round(len(starts) / (time.perf_counter() - began))


def measure(operations: int = OPERATIONS, seed: int = 20261123) -> dict[str, Any]:
    calendar = BusinessCalendar("Europe/Amsterdam", WEEK, holiday_source("NL", None, [], []))
    rng = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    # Second-aligned starts spread over the year, like `now` in the sweep.
    starts = [year + timedelta(seconds=rng.randrange(365 * 86_400)) for _ in range(operations)]

    def add(start: datetime) -> object:
        return calendar.add(start, AMOUNT)

    def between(start: datetime) -> object:
        return calendar.between(start, start + SPAN)

    # Warm-up fills the per-year holiday and DST-transition caches, as the first call in a
    # warm Lambda would; the timings are then the steady state.
    for start in starts[:100]:
        add(start)
        between(start)
    return {
        "calendar": "Europe/Amsterdam Mon-Fri 08:30-12:00+13:00-17:30, NL holidays",
        "operations": operations,
        "add_ops_per_s": _ops_per_second(add, starts),
        "add_amount_hours": AMOUNT / timedelta(hours=1),
        "between_ops_per_s": _ops_per_second(between, starts),
        "between_span_days": SPAN / timedelta(days=1),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
