"""The composition root: builds the services that routes, workers and local/ call, once per
Lambda container. The only module that picks adapters for the services' ports."""

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from chalicelib.adapters import files
from chalicelib.adapters import notifications as notification_queue
from chalicelib.adapters.cognito import Accounts
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.directory import DynamoDirectory
from chalicelib.adapters.dynamo.kb import DynamoKnowledgeBase
from chalicelib.adapters.dynamo.mail_log import DynamoMailLog
from chalicelib.adapters.dynamo.sla_settings import DynamoSlaSettings
from chalicelib.adapters.dynamo.tenants import DynamoTenants
from chalicelib.adapters.dynamo.tickets import DynamoTickets
from chalicelib.adapters.dynamo.users import DynamoPeople
from chalicelib.services.attachments import AttachmentService
from chalicelib.services.gdpr import GdprService
from chalicelib.services.kb import KnowledgeBase
from chalicelib.services.sla import SlaSettings
from chalicelib.services.sla_sweep import SlaSweep
from chalicelib.services.tickets import TicketService
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.services.inbound_mail import InboundMail
    from chalicelib.services.mail_feedback import MailFeedback
    from chalicelib.services.notify import Notifications


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
    return GdprService(ticket_service().tickets, Accounts(), files, clock=utc_now)


# The mail services are imported by their factories: parsing and rendering mail needs nh3,
# flufl.bounce and Jinja2, which the HTTP API's cold start should not pay for.


@cache
def inbound_mail() -> "InboundMail":
    from chalicelib.services.inbound_mail import InboundMail, Limits

    settings = get_settings()
    return InboundMail(
        ticket_service(),
        tenants(),
        DynamoPeople(),
        files,
        notification_queue,
        Limits(settings.mail_max_file_bytes, settings.mail_max_message_bytes),
        clock=utc_now,
    )


@cache
def mail_feedback() -> "MailFeedback":
    from chalicelib.services.mail_feedback import MailFeedback

    return MailFeedback(tenants(), DynamoPeople(), clock=utc_now)


@cache
def notifications() -> "Notifications":
    from chalicelib.adapters.mail.mailer import PermanentSendFailure, SesMailer
    from chalicelib.services.notify import Notifications

    settings = get_settings()
    return Notifications(
        ticket_service().tickets,
        tenants(),
        DynamoPeople(),
        SesMailer(),
        DynamoMailLog(settings.table_name),
        clock=utc_now,
        portal_url=settings.portal_url,
        automatic_per_hour=settings.mail_automatic_per_hour,
        attachment_limits=(settings.mail_max_file_bytes, settings.mail_max_message_bytes),
        permanent_failure=PermanentSendFailure,
    )


@cache
def attachment_service() -> AttachmentService:
    return AttachmentService(ticket_service(), files)


@cache
def kb_service() -> KnowledgeBase:
    return KnowledgeBase(
        DynamoKnowledgeBase(get_settings().table_name),
        ticket_service(),
        tenant_exists=lambda tenant: tenants().get(tenant) is not None,
        clock=utc_now,
    )


def reset() -> None:
    """Forget every service built so far (tests change settings and clients between runs)."""
    for factory in (
        sla_settings,
        tenants,
        sla_sweep,
        ticket_service,
        gdpr_service,
        inbound_mail,
        mail_feedback,
        notifications,
        attachment_service,
        kb_service,
    ):
        factory.cache_clear()
