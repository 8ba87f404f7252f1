"""Response templates (macros): their placeholders, checked when saved and filled when used.

A placeholder is a known name between double braces, spaces allowed inside:
`{{requester_name}}`, `{{ ticket_number }}`. Anything else between double braces, and a `{{`
that is never closed, is refused when the macro is saved, so an agent never sends a reply
with a half-filled template in it.

Filling is one pass over the template: a value is never read as a template itself, so a
requester who calls themselves "{{portal_link}}" gets exactly that name back.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

LANGUAGES = ("nl", "en")

PLACEHOLDERS = ("requester_name", "ticket_number", "portal_link", "agent_name")

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Names, numbers and links are one line each: whatever else a value holds is dropped.
_VALUE_LIMIT = 300


class Scope(StrEnum):
    SHARED = "shared"  # every agent of the tenant uses it; supervisors maintain it
    PERSONAL = "personal"  # its owner's alone


@dataclass(frozen=True)
class Macro:
    tenant: str
    id: str
    name: str
    body: dict[str, str]  # language → template; at least one of LANGUAGES
    scope: Scope
    owner: str | None  # the principal id of a personal macro's owner
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    actions: dict[str, Any] = field(default_factory=dict)


def placeholder_errors(template: str) -> list[str]:
    """What is wrong with the placeholders of one template (empty when nothing is)."""
    problems = []
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            shown = name[:40] or "(empty)"
            problems.append(
                f"Unknown placeholder {{{{{shown}}}}}; use one of: "
                + ", ".join(f"{{{{{p}}}}}" for p in PLACEHOLDERS)
                + "."
            )
    if "{{" in _PLACEHOLDER.sub("", template):
        problems.append("A {{ is not closed with }}.")
    return problems


def pick_language(body: Mapping[str, str], wanted: str | None) -> str:
    """The wanted language if the macro has it, else the one it has."""
    if body.get(wanted):
        return wanted  # type: ignore[return-value]
    return next(code for code in (*LANGUAGES, *body) if body.get(code))


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value, in one pass."""
    clean = {name: _one_line(value) for name, value in values.items()}
    return _PLACEHOLDER.sub(lambda m: clean.get(m.group(1).strip(), m.group(0)), template)


def _one_line(value: str) -> str:
    """Control characters (line breaks included) could make a name look like more of the
    reply than it is; they are replaced by spaces."""
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in value)
    return " ".join(text.split())[:_VALUE_LIMIT]
