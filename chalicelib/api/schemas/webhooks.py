"""Request and response bodies of /v1/webhooks (API.md "Events", docs/webhooks.md)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.api.schemas.identity import Email
from chalicelib.domain.webhooks import ALL_EVENTS, EVENT_TYPES, MAX_URL_LENGTH

_EVENTS_HELP = f"event types ({', '.join(EVENT_TYPES)}), or {ALL_EVENTS!r} for all"

Description = Annotated[str, StringConstraints(max_length=200)]
Events = Annotated[
    list[Annotated[str, StringConstraints(max_length=64)]],
    Field(min_length=1, max_length=len(EVENT_TYPES) + 1, description=_EVENTS_HELP),
]


class WebhookCreate(Strict):
    url: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_URL_LENGTH),
        Field(description="https:// URL of a public host; private addresses are refused"),
    ]
    events: Events
    description: Description = ""
    contact_email: Email | None = Field(
        default=None,
        description="mailed when the webhook is disabled; default: the caller (required for "
        "API keys)",
    )


class WebhookPatch(Strict):
    status: Literal["active", "disabled"] | None = Field(
        default=None, description="'active' re-enables a disabled webhook"
    )
    events: Events | None = None
    description: Description | None = None


class RedeliverRequest(Strict):
    delivery: Annotated[str, StringConstraints(min_length=26, max_length=26)] = Field(
        description="the delivery's id (the event's id), from the webhook's delivery log"
    )


class WebhookOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    status: Literal["active", "disabled"]
    contact_email: str
    consecutive_failures: int = Field(
        description="deliveries in a row that used up all their attempts"
    )
    disabled_at: str | None
    disabled_reason: str | None
    created_at: str
    created_by: str
    version: int


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="signs every delivery (Balie-Signature); shown in this response only"
    )


class DeliveryOut(Schema):
    id: str = Field(description="the event's id; also the Balie-Event-Id header")
    event_type: str
    status: Literal["pending", "sending", "retrying", "delivered", "failed", "skipped"]
    attempts: int
    created_at: str
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    next_attempt_at: str | None


class WebhookDetail(WebhookOut):
    deliveries: list[DeliveryOut] = Field(description="the newest deliveries (kept 7 days)")


class WebhookPage(Schema):
    items: list[WebhookOut]
    next_cursor: str | None
