"""Every role rule of the ticket API, in one place. Services call these; handlers never do."""

from collections.abc import Iterable
from enum import StrEnum

from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.kb import Article, ArticleStatus, ArticleVisibility
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tickets import Status, Ticket, Visibility


class Action(StrEnum):
    FILE_FOR_OTHERS = "file_for_others"  # requester_email, priority, group, assignee, channel
    UPDATE_TICKET = "update_ticket"
    WRITE_INTERNAL = "write_internal"
    READ_INTERNAL = "read_internal"
    LOG_TIME = "log_time"
    ESCALATE = "escalate"
    READ_AUDIT = "read_audit"
    MANAGE_API_KEYS = "manage_api_keys"
    READ_SLA = "read_sla"
    WRITE_SLA = "write_sla"
    ONBOARD_TENANTS = "onboard_tenants"
    BACKFILL_METRICS = "backfill_metrics"  # count a tenant's pre-metrics tickets (operators)
    MANAGE_PERSONAL_DATA = "manage_personal_data"  # GDPR access and erasure of a requester
    WORK_QUEUES = "work_queues"  # the agent workspace: queues and their counts
    READ_LIVE_COUNTS = "read_live_counts"  # the supervisor's live counts of open work
    READ_RULES = "read_rules"  # routing and automation rules
    WRITE_RULES = "write_rules"
    MANAGE_WEBHOOKS = "manage_webhooks"
    READ_CATALOG = "read_catalog"
    MANAGE_CATALOG = "manage_catalog"
    WORK_PROBLEMS = "work_problems"  # root-cause analysis, linking incidents, mass resolution
    DECIDE_ANY_APPROVAL = "decide_any_approval"  # besides the approver the service names
    USE_MACROS = "use_macros"  # list and render macros, keep personal ones
    MANAGE_SHARED_MACROS = "manage_shared_macros"
    READ_ANNOUNCEMENTS = "read_announcements"
    READ_PAST_ANNOUNCEMENTS = "read_past_announcements"
    WRITE_ANNOUNCEMENTS = "write_announcements"
    READ_REPORTS = "read_reports"  # metrics of the whole helpdesk, per group and per agent
    READ_KB_INTERNAL = "read_kb_internal"  # agents-only articles, drafts and archived ones
    WRITE_KB = "write_kb"  # create, edit, publish, archive and delete articles
    DRAFT_FROM_TICKET = "draft_from_ticket"  # a resolved ticket's answer as a draft article
    UPLOAD_ATTACHMENT = "upload_attachment"  # a file on a ticket the caller may see
    MANAGE_WATCHERS = "manage_watchers"  # copy anyone known to the tenant on a ticket
    MANAGE_TENANT_SETTINGS = "manage_tenant_settings"  # the own tenant's name, locale, days…


_MINIMUM_ROLE: dict[Action, Role] = {
    Action.FILE_FOR_OTHERS: Role.AGENT,
    Action.UPDATE_TICKET: Role.AGENT,
    Action.WRITE_INTERNAL: Role.AGENT,
    Action.READ_INTERNAL: Role.AGENT,
    Action.LOG_TIME: Role.AGENT,
    Action.ESCALATE: Role.AGENT,
    Action.READ_AUDIT: Role.AGENT,
    Action.MANAGE_API_KEYS: Role.ADMIN,
    Action.READ_SLA: Role.AGENT,
    Action.WRITE_SLA: Role.SUPERVISOR,
    Action.ONBOARD_TENANTS: Role.OPERATOR,
    Action.BACKFILL_METRICS: Role.OPERATOR,
    Action.MANAGE_PERSONAL_DATA: Role.ADMIN,
    Action.WORK_QUEUES: Role.AGENT,
    Action.READ_LIVE_COUNTS: Role.SUPERVISOR,
    Action.READ_RULES: Role.SUPERVISOR,
    Action.WRITE_RULES: Role.SUPERVISOR,
    Action.MANAGE_WEBHOOKS: Role.ADMIN,
    Action.READ_CATALOG: Role.REQUESTER,
    Action.MANAGE_CATALOG: Role.ADMIN,
    Action.WORK_PROBLEMS: Role.AGENT,
    Action.DECIDE_ANY_APPROVAL: Role.SUPERVISOR,
    Action.USE_MACROS: Role.AGENT,
    Action.MANAGE_SHARED_MACROS: Role.SUPERVISOR,
    Action.READ_ANNOUNCEMENTS: Role.REQUESTER,
    Action.READ_PAST_ANNOUNCEMENTS: Role.SUPERVISOR,
    Action.WRITE_ANNOUNCEMENTS: Role.SUPERVISOR,
    Action.READ_REPORTS: Role.SUPERVISOR,
    Action.READ_KB_INTERNAL: Role.AGENT,
    Action.WRITE_KB: Role.SUPERVISOR,
    Action.DRAFT_FROM_TICKET: Role.AGENT,
    Action.UPLOAD_ATTACHMENT: Role.REQUESTER,
    Action.MANAGE_WATCHERS: Role.AGENT,
    Action.MANAGE_TENANT_SETTINGS: Role.ADMIN,
}

