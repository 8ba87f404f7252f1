"""The composition root: builds the services that routes, workers and local/ call, once per
Lambda container. The only module that picks adapters for the services' ports."""

from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING

from chalicelib.adapters import files
from chalicelib.adapters import notifications as notification_queue
from chalicelib.adapters.cognito import Accounts
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.catalog import DynamoCatalog
from chalicelib.adapters.dynamo.directory import DynamoDirectory
from chalicelib.adapters.dynamo.kb import DynamoKnowledgeBase
from chalicelib.adapters.dynamo.mail_log import DynamoMailLog
from chalicelib.adapters.dynamo.problems import DynamoProblems
from chalicelib.adapters.dynamo.rules import DynamoGroups, DynamoLanguages, DynamoRules
from chalicelib.adapters.dynamo.sla_settings import DynamoSlaSettings
from chalicelib.adapters.dynamo.tenants import DynamoTenants
from chalicelib.adapters.dynamo.tickets import DynamoTickets
from chalicelib.adapters.dynamo.uploads import DynamoUploads
from chalicelib.adapters.dynamo.users import DynamoPeople
from chalicelib.domain.uploads import UploadLimits
from chalicelib.services.approvals import ApprovalService
from chalicelib.services.attachments import AttachmentService
from chalicelib.services.catalog import Catalog
from chalicelib.services.catalog import sla_overrides as catalog_sla_overrides
from chalicelib.services.gdpr import GdprService
from chalicelib.services.kb import KnowledgeBase
from chalicelib.services.problems import ProblemService
from chalicelib.services.rules import RuleService
from chalicelib.services.sla import SlaSettings
from chalicelib.services.sla_sweep import SlaSweep
from chalicelib.services.survey import Survey
from chalicelib.services.tickets import TicketService
from chalicelib.services.workspace import Workspace
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.services.announcements import AnnouncementService
    from chalicelib.services.inbound_mail import InboundMail
    from chalicelib.services.inbound_silence import InboundWatch
    from chalicelib.services.macros import MacroService
    from chalicelib.services.mail_feedback import MailFeedback
    from chalicelib.services.metrics import MetricsRecorder, Reports, Timezones
    from chalicelib.services.metrics_backfill import MetricsBackfill
    from chalicelib.services.notify import Notifications
    from chalicelib.services.recurring import RecurringIncidents
    from chalicelib.services.tenant_settings import TenantSettingsService
    from chalicelib.services.unsubscribe import UnsubscribeService
    from chalicelib.services.watchers import WatcherService
    from chalicelib.services.webhooks import WebhookDeliverer, WebhookFanout, WebhookService


def utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def sla_settings() -> SlaSettings:
    table = get_settings().table_name
    return SlaSettings(
        DynamoSlaSettings(table),
        service_targets=partial(catalog_sla_overrides, DynamoCatalog(table)),
    )


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
        rules=rule_service(),
        catalog=catalog(),
    )


@cache
def rule_service() -> RuleService:
    settings = get_settings()
    return RuleService(
        DynamoRules(settings.table_name),
        DynamoGroups(settings.table_name),
        DynamoDirectory(settings.table_name),
        DynamoLanguages(tenants()),
        sla_settings(),
        clock=utc_now,
        portal_url=settings.portal_url,
    )


@cache
def gdpr_service() -> GdprService:
    # The ticket repository also reads the requester index, the records and the profiles.
    from chalicelib.adapters.dynamo.watchers import DynamoWatchers

    return GdprService(
        ticket_service().tickets,
        Accounts(),
        files,
        clock=utc_now,
        watchers=DynamoWatchers(get_settings().table_name),
        people=DynamoPeople(),
    )


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
    from chalicelib.adapters.dynamo.announcements import DynamoAnnouncements
    from chalicelib.adapters.dynamo.watchers import DynamoWatchers
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
        watchers=DynamoWatchers(settings.table_name),
        announcements=DynamoAnnouncements(settings.table_name),
        enqueue=notification_queue.enqueue,
    )


@cache
def attachment_service() -> AttachmentService:
    settings = get_settings()
    return AttachmentService(
        ticket_service(),
        files,
        DynamoUploads(settings.table_name),
        UploadLimits(settings.upload_max_bytes, settings.upload_max_per_ticket),
        clock=utc_now,
    )


@cache
def survey() -> Survey:
    return Survey(ticket_service(), tenants(), clock=utc_now)


@cache
def workspace() -> Workspace:
    return Workspace(ticket_service().tickets, DynamoDirectory(get_settings().table_name))


# Webhooks (docs/webhooks.md). The HTTP client and resolver are imported by the factories:
# only the delivery worker calls out, and registration only resolves names.


@cache
def webhook_service() -> "WebhookService":
    from chalicelib.adapters import webhook_http, webhook_queue
    from chalicelib.adapters.dynamo.webhooks import DynamoWebhooks
    from chalicelib.services.webhooks import WebhookService

    settings = get_settings()
    return WebhookService(
        DynamoWebhooks(settings.table_name),
        webhook_http.resolve,
        webhook_queue.enqueue,
        clock=utc_now,
        allow_loopback=settings.webhooks_allow_loopback,
    )


@cache
def webhook_fanout() -> "WebhookFanout":
    from chalicelib.adapters import webhook_queue
    from chalicelib.adapters.dynamo.webhooks import DynamoWebhooks
    from chalicelib.services.webhooks import WebhookFanout

    return WebhookFanout(
        DynamoWebhooks(get_settings().table_name), webhook_queue.enqueue, clock=utc_now
    )


