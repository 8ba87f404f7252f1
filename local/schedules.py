"""The schedules of infra/ on the laptop: moto never fires EventBridge rules, so a thread does.

As `rate(1 minute)` does in AWS, the ticker runs one SLA sweep a minute as of the real UTC
now, calling the same service the Lambda handler calls.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger("balie.local.schedules")

Sweep = Callable[[datetime], Mapping[str, Any]]

INTERVAL_SECONDS = 60.0
# Counters of a summary that report work done rather than something that happened to a ticket.
_READ_COUNTERS = frozenset({"items_read"})


def load_sweep() -> Sweep:
    """The app's `sweep(now)`, imported on first use so that its settings see the stack's env."""
    from chalicelib.workers.sla_tick import sweep

    return sweep


def acted(summary: Mapping[str, Any]) -> bool:
    """Whether a sweep changed anything: reading the due index alone is not news."""
    return any(
        isinstance(value, int) and value > 0
        for key, value in summary.items()
        if key not in _READ_COUNTERS
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


class ScheduleTicker:
    """Runs `sweep(now)` at once and then every `interval` seconds until `stop()`."""

    def __init__(
        self,
        sweep: Sweep,
        *,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sweep = sweep
        self.name = "sla-sweep"
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.failures = 0

    def tick(self) -> Mapping[str, Any] | None:
        """One sweep as of the clock's now; None when it failed (the failure is logged)."""
        now = self._clock()
        self.ticks += 1
        try:
            summary = self._sweep(now)
        except Exception:
            # A Lambda invocation that fails is retried by the next minute's; so is this one.
            self.failures += 1
            logger.exception("SLA sweep as of %s failed; the next tick tries again", now)
            return None
        if acted(summary):
            logger.info("SLA sweep as of %s: %s", now.isoformat(), dict(summary))
        else:
            logger.debug("SLA sweep as of %s: nothing due (%s)", now.isoformat(), dict(summary))
        return summary

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end after the sweep in hand, without waiting for it."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end and wait for a sweep in progress, up to `timeout` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        # Deadlines on the monotonic clock: a slow sweep does not push later ticks back, and a
        # wall-clock jump neither stalls the ticker nor fires a burst of ticks.
        next_tick = time.monotonic()
        while not self._stop.wait(max(0.0, next_tick - time.monotonic())):
            self.tick()
            next_tick += self._interval
            # Missed ticks (a sweep longer than the interval, a suspended laptop) are not
            # replayed: one sweep handles everything due up to its moment.
            next_tick = max(next_tick, time.monotonic())
