"""The `make run` ticker that runs the SLA sweep every minute, with a scripted sweep."""

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from local.schedules import ScheduleTicker


class ScriptedSweep:
    """Fails on its first call, then reports one warning; signals after `calls` calls."""

    def __init__(self, calls: int) -> None:
        self.moments: list[datetime] = []
        self.reached = threading.Event()
        self._calls = calls

    def __call__(self, now: datetime) -> Mapping[str, Any]:
        self.moments.append(now)
        if len(self.moments) >= self._calls:
            self.reached.set()
        if len(self.moments) == 1:
            raise RuntimeError("moto went away for a moment")
        return {"tickets": 1, "warnings": 1, "breaches": 0, "items_read": 1}


def test_given_a_sweep_that_fails_once_when_the_ticker_runs_then_it_keeps_ticking(
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level("INFO", logger="balie.local.schedules")
    sweep = ScriptedSweep(calls=3)
    moment = datetime(2026, 11, 24, 10, tzinfo=UTC)
    ticker = ScheduleTicker(sweep, interval=0.01, clock=lambda: moment)

    ticker.start()
    reached = sweep.reached.wait(10)
    ticker.stop()

    assert reached
    assert ticker.failures == 1
    assert sweep.moments[:3] == [moment] * 3
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert any(level == "ERROR" and "failed" in text for level, text in records)
    assert any(level == "INFO" and "'warnings': 1" in text for level, text in records)


def test_given_a_ticker_waiting_for_its_next_minute_when_stopped_then_it_ends_at_once():
    sweep = ScriptedSweep(calls=1)
    ticker = ScheduleTicker(sweep, interval=3600)
    ticker.start()
    assert sweep.reached.wait(10)  # the first tick runs at once, then it waits an hour

    ticker.stop(timeout=5)

    assert not ticker.running
    assert len(sweep.moments) == 1
