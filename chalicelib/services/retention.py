"""Retention: closed tickets are deleted, with their files, after the tenant's months.

What the reports count is kept in their own records, so the statistics outlive the tickets;
what a requester wrote does not outlive the tenant's retention period (GDPR: storage
limitation). Raw mail expires sooner and for every tenant alike, by the bucket's lifecycle.
"""

import calendar
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.tickets import Record, Ticket, files_of
from chalicelib.observability import logger
from chalicelib.services.ports import FileStore


class ClosedTickets(Protocol):
    def closed_before(self, tenant: str, cutoff: datetime) -> Iterator[Ticket]: ...

    def records(self, tenant: str, number: int) -> list[Record]: ...

    def purge(self, tenant: str, number: int) -> int: ...


def months_before(moment: datetime, months: int) -> datetime:
    """The same day `months` calendar months earlier (the last day, if that month is short)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def purge_expired(
    tickets: ClosedTickets, files: FileStore, tenants: Iterable[dict[str, Any]], now: datetime
) -> dict[str, int]:
    """Delete every ticket closed longer ago than its tenant keeps them; counts per tenant."""
    purged: dict[str, int] = {}
    for tenant in tenants:
        months = tenant.get("retention_months")
        if not months:
            continue  # kept until the tenant sets a period
        tenant_id = tenant["tenant"]
        cutoff = months_before(now, months)
        for ticket in tickets.closed_before(tenant_id, cutoff):
            if ticket.closed_at is None or ticket.closed_at > cutoff:
                continue
            # Files first: should the purge stop halfway, the ticket is still there to find.
            for key in files_of(tickets.records(tenant_id, ticket.number)):
                files.delete(key)
            tickets.purge(tenant_id, ticket.number)
            purged[tenant_id] = purged.get(tenant_id, 0) + 1
        if purged.get(tenant_id):
            logger.info(
                "retention: closed tickets deleted",
                extra={"tenant": tenant_id, "count": purged[tenant_id], "months": months},
            )
    return purged
