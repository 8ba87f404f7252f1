"""The composition root: builds the services that routes, workers and local/ call, once per
Lambda container. The only module that picks adapters for the services' ports."""

from datetime import UTC, datetime
from functools import cache

from chalicelib.adapters.cognito import Accounts
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.directory import DynamoDirectory
from chalicelib.adapters.dynamo.sla_settings import DynamoSlaSettings
from chalicelib.adapters.dynamo.tenants import DynamoTenants
from chalicelib.adapters.dynamo.tickets import DynamoTickets
from chalicelib.services.gdpr import GdprService
from chalicelib.services.sla import SlaSettings
from chalicelib.services.sla_sweep import SlaSweep
from chalicelib.services.tickets import TicketService
from chalicelib.settings import get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def sla_settings() -> SlaSettings:
    return SlaSettings(DynamoSlaSettings(get_settings().table_name))


@cache
def tenants() -> DynamoTenants:
    return DynamoTenants(get_settings().table_name)


@cache
def sla_sweep() -> SlaSweep:
    return SlaSweep(ticket_service().tickets, sla_settings(), keys.SLA_SHARDS)


@cache
def ticket_service() -> TicketService:
    settings = get_settings()
    return TicketService(
        DynamoTickets(settings.table_name),
        DynamoDirectory(settings.table_name),
        sla_settings(),
        clock=utc_now,
        idempotency_hours=settings.idempotency_hours,
    )


@cache
def gdpr_service() -> GdprService:
    # The ticket repository also reads the requester index, the records and the profiles.
    return GdprService(ticket_service().tickets, Accounts(), clock=utc_now)
