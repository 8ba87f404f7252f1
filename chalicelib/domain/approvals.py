"""Approval of a service request before work starts, and the signed links that decide it.

A ticket that waits for approval carries `approval = {id, state, approver, requested_at,
decided_by, decided_at, comment}`. The approver decides in the API, or by one of the two
links mailed to them. A link is an HMAC-SHA256 signature (the tenant's `mail_token_key`,
the same secret as reply tokens) over tenant, ticket, approval id, decision and expiry:
- it cannot be made for another ticket, tenant or decision;
- it expires (`expires` is inside the signed text);
- it is single-use: it names the approval round by its id, and a decided approval (or a
  later round with a new id) refuses it.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.tickets import Ticket, new_id


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


_OUTCOME = {Decision.APPROVE: ApprovalState.APPROVED, Decision.REJECT: ApprovalState.REJECTED}
_SIGNATURE_BYTES = 16  # 128 bits: unguessable, and the link stays short
# A mailed link stays valid this long; after that the approver decides in Balie itself.
LINK_DAYS = 14


def pending(approver: str, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "state": ApprovalState.PENDING.value,
        "approver": approver.lower(),
        "requested_at": now.isoformat(),
        "decided_by": None,
        "decided_at": None,
        "comment": None,
    }


def decide(
    approval: dict[str, Any] | None, decision: Decision, by: str, comment: str, now: datetime
) -> dict[str, Any]:
    if not approval:
        raise Conflict("This ticket does not wait for an approval.")
    if approval["state"] != ApprovalState.PENDING.value:
        raise Conflict(f"This request was already {approval['state']}.")
    return {
        **approval,
        "state": _OUTCOME[decision].value,
        "decided_by": by,
        "decided_at": now.isoformat(),
        "comment": comment or None,
    }


class AwaitingApproval(Conflict):
    """A change that would start work on a request that still waits for its approval."""

    title = "Waiting for approval"


# errors[].message of an AwaitingApproval, per field the change was refused for.
WAITS_FOR_APPROVAL = "Waits for approval."


def is_pending(approval: dict[str, Any] | None) -> bool:
    return bool(approval) and approval.get("state") == ApprovalState.PENDING.value


def check_change(ticket: Ticket, changes: dict[str, Any]) -> None:
    """While its approval is pending, a request is not worked on: its status stays where
    filing put it (`on_hold`) and nobody is assigned. Only the decision (services.approvals)
    moves it: approving opens it, rejecting resolves it with the approver's reason.

    Everything else may change (priority, group, category, a note, a reply): routing a
    request to the right team before it is approved is preparation, not work.
    """
    if not is_pending(ticket.approval):
        return
    refused = []
    if "status" in changes and changes["status"] != ticket.status:
        refused.append("status")
    if changes.get("assignee") and changes["assignee"] != ticket.assignee:
        refused.append("assignee")
    if refused:
        approver = (ticket.approval or {}).get("approver")
        raise AwaitingApproval(
            f"Ticket {ticket.number} waits for approval by {approver}: its status and assignee"
            " stay as they are until the approver or a supervisor decides"
            f" (POST /v1/tickets/{ticket.number}/approval).",
            errors=[{"field": name, "message": WAITS_FOR_APPROVAL} for name in refused],
        )


@dataclass(frozen=True)
class LinkClaim:
    """What a valid approval link says."""

    tenant: str
    ticket: int
    approval: str
    decision: Decision
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: str, payload: str) -> str:
    digest = hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def link_token(key: str, claim: LinkClaim) -> str:
    body = [claim.tenant, claim.ticket, claim.approval, claim.decision.value, claim.expires]
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(key, payload)}"


def links(key: str, tenant: str, number: int, approval: str, now: datetime) -> dict[str, str]:
    """The approve and reject tokens of one approval round, valid for LINK_DAYS."""
    expires = int(now.timestamp()) + LINK_DAYS * 86_400
    return {
        d.value: link_token(key, LinkClaim(tenant, number, approval, d, expires)) for d in Decision
    }


def tenant_of(token: str) -> str | None:
    """The tenant a token claims to be for (unverified): which key to check it with."""
    claim = _parse(token)
    return claim.tenant if claim else None


def read_link(key: str, token: str, now: datetime) -> LinkClaim | None:
    """The claim of a genuine, unexpired token; None for anything else."""
    payload, _, signature = token.partition(".")
    if not signature or not hmac.compare_digest(_sign(key, payload), signature):
        return None
    claim = _parse(token)
    if claim is None or claim.expires < int(now.timestamp()):
        return None
    return claim


def _parse(token: str) -> LinkClaim | None:
    if len(token) > 512:
        return None
    payload = token.partition(".")[0]
    try:
        tenant, ticket, approval, decision, expires = json.loads(_unb64(payload))
        return LinkClaim(str(tenant), int(ticket), str(approval), Decision(decision), int(expires))
    except (ValueError, TypeError):
        return None
