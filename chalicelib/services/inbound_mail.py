"""Receive one inbound mail: find its tenant and ticket, and file or append it — or don't.

What happens to a mail, by what it is (adapters.mail.classify):
- our own mail coming back (X-Loop, from our address): nothing, it is logged;
- a bounce: the failed addresses are marked as bouncing; a note on the ticket it answers;
- an auto-reply: an internal note on the ticket it answers (nobody is notified), or a new
  ticket tagged `auto-reply` that is never acknowledged;
- a list or bulk mail: a new ticket tagged `bulk`, never acknowledged;
- SES virus FAIL: nothing is filed (the raw mail stays in the bucket for its retention);
  spam FAIL: a ticket tagged `spam`, never acknowledged, for an agent to judge;
- anything else: a reply joins its ticket (domain.threads), a new mail files a ticket.

A mail that cannot be parsed still files a ticket, with the raw MIME as its attachment.
Receiving is idempotent: the mail's Message-ID is recorded in the same transaction as what it
produced, so a redelivered mail finds it and changes nothing.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from chalicelib.adapters.mail.classify import Kind, Verdict, classify
from chalicelib.adapters.mail.parse import ParsedMail, parse
from chalicelib.domain import threads
from chalicelib.domain.errors import Conflict
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tickets import (
    Attachment,
    Channel,
    MailFacts,
    MailReceipt,
    MailRef,
    Record,
    Ticket,
    Visibility,
    new_id,
)
from chalicelib.domain.watchers import Watcher, cc_watchers
from chalicelib.services.ports import AlreadyDone, AlreadyReceived, Clock
from chalicelib.services.tickets import NewTicket, TicketService

# Kept below DynamoDB's 400 KB item limit with room for the rest of the message item; the
# whole text is always in the raw mail.
MAX_BODY_BYTES = 60_000
MAX_ORIGINAL_BYTES = 180_000
MAX_SUBJECT_CHARS = 200
# Colleagues on a new mail who become watchers; they share its transaction with attachments.
MAIL_WATCHERS = 10


@dataclass(frozen=True)
class Delivery:
    """One mail as SES received it: the raw MIME's key in the bucket and SES's findings."""

    ses_id: str
    raw_key: str
    recipients: tuple[str, ...]
    verdicts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    result: str  # created | appended | follow_up | noted | bounce | loop | duplicate | ...
    tenant: str | None = None
    ticket: int | None = None


@dataclass(frozen=True)
class Limits:
    per_file_bytes: int
    per_message_bytes: int


class MailTenants(Protocol):
    def tenant_for_address(self, address: str) -> str | None: ...

    def get(self, tenant: str) -> dict[str, Any] | None: ...


class People(Protocol):
    """The tenant's people as the mail intake needs them (adapters.dynamo.users)."""

    def role_of(self, tenant: str, email: str) -> Role | None: ...

    def add_requester(self, tenant: str, email: str, name: str, locale: str) -> None: ...

    def mark_bouncing(self, tenant: str, email: str, reason: str, at: datetime) -> None: ...


class Notifier(Protocol):
    def enqueue(self, request: dict[str, Any]) -> None: ...


class Files(Protocol):
    def get(self, key: str) -> bytes: ...

    def put(self, key: str, content: bytes, content_type: str) -> None: ...


class InboundMail:
    def __init__(
        self,
        tickets: TicketService,
        tenants: MailTenants,
        people: People,
        files: Files,
        notifier: Notifier,
        limits: Limits,
        clock: Clock,
    ) -> None:
        self.tickets = tickets
        self.tenants = tenants
        self.people = people
        self.files = files
        self.notifier = notifier
        self.limits = limits
        self.clock = clock

    def receive(self, delivery: Delivery) -> Outcome:
        found = self._tenant(delivery.recipients)
        if found is None:
            return Outcome("no_tenant")
        tenant, token = found
        settings = self.tenants.get(tenant) or {}
        if delivery.verdicts.get("virus") == "FAIL":
            return Outcome("virus", tenant)
        mail = parse(self.files.get(delivery.raw_key))
        verdict = classify(
            mail,
            own_addresses=settings.get("inbound_addresses", []),
            loop_marker=threads.LOOP_MARKER,
        )
        if verdict.kind == Kind.LOOP:
            return Outcome("loop", tenant)
        intake = _Intake(self, tenant, settings, delivery, mail, verdict)
        try:
            return intake.run(token)
        except (AlreadyReceived, AlreadyDone):
            return Outcome("duplicate", tenant)

    def _tenant(self, recipients: tuple[str, ...]) -> tuple[str, str | None] | None:
        """The first recipient that is one of our addresses decides; its plus tag is kept."""
        for recipient in recipients:
            address, tag = threads.split_plus(recipient)
            tenant = self.tenants.tenant_for_address(address)
            if tenant:
                return tenant, tag
        return None


