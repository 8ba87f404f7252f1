"""Routing and automation rules: what a rule is, when it matches, what it does to a ticket.

Pure: no AWS, no clock of its own. A tenant's rules are one ordered list; `evaluate` walks it
once for one ticket change, each rule seeing the ticket as the rules before it left it. A rule
that matches applies its actions and, with `stop_processing`, ends the walk. Nothing a rule
does triggers rules again: the walk is a single pass, and the service writes its outcome with
the change that caused it (docs/rules.md).

Assignment needs the outside world and is given to `evaluate` as a callable: picking an agent
of a group (round-robin or least-loaded), or confirming that a named agent still works here.
A reply's text is chosen and filled in by `reply_text` once the service knows the requester's
language.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain.approvals import is_pending
from chalicelib.domain.calendar import Calendar
from chalicelib.domain.tickets import Priority, Ticket, TicketType, plain

# One tenant's rules live in one item (≤ 400 KB); these keep a full list well inside it.
MAX_RULES = 100
# A change writes one audit event per applied rule in its transaction (≤ 100 items), next to
# the ticket, its own event, a mail's records and replies: past this many, rules are skipped.
MAX_APPLIED = 10


class Trigger(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    BOTH = "both"

    def fires_on(self, moment: "Trigger") -> bool:
        return self in (moment, Trigger.BOTH)


class Strategy(StrEnum):
    AGENT = "agent"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


# Ticket fields a `field` condition may test, and how their value is read.
SCALAR_FIELDS = (
    "channel",
    "type",
    "status",
    "priority",
    "impact",
    "urgency",
    "category",
    "service",
    "group",
    "assignee",
    "tier",
)
# What a `changed` condition may name (an update's diff; AUDITED_FIELDS of domain.tickets).
CHANGEABLE_FIELDS = (*SCALAR_FIELDS, "subject", "tags", "custom_fields", "problem")


# --- text matching ----------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" are the same word."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> str:
    """The words of `text`, folded and joined by single spaces, padded so that a phrase
    matches only on word boundaries: " vpn " is in " my vpn drops " but not in " vpns "."""
    return " " + " ".join(_WORD.findall(fold(text))) + " "


def term(text: str) -> str:
    """A search term in the same shape as `words` gives, so a phrase is a substring test."""
    return words(text)


# --- conditions -------------------------------------------------------------------------


@dataclass
class Facts:
    """What conditions look at: the ticket as the rules so far left it, and the moment."""

    ticket: Ticket
    trigger: Trigger
    changed: frozenset[str]
    now: datetime
    calendar: Calendar
    _texts: dict[str, str] = field(default_factory=dict)
    _open: bool | None = None

    def text(self, where: str) -> str:
        # Folded once per change: 50 rules testing words cost one pass over the body.
        if where not in self._texts:
            source = self.ticket.subject if where == "subject" else self.ticket.description
            self._texts[where] = words(source)
        return self._texts[where]

    def in_business_hours(self) -> bool:
        if self._open is None:
            self._open = self.calendar.between(self.now, self.now + timedelta(seconds=1)) > (
                timedelta(0)
            )
        return self._open


@dataclass(frozen=True)
class FieldCondition:
    field: str
    op: str  # equals not_equals in not_in starts_with is_set is_empty
    values: tuple[Any, ...] = ()

    def holds(self, facts: Facts) -> bool:
        value = plain(getattr(facts.ticket, self.field))
        return _compare(self.op, value, self.values)


@dataclass(frozen=True)
class TagsCondition:
    op: str  # has_any has_all has_none
    values: frozenset[str]

    def holds(self, facts: Facts) -> bool:
        tags = {t.casefold() for t in facts.ticket.tags}
        if self.op == "has_any":
            return bool(tags & self.values)
        if self.op == "has_all":
            return self.values <= tags
        return not tags & self.values


@dataclass(frozen=True)
class DomainCondition:
    """The requester's mail domain, or a subdomain of it."""

    op: str  # in not_in
    values: tuple[str, ...]

    def holds(self, facts: Facts) -> bool:
        domain = facts.ticket.requester.email.rsplit("@", 1)[-1].lower()
        found = any(domain == d or domain.endswith("." + d) for d in self.values)
        return found if self.op == "in" else not found


