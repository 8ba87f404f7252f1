"""Schemas shared by every resource."""

from pydantic import BaseModel, ConfigDict, Field


class Schema(BaseModel):
    """Every API model: its validator is built when first used, not at import, so a cold
    start pays only for the models its request needs (and a worker for none)."""

    model_config = ConfigDict(defer_build=True)


class Strict(Schema):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class PageQuery(Strict):
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class Health(Schema):
    status: str
