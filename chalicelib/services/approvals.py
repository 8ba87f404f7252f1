"""Deciding a pending approval: in the API by the approver (or a supervisor), or by the
signed link mailed to the approver (domain.approvals).

Approving moves the ticket from `on_hold` to `open`, so work (and the SLA clocks) starts.
Rejecting resolves it with the approver's reason as a public message to the requester. Each
decision is one audited change of the ticket (`approval.decided`, plus `message.added` for
the reason), written conditioned on the version it was based on.
"""

from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain import approvals, permissions
from chalicelib.domain.approvals import Decision
from chalicelib.domain.errors import Conflict, Forbidden, Invalid, NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import (
    Channel,
    Message,
    Record,
    Status,
    Ticket,
    Visibility,
    diff,
    new_event,
    new_id,
)
from chalicelib.services.ports import Clock, VersionConflict
from chalicelib.services.sla import SlaSettings

_RETRIES = 5


class Tickets(Protocol):
    def get(self, tenant: str, number: int) -> Ticket | None: ...

    def save(self, ticket: Ticket, expected_version: int, records: list[Record]) -> None: ...


class TenantSettings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


def may_decide(principal: Principal, ticket: Ticket) -> bool:
    """Who decides an approval in Balie (API or workspace): the approver the service names,
    whatever their role, or any supervisor or admin of the tenant. A decided approval
    stays decided (domain.approvals.decide refuses a second decision)."""
    if ticket.tenant != principal.tenant:
        return False
    approver = (ticket.approval or {}).get("approver")
    own = principal.email is not None and principal.email.lower() == approver
    return own or permissions.allows(principal, Action.DECIDE_ANY_APPROVAL)


class ApprovalService:
    def __init__(
        self, tickets: Tickets, tenants: TenantSettings, sla: SlaSettings, clock: Clock
    ) -> None:
        self.tickets = tickets
        self.tenants = tenants
        self.sla = sla
        self.clock = clock

    def decide(self, principal: Principal, number: int, decision: Decision, comment: str) -> Ticket:
        """A decision in the API: by the named approver, or by a supervisor or admin."""

        def check(ticket: Ticket) -> None:
            if may_decide(principal, ticket):
                return
            permissions.check_can_see(principal, ticket)  # a stranger's ticket is a 404
            raise Forbidden("Only the approver or a supervisor decides this request.")

        actor = principal.actor()
        return self._decide(principal.tenant, number, decision, comment, actor, check)

    def _claim(self, token: str) -> approvals.LinkClaim:
        tenant = approvals.tenant_of(token)
        settings = self.tenants.get(tenant) if tenant else None
        key = (settings or {}).get("mail_token_key")
        claim = approvals.read_link(key, token, self.clock()) if key else None
        if claim is None:
            raise NotFound("This approval link is not valid, or it has expired.")
        return claim

    def read_link(self, token: str) -> tuple[Ticket, Decision]:
        """What a link would decide, deciding nothing."""
        claim = self._claim(token)
        ticket = self.tickets.get(claim.tenant, claim.ticket)
        if ticket is None or (ticket.approval or {}).get("id") != claim.approval:
            raise NotFound("This approval link is not valid, or it has expired.")
        return ticket, claim.decision

    def decide_by_link(self, token: str, comment: str) -> tuple[Ticket, Decision]:
        """A decision by a mailed link: the link is the approver's credential."""
        claim = self._claim(token)

        def check(ticket: Ticket) -> None:
            if (ticket.approval or {}).get("id") != claim.approval:
                raise Conflict("This approval link was replaced by a newer request.")

        approver = self._approver(claim.tenant, claim.ticket)
        actor = {"kind": "approval_link", "id": approver, "name": approver, "role": "approver"}
        ticket = self._decide(claim.tenant, claim.ticket, claim.decision, comment, actor, check)
        return ticket, claim.decision

    def _approver(self, tenant: str, number: int) -> str:
        ticket = self.tickets.get(tenant, number)
        return ((ticket.approval or {}).get("approver") if ticket else None) or "approver"

    def _decide(
        self,
        tenant: str,
        number: int,
        decision: Decision,
        comment: str,
        actor: dict[str, str],
        check: Any,
    ) -> Ticket:
        if decision == Decision.REJECT and not comment.strip():
            raise Invalid(
                "Tell the requester why.",
                errors=[{"field": "comment", "message": "Required when rejecting."}],
            )
        for _ in range(_RETRIES):
            ticket = self.tickets.get(tenant, number)
            if ticket is None:
                raise NotFound(f"Ticket {number} does not exist.")
            check(ticket)
            now = self.clock()
            decided = approvals.decide(ticket.approval, decision, actor["id"], comment, now)
            after, records = self._outcome(ticket, decided, decision, comment, actor, now)
            try:
                self.tickets.save(after, ticket.version, records)
            except VersionConflict:
                continue
            return after
        raise Conflict("The ticket is changing too fast right now; try again.")

    def _outcome(
        self,
        ticket: Ticket,
        decided: dict[str, Any],
        decision: Decision,
        comment: str,
        actor: dict[str, str],
        now: datetime,
    ) -> tuple[Ticket, list[Record]]:
        changes: dict[str, Any] = {"approval": decided}
        if decision == Decision.REJECT:
            changes["status"] = Status.RESOLVED
        elif ticket.status == Status.ON_HOLD:
            changes["status"] = Status.OPEN
        after = self.sla.advance(ticket, ticket.with_changes(changes, now), now)
        event = new_event(
            after,
            "approval.decided",
            actor,
            changes=diff(ticket, after),
            data={"decision": decision.value, "comment": comment or None},
        )
        if decision == Decision.APPROVE:
            return after, [event]
        # The approver speaks to the requester: a public message, mailed like an agent's.
        author = {**actor, "role": "approver"}
        message = Message(
            id=new_id(),
            tenant=ticket.tenant,
            ticket=ticket.number,
            author=author,
            visibility=Visibility.PUBLIC,
            body=comment,
            created_at=now,
            channel=Channel.API,
        )
        said = new_event(
            after,
            "message.added",
            author,
            data={"message_id": message.id, "visibility": Visibility.PUBLIC.value},
        )
        return after, [event, message, said]
