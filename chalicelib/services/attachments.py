"""Files on a ticket: which ones the caller may see, and a short-lived link to one.

Requesters see the files of public messages only, by the same rule as the conversation.
"""

from typing import Protocol

from chalicelib.domain import permissions
from chalicelib.domain.errors import NotFound
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Attachment
from chalicelib.services.tickets import TicketService


class Links(Protocol):
    def download_url(self, key: str, filename: str, content_type: str) -> str: ...


class AttachmentService:
    def __init__(self, tickets: TicketService, links: Links) -> None:
        self.tickets = tickets
        self.links = links

    def list(self, principal: Principal, number: int) -> list[Attachment]:
        ticket = self.tickets.get(principal, number)
        visible = permissions.visible_messages(principal)
        found = self.tickets.tickets.attachments(ticket.tenant, number)
        return [a for a in found if a.visibility in visible]

    def download_url(self, principal: Principal, number: int, attachment_id: str) -> str:
        for attachment in self.list(principal, number):
            if attachment.id == attachment_id:
                return self.links.download_url(
                    attachment.key, attachment.filename, attachment.content_type
                )
        raise NotFound(f"Ticket {number} has no attachment {attachment_id}.")
