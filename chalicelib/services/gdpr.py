"""GDPR access (export) and erasure of a requester's personal data, both audited.

Admins only (domain.permissions). A requester is known by their address within the caller's
tenant: another tenant's requester, like an unknown one, is a 404.

Erasure pseudonymises rather than deletes: each ticket keeps its status, priority, SLA,
dates and counters so that reports stay true, but the requester's address and name are
replaced by a stable pseudonym, the description and the requester's own messages are blanked,
and every other mention of the address (in agents' messages, notes, time notes and audit
events) is replaced as well. Each ticket is one conditional write of a new version with a
`requester.erased` event carrying no personal data; a concurrent change makes it read again.
Mail they sent is blanked in the table too (its untrimmed original, the receipt of the mail
that filed a ticket), and its raw MIME and their attachments are deleted from the bucket.
"""

import hashlib
import re
from dataclasses import replace
from typing import Any

from chalicelib.domain import permissions
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.permissions import INTERNAL_FIELDS, Action
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tickets import (
    Attachment,
    Event,
    MailFacts,
    MailReceipt,
    Message,
    Person,
    Record,
    Satisfaction,
    Ticket,
    TimeEntry,
    Visibility,
    new_id,
)
from chalicelib.services.ports import Accounts, Clock, FileStore, PersonalData, VersionConflict

ERASED = "[erased]"
ERASED_NAME = "Erased requester"
_RETRIES = 5

# What a data subject sees of the audit trail: the events about their request itself. The
# handling (time logged, escalations, SLA clocks) is the helpdesk's own record, not theirs.
_SUBJECT_EVENTS = {
    "ticket.created",
    "ticket.updated",
    "message.added",
    "satisfaction.received",
    "satisfaction.commented",
}


def pseudonym(tenant: str, email: str) -> str:
    """Stable per tenant and address, so erased tickets of one person still group together."""
    digest = hashlib.sha256(f"{tenant}{email.lower()}".encode()).hexdigest()[:12]
    return f"erased-{digest}@invalid"


