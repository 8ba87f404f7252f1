"""SES's word on mail Balie sent: a permanent bounce or a complaint stops mail to that address.

The configuration set publishes these events to the same inbound topic as received mail;
the tenant is the one whose address sent the mail.
"""

from typing import Any

from chalicelib.domain import threads
from chalicelib.observability import logger
from chalicelib.services.inbound_mail import MailTenants, People
from chalicelib.services.ports import Clock


class MailFeedback:
    def __init__(self, tenants: MailTenants, people: People, clock: Clock) -> None:
        self.tenants = tenants
        self.people = people
        self.clock = clock

    def record(self, notice: dict[str, Any]) -> None:
        kind = notice.get("notificationType") or notice.get("eventType")
        source = threads.split_plus(_address(notice.get("mail", {}).get("source", "")))[0]
        tenant = self.tenants.tenant_for_address(source)
        if tenant is None:
            logger.warning("mail feedback for an unknown sender address", extra={"kind": kind})
            return
        for address, reason in _stopped(kind, notice):
            self.people.mark_bouncing(tenant, address, reason, self.clock())
            logger.info("address stopped", extra={"tenant": tenant, "kind": kind})


def _stopped(kind: str | None, notice: dict[str, Any]) -> list[tuple[str, str]]:
    if kind == "Bounce":
        bounce = notice.get("bounce", {})
        if bounce.get("bounceType") != "Permanent":
            return []  # SES retried and may still deliver later mail
        return [
            (r["emailAddress"].lower(), r.get("diagnosticCode") or "permanent bounce")
            for r in bounce.get("bouncedRecipients", [])
        ]
    if kind == "Complaint":
        complaint = notice.get("complaint", {})
        return [
            (r["emailAddress"].lower(), "complaint")
            for r in complaint.get("complainedRecipients", [])
        ]
    return []


def _address(source: str) -> str:
    """`"Desk" <support@x>` → `support@x`."""
    return source.rsplit("<", 1)[-1].rstrip(">").strip().lower()
