"""Files on a ticket: which ones the caller may see, a short-lived link to one, and uploads.

Requesters see the files of public messages only, by the same rule as the conversation.

An upload happens in three steps, so that nothing is lost and nothing is half-written:

1. `start_upload` checks the request (domain/uploads.py), writes the attachment as *pending*
   with a TTL, and returns a presigned POST that lets the caller put exactly that file into
   the bucket for ten minutes;
2. the caller sends the file straight to S3;
3. S3 notifies the uploads queue, and `file_arrived` (the worker) marks the attachment
   stored with the size S3 reports, removes the TTL and writes `attachment.added`, in one
   transaction that only a pending item passes, so a repeated notification changes nothing.
   The portal also calls `confirm` right after its upload, so the page it shows next lists
   the file; both paths run the same `_settle`.

Pending attachments are listed to nobody and cannot be downloaded. One that never arrives
disappears with its TTL. A file that does not match what was granted (S3 enforces the
conditions, this checks them again) is deleted with its pending item.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain import permissions
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Attachment, Event, Status, Visibility, new_id
from chalicelib.domain.uploads import UploadLimits, bucket_key, check_upload, parse_bucket_key
from chalicelib.services.tickets import TicketService

# Long enough to send 20 MB over a slow line; short enough that a leaked form is soon useless.
UPLOAD_SECONDS = 600
# A pending item outlives its form by far: a file that arrives at the last second is still
# recorded. DynamoDB deletes expired items within a few days, not to the second; the item is
# pending until then, and pending items are never shown.
PENDING_SECONDS = 24 * 3600


class Links(Protocol):
    def download_url(self, key: str, filename: str, content_type: str) -> str: ...

    def upload_form(
        self, key: str, content_type: str, max_size: int, expires_seconds: int
    ) -> dict[str, Any]: ...

    def head(self, key: str) -> tuple[int, str] | None: ...

    def delete(self, key: str) -> None: ...


class Uploads(Protocol):
    def add_pending(self, attachment: Attachment, expires_at: int) -> None: ...

    def get(self, tenant: str, number: int, attachment_id: str) -> Attachment | None: ...

    def store(self, attachment: Attachment, size: int, event: Event) -> bool: ...

    def drop_pending(self, attachment: Attachment) -> bool: ...


@dataclass(frozen=True)
class Upload:
    attachment: Attachment
    url: str
    fields: dict[str, str]
    expires_at: datetime


class AttachmentService:
    def __init__(
        self,
        tickets: TicketService,
        links: Links,
        uploads: Uploads | None = None,
        limits: UploadLimits | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.tickets = tickets
        self.links = links
        self.uploads = uploads
        self.limits = limits or UploadLimits(max_bytes=20_000_000, max_per_ticket=20)
        self.clock = clock or tickets.clock

    def list(self, principal: Principal, number: int) -> list[Attachment]:
        ticket = self.tickets.get(principal, number)
        visible = permissions.visible_messages(principal)
        found = self.tickets.tickets.attachments(ticket.tenant, number)
        return [a for a in found if a.visibility in visible and not a.pending]

    def download_url(self, principal: Principal, number: int, attachment_id: str) -> str:
        for attachment in self.list(principal, number):
            if attachment.id == attachment_id:
                return self.links.download_url(
                    attachment.key, attachment.filename, attachment.content_type
                )
        raise NotFound(f"Ticket {number} has no attachment {attachment_id}.")

    # --- uploads ----------------------------------------------------------------------------

    def start_upload(
        self, principal: Principal, number: int, filename: str, content_type: str, size: int
    ) -> Upload:
        assert self.uploads is not None
        permissions.require(principal, Action.UPLOAD_ATTACHMENT)
        ticket = self.tickets.get(principal, number)  # another's ticket: 404, as for messages
        if ticket.status == Status.CLOSED:
            raise Conflict(f"Ticket {number} is closed; file a new ticket instead.")
        # Pending uploads count too. Two uploads asked for at the same moment may pass the
        # count together: the limit is against accidents and abuse, not a quota to the file.
        already = len(self.tickets.tickets.attachments(ticket.tenant, number))
        request = check_upload(filename, content_type, size, self.limits, already)
        now = self.clock()
        attachment_id = new_id()
        attachment = Attachment(
            id=attachment_id,
            tenant=ticket.tenant,
            ticket=number,
            message="",
            filename=request.filename,
            content_type=request.content_type,
            size=request.size,
            key=bucket_key(ticket.tenant, number, attachment_id),
            # Uploads are part of the conversation with the requester, like a public reply.
            visibility=Visibility.PUBLIC,
            created_at=now,
            pending=True,
            uploaded_by=principal.actor(),
        )
        self.uploads.add_pending(attachment, int(now.timestamp()) + PENDING_SECONDS)
        form = self.links.upload_form(
            attachment.key, request.content_type, request.size, UPLOAD_SECONDS
        )
        return Upload(
            attachment=attachment,
            url=str(form["url"]),
            fields={k: str(v) for k, v in form["fields"].items()},
            expires_at=now + timedelta(seconds=UPLOAD_SECONDS),
        )

    def confirm(self, principal: Principal, number: int, attachment_id: str) -> str:
        """The caller says the file is sent: settle it now instead of when S3's notification
        arrives. Returns stored, duplicate (already settled), missing or refused."""
        assert self.uploads is not None
        ticket = self.tickets.get(principal, number)
        attachment = self.uploads.get(ticket.tenant, number, attachment_id)
        if attachment is None or attachment.visibility not in permissions.visible_messages(
            principal
        ):
            raise NotFound(f"Ticket {number} has no attachment {attachment_id}.")
        return self._settle(attachment)

    def file_arrived(self, key: str) -> str:
        """S3 says an object was created under `key` (the uploads worker). Returns what was
        done: stored, duplicate, missing, refused, orphan or ignored (not an upload)."""
        assert self.uploads is not None
        parsed = parse_bucket_key(key)
        if parsed is None:
            return "ignored"
        attachment = self.uploads.get(*parsed)
        if attachment is None:
            # No pending item: its TTL ran out or the ticket was deleted. Keep no file that no
            # ticket knows of.
            self.links.delete(key)
            return "orphan"
        return self._settle(attachment)

    def _settle(self, attachment: Attachment) -> str:
        assert self.uploads is not None
        if not attachment.pending:
            return "duplicate"
        found = self.links.head(attachment.key)
        if found is None:
            return "missing"
        size, content_type = found
        if (
            size < 1
            or size > attachment.size
            or size > self.limits.max_bytes
            or content_type.split(";")[0].strip().lower() != attachment.content_type
        ):
            self.links.delete(attachment.key)
            self.uploads.drop_pending(attachment)
            return "refused"
        event = Event(
            id=new_id(),
            type="attachment.added",
            tenant=attachment.tenant,
            ticket=attachment.ticket,
            actor=attachment.uploaded_by or Principal.system(attachment.tenant, "uploads").actor(),
            occurred_at=self.clock(),
            data={
                "attachment": attachment.id,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": size,
            },
        )
        return "stored" if self.uploads.store(attachment, size, event) else "duplicate"
