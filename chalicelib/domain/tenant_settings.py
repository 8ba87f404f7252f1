"""What a tenant's settings may hold: the one set of checks shared by onboarding
(services.tenants.ensure_tenant) and the tenant admin's own changes
(services.tenant_settings), so an operator and an admin are held to the same ranges.

Timezone, inbound addresses and groups are not here: the timezone belongs to the SLA
calendar (api/sla.py) and the others to onboarding.
"""

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Invalid
from chalicelib.domain.silence import DEFAULT_THRESHOLD_HOURS

LOCALES = ("nl", "en")
NAME_MAX = 200
SIGNATURE_MAX = 2000


@dataclass(frozen=True)
class Range:
    low: int
    high: int
    message: str


# Whole numbers and their inclusive ranges, with what a caller is told when out of range.
RANGES: dict[str, Range] = {
    "auto_close_days": Range(1, 365, "Resolved tickets close after 1 to 365 days."),
    "reopen_days": Range(0, 365, "A mail reopens a resolved ticket within 0 to 365 days."),
    "retention_months": Range(
        0, 120, "Closed tickets are kept 1 to 120 months, or 0 for as long as the tenant lasts."
    ),
    "inbound_silence_hours": Range(
        0, 168, "Inbound silence is reported after 1 to 168 business hours, or 0 for never."
    ),
}

# What a tenant admin may change (PATCH /v1/tenant, /agent/settings), in the order shown.
EDITABLE = (
    "name",
    "locale",
    "auto_close_days",
    "reopen_days",
    "retention_months",
    "inbound_silence_hours",
    "external_watchers",
    "signature",
)

# What a tenant item without the field means (the readers' own fallbacks).
DEFAULTS: dict[str, Any] = {
    "locale": "en",
    "auto_close_days": 7,
    "reopen_days": 14,
    "retention_months": 24,
    "inbound_silence_hours": DEFAULT_THRESHOLD_HOURS,
    "external_watchers": False,
    "signature": None,
}


def problems(values: dict[str, Any]) -> list[dict[str, str]]:
    """Every field of `values` that a tenant may not hold, as {"field", "message"}; fields
    not given are not checked (a change names only what it changes)."""
    found: list[dict[str, str]] = []

    def refuse(name: str, message: str) -> None:
        found.append({"field": name, "message": message})

    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
            refuse("name", f"A name is 1 to {NAME_MAX} characters.")
    if "locale" in values and values["locale"] not in LOCALES:
        refuse("locale", f"Locale must be one of {', '.join(LOCALES)}.")
    for name, allowed in RANGES.items():
        if name not in values:
            continue
        value = values[name]
        # bool is an int in Python; a tick box sent as a number of days is a mistake.
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not allowed.low <= value <= allowed.high
        ):
            refuse(name, allowed.message)
    if "external_watchers" in values and not isinstance(values["external_watchers"], bool):
        refuse("external_watchers", "Outside watchers are allowed (true) or not (false).")
    if "signature" in values:
        signature = values["signature"]
        if signature is not None and (
            not isinstance(signature, str)
            or len(signature) > SIGNATURE_MAX
            or any(ord(c) < 0x20 and c not in "\n\t" for c in signature)
        ):
            refuse(
                "signature",
                f"A signature is plain text of at most {SIGNATURE_MAX} characters.",
            )
    return found


def check(values: dict[str, Any]) -> None:
    """Raise Invalid naming every wrong field (the first one's message as the detail)."""
    found = problems(values)
    if found:
        raise Invalid(found[0]["message"], errors=found)


def normalised(values: dict[str, Any]) -> dict[str, Any]:
    """Values as stored: names trimmed, an empty signature is no signature."""
    out = dict(values)
    if isinstance(out.get("name"), str):
        out["name"] = out["name"].strip()
    if "signature" in out and isinstance(out["signature"], str):
        text = out["signature"].replace("\r\n", "\n").strip()
        out["signature"] = text or None
    return out


def shown(item: dict[str, Any]) -> dict[str, Any]:
    """The editable settings of a stored tenant item, defaults filled in. Built from the
    allow-list above, so nothing else on the item (its mail token key) can leak out."""
    return {name: item.get(name, DEFAULTS.get(name)) for name in EDITABLE}