@dataclass(frozen=True)
class TextCondition:
    """Words or phrases in the subject and/or description, case- and accent-insensitive."""

    where: str  # subject body subject_or_body
    op: str  # any all none
    terms: tuple[str, ...]  # already in `term` shape

    def holds(self, facts: Facts) -> bool:
        places = ("subject", "body") if self.where == "subject_or_body" else (self.where,)
        texts = [facts.text(p) for p in places]
        found = (any(t in text for text in texts) for t in self.terms)
        if self.op == "any":
            return any(found)
        if self.op == "all":
            return all(found)
        return not any(found)


@dataclass(frozen=True)
class CustomFieldCondition:
    name: str
    op: str  # equals not_equals in not_in gt gte lt lte is_set is_empty contains
    values: tuple[Any, ...] = ()

    def holds(self, facts: Facts) -> bool:
        value = facts.ticket.custom_fields.get(self.name)
        if self.op == "contains":
            return isinstance(value, str) and fold(str(self.values[0])) in fold(value)
        return _compare(self.op, value, self.values)


@dataclass(frozen=True)
class BusinessHoursCondition:
    op: str  # within outside

    def holds(self, facts: Facts) -> bool:
        return facts.in_business_hours() == (self.op == "within")


@dataclass(frozen=True)
class ChangedCondition:
    """On an update: the change touched one of these fields (never true on create)."""

    fields: frozenset[str]

    def holds(self, facts: Facts) -> bool:
        return bool(self.fields & facts.changed)


