"""Who hears about a change, and the mail they get (SQS `notifications` → SES).

Requests are the domain events the table stream forwards (plus the intake's "attachments
refused" notes). Delivery is at least once, so every mail is recorded per event and address
and a repeated request sends nothing twice. Internal notes never reach a requester: only
public messages are mailed to them, and only the conversation's own public text is quoted.

Loops are cut three ways: our mail carries X-Loop and Auto-Submitted (the intake never
answers such mail), addresses that bounce or complained get nothing more, and no address
gets more than `automatic_per_hour` automatic mails in an hour.
"""

from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.adapters.mail.mailer import Envelope
from chalicelib.domain import approvals, survey, threads, unsubscribe
from chalicelib.domain.tickets import (
    Event,
    MailRef,
    Message,
    Status,
    Ticket,
    Visibility,
    new_event,
)
from chalicelib.observability import logger
from chalicelib.services.ports import Clock, TicketRepository

# Requesters mailed per page of an announcement's mailing (one SQS message each).
ANNOUNCEMENT_BATCH = 50
# Tickets filed from mail nobody should be answered for.
_SILENT_TAGS = {"auto-reply", "bulk", "spam"}


@dataclass(frozen=True)
class Notice:
    template: str
    to: str
    name: str
    locale: str | None
    automatic: str | None = "auto-replied"
    requester: bool = True  # counts against the address's hourly automatic mail
    context: dict[str, Any] = field(default_factory=dict)
    in_reply_to: str | None = None
    bulk: bool = False  # one of many copies of the same mail (an announcement)
    # Mail the recipient did not ask for (announcements, watcher copies) can be stopped from
    # this link: List-Unsubscribe headers and a footer. Mail about one's own ticket has none.
    unsubscribe_url: str | None = None


class Mailer(Protocol):
    def send(
        self, template: str, locale: str, context: dict[str, Any], envelope: Envelope
    ) -> str: ...


class MailLog(Protocol):
    def was_sent(self, tenant: str, event_id: str, address: str) -> bool: ...

    def sent(self, tenant: str, event_id: str, address: str, message_id: str, now: Any) -> None: ...

    def count_automatic(self, tenant: str, address: str, now: Any) -> int: ...


class Recipients(Protocol):
    def bouncing(self, tenant: str, email: str) -> str | None: ...

    def profile(self, tenant: str, email: str) -> Any: ...


class Settings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


class Watchers(Protocol):
    def of_ticket(self, tenant: str, number: int, *, consistent: bool = False) -> list[Any]: ...


