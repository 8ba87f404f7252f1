"""The retention period in calendar months."""

from datetime import UTC, datetime

import pytest

from chalicelib.services.retention import months_before


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 11, 25, 3, tzinfo=UTC), 24, datetime(2024, 11, 25, 3, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 3, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 0, datetime(2026, 1, 15, tzinfo=UTC)),
    ],
)
def test_given_a_moment_then_the_cutoff_is_the_same_day_months_earlier(moment, months, expected):
    assert months_before(moment, months) == expected
