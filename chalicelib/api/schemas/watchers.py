"""Watchers of a ticket (docs/watchers.md): people copied on its public changes."""

from datetime import datetime

from pydantic import Field

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.api.schemas.tickets import Email


class WatcherIn(Strict):
    email: Email = Field(
        description="staff: anyone known to the helpdesk (others only when the tenant allows "
        "outside watchers); the requester: colleagues of their own mail domain"
    )


class WatcherOut(Schema):
    email: str
    added_by: str
    added_at: datetime


class WatcherList(Schema):
    items: list[WatcherOut]
    next_cursor: str | None = Field(default=None, description="always null: at most 20")
