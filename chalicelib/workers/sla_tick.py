"""The SLA schedule's entrypoint: one sweep of the due index."""

from datetime import datetime
from typing import Any

from chalicelib.observability import logger
from chalicelib.wiring import sla_sweep


def sweep(now: datetime) -> dict[str, Any]:
    """One sweep as if it were `now` (the schedule passes the real time, `make sla-tick` any)."""
    report = sla_sweep().run(now).as_dict()
    if report["tickets"]:
        logger.info("sla sweep", extra=report)
    return report
