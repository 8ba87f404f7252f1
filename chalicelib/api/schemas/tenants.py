"""Onboarding a tenant (an MSP's operator)."""

from typing import Annotated, Literal

from pydantic import StringConstraints

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.api.schemas.tickets import Email, Name

TenantId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,30}$")]


class TenantCreate(Strict):
    id: TenantId
    name: Name
    locale: Literal["nl", "en"] = "en"
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "Europe/Amsterdam"
    inbound_address: Email
    admin_email: Email
    admin_name: Name


class TenantCreated(Schema):
    id: str
    admin_email: str
    admin_invited: bool
    mail_setup: list[str]


class MetricsBackfillRequest(Strict):
    """Where an earlier call stopped (its `next_cursor`); none to start at the beginning."""

    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class MetricsBackfillDone(Schema):
    tenant: str
    tickets: int
    backfilled: int
    events: int
    counted_already: int
    next_cursor: str | None
