"""Response templates (macros) and their rendering (issue 10)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.domain.macros import PLACEHOLDERS, Scope

MacroName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Template = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]

_PLACEHOLDER_HELP = "placeholders: " + ", ".join(f"{{{{{p}}}}}" for p in PLACEHOLDERS)


class Texts(Strict):
    nl: Template | None = None
    en: Template | None = None

    @model_validator(mode="after")
    def at_least_one(self) -> "Texts":
        if self.nl is None and self.en is None:
            raise ValueError("Give the text in nl, en or both.")
        return self

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("nl", self.nl), ("en", self.en)) if v is not None}


class MacroActions(Strict):
    """What applying the macro also does to the ticket; the workspace carries it out."""

    status: Literal["open", "pending", "on_hold", "resolved"] | None = None


class MacroIn(Strict):
    name: MacroName
    body: Texts = Field(description=f"the reply text per language; {_PLACEHOLDER_HELP}")
    scope: Scope = Field(
        default=Scope.PERSONAL,
        description="personal: only you; shared: all staff of the tenant (supervisor+)",
    )
    actions: MacroActions = Field(default_factory=MacroActions)


class MacroOut(Schema):
    id: str
    name: str
    body: dict[str, str]
    scope: Scope
    owner: str | None
    actions: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime


class MacroList(Schema):
    items: list[MacroOut]
    next_cursor: str | None


class MacroRender(Strict):
    ticket: int = Field(ge=1, le=999_999_999_999)


class MacroRendered(Schema):
    body: str = Field(description="plain text; escape it where it is shown as HTML")
    language: Literal["nl", "en"]
    actions: dict[str, str]
