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
    MANAGE_PERSONAL_DATA = "manage_personal_data"  # GDPR access and erasure of a requester
    READ_KB_INTERNAL = "read_kb_internal"  # agents-only articles, drafts and archived ones
    WRITE_KB = "write_kb"  # create, edit, publish, archive and delete articles
    DRAFT_FROM_TICKET = "draft_from_ticket"  # a resolved ticket's answer as a draft article


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
    Action.MANAGE_PERSONAL_DATA: Role.ADMIN,
    Action.READ_KB_INTERNAL: Role.AGENT,
    Action.WRITE_KB: Role.SUPERVISOR,
    Action.DRAFT_FROM_TICKET: Role.AGENT,
}

# Ticket fields only staff see: routing and internal classification.
INTERNAL_FIELDS = frozenset({"assignee", "group", "tier", "tags", "problem", "time_spent_minutes"})

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
