"""Builds the services the handlers call, once per Lambda container."""

from datetime import UTC, datetime
from functools import cache

from chalicelib.adapters.dynamo.directory import DynamoDirectory
from chalicelib.adapters.dynamo.tickets import DynamoTickets
from chalicelib.services.tickets import TicketService
from chalicelib.settings import get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def ticket_service() -> TicketService:
    settings = get_settings()
    return TicketService(
        DynamoTickets(settings.table_name),
        DynamoDirectory(settings.table_name),
        clock=utc_now,
        idempotency_hours=settings.idempotency_hours,
    )
