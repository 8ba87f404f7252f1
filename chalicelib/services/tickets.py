"""Ticket use cases: create, read, list, change, converse, log time, escalate.

Role rules come from domain.permissions; persistence from a TicketRepository; time from the
injected clock. Every change is one atomic write of the new ticket version together with the
audit event(s) it produced; the table stream publishes those events to the bus.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from chalicelib.domain import approvals, permissions, sla
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.rules import Trigger
from chalicelib.domain.tickets import (
    Attachment,
    Channel,
    Event,
    Level,
    MailFacts,
    Message,
    Person,
    Priority,
    ProblemLink,
    Rating,
    Record,
    Status,
    Ticket,
    TicketType,
    TimeEntry,
    Visibility,
    diff,
    new_event,
    new_id,
    priority_for,
)
from chalicelib.services.ports import (
    AlreadyDone,
    Clock,
    Directory,
    IdempotencyClaim,
    NumberTaken,
    Page,
    TicketFilter,
    TicketRepository,
    VersionConflict,
)
from chalicelib.services.rules import RuleService
from chalicelib.services.sla import SlaSettings

R = TypeVar("R")

# Why a link to a problem is refused (errors[].message with field "problem" or "type").
PROBLEM_NOT_FOUND = "No such ticket."
PROBLEM_IS_SELF = "A ticket cannot be its own problem."
PROBLEM_NOT_A_PROBLEM = "Not a problem ticket."
PROBLEM_CLOSED = "The problem is closed."
PROBLEM_ONLY_INCIDENTS = "Only incidents link to a problem."
LINKED_STAYS_INCIDENT = "Linked to a problem: clear the problem first."

# Concurrent server-side changes (a reply landing while an agent logs time) are retried on a
# fresh read; a client's own stale If-Match never is.
_RETRIES = 5


@dataclass(frozen=True)
class NewTicket:
    subject: str
    description: str
    type: TicketType = TicketType.INCIDENT
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    category: str | None = None
    service: str | None = None
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = field(default_factory=dict)
    # Staff only: filing on behalf of someone, and routing at intake.
    requester_email: str | None = None
    requester_name: str | None = None
    priority: Priority | None = None
    group: str | None = None
    assignee: str | None = None
    channel: Channel | None = None
    # Set by Balie itself (mail to a closed ticket), never taken from a request body.
    follow_up_of: int | None = None

    def staff_fields(self) -> list[str]:
        names = ("requester_email", "requester_name", "priority", "group", "assignee", "channel")
        return [n for n in names if getattr(self, n) is not None]

    def fingerprint(self) -> str:
        """Same request, same fingerprint: tells a retry from a reused Idempotency-Key."""
        values = {k: _plain(v) for k, v in self.__dict__.items()}
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class Preparer(Protocol):
    """Checks a new ticket against the service catalog (services.catalog.Catalog)."""

    def prepare(self, principal: Principal, new: NewTicket) -> tuple[NewTicket, dict[str, Any]]: ...

    def revise(self, principal: Principal, before: Ticket, after: Ticket) -> Ticket: ...


class TicketService:
    def __init__(
        self,
        tickets: TicketRepository,
        directory: Directory,
        sla: SlaSettings,
        clock: Clock,
        idempotency_hours: int = 24,
        rules: RuleService | None = None,
        catalog: Preparer | None = None,
    ) -> None:
        self.catalog = catalog
        self.tickets = tickets
        self.directory = directory
        self.sla = sla
        self.clock = clock
        self.idempotency_hours = idempotency_hours
        self.rules = rules

    # --- create -------------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        new: NewTicket,
        *,
        channel: Channel,
        idempotency_key: str | None = None,
        arrived_with: Callable[[int], list[Record]] | None = None,
        mail_message_id: str | None = None,
    ) -> tuple[Ticket, bool]:
        """File a ticket; returns it and whether this call created it (False: a retry).

        `arrived_with(number)` gives what is stored with the ticket in its transaction
        (a mail's attachments and Message-ID).
        """
        permissions.check_can_file(principal, new.staff_fields())
        requester = self._requester(principal, new)
        self._check_routing(principal.tenant, new.assignee, new.group)
        claim = self._claim(principal, idempotency_key, new)
        if claim:
            done = self.tickets.remembered(principal.tenant, claim.caller, claim.key)
            if done:
                return self._replay(principal, done.request_hash, done.number, claim), False
        # A service request is checked against its catalog item and completed from it.
        new, extras = self.catalog.prepare(principal, new) if self.catalog else (new, {})
        for _ in range(_RETRIES):
            now = self.clock()
            number = self.tickets.next_number(principal.tenant)
            ticket = Ticket(
                tenant=principal.tenant,
                number=number,
                version=1,
                subject=new.subject,
                description=new.description,
                type=new.type,
                status=Status.NEW,
                impact=new.impact,
                urgency=new.urgency,
                priority=new.priority or priority_for(new.impact, new.urgency),
                priority_set_by_agent=new.priority is not None,
                channel=new.channel or channel,
                requester=requester,
                created_at=now,
                updated_at=now,
                created_by=principal.actor(),
                assignee=new.assignee.lower() if new.assignee else None,
                group=new.group,
                category=new.category,
                service=new.service,
                tags=new.tags,
                custom_fields=new.custom_fields,
                follow_up_of=new.follow_up_of,
            )
            # Born routed: the rules' changes and their audit ride in the ticket's transaction.
            # The rules see a pending approval, so none of them assigns a waiting request.
            if "approval" in extras:
                ticket = replace(ticket, approval=extras["approval"])
            ticket, routed = self._route(principal, ticket, Trigger.CREATED, now)
            terms = self.sla.effective(principal.tenant)
            ticket = replace(
                ticket,
                sla=sla.open_clocks(
                    ticket.priority,
                    terms.policy,
                    now,
                    terms.calendars,
                    sla.Scope.of(ticket.service, ticket.requester.email),
                ),
            )
            if extras:  # e.g. on_hold while it waits for approval: clocks follow the status
                ticket = self.sla.advance(ticket, replace(ticket, **extras), now)
            summary = _summary(ticket)
            if mail_message_id:
                # What our acknowledgement answers, so it threads in the requester's mailbox.
                summary["mail_message_id"] = mail_message_id
            event = self._event(principal, ticket, "ticket.created", data=summary)
            records = (*(arrived_with(number) if arrived_with else ()), *routed)
            try:
                self.tickets.insert(ticket, event, claim, records)
            except NumberTaken:
                continue
            except AlreadyDone as done:
                remembered = done.remembered
                return self._replay(
                    principal, remembered.request_hash, remembered.number, claim
                ), False
            return ticket, True
        raise Conflict("Too many tickets are being filed at once; try again.")

    def _requester(self, principal: Principal, new: NewTicket) -> Person:
        if new.requester_email:
            email = new.requester_email.lower()
            return Person(email=email, name=new.requester_name or email.split("@")[0])
        if principal.email is None:
            raise Invalid(
                "An API key files tickets on behalf of someone: send requester_email.",
                errors=[{"field": "requester_email", "message": "Required for API keys."}],
            )
        return Person(email=principal.email.lower(), name=principal.name)

    def _claim(
        self, principal: Principal, key: str | None, new: NewTicket
    ) -> IdempotencyClaim | None:
        if not key:
            return None
        expires = self.clock() + timedelta(hours=self.idempotency_hours)
        return IdempotencyClaim(
            caller=f"{principal.kind}:{principal.id}",
            key=key,
            request_hash=new.fingerprint(),
            expires_at=int(expires.timestamp()),
        )

    def _replay(
        self, principal: Principal, request_hash: str, number: int, claim: IdempotencyClaim
    ) -> Ticket:
        if request_hash != claim.request_hash:
            raise Conflict("This Idempotency-Key was already used for a different request.")
        return self.get(principal, number)

    # --- read ---------------------------------------------------------------------------

    def get(self, principal: Principal, number: int) -> Ticket:
        ticket = self.tickets.get(principal.tenant, number)
        if ticket is None:
            raise NotFound(f"Ticket {number} does not exist.")
        permissions.check_can_see(principal, ticket)
        return ticket

    def list_tickets(
        self, principal: Principal, where: TicketFilter, limit: int, cursor: str | None
    ) -> Page[Ticket]:
        if not principal.is_staff:
            where = replace(where, requester=principal.email)
        if where.assignee == "me":
            if principal.email is None:
                raise Invalid("An API key has no tickets of its own: name the assignee.")
            where = replace(where, assignee=principal.email)
        if where.text and where.text.lstrip("#").isdigit():
            return self._by_number(principal, int(where.text.lstrip("#")))
        return self.tickets.list_tickets(principal.tenant, where, limit, cursor)

    def _by_number(self, principal: Principal, number: int) -> Page[Ticket]:
        try:
            return Page([self.get(principal, number)], None)
        except NotFound:
            return Page([], None)

    def messages(
        self, principal: Principal, number: int, limit: int, cursor: str | None
    ) -> Page[Message]:
        self.get(principal, number)
        public_only = Visibility.INTERNAL not in permissions.visible_messages(principal)
        return self.tickets.messages(principal.tenant, number, public_only, limit, cursor)

    def events(
        self,
        principal: Principal,
        number: int,
        limit: int,
        cursor: str | None,
        *,
        newest_first: bool = False,
    ) -> Page[Event]:
        permissions.require(principal, Action.READ_AUDIT)
        self.get(principal, number)
        return self.tickets.events(principal.tenant, number, limit, cursor, newest_first)

    # --- change -------------------------------------------------------------------------

    def update(
        self, principal: Principal, number: int, changes: dict[str, Any], expected_version: int
    ) -> Ticket:
        ticket = self.get(principal, number)
        permissions.check_can_update(principal, ticket, changes)
        if ticket.version != expected_version:
            raise PreconditionFailed(
                f"Ticket {number} is at version {ticket.version}, not {expected_version}."
            )
        if changes.get("assignee"):
            changes = {**changes, "assignee": changes["assignee"].lower()}
        # A request waiting for approval is not worked on (409) until it is decided.
        approvals.check_change(ticket, changes)
        self._check_routing(principal.tenant, changes.get("assignee"), changes.get("group"))
        now = self.clock()
        after = ticket.with_changes(changes, now)
        if self.catalog:  # becoming a service request checks the form, as filing does
            after = self.catalog.revise(principal, ticket, after)
        changed = diff(ticket, after)
        if not changed:
            return ticket
        linked = self._check_problem(principal, after, changed)
        after, routed = self._route(principal, after, Trigger.UPDATED, now, changed)
        after = self.sla.advance(ticket, after, now)
        event = self._event(
            principal, after, "ticket.updated", changes=changed, data=_clock_moves(ticket, after)
        )
        try:
            self.tickets.save(after, expected_version, [event, *routed, *linked])
        except VersionConflict as exc:
            raise PreconditionFailed(f"Ticket {number} was changed meanwhile.") from exc
        return after

    def add_message(
        self,
        principal: Principal,
        number: int,
        body: str,
        visibility: Visibility,
        channel: Channel,
        *,
        mail: MailFacts | None = None,
        arrived_with: Callable[[str], list[Record]] | None = None,
        author: dict[str, str] | None = None,
    ) -> Message:
        """Add to the conversation. For mail: `mail` says where it came from, and
        `arrived_with(message_id)` what is stored with it (attachments, Message-ID refs);
        `author` names the sender when Balie writes a note on their behalf."""
        permissions.check_can_write(principal, visibility)

        def attempt() -> Message:
            ticket = self.get(principal, number)
            now = self.clock()
            message_id = new_id()
            records = arrived_with(message_id) if arrived_with else []
            message = Message(
                id=message_id,
                tenant=ticket.tenant,
                ticket=number,
                author=author or principal.actor(),
                visibility=visibility,
                body=body,
                created_at=now,
                channel=channel,
                mail=mail,
                attachments=tuple(r.id for r in records if isinstance(r, Attachment)),
            )
            after = ticket.with_changes(_effects_of_message(principal, ticket, message), now)
            public = visibility == Visibility.PUBLIC
            after = self.sla.advance(
                ticket,
                after,
                now,
                agent_replied=public and principal.is_staff,
                requester_replied=public and not principal.is_staff,
            )
            event = self._event(
                principal,
                after,
                "message.added",
                changes=diff(ticket, after),
                data={
                    "message_id": message.id,
                    "visibility": visibility.value,
                    **({"mail_message_id": mail.message_id} if mail else {}),
                    **_clock_moves(ticket, after),
                },
            )
            self.tickets.save(after, ticket.version, [message, event, *records])
            return message

        return self._retrying(attempt)

    def log_time(self, principal: Principal, number: int, minutes: int, note: str) -> TimeEntry:
        permissions.require(principal, Action.LOG_TIME)

        def attempt() -> TimeEntry:
            ticket = self.get(principal, number)
            now = self.clock()
            entry = TimeEntry(
                id=new_id(),
                tenant=ticket.tenant,
                ticket=number,
                minutes=minutes,
                note=note,
                author=principal.actor(),
                created_at=now,
            )
            after = ticket.with_changes(
                {"time_spent_minutes": ticket.time_spent_minutes + minutes}, now
            )
            event = self._event(
                principal, after, "time.logged", data={"minutes": minutes, "entry_id": entry.id}
            )
            self.tickets.save(after, ticket.version, [entry, event])
            return entry

        return self._retrying(attempt)

    def escalate(
        self, principal: Principal, number: int, tier: int, group: str | None, reason: str
    ) -> Ticket:
        """Functional escalation: hand the ticket to a higher line, with the reason as a note."""
        permissions.require(principal, Action.ESCALATE)
        self._check_routing(principal.tenant, None, group)

        def attempt() -> Ticket:
            ticket = self.get(principal, number)
            if tier <= ticket.tier:
                raise Conflict(f"Ticket {number} is already at tier {ticket.tier}.")
            if ticket.status in (Status.RESOLVED, Status.CLOSED):
                raise Conflict(f"Ticket {number} is {ticket.status.value}; reopen it first.")
            now = self.clock()
            changes: dict[str, Any] = {"tier": tier, "assignee": None}
            if group:
                changes["group"] = group
            after = ticket.with_changes(changes, now)
            note = Message(
                id=new_id(),
                tenant=ticket.tenant,
                ticket=number,
                author=principal.actor(),
                visibility=Visibility.INTERNAL,
                body=reason,
                created_at=now,
                channel=Channel.API,
            )
            event = self._event(
                principal,
                after,
                "ticket.escalated",
                changes=diff(ticket, after),
                data={"reason_message_id": note.id},
            )
            self.tickets.save(after, ticket.version, [note, event])
            return after

        return self._retrying(attempt)

    def rate(
        self,
        principal: Principal,
        number: int,
        rating: Rating,
        comment: str | None,
        *,
        resolution: int | None = None,
    ) -> Ticket:
        """The requester's rating of the current resolution, from the portal, the API or a
        survey link (which names the `resolution` it asked about)."""

        def attempt() -> Ticket:
            ticket = self.get(principal, number)
            permissions.check_can_rate(principal, ticket)
            after = ticket.rated(rating, comment, self.clock(), resolution=resolution)
            assert after.satisfaction is not None
            data = {"rating": rating.value, "resolution": after.satisfaction.resolution}
            event = self._event(principal, after, "satisfaction.received", data=data)
            self.tickets.save(after, ticket.version, [event])
            return after

        return self._retrying(attempt)

    def comment_rating(
        self, principal: Principal, number: int, resolution: int, comment: str
    ) -> Ticket:
        """The comment that may follow a one-click rating from a survey mail."""

        def attempt() -> Ticket:
            ticket = self.get(principal, number)
            permissions.check_can_rate(principal, ticket)
            after = ticket.commented(comment, resolution, self.clock())
            event = self._event(
                principal, after, "satisfaction.commented", data={"resolution": resolution}
            )
            self.tickets.save(after, ticket.version, [event])
            return after

        return self._retrying(attempt)

    # --- helpers ------------------------------------------------------------------------

    def sla_view(self, ticket: Ticket) -> dict[str, Any] | None:
        if ticket.sla is None:
            return None
        terms = self.sla.effective(ticket.tenant)
        return sla.view(ticket.sla, self.clock(), terms.calendars)

    def _route(
        self,
        principal: Principal,
        ticket: Ticket,
        trigger: Trigger,
        now: datetime,
        changed: Any = (),
    ) -> tuple[Ticket, list[Record]]:
        """The tenant's routing rules on this create or update (a single pass: what the rules
        change does not trigger them again). Balie's own housekeeping (auto-close) runs none.
        """
        if self.rules is None or principal.kind == "system":
            return ticket, []
        return self.rules.route(ticket, trigger, now, changed)

    def _check_routing(self, tenant: str, assignee: str | None, group: str | None) -> None:
        problems = []
        if assignee and not self.directory.is_agent(tenant, assignee):
            problems.append({"field": "assignee", "message": "Not an agent of this helpdesk."})
        if group and not self.directory.has_group(tenant, group):
            problems.append({"field": "group", "message": "No such group."})
        if problems:
            raise Invalid("The ticket cannot be routed like that.", errors=problems)

    def _check_problem(
        self, principal: Principal, after: Ticket, changed: dict[str, Any]
    ) -> list[Record]:
        """A ticket links only as an incident, to a problem of its own tenant that is not
        closed. Setting `problem` writes what POST /links writes: the problem's LINK# item and
        a `problem.linked` event on the problem. Clearing or moving it leaves the old item,
        which the list skips (the incident's own `problem` decides)."""
        if "problem" not in changed and "type" not in changed:
            return []
        if after.problem is None:
            return []
        if "problem" not in changed:  # the type changed under an existing link
            if after.type != TicketType.INCIDENT:
                raise Invalid(
                    "A ticket linked to a problem stays an incident.",
                    errors=[{"field": "type", "message": LINKED_STAYS_INCIDENT}],
                )
            return []
        target = (
            None
            if after.problem == after.number
            else self.tickets.get(principal.tenant, after.problem)
        )
        if after.problem == after.number:
            message = PROBLEM_IS_SELF
        elif target is None:
            message = PROBLEM_NOT_FOUND
        elif target.type != TicketType.PROBLEM:
            message = PROBLEM_NOT_A_PROBLEM
        elif target.status == Status.CLOSED:
            message = PROBLEM_CLOSED
        elif after.type != TicketType.INCIDENT:
            message = PROBLEM_ONLY_INCIDENTS
        else:
            message = None
        if message or target is None:
            raise Invalid(
                "This ticket cannot be linked to that problem.",
                errors=[{"field": "problem", "message": message}],
            )
        linked_at = after.updated_at
        return [
            ProblemLink(after.tenant, target.number, after.number, linked_at),
            replace(
                new_event(
                    target, "problem.linked", principal.actor(), data={"incidents": [after.number]}
                ),
                occurred_at=linked_at,
            ),
        ]

    def _event(
        self,
        principal: Principal,
        ticket: Ticket,
        kind: str,
        *,
        changes: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event:
        return new_event(ticket, kind, principal.actor(), changes=changes, data=data)

    def _retrying(self, attempt: Callable[[], R]) -> R:
        for _ in range(_RETRIES):
            try:
                return attempt()
            except VersionConflict:
                continue
        raise Conflict("The ticket is changing too fast right now; try again.")


def _effects_of_message(principal: Principal, ticket: Ticket, message: Message) -> dict[str, Any]:
    """How a message moves its ticket: a requester's reply reopens, an agent's reply responds."""
    if ticket.status == Status.CLOSED:
        raise Conflict(f"Ticket {ticket.number} is closed; file a new ticket instead.")
    if message.visibility == Visibility.INTERNAL:
        return {}
    if principal.is_staff:
        changes: dict[str, Any] = {}
        if ticket.first_response_at is None:
            changes["first_response_at"] = message.created_at
        if ticket.status == Status.NEW:
            changes["status"] = Status.OPEN
        return changes
    if ticket.status in (Status.PENDING, Status.RESOLVED):
        return {"status": Status.OPEN}
    return {}


def _clock_moves(before: Ticket, after: Ticket) -> dict[str, Any]:
    moves = sla.transitions(before.sla, after.sla)
    return {"sla": moves} if moves else {}


def _summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "subject": ticket.subject,
        "priority": ticket.priority.value,
        "channel": ticket.channel.value,
        "requester": ticket.requester.email,
        # What the report counts a new ticket under (docs/metrics.md).
        "type": ticket.type.value,
        "group": ticket.group,
        "assignee": ticket.assignee,
        "category": ticket.category,
    }