class GdprService:
    def __init__(
        self,
        data: PersonalData,
        accounts: Accounts,
        files: FileStore,
        clock: Clock,
        watchers: Any = None,
        people: Any = None,
    ) -> None:
        # The watcher store (services.watchers.WatcherStore): tickets a person is copied on.
        self.watchers = watchers
        # Profiles (`profile(tenant, email)`): the person's own mail choices, exported too.
        self.people = people
        self.data = data
        self.accounts = accounts
        self.files = files
        self.clock = clock

    # --- access -----------------------------------------------------------------------------

    def export(self, principal: Principal, email: str) -> dict[str, Any]:
        permissions.require(principal, Action.MANAGE_PERSONAL_DATA)
        email = email.strip().lower()
        tickets = sorted(
            self.data.requester_tickets(principal.tenant, email), key=lambda t: t.number
        )
        # Only the numbers of tickets they watch: those are other people's requests.
        watching = self.watchers.watching(principal.tenant, email) if self.watchers else []
        if not tickets and not watching:
            raise NotFound(f"No requester {email} in this helpdesk.")
        now = self.clock()
        exported = [self._export_ticket(t, email) for t in tickets]
        # The audit record sits with the other EVT# items under each exported ticket: that is
        # where the trail of a ticket is read, and no personal data goes into it.
        for ticket in tickets:
            self.data.append_event(
                Event(
                    id=new_id(),
                    type="requester.exported",
                    tenant=ticket.tenant,
                    ticket=ticket.number,
                    actor=principal.actor(),
                    occurred_at=now,
                    data={"tickets": len(tickets)},
                )
            )
        name = max(tickets, key=lambda t: t.updated_at).requester.name if tickets else email
        return {
            "requester": {"email": email, "name": name},
            "tenant": principal.tenant,
            "exported_at": now,
            "tickets": exported,
            "watching": sorted(watching),
            "announcements_opt_out": self._opted_out(principal.tenant, email),
        }

    def _opted_out(self, tenant: str, email: str) -> bool:
        """Whether they left the announcement mailings (an unsubscribe link). Erasure deletes
        the profile, and the choice with it."""
        profile = self.people.profile(tenant, email) if self.people else None
        return bool(profile and profile.announcements_opt_out)

    def _export_ticket(self, ticket: Ticket, email: str) -> dict[str, Any]:
        records = self.data.records(ticket.tenant, ticket.number)
        # Internal notes are left out on purpose: they are the helpdesk's records about how it
        # handled the request (and often about its staff), not the requester's personal data,
        # and the requester could never see them. The same goes for routing fields.
        public = {
            r.id for r in records if isinstance(r, Message) and r.visibility == Visibility.PUBLIC
        }
        messages = [
            {
                "id": r.id,
                "author": {"name": r.author.get("name"), "role": r.author.get("role")},
                "from_requester": r.author.get("id") == email,
                "body": r.body,
                "channel": r.channel.value,
                "created_at": r.created_at,
            }
            for r in records
            if isinstance(r, Message) and r.id in public
        ]
        events = [
            {
                "type": e.type,
                "occurred_at": e.occurred_at,
                "by_requester": e.actor.get("id") == email,
                "changes": {k: v for k, v in e.changes.items() if k not in INTERNAL_FIELDS},
            }
            for e in records
            if isinstance(e, Event)
            and e.type in _SUBJECT_EVENTS
            and (e.type != "message.added" or e.data.get("message_id") in public)
        ]
        return {
            "number": ticket.number,
            "subject": ticket.subject,
            "description": ticket.description,
            "type": ticket.type.value,
            "status": ticket.status.value,
            "priority": ticket.priority.value,
            "impact": ticket.impact.value,
            "urgency": ticket.urgency.value,
            "channel": ticket.channel.value,
            "category": ticket.category,
            "service": ticket.service,
            "custom_fields": ticket.custom_fields,
            "created_at": ticket.created_at,
            "updated_at": ticket.updated_at,
            "first_response_at": ticket.first_response_at,
            "resolved_at": ticket.resolved_at,
            "closed_at": ticket.closed_at,
            "messages": sorted(messages, key=lambda m: m["created_at"]),
            "events": sorted(events, key=lambda e: e["occurred_at"]),
            "attachments": [
                {
                    "id": a.id,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "created_at": a.created_at,
                }
                for a in records
                if isinstance(a, Attachment) and a.visibility == Visibility.PUBLIC
            ],
            # The latest rating is kept on the ticket; earlier ones are in `events`.
            "ratings": [_rating(ticket.satisfaction)] if ticket.satisfaction else [],
        }

    # --- erasure ----------------------------------------------------------------------------

    def erase(self, principal: Principal, email: str) -> None:
        permissions.require(principal, Action.MANAGE_PERSONAL_DATA)
        tenant = principal.tenant
        email = email.strip().lower()
        role = self.data.profile_role(tenant, email)
        if role is not None and role != Role.REQUESTER.value:
            raise Conflict(f"{email} is staff of this helpdesk; remove the user first.")
        tickets = list(self.data.requester_tickets(tenant, email))
        names = {t.requester.name for t in tickets}
        scrub = _Scrubber(email, pseudonym(tenant, email), names)
        for ticket in tickets:
            self._erase_ticket(principal, ticket.number, email, scrub)
        removed_profile = self.data.delete_profile(tenant, email)
        removed_account = self.accounts.delete(tenant, email)
        unwatched = self.watchers.forget(tenant, email) if self.watchers else 0
        if not (tickets or removed_profile or removed_account or unwatched):
            raise NotFound(f"No requester {email} in this helpdesk.")

    def _erase_ticket(
        self, principal: Principal, number: int, email: str, scrub: "_Scrubber"
    ) -> None:
        for _ in range(_RETRIES):
            ticket = self.data.get(principal.tenant, number)
            if ticket is None or ticket.requester.email != email:
                return  # erased meanwhile
            stored = self.data.records(principal.tenant, number)
            records = [
                changed for record in stored if (changed := scrub.record(record)) is not record
            ]
            # Files go first: should the rewrite fail, a retry finds them gone already.
            for key in _their_files(stored, email):
                self.files.delete(key)
            after = replace(
                ticket,
                version=ticket.version + 1,
                requester=Person(email=scrub.pseudonym, name=ERASED_NAME),
                description=ERASED,
                subject=scrub.text(ticket.subject),
                created_by=scrub.value(ticket.created_by),
                custom_fields=scrub.value(ticket.custom_fields),
                # The rating stays for the statistics; the words are the person's.
                satisfaction=(
                    replace(ticket.satisfaction, comment=None) if ticket.satisfaction else None
                ),
                # updated_at is kept: erasure is not a change in the handling, and the
                # auto-close of resolved tickets and the reports read it.
            )
            event = Event(
                id=new_id(),
                type="requester.erased",
                tenant=ticket.tenant,
                ticket=number,
                actor=principal.actor(),
                occurred_at=self.clock(),
                data={"fields": ["requester", "description", "messages"]},
            )
            try:
                self.data.rewrite(after, ticket.version, [*records, event])
            except VersionConflict:
                continue
            return
        raise Conflict(f"Ticket {number} is changing too fast right now; try again.")


