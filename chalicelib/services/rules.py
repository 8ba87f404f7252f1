"""Routing and automation rules: a tenant's ordered list, managed by supervisors, and its
evaluation when a ticket is filed or changed.

The list is one versioned document per tenant, read with one GetItem and kept per container
for 60 s like the SLA settings: evaluating 50 rules for a ticket costs at most that read. Each
rule has its own version for If-Match; every write replaces the document conditioned on the
set's version, so two supervisors editing different rules never lose each other's change.

`route` is what TicketService calls: it returns the ticket with the rules' changes and the
records that go into the change's own transaction — a `rule.applied` event per rule that
matched (actor `rule:<id>`, `data.rule` its id and name), and for a reply the public message
with its `message.added` event. See docs/rules.md.
"""

import base64
import binascii
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.domain import permissions
from chalicelib.domain.errors import BadRequest, Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.rules import (
    MAX_RULES,
    Applied,
    Reply,
    Rule,
    Strategy,
    Trigger,
    evaluate,
    ordered,
    reply_text,
    rule_from_document,
)
from chalicelib.domain.sla import CalendarKind
from chalicelib.domain.tickets import (
    Channel,
    Event,
    Message,
    Record,
    Ticket,
    Visibility,
    new_event,
    new_id,
    plain,
)
from chalicelib.domain.watchers import Watcher
from chalicelib.observability import logger
from chalicelib.services.ports import (
    Clock,
    Directory,
    GroupMembers,
    Page,
    RuleStore,
    SpokenLanguages,
    VersionConflict,
)
from chalicelib.services.sla import SlaSettings

_CACHE_SECONDS = 60.0
# A stored document stays well under DynamoDB's 400 KB item limit.
_MAX_DOCUMENT_BYTES = 300_000
# Round-robin and least-loaded look at this many agents of a group; least-loaded counts each
# one's open tickets with up to this many COUNT pages (docs/rules.md: cost).
MAX_GROUP_AGENTS = 25
_LOAD_ROUNDS = 2
_WRITE_RETRIES = 5


@dataclass(frozen=True)
class RuleSet:
    documents: tuple[dict[str, Any], ...]  # in evaluation order
    version: int
    rules: tuple[Rule, ...]


def rule_actor(rule: Rule) -> dict[str, str]:
    """How a rule appears in the audit trail and the conversation. Rules are a supervisor's
    standing instructions, so they act with that role."""
    return {"kind": "rule", "id": f"rule:{rule.id}", "name": rule.name, "role": "supervisor"}


