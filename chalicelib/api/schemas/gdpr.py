"""A requester's personal data as exported for a GDPR access request."""

from datetime import datetime
from typing import Any

from pydantic import Field

from chalicelib.api.schemas.common import Schema


class ExportedPerson(Schema):
    email: str
    name: str


class ExportedAuthor(Schema):
    name: str | None
    role: str | None


class ExportedMessage(Schema):
    id: str
    author: ExportedAuthor
    from_requester: bool
    body: str
    channel: str
    created_at: datetime


class ExportedEvent(Schema):
    type: str
    occurred_at: datetime
    by_requester: bool
    changes: dict[str, Any]


class ExportedTicket(Schema):
    number: int
    subject: str
    description: str
    type: str
    status: str
    priority: str
    impact: str
    urgency: str
    channel: str
    category: str | None
    service: str | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    messages: list[ExportedMessage] = Field(description="public messages only")
    events: list[ExportedEvent] = Field(description="the events about the request itself")
    attachments: list[dict[str, Any]] = Field(description="links to the files; none yet")
    ratings: list[dict[str, Any]] = Field(description="the latest satisfaction rating, if any")


class RequesterExport(Schema):
    requester: ExportedPerson
    tenant: str
    exported_at: datetime
    tickets: list[ExportedTicket]
    watching: list[int] = Field(
        default_factory=list,
        description="numbers of other people's tickets this address is copied on (watchers)",
    )
    announcements_opt_out: bool = Field(
        default=False,
        description="true when they left the announcement mailings by an unsubscribe link",
    )
