"""The SLA schedule's entrypoint: one sweep of the due index, and once an hour the inbound
silence check (services/inbound_silence.py), which needs no schedule of its own."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from chalicelib.observability import gauge, logger
from chalicelib.settings import get_settings
from chalicelib.wiring import inbound_watch, sla_sweep


def sweep(now: datetime) -> dict[str, Any]:
    """One sweep as if it were `now` (the schedule passes the real time, `make sla-tick` any)."""
    report = sla_sweep().run(now).as_dict()
    if report["tickets"]:
        logger.info("sla sweep", extra=report)
    if now.minute == 0:
        report["silent_tenants"] = watch_inbound(now)
    return report


def watch_inbound(now: datetime) -> list[str] | None:
    """The silent tenants, published as one metric; None when the check itself failed, which
    must not cost the SLA sweep its run (logged as an error, which the dashboard lists)."""
    from chalicelib.services.inbound_silence import METRIC

    try:
        found = inbound_watch().check(now)
    except Exception:
        logger.exception("inbound silence check failed")
        return None
    if found:
        logger.warning("inbound silence", extra={"silent": [asdict(f) for f in found]})
        # Only when there is something to say: a custom metric bills each hour it gets data,
        # and an hour without data reads as "none silent" to the alarm (notBreaching).
        gauge(METRIC, len(found), get_settings().stage)
    return [f.tenant for f in found]