class _Intake:
    """One mail for one tenant; holds what the steps share."""

    def __init__(
        self,
        service: InboundMail,
        tenant: str,
        settings: dict[str, Any],
        delivery: Delivery,
        mail: ParsedMail,
        verdict: Verdict,
    ) -> None:
        self.service = service
        self.tickets = service.tickets
        self.tenant = tenant
        self.settings = settings
        self.delivery = delivery
        self.mail = mail
        self.verdict = verdict
        self.message_id = mail.message_id or f"<{delivery.ses_id}@ses.balie>"
        self.sender = mail.from_address or "unknown@invalid"
        self.now = service.clock()
        self.parts: list[tuple[int, Any]] = []
        self.refused: list[dict[str, Any]] = []

    def run(self, token: str | None) -> Outcome:
        if self.tickets.tickets.thread_of(self.tenant, [self.message_id]):
            return Outcome("duplicate", self.tenant)
        ticket = self._thread(token)
        if self.verdict.kind != Kind.BOUNCE:
            self._store_files()
        try:
            if self.verdict.kind == Kind.BOUNCE:
                outcome = self._bounce(ticket)
            elif self.verdict.kind == Kind.AUTO_REPLY and ticket is not None:
                outcome = self._note(ticket, "auto_reply")
            elif ticket is not None:
                outcome = self._reply(ticket)
            else:
                outcome = self._file(follow_up_of=None)
        except Conflict:
            # Only an automatic note can meet a closed ticket here (a reply files a
            # follow-up); an out-of-office about a closed ticket tells nobody anything.
            return Outcome("ignored", self.tenant, ticket.number if ticket else None)
        if self.refused and self.verdict.may_answer:
            self._tell_refused(outcome)
        return outcome

    # --- threading ----------------------------------------------------------------------

    def _thread(self, token: str | None) -> Ticket | None:
        key = self.settings.get("mail_token_key")
        if token and key:
            number = threads.number_of_token(key, self.tenant, token)
            if number is not None:
                return self.tickets.tickets.get(self.tenant, number)
        ids = [*reversed(self.mail.in_reply_to), *reversed(self.mail.references)]
        if self.verdict.kind == Kind.BOUNCE:
            ids += _returned_ids(self.mail)
        ref = self.tickets.tickets.thread_of(self.tenant, ids)
        if ref is not None:
            return self.tickets.tickets.get(self.tenant, ref.ticket)
        number = threads.number_in_subject(self.mail.subject)
        if number is None:
            return None
        ticket = self.tickets.tickets.get(self.tenant, number)
        if ticket and threads.is_participant(ticket, self.sender, self._is_staff()):
            return ticket
        return None

    # --- what a mail becomes ------------------------------------------------------------

    def _file(self, follow_up_of: int | None) -> Outcome:
        principal = self._sender_principal()
        new = NewTicket(
            subject=self._subject(),
            description=self._body(),
            tags=self._tags(),
            follow_up_of=follow_up_of,
        )

        def arrived_with(number: int) -> list[Record]:
            receipt = MailReceipt(new_id(), self.tenant, number, self._facts(), self.now)
            return [
                self._ref(number),
                receipt,
                *self._attachments(number, "", Visibility.PUBLIC),
                *self._copied(number),
            ]

        ticket, _ = self.tickets.create(
            principal,
            new,
            channel=Channel.EMAIL,
            idempotency_key=f"mail:{self.delivery.ses_id}",
            arrived_with=arrived_with,
            mail_message_id=self.message_id,
        )
        return Outcome("follow_up" if follow_up_of else "created", self.tenant, ticket.number)

    def _reply(self, ticket: Ticket) -> Outcome:
        placement = threads.place_reply(ticket, self.now, int(self.settings.get("reopen_days", 14)))
        if placement == threads.Placement.FOLLOW_UP:
            return self._file(follow_up_of=ticket.number)
        staff = self._is_staff()
        if not staff and self.sender != ticket.requester.email.lower():
            # Someone else on the thread (a colleague in Cc, a forward): agents see it as a
            # note; the requester's conversation only holds what they and the desk wrote.
            return self._note(ticket, "third_party")
        self._append(ticket, self._sender_principal(), Visibility.PUBLIC, self._body())
        return Outcome("appended", self.tenant, ticket.number)

    def _note(self, ticket: Ticket, why: str) -> Outcome:
        body = f"{self.mail.from_name or self.sender} <{self.sender}>:\n\n{self._body()}"
        author = {"kind": "mail", "id": self.sender, "name": self.mail.from_name or self.sender,
                  "role": why}  # fmt: skip
        self._append(ticket, Principal.system(self.tenant, "mail"), Visibility.INTERNAL, body,
                     author=author)  # fmt: skip
        return Outcome("noted", self.tenant, ticket.number)

    def _bounce(self, ticket: Ticket | None) -> Outcome:
        reason = f"{self.verdict.reason}: {self.mail.subject}"[:300]
        if not self.verdict.temporary:
            for address in self.verdict.failed_recipients:
                self.service.people.mark_bouncing(self.tenant, address, reason, self.now)
        if ticket is not None:
            self._note(ticket, "bounce")
        return Outcome("bounce", self.tenant, ticket.number if ticket else None)

    def _append(
        self,
        ticket: Ticket,
        principal: Principal,
        visibility: Visibility,
        body: str,
        author: dict[str, str] | None = None,
    ) -> None:
        def arrived_with(message_id: str) -> list[Record]:
            return [
                self._ref(ticket.number),
                *self._attachments(ticket.number, message_id, visibility),
            ]

        self.tickets.add_message(
            principal,
            ticket.number,
            body,
            visibility,
            Channel.EMAIL,
            mail=self._facts(),
            arrived_with=arrived_with,
            author=author,
        )

    # --- parts --------------------------------------------------------------------------

    def _copied(self, number: int) -> list[Watcher]:
        """Colleagues of a person's own domain on the mail that files a ticket (To/Cc) watch
        it, as a requester could add them in the portal (docs/watchers.md). Never for
        automatic mail, and at most MAIL_WATCHERS, beside the attachments in one transaction."""
        if self.verdict.kind != Kind.HUMAN or self._is_staff():
            return []
        own = {a.lower() for a in self.settings.get("inbound_addresses", [])}
        found = cc_watchers(self.sender, self.mail.recipients, own, MAIL_WATCHERS)
        return [Watcher(self.tenant, number, a, self.sender, self.now) for a in found]

    @cached_property
    def _role(self) -> Role | None:
        """The sender's role in the tenant, read once per mail (None: not known yet)."""
        return self.service.people.role_of(self.tenant, self.sender)

    def _sender_principal(self) -> Principal:
        role = self._role
        name = self.mail.from_name or self.sender.split("@")[0]
        if role is None:
            locale = self.settings.get("locale", "en")
            self.service.people.add_requester(self.tenant, self.sender, name, locale)
            role = Role.REQUESTER
        return Principal(self.tenant, role, "user", self.sender, name, email=self.sender)

    def _is_staff(self) -> bool:
        return self._role is not None and self._role.at_least(Role.AGENT)

    def _subject(self) -> str:
        subject = " ".join(self.mail.subject.split())[:MAX_SUBJECT_CHARS]
        return subject or f"(no subject) {self.sender}"[:MAX_SUBJECT_CHARS]

    def _body(self) -> str:
        if self.mail.parse_failed and not self.mail.text.strip():
            return "This mail could not be read; its original is attached."
        return _cut(self.mail.trimmed or self.mail.text, MAX_BODY_BYTES) or "(empty message)"

    def _tags(self) -> tuple[str, ...]:
        tags = {Kind.AUTO_REPLY: "auto-reply", Kind.BULK: "bulk"}
        found = [tags[self.verdict.kind]] if self.verdict.kind in tags else []
        if self.delivery.verdicts.get("spam") == "FAIL":
            found.append("spam")
        if self.mail.parse_failed:
            found.append("unreadable")
        return tuple(found)

    def _facts(self) -> MailFacts:
        original = self.mail.text if self.mail.trimmed != self.mail.text else None
        return MailFacts(
            message_id=self.message_id,
            sender=self.sender,
            raw_key=self.delivery.raw_key,
            original=_cut(original, MAX_ORIGINAL_BYTES) if original else None,
            kind="unparseable" if self.mail.parse_failed else self.verdict.kind.value,
            verdicts=dict(self.delivery.verdicts),
        )

    def _ref(self, number: int) -> MailRef:
        return MailRef(self.tenant, self.message_id, number, inbound=True)

    def _store_files(self) -> None:
        """Files within the limits go to the bucket (before the ticket write, under keys a
        redelivery reuses); the others are listed in `refused` and the sender is told."""
        total = 0
        limits = self.service.limits
        for index, part in enumerate(self.mail.attachments):
            size = len(part.content)
            if size > limits.per_file_bytes or total + size > limits.per_message_bytes:
                self.refused.append({"filename": part.filename, "size": size})
                continue
            total += size
            key = f"attachments/{self.tenant}/{_stable_id(self.delivery.ses_id, index)}"
            self.service.files.put(key, part.content, part.content_type)
            self.parts.append((index, part))

    def _attachments(self, number: int, message_id: str, visibility: Visibility) -> list[Record]:
        stored: list[Record] = []
        for index, part in self.parts:
            attachment_id = _stable_id(self.delivery.ses_id, index)
            stored.append(
                Attachment(
                    id=attachment_id,
                    tenant=self.tenant,
                    ticket=number,
                    message=message_id,
                    filename=part.filename,
                    content_type=part.content_type,
                    size=len(part.content),
                    key=f"attachments/{self.tenant}/{attachment_id}",
                    visibility=visibility,
                    created_at=self.now,
                    content_id=part.content_id,
                )
            )
        if self.mail.parse_failed:
            stored.append(self._raw_as_attachment(number, message_id, visibility))
        return stored

    def _tell_refused(self, outcome: Outcome) -> None:
        self.service.notifier.enqueue(
            {
                "id": f"refused:{self.delivery.ses_id}",
                "type": "mail.attachments_refused",
                "tenant": self.tenant,
                "ticket": outcome.ticket,
                "to": {"address": self.sender},
                "refused": self.refused,
                "in_reply_to": self.message_id,
            }
        )

    def _raw_as_attachment(
        self, number: int, message_id: str, visibility: Visibility
    ) -> Attachment:
        return Attachment(
            id=_stable_id(self.delivery.ses_id, -1),
            tenant=self.tenant,
            ticket=number,
            message=message_id,
            filename="original.eml",
            content_type="message/rfc822",
            size=0,
            key=self.delivery.raw_key,
            visibility=visibility,
            created_at=self.now,
        )


_MESSAGE_ID = re.compile(r"^message-id:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)


def _returned_ids(mail: ParsedMail) -> list[str]:
    """The Message-ID of the mail a bounce returns, from its attached original headers."""
    found: list[str] = []
    for part in mail.attachments:
        if part.content_type in ("message/rfc822", "text/rfc822-headers"):
            head = part.content[:20_000].decode("utf-8", errors="replace")
            found += _MESSAGE_ID.findall(head)
    return found


def _stable_id(ses_id: str, index: int) -> str:
    """The same mail delivered twice stores its files under the same keys."""
    return hashlib.sha256(f"{ses_id}#{index}".encode()).hexdigest()[:26]


def _cut(text: str, limit: int) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode(errors="ignore") + "\n[…]"