class Notifications:
    def __init__(
        self,
        tickets: TicketRepository,
        tenants: Settings,
        people: Recipients,
        mailer: Mailer,
        log: MailLog,
        clock: Clock,
        *,
        portal_url: str,
        automatic_per_hour: int,
        attachment_limits: tuple[int, int],
        permanent_failure: type[Exception],
        watchers: Watchers | None = None,
        announcements: Any = None,
        enqueue: Any = None,
    ) -> None:
        # The announcement store (get) and the queue for the next page of a mailing.
        self.announcements = announcements
        self.enqueue = enqueue
        self.watchers = watchers
        self.attachment_limits = attachment_limits
        self.tickets = tickets
        self.tenants = tenants
        self.people = people
        self.mailer = mailer
        self.log = log
        self.clock = clock
        self.portal_url = portal_url.rstrip("/")
        self.automatic_per_hour = automatic_per_hour
        self.permanent_failure = permanent_failure

    def handle(self, request: dict[str, Any]) -> list[str]:
        """Send what `request` calls for; returns one outcome per recipient (for logs)."""
        tenant = request["tenant"]
        settings = self.tenants.get(tenant)
        number = request.get("ticket") or request.get("data", {}).get("ticket")
        ticket = self.tickets.get(tenant, number) if number else None
        if settings is None or (number and ticket is None):
            return []
        if request["type"] == "announcement.mail":
            return self._announcement(request, settings)
        outcomes = []
        notices = self._audience(request, ticket, settings)
        if request["type"] == "ticket.created" and ticket is not None:
            notices += self._approval_request(settings, ticket)
        if ticket is not None:
            notices += self._to_watchers(request, ticket, notices, settings)
        for notice in notices:
            outcomes.append(self._deliver(request["id"], settings, ticket, notice))
        return outcomes

    # --- who hears about what ---------------------------------------------------------

    def _audience(
        self, request: dict[str, Any], ticket: Ticket | None, settings: dict[str, Any]
    ) -> list[Notice]:
        kind = request["type"]
        if kind == "mail.attachments_refused":
            return [self._refused(request)]
        if kind == "webhook.disabled":
            return self._webhook_disabled(request)
        if ticket is None:
            return []
        data = request.get("data", {})
        actor = data.get("actor", {})
        notices: list[Notice] = []
        if kind == "ticket.created":
            if not _SILENT_TAGS & set(ticket.tags):
                notices.append(
                    self._to_requester(ticket, "ticket_created", data.get("mail_message_id"))
                )
            if ticket.assignee and ticket.assignee != actor.get("id"):
                notices.append(self._to_agent(ticket, ticket.assignee, "ticket_assigned"))
        elif kind == "message.added" and data.get("visibility") == Visibility.PUBLIC.value:
            message = self.tickets.message(ticket.tenant, ticket.number, data["message_id"])
            if message is not None:
                notices += self._about_message(ticket, message, data.get("mail_message_id"))
        elif kind == "ticket.updated":
            notices += self._about_changes(ticket, data.get("changes", {}), actor, settings)
        elif kind == "rule.applied" and data.get("trigger") == "updated":
            # On create, ticket.created already tells the assignee the rules picked.
            notices += self._about_changes(ticket, data.get("changes", {}), actor, settings)
        elif kind in ("sla.warning", "sla.breached") and ticket.assignee:
            template = kind.replace(".", "_")
            notices.append(
                self._to_agent(ticket, ticket.assignee, template, sla=_sla_context(data))
            )
        return notices

    def _to_watchers(
        self,
        request: dict[str, Any],
        ticket: Ticket,
        already: list[Notice],
        settings: dict[str, Any],
    ) -> list[Notice]:
        """A copy for each watcher of a public message or a status change — never of an
        internal note. Whoever made the change, the requester and anyone this event already
        mails are left out: nobody gets two mails about one change (docs/watchers.md)."""
        if self.watchers is None:
            return []
        kind, data = request["type"], request.get("data", {})
        context: dict[str, Any]
        if kind == "message.added" and data.get("visibility") == Visibility.PUBLIC.value:
            message = self.tickets.message(ticket.tenant, ticket.number, data["message_id"])
            if message is None:
                return []
            said = {"author_name": message.author.get("name", ""), "body": message.body}
            context = {"message": said, "new_status": None}
        elif kind == "ticket.updated" and "status" in data.get("changes", {}):
            context = {"message": None, "new_status": data["changes"]["status"].get("to")}
        else:
            return []
        skip = {n.to.lower() for n in already} | {ticket.requester.email.lower()}
        skip.add(str(data.get("actor", {}).get("id", "")).lower())
        notices = []
        topic = unsubscribe.watch_topic(ticket.number)
        for watcher in self.watchers.of_ticket(ticket.tenant, ticket.number):
            if watcher.email in skip:
                continue
            profile = self.people.profile(ticket.tenant, watcher.email)
            link = self._unsubscribe_url(settings, watcher.email, topic)
            notices.append(
                Notice(
                    "watcher_update",
                    watcher.email,
                    profile.name if profile else watcher.email,
                    profile.locale if profile else None,
                    automatic="auto-generated",
                    context={**context, "unsubscribe_url": link},
                    unsubscribe_url=link,
                )
            )
        return notices

    def _approval_request(self, settings: dict[str, Any], ticket: Ticket) -> list[Notice]:
        """A service request that waits for approval: its approver gets signed links."""
        approval = ticket.approval or {}
        key = settings.get("mail_token_key")
        if approval.get("state") != "pending" or not key:
            return []
        tokens = approvals.links(key, ticket.tenant, ticket.number, approval["id"], self.clock())
        urls = {f"{d}_url": f"{self.portal_url}/approvals/{t}" for d, t in tokens.items()}
        fields = [{"key": k, "value": v} for k, v in sorted(ticket.custom_fields.items())]
        return [
            self._to_agent(
                ticket, approval["approver"], "approval_requested", fields=fields, **urls
            )
        ]

    def _about_message(
        self, ticket: Ticket, message: Message, mail_message_id: str | None
    ) -> list[Notice]:
        said = {"author_name": message.author.get("name", ""), "body": message.body}
        staff = message.author.get("role") not in ("requester", None)
        if staff and message.author.get("kind") != "system":
            # A routing rule's template reply is automatic mail (RFC 3834), an agent's is not.
            automatic = "auto-replied" if message.author.get("kind") == "rule" else None
            return [
                self._to_requester(ticket, "agent_reply", None, automatic=automatic, message=said)
            ]
        if not staff and ticket.assignee:
            notice = self._to_agent(
                ticket, ticket.assignee, "requester_replied", mail_message_id, message=said
            )
            return [notice]
        return []

    def _about_changes(
        self,
        ticket: Ticket,
        changes: dict[str, Any],
        actor: dict[str, Any],
        settings: dict[str, Any],
    ) -> list[Notice]:
        notices = []
        status = changes.get("status", {}).get("to")
        by_requester = actor.get("id") == ticket.requester.email
        if status == Status.PENDING.value:
            notices.append(self._to_requester(ticket, "ticket_pending", None, message=None))
        elif status == Status.RESOLVED.value and not by_requester:
            link = f"{self.portal_url}/tickets/{ticket.number}"
            notices.append(
                self._to_requester(
                    ticket,
                    "ticket_resolved",
                    None,
                    survey=self._survey(settings, ticket),
                    reopen_url=link,
                )
            )
        assignee = changes.get("assignee", {}).get("to")
        if assignee and assignee != actor.get("id"):
            notices.append(self._to_agent(ticket, assignee, "ticket_assigned"))
        return notices

    def _survey(self, settings: dict[str, Any], ticket: Ticket) -> dict[str, str] | None:
        """One-click rating links, while the ticket is still resolved when the mail goes."""
        key = settings.get("mail_token_key")
        tokens = survey.links_for(key, ticket, self.clock()) if key else None
        if tokens is None:
            return None
        return {
            f"{rating.value}_url": f"{self.portal_url}/survey/{token}"
            for rating, token in tokens.items()
        }

    def _to_requester(
        self,
        ticket: Ticket,
        template: str,
        in_reply_to: str | None,
        *,
        automatic: str | None = "auto-replied",
        **context: Any,
    ) -> Notice:
        profile = self.people.profile(ticket.tenant, ticket.requester.email)
        return Notice(
            template,
            ticket.requester.email,
            ticket.requester.name,
            profile.locale if profile else None,
            automatic=automatic,
            context=context,
            in_reply_to=in_reply_to,
        )

    def _to_agent(
        self,
        ticket: Ticket,
        email: str,
        template: str,
        in_reply_to: str | None = None,
        **context: Any,
    ) -> Notice:
        profile = self.people.profile(ticket.tenant, email)
        return Notice(
            template,
            email,
            profile.name if profile else email,
            profile.locale if profile else None,
            automatic="auto-generated",
            requester=False,
            context=context,
            in_reply_to=in_reply_to,
        )

    def _refused(self, request: dict[str, Any]) -> Notice:
        refused = [
            {"filename": r["filename"], "size": _size(r["size"])} for r in request["refused"]
        ]
        per_file, per_message = self.attachment_limits
        limits = {"per_file": _size(per_file), "per_message": _size(per_message)}
        return Notice(
            "attachments_refused",
            request["to"]["address"],
            request["to"]["address"],
            None,
            context={"refused": refused, "limits": limits},
            in_reply_to=request.get("in_reply_to"),
        )

    def _webhook_disabled(self, request: dict[str, Any]) -> list[Notice]:
        """To the contact named on a webhook that Balie gave up on (services.webhooks) and
        to every admin of the tenant (the people index), each once."""
        tenant = request["tenant"]
        listed = getattr(self.people, "admins", None)
        admins = listed(tenant) if listed else []
        notices = []
        for address in dict.fromkeys(a.lower() for a in [request["to"]["address"], *admins]):
            profile = self.people.profile(tenant, address)
            notices.append(
                Notice(
                    "webhook_disabled",
                    address,
                    profile.name if profile else address,
                    profile.locale if profile else None,
                    automatic="auto-generated",
                    requester=False,
                    context={"webhook": request["webhook"]},
                )
            )
        return notices

    # --- announcements to the tenant's requesters ----------------------------------------

    def _announcement(self, request: dict[str, Any], settings: dict[str, Any]) -> list[str]:
        """One page of an announcement's mailing (docs/macros-and-announcements.md): mail the
        next ANNOUNCEMENT_BATCH requesters, then queue the page after them. Each address is
        recorded under the announcement, so a page handed out twice mails nobody twice; a
        deleted announcement, or one that is over, stops the mailing."""
        tenant = settings["tenant"]
        requesters = getattr(self.people, "requesters", None)
        if self.announcements is None or requesters is None:
            return []
        item = self.announcements.get(tenant, request["announcement"])
        if item is None or item.ends_at <= self.clock():
            return []
        people, after = requesters(tenant, ANNOUNCEMENT_BATCH, request.get("after"))
        mailing = f"announcement-{item.id}"
        outcomes = []
        for person in people:
            if person.get("announcements_opt_out"):
                # Skipped here, not by a filter on the Query: `after` stays the last address
                # read, so the next page starts behind it whoever was left out.
                outcomes.append("opted_out")
                continue
            locale = person.get("locale") or settings.get("locale", "en")
            link = self._unsubscribe_url(settings, person["email"], unsubscribe.ANNOUNCEMENTS)
            notice = Notice(
                "announcement",
                person["email"],
                person.get("name") or person["email"],
                locale,
                automatic="auto-generated",
                context={
                    "announcement": _announcement_text(item, locale, settings),
                    "unsubscribe_url": link,
                },
                bulk=True,
                unsubscribe_url=link,
            )
            outcomes.append(self._deliver(mailing, settings, None, notice))
        if after is not None and self.enqueue is not None:
            self.enqueue({"type": "announcement.mail", "id": f"{mailing}-after-{after}",
                          "tenant": tenant, "announcement": item.id, "after": after})  # fmt: skip
        return outcomes

    def _unsubscribe_url(self, settings: dict[str, Any], address: str, topic: str) -> str | None:
        """The link that stops this kind of mail to this address (domain/unsubscribe.py)."""
        keys = unsubscribe.keys_of(settings)
        if not keys:
            logger.warning("no key for unsubscribe links", extra={"tenant": settings.get("tenant")})
            return None
        token = unsubscribe.token_for(keys, settings["tenant"], address, topic)
        return f"{self.portal_url}/unsubscribe/{token}"

    # --- sending ------------------------------------------------------------------------

    def _deliver(
        self, event_id: str, settings: dict[str, Any], ticket: Ticket | None, notice: Notice
    ) -> str:
        tenant = settings["tenant"]
        address = notice.to.lower()
        if self.log.was_sent(tenant, event_id, address):
            return "duplicate"
        if self.people.bouncing(tenant, address):
            return "bouncing"
        now = self.clock()
        limited = notice.automatic is not None and notice.requester
        if limited and self.log.count_automatic(tenant, address, now) > self.automatic_per_hour:
            logger.warning("automatic mail limit reached", extra={"tenant": tenant})
            return "rate_limited"
        locale = notice.locale or settings.get("locale", "en")
        try:
            message_id = self.mailer.send(
                notice.template,
                locale,
                self._context(settings, ticket, notice),
                self._envelope(settings, ticket, notice),
            )
        except self.permanent_failure as error:
            if ticket is not None:
                self._record_failure(ticket, notice, str(error))
            return "failed"
        self.log.sent(tenant, event_id, address, message_id, now)
        if ticket is not None:
            self.tickets.add_mail_ref(_ref(ticket, message_id))
        return "sent"

    def _envelope(
        self, settings: dict[str, Any], ticket: Ticket | None, notice: Notice
    ) -> Envelope:
        address = settings["inbound_addresses"][0]
        reply_to = address
        if ticket is not None and settings.get("mail_token_key"):
            token = threads.reply_token(settings["mail_token_key"], ticket.tenant, ticket.number)
            reply_to = threads.reply_address(address, token)
        thread = _thread_id(ticket, address) if ticket else None
        references = tuple(x for x in (thread, notice.in_reply_to) if x)
        return Envelope(
            from_address=address,
            from_name=settings.get("name", address),
            to=notice.to,
            reply_to=reply_to,
            number=ticket.number if ticket else None,
            in_reply_to=notice.in_reply_to or thread,
            references=references,
            automatic=notice.automatic,
            bulk=notice.bulk,
            unsubscribe_url=notice.unsubscribe_url,
        )

    def _context(
        self, settings: dict[str, Any], ticket: Ticket | None, notice: Notice
    ) -> dict[str, Any]:
        portal = f"{self.portal_url}/tickets/{ticket.number}" if ticket else self.portal_url
        return {
            "tenant_name": settings.get("name", settings["tenant"]),
            "signature": settings.get("signature"),
            "recipient_name": notice.name,
            "ticket": {
                "number": ticket.number,
                "subject": ticket.subject,
                "status": ticket.status.value,
                "priority": ticket.priority.value,
                "requester_name": ticket.requester.name,
                "portal_url": portal,
                "assignee": ticket.assignee,
                "group": ticket.group,
            }
            if ticket
            else None,
            **notice.context,
        }

    def _record_failure(self, ticket: Ticket, notice: Notice, reason: str) -> None:
        actor = {"kind": "system", "id": "mail", "name": "Balie", "role": "admin"}
        event: Event = new_event(
            ticket,
            "mail.failed",
            actor,
            data={"to": notice.to, "template": notice.template, "reason": reason[:300]},
        )
        self.tickets.append_event(event)


def _announcement_text(item: Any, locale: str, settings: dict[str, Any]) -> dict[str, str]:
    """The announcement in the reader's language (else the one it was written in), its
    window in the tenant's time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(str(settings.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")

    def when(moment: Any) -> str:
        return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")

    title = item.title.get(locale) or next(iter(item.title.values()))
    body = item.body.get(locale) or next(iter(item.body.values()))
    return {"title": title, "body": body, "kind": item.kind.value,
            "starts_at": when(item.starts_at), "ends_at": when(item.ends_at)}  # fmt: skip


def _thread_id(ticket: Ticket, address: str) -> str:
    """One made-up root id per ticket: every mail about it references it, so mail clients
    keep the whole conversation in one thread."""
    domain = address.rsplit("@", 1)[-1]
    return f"<ticket-{ticket.number}.{ticket.tenant}@{domain}>"


def _ref(ticket: Ticket, message_id: str) -> MailRef:
    return MailRef(ticket.tenant, message_id, ticket.number, inbound=False)


def _sla_context(data: dict[str, Any]) -> dict[str, Any]:
    return {"clock": data["clock"], "due_at": data.get("due_at") or ""}


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(size // 1000, 1)} kB"
