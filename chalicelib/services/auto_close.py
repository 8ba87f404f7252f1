"""The daily job: resolved tickets the requester did not reopen close after the tenant's days."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Conflict, PreconditionFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Status
from chalicelib.services.tickets import TicketService

JOB = "auto-close"


def close_resolved(
    service: TicketService, tenants: Iterable[dict[str, Any]], now: datetime
) -> dict[str, int]:
    closed: dict[str, int] = {}
    for tenant in tenants:
        cutoff = now - timedelta(days=tenant.get("auto_close_days", 7))
        system = Principal.system(tenant["tenant"], JOB)
        for ticket in service.tickets.resolved_before(tenant["tenant"], cutoff):
            if ticket.resolved_at is None or ticket.resolved_at > cutoff:
                continue
            try:
                service.update(system, ticket.number, {"status": Status.CLOSED}, ticket.version)
            except (PreconditionFailed, Conflict):
                continue  # changed since the index was read: tomorrow's run decides again
            closed[tenant["tenant"]] = closed.get(tenant["tenant"], 0) + 1
    return closed
