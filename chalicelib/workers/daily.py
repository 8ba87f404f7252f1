"""The daily schedule's entrypoint: housekeeping that is due once a day."""

from datetime import datetime
from typing import Any

from chalicelib.adapters import files
from chalicelib.observability import logger
from chalicelib.services.auto_close import close_resolved
from chalicelib.services.recurring import detect_recurring
from chalicelib.services.retention import purge_expired
from chalicelib.wiring import recurring_incidents, tenants, ticket_service


def run(now: datetime) -> dict[str, Any]:
    closed = close_resolved(ticket_service(), tenants().all(), now)
    purged = purge_expired(ticket_service().tickets, files, tenants().all(), now)
    # After auto-close and retention, so the window holds the tickets as they stay.
    suggested = detect_recurring(recurring_incidents(), list(tenants().all()), now)
    logger.info(
        "daily housekeeping", extra={"closed": closed, "purged": purged, "suggested": suggested}
    )
    return {"closed": closed, "purged": purged, "suggested": suggested}
