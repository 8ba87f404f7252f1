"""Routing and automation rules (issue 10): the request and response bodies.

Strict throughout: an unknown field, condition type, operator or action is a 422 naming the
path of what is wrong (e.g. `conditions.0.field.op`).
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.api.schemas.tickets import Email, FieldName, Slug, Tag
from chalicelib.domain.rules import CHANGEABLE_FIELDS, unknown_placeholders
from chalicelib.domain.tickets import Channel, Level, Priority, Status, TicketType

RuleName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Term = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Domain = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$", max_length=253, to_lower=True)
]
Text = Annotated[str, StringConstraints(max_length=5000)]
Scalar = Annotated[str, StringConstraints(min_length=1, max_length=200)] | int

# What each ticket field a `field` condition tests may hold.
_FIELD_VALUES: dict[str, Any] = {
    "channel": {c.value for c in Channel},
    "type": {t.value for t in TicketType},
    "status": {s.value for s in Status},
    "priority": {p.value for p in Priority},
    "impact": {v.value for v in Level},
    "urgency": {v.value for v in Level},
    "tier": {1, 2, 3},
}

_ONE_VALUE = {"equals", "not_equals", "starts_with", "contains", "gt", "gte", "lt", "lte"}
_MANY_VALUES = {"in", "not_in"}


def _operands(op: str, value: Any, values: list[Any] | None) -> list[Any]:
    """The operand(s) an operator needs, or a ValueError that says which is missing."""
    if op in _ONE_VALUE:
        if value is None or values is not None:
            raise ValueError(f"`{op}` takes one `value`.")
        return [value]
    if op in _MANY_VALUES:
        if not values or value is not None:
            raise ValueError(f"`{op}` takes a non-empty `values` list.")
        return values
    if value is not None or values is not None:
        raise ValueError(f"`{op}` takes no value.")
    return []


class FieldCondition(Strict):
    type: Literal["field"]
    field: Literal[
        "channel", "type", "status", "priority", "impact", "urgency", "category", "service",
        "group", "assignee", "tier",
    ]  # fmt: skip
    op: Literal["equals", "not_equals", "in", "not_in", "starts_with", "is_set", "is_empty"]
    value: Scalar | None = None
    values: list[Scalar] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def operands_fit(self) -> Self:
        operands = _operands(self.op, self.value, self.values)
        allowed = _FIELD_VALUES.get(self.field)
        if allowed is not None:
            wrong = [v for v in operands if v not in allowed]
            if wrong:
                raise ValueError(f"`{self.field}` is one of {sorted(allowed, key=str)}.")
        return self


class TagsCondition(Strict):
    type: Literal["tags"]
    op: Literal["has_any", "has_all", "has_none"]
    values: list[Tag] = Field(min_length=1, max_length=20)


class RequesterDomainCondition(Strict):
    type: Literal["requester_domain"]
    op: Literal["in", "not_in"]
    values: list[Domain] = Field(min_length=1, max_length=50, description="subdomains match")


class TextCondition(Strict):
    type: Literal["text"]
    in_: Literal["subject", "body", "subject_or_body"] = Field(
        default="subject_or_body", alias="in"
    )
    op: Literal["any", "all", "none"]
    terms: list[Term] = Field(
        min_length=1,
        max_length=50,
        description="words or phrases; whole words, case- and accent-insensitive",
    )

    @field_validator("terms")
    @classmethod
    def has_words(cls, terms: list[str]) -> list[str]:
        if any(not any(c.isalnum() for c in t) for t in terms):
            raise ValueError("Every term needs at least one letter or digit.")
        return terms


class CustomFieldCondition(Strict):
    type: Literal["custom_field"]
    name: FieldName
    op: Literal[
        "equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "contains",
        "is_set", "is_empty",
    ]  # fmt: skip
    value: Annotated[str, StringConstraints(max_length=1000)] | int | float | bool | None = None
    values: list[Annotated[str, StringConstraints(max_length=1000)] | int | float | bool] | None = (
        Field(default=None, max_length=50)
    )

    @model_validator(mode="after")
    def operands_fit(self) -> Self:
        _operands(self.op, self.value, self.values)
        numeric = isinstance(self.value, int | float) and not isinstance(self.value, bool)
        if self.op in ("gt", "gte", "lt", "lte") and not numeric:
            raise ValueError(f"`{self.op}` compares with a number.")
        if self.op == "contains" and not isinstance(self.value, str):
            raise ValueError("`contains` looks for text.")
        return self


class BusinessHoursCondition(Strict):
    type: Literal["business_hours"]
    op: Literal["within", "outside"]


class ChangedCondition(Strict):
    type: Literal["changed"]
    fields: list[Literal[CHANGEABLE_FIELDS]] = Field(min_length=1, max_length=20)  # type: ignore[valid-type]


Condition = Annotated[
    FieldCondition
    | TagsCondition
    | RequesterDomainCondition
    | TextCondition
    | CustomFieldCondition
    | BusinessHoursCondition
    | ChangedCondition,
    Field(discriminator="type"),
]


class SetGroup(Strict):
    type: Literal["set_group"]
    group: Slug


class Assign(Strict):
    type: Literal["assign"]
    strategy: Literal["agent", "round_robin", "least_loaded"]
    agent: Email | None = Field(default=None, description="strategy `agent` only")
    group: Slug | None = Field(
        default=None,
        description="round_robin / least_loaded: pick in this group (and set it); "
        "without it, in the ticket's group",
    )

    @model_validator(mode="after")
    def target_fits(self) -> Self:
        if self.strategy == "agent" and (self.agent is None or self.group is not None):
            raise ValueError("Assigning to an agent names `agent` and no `group`.")
        if self.strategy != "agent" and self.agent is not None:
            raise ValueError(f"`{self.strategy}` picks an agent of a group; leave out `agent`.")
        return self


class SetPriority(Strict):
    type: Literal["set_priority"]
    priority: Priority


class AddTags(Strict):
    type: Literal["add_tags"]
    tags: list[Tag] = Field(min_length=1, max_length=20)


class SetType(Strict):
    type: Literal["set_type"]
    ticket_type: TicketType


class ReplyText(Strict):
    nl: Text | None = None
    en: Text | None = None

    @model_validator(mode="after")
    def one_language_and_known_placeholders(self) -> Self:
        texts = [t for t in (self.nl, self.en) if t]
        if not texts:
            raise ValueError("Give the reply in Dutch (`nl`), English (`en`) or both.")
        unknown = sorted({p for t in texts for p in unknown_placeholders(t)})
        if unknown:
            raise ValueError(
                f"Unknown placeholder(s) {', '.join(unknown)}; use {{requester_name}}, "
                "{ticket_number} or {portal_link}."
            )
        return self


class Reply(Strict):
    type: Literal["reply"]
    text: ReplyText = Field(
        description="a public message to the requester, in their language when given"
    )


class AddWatcher(Strict):
    type: Literal["add_watcher"]
    email: Email = Field(description="copied on the ticket's public replies and status changes")


Action = Annotated[
    SetGroup | Assign | SetPriority | AddTags | SetType | Reply | AddWatcher,
    Field(discriminator="type"),
]


class RuleIn(Strict):
    """A rule as a supervisor writes it (POST creates, PUT replaces)."""

    name: RuleName
    position: int | None = Field(
        default=None, ge=0, le=100_000, description="evaluation order; default: after the last"
    )
    active: bool = True
    trigger: Literal["created", "updated", "both"] = "created"
    match: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=10)
    stop_processing: bool = False

    @field_validator("actions")
    @classmethod
    def one_reply(cls, actions: list[Any]) -> list[Any]:
        if sum(isinstance(a, Reply) for a in actions) > 1:
            raise ValueError("At most one reply per rule.")
        return actions


class RuleOut(Schema):
    id: str
    name: str
    position: int
    active: bool
    trigger: str
    match: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    stop_processing: bool
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str


class RuleList(Schema):
    items: list[RuleOut]
    next_cursor: str | None
