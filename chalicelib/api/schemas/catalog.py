"""The service catalog (`/v1/services`): request types, their forms, defaults and approval."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.api.schemas.sla import Target
from chalicelib.api.schemas.tickets import Email, FieldName, Slug
from chalicelib.domain.tickets import Priority

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Long = Annotated[str, StringConstraints(max_length=4000)]


class Text(Strict):
    """The same text in both languages of the portal; the caller's language picks nothing."""

    nl: Short
    en: Short


class LongText(Strict):
    nl: Long = ""
    en: Long = ""


class FormField(Strict):
    key: FieldName
    label: Text
    kind: Literal["text", "choice", "date", "user", "number"] = Field(
        description="user: an e-mail address; date: YYYY-MM-DD"
    )
    required: bool = False
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="choice: the allowed values"
    )
    min: float | None = Field(default=None, ge=-1e15, le=1e15, description="number only")
    max: float | None = Field(default=None, ge=-1e15, le=1e15, description="number only")

    @model_validator(mode="after")
    def fits_its_kind(self) -> "FormField":
        if self.kind == "choice" and not self.options:
            raise ValueError("A choice needs options.")
        if self.kind != "choice" and self.options:
            raise ValueError("Only a choice has options.")
        if self.kind != "number" and (self.min is not None or self.max is not None):
            raise ValueError("Only a number has min and max.")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max.")
        return self


class Approval(Strict):
    approver: Email = Field(description="who says yes or no: by the mailed link or the API")


class ServiceFields(Strict):
    name: Text
    description: LongText = Field(default_factory=LongText)
    category: Slug | None = None
    fields: list[FormField] = Field(default_factory=list, max_length=30)
    default_group: Slug | None = None
    default_priority: Priority | None = None
    sla_targets: list[Target] = Field(
        default_factory=list,
        max_length=4,
        description="targets per priority for this service's tickets; an override for the "
        "same service in /v1/sla-policies wins",
    )
    approval: Approval | None = Field(default=None, description="null: no approval needed")
    active: bool = True

    @model_validator(mode="after")
    def distinct(self) -> "ServiceFields":
        if len({f.key for f in self.fields}) != len(self.fields):
            raise ValueError("Field keys must be distinct.")
        if len({t.priority for t in self.sla_targets}) != len(self.sla_targets):
            raise ValueError("At most one SLA target per priority.")
        return self


class ServiceCreate(ServiceFields):
    id: Slug = Field(description="chosen by the admin; tickets name it in `service`")


class ServiceOut(ServiceFields):
    id: str
    version: int
    created_at: datetime
    updated_at: datetime


class ServiceList(Schema):
    items: list[ServiceOut]
    next_cursor: str | None = Field(default=None, description="always null: one page")


class ServiceQuery(Strict):
    include_retired: bool = Field(default=False, description="admins: also retired services")