def _rating(satisfaction: Satisfaction) -> dict[str, Any]:
    return {
        "rating": satisfaction.rating.value,
        "resolution": satisfaction.resolution,
        "rated_at": satisfaction.rated_at,
        "comment": satisfaction.comment,
    }


class _Scrubber:
    """Replaces one person's address and names everywhere in a record's values."""

    def __init__(self, email: str, pseudonym: str, names: set[str]) -> None:
        self.email = email
        self.pseudonym = pseudonym
        # Short names ("Al") would match inside ordinary words; those stay.
        self._names = [n for n in names if len(n.strip()) >= 3 and n.lower() != email]
        self._email_re = re.compile(re.escape(email), re.IGNORECASE)
        self._name_re = (
            re.compile(r"\b(" + "|".join(re.escape(n) for n in self._names) + r")\b")
            if self._names
            else None
        )

    def text(self, value: str) -> str:
        value = self._email_re.sub(self.pseudonym, value)
        return self._name_re.sub(ERASED_NAME, value) if self._name_re else value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        if isinstance(value, dict):
            if str(value.get("id", "")).lower() == self.email:  # an actor: the person
                return {
                    **{k: self.value(v) for k, v in value.items()},
                    "id": self.pseudonym,
                    "name": ERASED_NAME,
                }
            return {k: self.value(v) for k, v in value.items()}
        return value

    def _is_theirs(self, author: dict[str, str]) -> bool:
        return str(author.get("id", "")).lower() == self.email

    def record(self, record: Record) -> Record:
        """The record with the person removed, or the same object when nothing changes."""
        changed: Record
        if isinstance(record, Message):
            theirs = self._is_theirs(record.author)
            body = ERASED if theirs else self.text(record.body)
            mail = self.mail(record.mail) if record.mail else None
            changed = replace(record, body=body, author=self.value(record.author), mail=mail)
        elif isinstance(record, MailReceipt):
            changed = replace(record, facts=self.mail(record.facts))
        elif isinstance(record, Attachment):
            changed = replace(record, filename=self.text(record.filename))
        elif isinstance(record, Event):
            changed = replace(
                record,
                actor=self.value(record.actor),
                changes=self.value(record.changes),
                data=self.value(record.data),
            )
        elif isinstance(record, TimeEntry):
            changed = replace(record, note=self.text(record.note), author=self.value(record.author))
        else:
            changed = record
        return record if changed == record else changed

    def mail(self, facts: MailFacts) -> MailFacts:
        theirs = facts.sender.lower() == self.email
        original = facts.original
        if original is not None:
            original = ERASED if theirs else self.text(original)
        return replace(
            facts,
            sender=self.pseudonym if theirs else facts.sender,
            original=original,
            raw_key=None if theirs else facts.raw_key,
        )


def _their_files(records: list[Record], email: str) -> list[str]:
    """Bucket keys of the raw mail they sent and of the files that came with it."""
    theirs: set[str] = {""}  # attachments of the mail that filed the ticket have no message
    keys: list[str] = []
    for record in records:
        facts = record.mail if isinstance(record, Message) else None
        if isinstance(record, MailReceipt):
            facts = record.facts
        if facts and facts.sender.lower() == email:
            if isinstance(record, Message):
                theirs.add(record.id)
            if facts.raw_key:
                keys.append(facts.raw_key)
        elif isinstance(record, Message) and record.author.get("id", "").lower() == email:
            theirs.add(record.id)
    keys += [
        r.key
        for r in records
        if isinstance(r, Attachment) and r.message in theirs and not r.key.startswith("raw-mail/")
    ]
    return list(dict.fromkeys(keys))
