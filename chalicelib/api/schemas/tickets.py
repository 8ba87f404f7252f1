"""Request and response bodies of the ticket resources (API.md, "Ticket" and "Create")."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from chalicelib.api.schemas.common import PageQuery, Schema, Strict
from chalicelib.domain.tickets import Level, Priority, Rating, Status, TicketType, Visibility

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"

Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN, max_length=254, to_lower=True)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Slug = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_/-]*$")
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]


def _storable(value: float) -> float:
    # DynamoDB numbers stop at a magnitude of 1e-130; below it a write fails as a whole.
    if value != 0 and abs(value) < 1e-100:
        raise ValueError("a number this close to zero cannot be stored; send 0")
    return value


# Custom field values stay within what DynamoDB stores exactly (38 significant digits).
FieldValue = (
    Annotated[str, StringConstraints(max_length=1000)]
    | Annotated[int, Field(ge=-(10**15), le=10**15)]
    | Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False), AfterValidator(_storable)]
    | bool
    | None
)
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
CustomFields = Annotated[dict[FieldName, FieldValue], Field(max_length=50)]


class TicketCreate(Strict):
    subject: Subject
    description: Body
    type: TicketType = TicketType.INCIDENT
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    category: Slug | None = None
    service: Slug | None = None
    custom_fields: CustomFields = Field(default_factory=dict)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    requester_email: Email | None = None
    requester_name: Name | None = None
    priority: Priority | None = None
    group: Slug | None = None
    assignee: Email | None = None
    channel: Literal["phone", "chat"] | None = None


class TicketPatch(Strict):
    subject: Subject | None = None
    type: TicketType | None = None
    status: Status | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = None
    assignee: Email | None = None
    group: Slug | None = None
    tier: int | None = Field(default=None, ge=1, le=3)
    category: Slug | None = None
    service: Slug | None = None
    problem: int | None = Field(default=None, ge=1)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    custom_fields: CustomFields | None = None

    @field_validator("subject", "type", "status", "impact", "urgency", "priority", "tier")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("May not be null.")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent; null empties a collection and clears anything else."""
        sent = self.model_dump(exclude_unset=True)
        if "tags" in sent:
            sent["tags"] = tuple(sent["tags"] or ())
        if "custom_fields" in sent:
            sent["custom_fields"] = sent["custom_fields"] or {}
        return sent


class PersonOut(Schema):
    email: str
    name: str


class SlaClockOut(Schema):
    state: Literal["running", "paused", "met", "breached"]
    due_at: datetime | None
    elapsed_minutes: int = Field(description="business minutes used so far")
    remaining_minutes: int = Field(description="negative once breached")
    target_minutes: int
    breached: bool
    met_at: datetime | None
    pauses: int


class SlaOut(Schema):
    policy: Priority
    policy_version: int
    first_response: SlaClockOut | None = None
    next_response: SlaClockOut | None = None
    resolution: SlaClockOut | None = None


class SatisfactionOut(Schema):
    rating: Rating
    resolution: int = Field(description="which resolution of the ticket was rated, 1 for the first")
    rated_at: datetime
    comment: str | None


class SatisfactionCreate(Strict):
    rating: Rating
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class TicketOut(Schema):
    number: int
    tenant: str
    version: int
    subject: str
    description: str
    type: TicketType
    status: Status
    impact: Level
    urgency: Level
    priority: Priority
    channel: str
    requester: PersonOut
    category: str | None
    service: str | None
    custom_fields: dict[str, FieldValue]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: SlaOut | None = None
    satisfaction: SatisfactionOut | None = None
    approval: dict[str, Any] | None = Field(
        default=None,
        description="a service request waiting for, or decided by, its approver: "
        "{id, state: pending|approved|rejected, approver, requested_at, decided_by, "
        "decided_at, comment}",
    )
    # Staff only (omitted for requesters).
    assignee: str | None = None
    group: str | None = None
    tier: int | None = None
    problem: int | None = None
    tags: list[str] | None = None
    time_spent_minutes: int | None = None
    rca: dict[str, Any] | None = Field(
        default=None,
        description="problems: {symptoms, root_cause, workaround, permanent_fix, known_error}",
    )


class TicketList(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketQuery(PageQuery):
    status: Status | None = None
    priority: Priority | None = None
    assignee: Annotated[str, StringConstraints(max_length=254)] | None = Field(
        default=None, description="an agent's e-mail address, or `me`"
    )
    group: Slug | None = None
    type: TicketType | None = None
    requester: Email | None = None
    q: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="words of the subject, or a ticket number"
    )
    sla: Literal["breached", "at_risk"] | None = Field(
        default=None, description="breached: a clock passed its due moment; at_risk: warned"
    )


class Actor(Schema):
    kind: str
    id: str
    name: str
    role: str


class MessageCreate(Strict):
    body: Body
    visibility: Visibility = Visibility.PUBLIC


class MailOut(Schema):
    """Where a message came from by mail (staff only)."""

    message_id: str
    sender: str
    kind: str
    original: str | None = Field(description="the text before quotes and signature were trimmed")
    verdicts: dict[str, str]


class MessageOut(Schema):
    id: str
    ticket: int
    author: Actor
    visibility: Visibility
    body: str
    channel: str
    created_at: datetime
    attachments: list[str] = Field(default=[], description="ids of the message's attachments")
    mail: MailOut | None = None


class AttachmentOut(Schema):
    id: str
    ticket: int
    message: str | None = Field(description="the message it came with; null: with the ticket")
    filename: str
    content_type: str
    size: int
    created_at: datetime


class AttachmentList(Schema):
    items: list[AttachmentOut]


class AttachmentUploadCreate(Strict):
    """The file about to be sent; the upload is held to exactly this."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    content_type: Annotated[str, StringConstraints(min_length=3, max_length=255)]
    size: int = Field(ge=1, le=10**12, description="bytes; at most the configured limit")


class PresignedPost(Schema):
    url: str = Field(description="POST the file here as multipart/form-data")
    fields: dict[str, str] = Field(
        description="form fields to send before the file field (named `file`), as given"
    )


class AttachmentUploadOut(Schema):
    id: str
    upload: PresignedPost
    expires_at: datetime = Field(description="the form works until then")


class AttachmentConfirmed(Schema):
    id: str
    outcome: Literal["stored", "duplicate"] = Field(
        description="stored now, or stored before (by S3's notification or an earlier confirm)"
    )


class MessageList(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class TimeCreate(Strict):
    minutes: int = Field(ge=1, le=1440)
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class TimeOut(Schema):
    id: str
    ticket: int
    minutes: int
    note: str
    author: Actor
    created_at: datetime


class EscalationCreate(Strict):
    tier: Literal[2, 3]
    group: Slug | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class EventOut(Schema):
    id: str
    type: str
    ticket: int
    actor: Actor
    occurred_at: datetime
    changes: dict[str, dict[str, Any]]
    data: dict[str, Any]


class EventList(Schema):
    items: list[EventOut]
    next_cursor: str | None