# Ticket fields only staff see: routing and internal classification.
INTERNAL_FIELDS = frozenset(
    {"assignee", "group", "tier", "tags", "problem", "time_spent_minutes", "rca"}
)

# A requester's own moves: reopen a resolved ticket, or confirm it by closing it.
_REQUESTER_MOVES = {(Status.RESOLVED, Status.OPEN), (Status.RESOLVED, Status.CLOSED)}


def allows(principal: Principal, action: Action) -> bool:
    return principal.role.at_least(_MINIMUM_ROLE[action])


def require(principal: Principal, action: Action) -> None:
    if not allows(principal, action):
        raise Forbidden(f"Your role ({principal.role.value}) may not do this.")


def check_can_see(principal: Principal, ticket: Ticket) -> None:
    """Another tenant's or another requester's ticket does not exist for the caller."""
    if ticket.tenant != principal.tenant:
        raise NotFound(f"Ticket {ticket.number} does not exist.")
    if not principal.is_staff and ticket.requester.email != (principal.email or "").lower():
        raise NotFound(f"Ticket {ticket.number} does not exist.")


def check_can_file(principal: Principal, staff_fields: Iterable[str]) -> None:
    fields = sorted(staff_fields)
    if fields and not allows(principal, Action.FILE_FOR_OTHERS):
        raise Forbidden(f"Requesters cannot set: {', '.join(fields)}.")


def check_can_update(principal: Principal, ticket: Ticket, fields: dict[str, object]) -> None:
    if allows(principal, Action.UPDATE_TICKET):
        return
    target = fields.get("status")
    if set(fields) == {"status"} and (ticket.status, target) in _REQUESTER_MOVES:
        return
    raise Forbidden("Requesters may only reopen or close their resolved tickets.")


def check_can_rate(principal: Principal, ticket: Ticket) -> None:
    """Only the person helped says how it went: not staff, not an integration."""
    if principal.kind != "user" or ticket.requester.email != (principal.email or "").lower():
        raise Forbidden("Only the requester of a ticket rates it.")


def check_can_write(principal: Principal, visibility: Visibility) -> None:
    if visibility == Visibility.INTERNAL:
        require(principal, Action.WRITE_INTERNAL)


def visible_messages(principal: Principal) -> frozenset[Visibility]:
    if allows(principal, Action.READ_INTERNAL):
        return frozenset(Visibility)
    return frozenset({Visibility.PUBLIC})


def hidden_fields(principal: Principal) -> frozenset[str]:
    return frozenset() if allows(principal, Action.READ_INTERNAL) else INTERNAL_FIELDS


# --- knowledge base -------------------------------------------------------------------------


def readable_articles(principal: Principal | None) -> frozenset[ArticleVisibility]:
    """Visibilities a caller reads: anyone (no sign-in) public articles, requesters also
    the tenant's requester articles, staff all."""
    if principal is None:
        return frozenset({ArticleVisibility.PUBLIC})
    if allows(principal, Action.READ_KB_INTERNAL):
        return frozenset(ArticleVisibility)
    return frozenset({ArticleVisibility.PUBLIC, ArticleVisibility.REQUESTERS})


def check_can_read_article(principal: Principal | None, tenant: str, article: Article) -> None:
    """An article the caller may not read does not exist for them (404, never 403)."""
    hidden = (
        article.tenant != tenant
        or article.visibility not in readable_articles(principal)
        or (
            article.status != ArticleStatus.PUBLISHED
            and not (principal is not None and allows(principal, Action.READ_KB_INTERNAL))
        )
    )
    if hidden:
        raise NotFound(f"Article {article.id} does not exist.")
