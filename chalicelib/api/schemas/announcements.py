"""Announcements: planned maintenance and outage notices with a start and an end (issue 10)."""

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from chalicelib.api.schemas.common import PageQuery, Schema, Strict
from chalicelib.domain.announcements import Kind

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5_000)]
TenantId = Annotated[str, StringConstraints(min_length=1, max_length=63)]


class Titles(Strict):
    nl: Title | None = None
    en: Title | None = None


class Bodies(Strict):
    nl: Text | None = None
    en: Text | None = None


def _languages(model: BaseModel) -> dict[str, str]:
    return {k: v for k, v in model.model_dump().items() if v is not None}


class AnnouncementIn(Strict):
    title: Titles
    body: Bodies = Field(description="plain text; the same languages as title")
    kind: Kind = Kind.INFO
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mail_requesters: bool = Field(
        default=False, description="also mail it to every requester of the tenant"
    )

    @model_validator(mode="after")
    def same_languages(self) -> "AnnouncementIn":
        titles, bodies = set(_languages(self.title)), set(_languages(self.body))
        if not titles:
            raise ValueError("Give the title and body in nl, en or both.")
        if titles != bodies:
            raise ValueError("Give a title and a body in each language you use.")
        return self

    def titles(self) -> dict[str, str]:
        return _languages(self.title)

    def bodies(self) -> dict[str, str]:
        return _languages(self.body)


class AnnouncementOut(Schema):
    id: str
    title: dict[str, str]
    body: dict[str, str]
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    state: str = Field(description="upcoming, current or past, at the time of the answer")
    mail_requesters: bool | None = Field(description="staff only; null for others")
    created_by: str | None = Field(description="staff only; null for others")
    created_at: datetime


class AnnouncementList(Schema):
    items: list[AnnouncementOut]
    next_cursor: str | None


class AnnouncementQuery(PageQuery):
    tenant: TenantId | None = Field(
        default=None, description="without sign-in: the tenant whose portal is shown"
    )
    include: Annotated[str, StringConstraints(pattern=r"^past$")] | None = Field(
        default=None, description="past: also announcements that are over (supervisor+)"
    )