class RuleService:
    def __init__(
        self,
        store: RuleStore,
        groups: GroupMembers,
        directory: Directory,
        languages: SpokenLanguages,
        sla: SlaSettings,
        clock: Clock,
        *,
        portal_url: str,
    ) -> None:
        self.store = store
        self.groups = groups
        self.directory = directory
        self.languages = languages
        self.sla = sla
        self.clock = clock
        self.portal_url = portal_url.rstrip("/")
        self._cache: dict[str, tuple[float, RuleSet]] = {}

    # --- the cached set ---------------------------------------------------------------

    def current(self, tenant: str) -> RuleSet:
        cached = self._cache.get(tenant)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        documents, version = self.store.get(tenant)
        return self._remember(tenant, documents, version)

    def _remember(self, tenant: str, documents: Iterable[dict[str, Any]], version: int) -> RuleSet:
        in_order = tuple(ordered(documents))
        rule_set = RuleSet(in_order, version, tuple(rule_from_document(d) for d in in_order))
        self._cache[tenant] = (time.monotonic() + _CACHE_SECONDS, rule_set)
        return rule_set

    def forget(self) -> None:
        self._cache.clear()

    # --- evaluation ---------------------------------------------------------------------

    def route(
        self,
        ticket: Ticket,
        trigger: Trigger,
        now: datetime,
        changed: Iterable[str] = (),
    ) -> tuple[Ticket, list[Record]]:
        """The ticket as the tenant's rules leave it, and what to write with it.

        The returned ticket keeps `ticket`'s version: the rules' changes ride in the same
        write as the change that triggered them.
        """
        rule_set = self.current(ticket.tenant)
        if not rule_set.rules:
            return ticket, []
        calendar = self.sla.effective(ticket.tenant).calendars[CalendarKind.BUSINESS]
        outcome = evaluate(
            rule_set.rules,
            ticket,
            trigger=trigger,
            now=now,
            calendar=calendar,
            pick=lambda target, strategy: self._pick(ticket.tenant, target, strategy),
            changed=changed,
        )
        if outcome.skipped:
            logger.warning("routing rules skipped past the limit",
                           extra={"tenant": ticket.tenant, "skipped": outcome.skipped})  # fmt: skip
        records: list[Record] = []
        routed = ticket
        for applied in outcome.applied:
            before = routed
            if applied.changes:
                routed = replace(routed.with_changes(applied.changes, now), version=ticket.version)
            records += self._records(applied, before, routed, trigger, outcome.skipped)
        return routed, records

    def _records(
        self, applied: Applied, before: Ticket, after: Ticket, trigger: Trigger, skipped: int
    ) -> list[Record]:
        actor = rule_actor(applied.rule)
        data: dict[str, Any] = {
            "rule": {"id": applied.rule.id, "name": applied.rule.name},
            "trigger": trigger.value,
            "actions": list(applied.done),
        }
        if skipped:
            data["rules_skipped"] = skipped
        changes = {
            name: {"from": plain(getattr(before, name)), "to": plain(getattr(after, name))}
            for name in applied.changes
        }
        records: list[Record] = [
            Watcher(after.tenant, after.number, email, actor["id"], after.updated_at)
            for email in applied.watchers
        ]
        for reply in applied.replies:
            message = self._reply(reply, after, actor)
            data["actions"].append({"type": "reply", "message_id": message.id})
            said: Event = new_event(
                after,
                "message.added",
                actor,
                data={"message_id": message.id, "visibility": Visibility.PUBLIC.value},
            )
            records += [message, said]
        return [new_event(after, "rule.applied", actor, changes=changes, data=data), *records]

    def _reply(self, reply: Reply, ticket: Ticket, actor: dict[str, str]) -> Message:
        locale = self.languages.locale(ticket.tenant, ticket.requester.email)
        link = f"{self.portal_url}/tickets/{ticket.number}"
        return Message(
            id=new_id(),
            tenant=ticket.tenant,
            ticket=ticket.number,
            author=actor,
            visibility=Visibility.PUBLIC,
            body=reply_text(reply, locale, ticket, link),
            created_at=ticket.updated_at,
            channel=Channel.API,
        )

    def _pick(self, tenant: str, target: str, strategy: Strategy) -> str | None:
        if strategy == Strategy.AGENT:
            return target if self.directory.is_agent(tenant, target) else None
        agents = self.groups.members(tenant, target, MAX_GROUP_AGENTS)
        if not agents:
            return None
        if strategy == Strategy.ROUND_ROBIN:
            turn = self.groups.next_turn(tenant, target)
            return agents[(turn - 1) % len(agents)]
        loads = [(self.groups.open_assigned(tenant, a, _LOAD_ROUNDS), a) for a in agents]
        return min(loads)[1]

    # --- managing the list --------------------------------------------------------------

    def list_rules(
        self, principal: Principal, limit: int, cursor: str | None
    ) -> Page[dict[str, Any]]:
        permissions.require(principal, Action.READ_RULES)
        documents = self._fresh(principal.tenant).documents
        after = _decode_cursor(cursor) if cursor else None
        rest = [d for d in documents if after is None or _place(d) > after]
        page = rest[:limit]
        more = len(rest) > limit
        return Page(page, _encode_cursor(_place(page[-1])) if more else None)

    def get(self, principal: Principal, rule_id: str) -> dict[str, Any]:
        permissions.require(principal, Action.READ_RULES)
        return _find(self._fresh(principal.tenant).documents, rule_id)

    def create(self, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
        permissions.require(principal, Action.WRITE_RULES)
        self._check_references(principal.tenant, body)
        now = _stamp(self.clock())

        def change(documents: list[dict[str, Any]]) -> dict[str, Any]:
            if len(documents) >= MAX_RULES:
                raise Conflict(f"A helpdesk has at most {MAX_RULES} rules; delete one first.")
            position = body.get("position")
            if position is None:
                position = max((d["position"] for d in documents), default=0) + 1
            rule = {**body, "position": position, "id": new_id(), "version": 1,
                    "created_at": now, "updated_at": now, "updated_by": principal.id}  # fmt: skip
            documents.append(rule)
            return rule

        return self._write(principal.tenant, change)

    def replace_rule(
        self, principal: Principal, rule_id: str, body: dict[str, Any], expected: int
    ) -> dict[str, Any]:
        permissions.require(principal, Action.WRITE_RULES)
        self._check_references(principal.tenant, body)

        def change(documents: list[dict[str, Any]]) -> dict[str, Any]:
            old = _find(documents, rule_id)
            _check_version(old, expected)
            position = body.get("position")
            rule = {**body, "position": old["position"] if position is None else position,
                    "id": rule_id, "version": old["version"] + 1,
                    "created_at": old["created_at"], "updated_at": _stamp(self.clock()),
                    "updated_by": principal.id}  # fmt: skip
            documents[documents.index(old)] = rule
            return rule

        return self._write(principal.tenant, change)

    def move(self, principal: Principal, rule_id: str, step: int, expected: int) -> None:
        """Swap a rule with its neighbour before (`step` -1) or after (+1) it, in one write.

        Both rules take each other's position and a new version. Neighbours with the same
        position (ties are ordered by id) are parted by one: the moved rule goes one
        before or after its neighbour.
        """
        permissions.require(principal, Action.WRITE_RULES)
        now = _stamp(self.clock())

        def change(documents: list[dict[str, Any]]) -> dict[str, Any]:
            rule = _find(documents, rule_id)
            _check_version(rule, expected)
            in_order = ordered(documents)
            at = in_order.index(rule)
            if not 0 <= at + step < len(in_order):
                return rule  # already first or last
            other = in_order[at + step]
            mine, theirs = int(other["position"]), int(rule["position"])
            if mine == theirs:
                mine = max(theirs + step, 0)
            for document, position in ((rule, mine), (other, theirs)):
                moved = {**document, "position": position, "version": document["version"] + 1,
                         "updated_at": now, "updated_by": principal.id}  # fmt: skip
                documents[documents.index(document)] = moved
            return rule

        self._write(principal.tenant, change)

    def set_active(self, principal: Principal, rule_id: str, active: bool, expected: int) -> None:
        """Switch a rule on or off without touching the rest of it."""
        permissions.require(principal, Action.WRITE_RULES)
        now = _stamp(self.clock())

        def change(documents: list[dict[str, Any]]) -> dict[str, Any]:
            rule = _find(documents, rule_id)
            _check_version(rule, expected)
            if bool(rule.get("active", True)) == active:
                return rule
            switched = {**rule, "active": active, "version": rule["version"] + 1,
                        "updated_at": now, "updated_by": principal.id}  # fmt: skip
            documents[documents.index(rule)] = switched
            return switched

        self._write(principal.tenant, change)

    def delete(self, principal: Principal, rule_id: str, expected: int | None) -> None:
        permissions.require(principal, Action.WRITE_RULES)

        def change(documents: list[dict[str, Any]]) -> dict[str, Any]:
            old = _find(documents, rule_id)
            if expected is not None:
                _check_version(old, expected)
            documents.remove(old)
            return old

        self._write(principal.tenant, change)

    def _fresh(self, tenant: str) -> RuleSet:
        """What supervisors see: the table as it is, not a minute-old copy."""
        documents, version = self.store.get(tenant, consistent=True)
        return self._remember(tenant, documents, version)

    def _write(self, tenant: str, change: Any) -> dict[str, Any]:
        """Apply `change` to a fresh copy of the list and store it if nobody wrote meanwhile;
        on a clash, read again and redo (each rule's own If-Match is checked every time)."""
        for _ in range(_WRITE_RETRIES):
            documents, version = self.store.get(tenant, consistent=True)
            documents = [dict(d) for d in documents]
            result = change(documents)
            if len(json.dumps(documents)) > _MAX_DOCUMENT_BYTES:
                raise Conflict("The rules are too large together; shorten or remove some.")
            try:
                written = self.store.put(tenant, documents, version)
            except VersionConflict:
                continue
            self._remember(tenant, documents, written)
            return result
        raise Conflict("The rules are being changed by someone else right now; try again.")

    def _check_references(self, tenant: str, body: dict[str, Any]) -> None:
        """Groups and agents a rule names must exist when it is written."""
        problems = []
        for i, action in enumerate(body.get("actions", [])):
            group = action.get("group")
            if group and not self.directory.has_group(tenant, group):
                problems.append({"field": f"actions.{i}.group", "message": "No such group."})
            agent = action.get("agent")
            if agent and not self.directory.is_agent(tenant, agent):
                problems.append(
                    {"field": f"actions.{i}.agent", "message": "Not an agent of this helpdesk."}
                )
        if problems:
            raise Invalid("The rule names groups or agents that do not exist.", errors=problems)


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _find(documents: Iterable[dict[str, Any]], rule_id: str) -> dict[str, Any]:
    for document in documents:
        if document["id"] == rule_id:
            return document
    raise NotFound(f"Rule {rule_id[:40]} does not exist.")


def _check_version(document: dict[str, Any], expected: int) -> None:
    if document["version"] != expected:
        raise PreconditionFailed(
            f"Rule {document['id']} is at version {document['version']}, not {expected}."
        )


def _place(document: dict[str, Any]) -> tuple[int, str]:
    return int(document["position"]), document["id"]


def _encode_cursor(place: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(place)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        position, rule_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(position), str(rule_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadRequest("The cursor is not one this list gave out.") from exc