Condition = (
    FieldCondition
    | TagsCondition
    | DomainCondition
    | TextCondition
    | CustomFieldCondition
    | BusinessHoursCondition
    | ChangedCondition
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _compare(op: str, value: Any, values: tuple[Any, ...]) -> bool:
    if op == "is_set":
        return value not in (None, "")
    if op == "is_empty":
        return value in (None, "")
    if op in ("equals", "in"):
        return any(_same(value, v) for v in values)
    if op in ("not_equals", "not_in"):
        return not any(_same(value, v) for v in values)
    if op == "starts_with":
        return isinstance(value, str) and any(value.startswith(str(v)) for v in values)
    # Ordering: numbers against numbers only; anything else simply does not match.
    number = values[0]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return {
        "gt": value > number,
        "gte": value >= number,
        "lt": value < number,
        "lte": value <= number,
    }[op]


# --- actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetGroup:
    group: str


@dataclass(frozen=True)
class Assign:
    strategy: Strategy
    agent: str | None = None  # strategy agent
    group: str | None = None  # round_robin / least_loaded: this group, else the ticket's


@dataclass(frozen=True)
class SetPriority:
    priority: Priority


@dataclass(frozen=True)
class AddTags:
    tags: tuple[str, ...]


@dataclass(frozen=True)
class SetType:
    type: TicketType


@dataclass(frozen=True)
class Reply:
    """A public message to the requester; `texts` per language ("nl", "en")."""

    texts: Mapping[str, str]


@dataclass(frozen=True)
class AddWatcher:
    """Copy an address on the ticket's public changes (docs/watchers.md)."""

    email: str


Action = SetGroup | Assign | SetPriority | AddTags | SetType | Reply | AddWatcher


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    position: int
    active: bool
    trigger: Trigger
    match: str  # all any
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    stop_processing: bool = False

    def matches(self, facts: Facts) -> bool:
        if not self.conditions:
            return True
        if self.match == "any":
            return any(c.holds(facts) for c in self.conditions)
        return all(c.holds(facts) for c in self.conditions)


# --- evaluation -------------------------------------------------------------------------

# Given (group, round_robin | least_loaded): an agent of the group, None when it has none.
# Given (address, agent): the address if it is still an agent of the tenant, else None.
Picker = Callable[[str, Strategy], str | None]


@dataclass(frozen=True)
class Applied:
    """One rule that matched: the ticket fields it changed and what it did, for the audit."""

    rule: Rule
    changes: dict[str, Any]
    done: tuple[dict[str, Any], ...]
    replies: tuple[Reply, ...] = ()
    watchers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    changes: dict[str, Any]  # every field the rules set, last writer wins
    applied: tuple[Applied, ...]
    skipped: int = 0  # matching rules left out past MAX_APPLIED


def evaluate(
    rules: Iterable[Rule],
    ticket: Ticket,
    *,
    trigger: Trigger,
    now: datetime,
    calendar: Calendar,
    pick: Picker,
    changed: Iterable[str] = (),
) -> Outcome:
    """Walk the rules in order for one create or update of `ticket` (its new version)."""
    facts = Facts(ticket, trigger, frozenset(changed), now, calendar)
    changes: dict[str, Any] = {}
    applied: list[Applied] = []
    skipped = 0
    for rule in rules:
        if not rule.active or not rule.trigger.fires_on(trigger):
            continue
        if not rule.matches(facts):
            continue
        if len(applied) == MAX_APPLIED:
            skipped += 1
            continue
        own, done, replies = _apply(rule, facts.ticket, pick)
        watching = tuple(
            a.email
            for a in rule.actions
            if isinstance(a, AddWatcher) and a.email != facts.ticket.requester.email.lower()
        )
        applied.append(Applied(rule, own, tuple(done), tuple(replies), watching))
        if own:
            changes.update(own)
            facts.ticket = replace(facts.ticket, **own)
        if rule.stop_processing:
            break
    return Outcome(changes, tuple(applied), skipped)


def _apply(
    rule: Rule, ticket: Ticket, pick: Picker
) -> tuple[dict[str, Any], list[dict[str, Any]], list[Reply]]:
    changes: dict[str, Any] = {}
    done: list[dict[str, Any]] = []
    replies: list[Reply] = []
    for action in rule.actions:
        if isinstance(action, SetGroup):
            changes["group"] = action.group
            done.append({"type": "set_group", "group": action.group})
        elif isinstance(action, Assign) and is_pending(ticket.approval):
            # A request waiting for its approver is not worked on (approvals.check_change):
            # a rule may route it to a group, but only the decision lets someone pick it up.
            done.append({"type": "assign", "skipped": "waiting for approval"})
        elif isinstance(action, Assign):
            outcome = _assign(action, changes.get("group", ticket.group), pick)
            changes.update(outcome.pop("_changes"))
            done.append(outcome)
        elif isinstance(action, SetPriority):
            changes["priority"] = action.priority
            done.append({"type": "set_priority", "priority": action.priority.value})
        elif isinstance(action, AddTags):
            tags = changes.get("tags", ticket.tags)
            new = tuple(t for t in action.tags if t not in tags)
            if new:
                changes["tags"] = (*tags, *new)
            done.append({"type": "add_tags", "tags": list(new)})
        elif isinstance(action, SetType):
            changes["type"] = action.type
            done.append({"type": "set_type", "ticket_type": action.type.value})
        elif isinstance(action, Reply):
            replies.append(action)
        elif isinstance(action, AddWatcher):
            record: dict[str, Any] = {"type": "add_watcher", "email": action.email}
            if action.email == ticket.requester.email.lower():
                record["skipped"] = "the requester"
            done.append(record)
    # Only real changes: setting what is already there is not a change in the audit trail.
    changes = {k: v for k, v in changes.items() if getattr(ticket, k) != v}
    return changes, done, replies


def _assign(action: Assign, current_group: str | None, pick: Picker) -> dict[str, Any]:
    record: dict[str, Any] = {"type": "assign", "strategy": action.strategy.value}
    if action.strategy == Strategy.AGENT:
        agent = pick(action.agent or "", Strategy.AGENT)
        if agent is None:
            return {**record, "agent": action.agent, "skipped": "not an agent", "_changes": {}}
        return {**record, "assignee": agent, "_changes": {"assignee": agent}}
    group = action.group or current_group
    record["group"] = group
    if group is None:
        return {**record, "skipped": "the ticket has no group", "_changes": {}}
    agent = pick(group, action.strategy)
    if agent is None:
        return {**record, "skipped": "the group has no agents", "_changes": {}}
    changes: dict[str, Any] = {"assignee": agent}
    if action.group:
        changes["group"] = action.group
    return {**record, "assignee": agent, "_changes": changes}


# --- replies ----------------------------------------------------------------------------

PLACEHOLDERS = ("requester_name", "ticket_number", "portal_link")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({n for n in _PLACEHOLDER.findall(text) if n not in PLACEHOLDERS})


def reply_text(reply: Reply, locale: str | None, ticket: Ticket, portal_link: str) -> str:
    """The reply in the requester's language (else the other one), placeholders filled in.

    Only the three known placeholders are replaced; any other brace is left as written.
    """
    text = reply.texts.get(locale or "") or next(iter(reply.texts.values()))
    values = {
        "requester_name": ticket.requester.name,
        "ticket_number": str(ticket.number),
        "portal_link": portal_link,
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# --- from the stored document -----------------------------------------------------------


def rule_from_document(item: Mapping[str, Any]) -> Rule:
    """A stored rule (as the API validated it) in the shape `evaluate` walks fast."""
    return Rule(
        id=item["id"],
        name=item["name"],
        position=int(item["position"]),
        active=bool(item.get("active", True)),
        trigger=Trigger(item.get("trigger", "created")),
        match=item.get("match", "all"),
        conditions=tuple(_condition(c) for c in item.get("conditions", [])),
        actions=tuple(_action(a) for a in item["actions"]),
        stop_processing=bool(item.get("stop_processing", False)),
    )


def ordered(documents: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rules in evaluation order: by position, then by id (ULIDs: the older first)."""
    return sorted(documents, key=lambda d: (int(d["position"]), d["id"]))


def _values(c: Mapping[str, Any]) -> tuple[Any, ...]:
    if "values" in c:
        return tuple(c["values"])
    return (c["value"],) if "value" in c else ()


def _condition(c: Mapping[str, Any]) -> Condition:
    kind = c["type"]
    if kind == "field":
        return FieldCondition(c["field"], c["op"], _values(c))
    if kind == "tags":
        return TagsCondition(c["op"], frozenset(t.casefold() for t in c["values"]))
    if kind == "requester_domain":
        return DomainCondition(c["op"], tuple(d.lower() for d in c["values"]))
    if kind == "text":
        return TextCondition(c.get("in", "subject_or_body"), c["op"],
                             tuple(term(t) for t in c["terms"]))  # fmt: skip
    if kind == "custom_field":
        return CustomFieldCondition(c["name"], c["op"], _values(c))
    if kind == "business_hours":
        return BusinessHoursCondition(c["op"])
    if kind == "changed":
        return ChangedCondition(frozenset(c["fields"]))
    raise ValueError(f"unknown condition type {kind!r}")


def _action(a: Mapping[str, Any]) -> Action:
    kind = a["type"]
    if kind == "set_group":
        return SetGroup(a["group"])
    if kind == "assign":
        return Assign(Strategy(a["strategy"]), a.get("agent"), a.get("group"))
    if kind == "set_priority":
        return SetPriority(Priority(a["priority"]))
    if kind == "add_tags":
        return AddTags(tuple(a["tags"]))
    if kind == "set_type":
        return SetType(TicketType(a["ticket_type"]))
    if kind == "reply":
        return Reply({k: v for k, v in a["text"].items() if v})
    if kind == "add_watcher":
        return AddWatcher(a["email"].lower())
    raise ValueError(f"unknown action type {kind!r}")