@cache
def webhook_deliverer() -> "WebhookDeliverer":
    from chalicelib.adapters import webhook_http, webhook_queue
    from chalicelib.adapters.dynamo.webhooks import DynamoWebhooks
    from chalicelib.services.webhooks import WebhookDeliverer

    settings = get_settings()
    return WebhookDeliverer(
        DynamoWebhooks(settings.table_name),
        webhook_http.resolve,
        webhook_http.post,
        webhook_queue.enqueue,
        notification_queue.enqueue,
        clock=utc_now,
        timeout=settings.webhooks_timeout_seconds,
        allow_loopback=settings.webhooks_allow_loopback,
    )


@cache
def catalog() -> Catalog:
    table = get_settings().table_name
    return Catalog(DynamoCatalog(table), DynamoDirectory(table), sla_settings(), clock=utc_now)


@cache
def problem_service() -> ProblemService:
    tickets = ticket_service().tickets
    return ProblemService(tickets, DynamoProblems(tickets), sla_settings(), clock=utc_now)


@cache
def approval_service() -> ApprovalService:
    return ApprovalService(ticket_service().tickets, tenants(), sla_settings(), clock=utc_now)


@cache
def macro_service() -> "MacroService":
    from chalicelib.adapters.dynamo.macros import DynamoMacros
    from chalicelib.services.macros import MacroService

    settings = get_settings()
    return MacroService(
        DynamoMacros(settings.table_name),
        ticket_service(),
        DynamoPeople(),
        tenants(),
        clock=utc_now,
        portal_url=settings.portal_url,
    )


@cache
def announcement_service() -> "AnnouncementService":
    from chalicelib.adapters.dynamo.announcements import DynamoAnnouncements
    from chalicelib.services.announcements import AnnouncementService

    return AnnouncementService(
        DynamoAnnouncements(get_settings().table_name),
        tenants(),
        clock=utc_now,
        mailings=notification_queue.enqueue,
    )


# Report metrics (docs/metrics.md): counted by the stream consumer, read by the report.


@cache
def timezones() -> "Timezones":
    from chalicelib.services.metrics import Timezones

    return Timezones(tenants().get)


@cache
def metrics_recorder() -> "MetricsRecorder":
    from chalicelib.adapters.dynamo.metrics import DynamoMetrics
    from chalicelib.services.metrics import MetricsRecorder

    return MetricsRecorder(DynamoMetrics(get_settings().table_name), sla_settings(), timezones())


@cache
def reports() -> "Reports":
    from chalicelib.adapters.dynamo.metrics import DynamoMetrics
    from chalicelib.services.metrics import Reports

    return Reports(DynamoMetrics(get_settings().table_name), timezones())


@cache
def kb_service() -> KnowledgeBase:
    return KnowledgeBase(
        DynamoKnowledgeBase(get_settings().table_name),
        ticket_service(),
        tenant_exists=lambda tenant: tenants().get(tenant) is not None,
        clock=utc_now,
    )


@cache
def recurring_incidents() -> "RecurringIncidents":
    from chalicelib.adapters.dynamo.recurring import DynamoRecurring
    from chalicelib.services.recurring import Limits, RecurringIncidents

    settings = get_settings()
    return RecurringIncidents(
        DynamoRecurring(settings.table_name),
        ticket_service(),
        problem_service(),
        clock=utc_now,
        limits=Limits(
            window_days=settings.recurring_window_days,
            min_incidents=settings.recurring_min_incidents,
            max_read=settings.recurring_max_read,
        ),
    )


# --- operations (docs/operations.md) ---------------------------------------------------------


@cache
def inbound_watch() -> "InboundWatch":
    from chalicelib.adapters.dynamo.inbound_log import DynamoInboundLog
    from chalicelib.services.inbound_silence import InboundWatch

    return InboundWatch(DynamoInboundLog(get_settings().table_name), tenants().all, sla_settings())


@cache
def metrics_backfill() -> "MetricsBackfill":
    from chalicelib.adapters.dynamo.backfill import DynamoBackfillSource
    from chalicelib.adapters.dynamo.metrics import DynamoMetrics
    from chalicelib.services.metrics_backfill import MetricsBackfill

    table = get_settings().table_name
    return MetricsBackfill(DynamoBackfillSource(table), DynamoMetrics(table), metrics_recorder())


@cache
def watcher_service() -> "WatcherService":
    from chalicelib.adapters.dynamo.watchers import DynamoWatchers
    from chalicelib.services.watchers import WatcherService

    return WatcherService(
        ticket_service(),
        DynamoWatchers(get_settings().table_name),
        DynamoPeople(),
        tenants(),
        clock=utc_now,
    )


@cache
def unsubscribe_service() -> "UnsubscribeService":
    from chalicelib.services.unsubscribe import UnsubscribeService

    return UnsubscribeService(tenants(), DynamoPeople(), watcher_service())


@cache
def tenant_settings() -> "TenantSettingsService":
    from chalicelib.services.tenant_settings import TenantSettingsService

    return TenantSettingsService(tenants(), clock=utc_now, on_change=_forget_tenant_pages)


def _forget_tenant_pages(tenant: str) -> None:
    """The pages keep a tenant's settings a minute per container (web/views.py); after a
    change this container shows the new ones at once, others within that minute."""
    from chalicelib.web import views

    views.forget_tenant_settings(tenant)


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
        survey,
        workspace,
        rule_service,
        webhook_service,
        webhook_fanout,
        webhook_deliverer,
        catalog,
        problem_service,
        approval_service,
        macro_service,
        announcement_service,
        timezones,
        metrics_recorder,
        reports,
        kb_service,
        recurring_incidents,
        inbound_watch,
        metrics_backfill,
        watcher_service,
        unsubscribe_service,
        tenant_settings,
    ):
        factory.cache_clear()
