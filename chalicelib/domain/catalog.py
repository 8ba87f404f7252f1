"""The service catalog: request types with their form fields, defaults and approval rule.

A service request names a catalog item; its `custom_fields` are checked against the item's
field definitions here, so every route that files one (API, portal) obeys the same rules.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Invalid
from chalicelib.domain.tickets import Priority

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# errors[].message of a required field left empty (the portal words it its own way).
MISSING = "Required."


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    USER = "user"  # an e-mail address (anyone's: a new employee has no account yet)
    NUMBER = "number"


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: dict[str, str]  # {"nl": …, "en": …}
    kind: FieldKind
    required: bool = False
    options: tuple[str, ...] = ()  # choice
    min: float | None = None  # number
    max: float | None = None  # number


@dataclass(frozen=True)
class ApprovalRule:
    """Work waits until `approver` (a named person, usually a manager) says yes."""

    approver: str


@dataclass(frozen=True)
class CatalogItem:
    tenant: str
    id: str  # a slug, also the ticket's `service` and the SLA override's `service`
    version: int
    name: dict[str, str]
    description: dict[str, str]
    created_at: datetime
    updated_at: datetime
    category: str | None = None
    fields: tuple[FieldDef, ...] = ()
    default_group: str | None = None
    default_priority: Priority | None = None
    # Targets per priority (the shape of /v1/sla-policies items) for tickets of this service.
    sla_targets: tuple[dict[str, Any], ...] = ()
    approval: ApprovalRule | None = None
    active: bool = True


def check_values(fields: tuple[FieldDef, ...], values: dict[str, Any]) -> dict[str, Any]:
    """`values` as the item's form defines them, normalised; Invalid lists every problem.

    Errors name `custom_fields.<key>`, the path of the value in the ticket body.
    """
    errors: list[dict[str, str]] = []
    known = {f.key: f for f in fields}
    clean: dict[str, Any] = {}
    for key in sorted(set(values) - set(known)):
        errors.append({"field": f"custom_fields.{key}", "message": "Not a field of this service."})
    for definition in fields:
        value = values.get(definition.key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if definition.required:
                errors.append({"field": f"custom_fields.{definition.key}", "message": MISSING})
            continue
        try:
            clean[definition.key] = _check(definition, value)
        except ValueError as exc:
            errors.append({"field": f"custom_fields.{definition.key}", "message": str(exc)})
    if errors:
        raise Invalid("The form of this service is not filled in correctly.", errors=errors)
    return clean


def _check(definition: FieldDef, value: Any) -> Any:
    kind = definition.kind
    if kind == FieldKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Must be a number.")
        if definition.min is not None and value < definition.min:
            raise ValueError(f"Must be at least {_show(definition.min)}.")
        if definition.max is not None and value > definition.max:
            raise ValueError(f"Must be at most {_show(definition.max)}.")
        return value
    if not isinstance(value, str):
        raise ValueError("Must be text.")
    text = value.strip()
    if kind == FieldKind.CHOICE:
        if text not in definition.options:
            raise ValueError(f"Must be one of: {', '.join(definition.options)}.")
        return text
    if kind == FieldKind.DATE:
        try:
            return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date()
        except ValueError as exc:
            raise ValueError("Must be a date as YYYY-MM-DD.") from exc
    if kind == FieldKind.USER:
        if len(text) > 254 or not EMAIL.match(text):
            raise ValueError("Must be an e-mail address.")
        return text.lower()
    if len(text) > 1000:
        raise ValueError("At most 1000 characters.")
    return text


def _bad_date() -> str:
    raise ValueError("not YYYY-MM-DD")


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
