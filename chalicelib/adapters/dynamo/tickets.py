"""Ticket repository: every ticket access pattern as a named method (docs/data-model.md)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.paging import query_page
from chalicelib.adapters.dynamo.transactions import if_version, transact
from chalicelib.domain.sla import CalendarKind, Clock, ClockName, Scope, TicketSla
from chalicelib.domain.tickets import (
    Attachment,
    Channel,
    Event,
    Level,
    MailFacts,
    MailReceipt,
    MailRef,
    Message,
    Person,
    Priority,
    ProblemLink,
    Rating,
    Record,
    Satisfaction,
    Status,
    Ticket,
    TicketType,
    TimeEntry,
    Visibility,
)
from chalicelib.domain.watchers import Watcher
from chalicelib.services.ports import (
    AlreadyDone,
    AlreadyReceived,
    IdempotencyClaim,
    NumberTaken,
    OpenTicketFacts,
    Page,
    Remembered,
    TicketFilter,
    VersionConflict,
)
from chalicelib.settings import get_settings

# A filtered page reads at most this many Query rounds, so its cost stays O(limit) no matter
# how many tickets the tenant has; a sparse page simply comes back shorter, with a cursor.

_MAX_TRANSACTION = 100  # items in one TransactWriteItems
_BATCH_WRITE = 25  # requests in one BatchWriteItem
_BATCH_RETRIES = 5  # rounds for what BatchWriteItem left unprocessed (throttled)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class DynamoTickets:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    # --- numbering and creation -------------------------------------------------------

    def next_number(self, tenant: str) -> int:
        item = self._db.get_item(
            TableName=self.table,
            Key=to_item(keys.counter_key(tenant, "ticket")),
            ConsistentRead=True,
        ).get("Item")
        return (from_item(item)["value"] if item else 1000) + 1

    def insert(
        self,
        ticket: Ticket,
        event: Event,
        claim: IdempotencyClaim | None,
        records: tuple[Record, ...] = (),
    ) -> None:
        """Ticket, its counter, its first audit event, the idempotency claim and what the
        ticket arrived with (message, attachments, mail refs): all or none."""
        counter = keys.counter_key(ticket.tenant, "ticket")
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(counter),
                    "UpdateExpression": "SET #v = :new",
                    "ConditionExpression": "attribute_not_exists(#v) OR #v = :old",
                    "ExpressionAttributeNames": {"#v": "value"},
                    "ExpressionAttributeValues": to_item(
                        {":new": ticket.number, ":old": ticket.number - 1}
                    ),
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(ticket_item(ticket)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Put": {"TableName": self.table, "Item": to_item(event_item(event))}},
        ]
        if claim:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.idempotency_key(ticket.tenant, claim.caller, claim.key),
                                "request_hash": claim.request_hash,
                                "number": ticket.number,
                                "expires_at": claim.expires_at,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        first_record = len(items)
        items += [_put(self.table, r) for r in records]
        reasons = self._transact(items)
        if reasons is None:
            return
        if claim and reasons[3] == "ConditionalCheckFailed":
            remembered = self.remembered(ticket.tenant, claim.caller, claim.key)
            if remembered:
                raise AlreadyDone(remembered)
        _check_received(reasons[first_record:], records)
        raise NumberTaken()

    def remembered(self, tenant: str, caller: str, key: str) -> Remembered | None:
        item = self._db.get_item(
            TableName=self.table,
            Key=to_item(keys.idempotency_key(tenant, caller, key)),
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        values = from_item(item)
        return Remembered(request_hash=values["request_hash"], number=values["number"])

    # --- reading and changing one ticket ----------------------------------------------

    def get(self, tenant: str, number: int) -> Ticket | None:
        item = self._db.get_item(
            TableName=self.table, Key=to_item(keys.ticket_key(tenant, number))
        ).get("Item")
        return ticket_from_item(from_item(item)) if item else None

    def save(
        self,
        ticket: Ticket,
        expected_version: int,
        records: list[Record],
    ) -> None:
        """Write a new version of the ticket with what it recorded, if nobody changed it since."""
        items = [ticket_put(self.table, ticket, expected_version)]
        items += [_put(self.table, r) for r in records]
        reasons = self._transact(items)
        if reasons is None:
            return
        _check_received(reasons[1:], records)
        raise VersionConflict()

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """None when it committed, else the per-item cancellation codes of a conflict."""
        return transact(self._db, items)

    # --- lists ------------------------------------------------------------------------

    def list_tickets(
        self, tenant: str, where: TicketFilter, limit: int, cursor: str | None
    ) -> Page[Ticket]:
        index, partition = _index_for(tenant, where)
        filters, names, values = _ticket_filters(where, index)
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": f"{index}PK", **names},
            "ExpressionAttributeValues": to_item({":pk": partition, **values}),
            "ScanIndexForward": where.oldest_first,
        }
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        rows, next_cursor = query_page(self._db, params, limit, cursor, (f"{index}PK", partition))
        return Page([ticket_from_item(r) for r in rows], next_cursor)

    def open_ticket_facts(
        self, tenant: str, statuses: tuple[str, ...], max_pages: int
    ) -> tuple[list[OpenTicketFacts], bool]:
        """A few attributes of every ticket in the given status partitions (the open ones),
        for the queue counts; True as well when a partition had more than `max_pages`
        pages of 1 MB and the counts are therefore a lower bound.

        One pass serves every count at once: a Query with `Select=COUNT` costs the same
        read units (DynamoDB charges for the items read, not returned), but would take one
        call per queue.
        """
        facts: list[OpenTicketFacts] = []
        capped = False
        for status in statuses:
            params: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": keys.GSI_STATUS,
                "KeyConditionExpression": "#pk = :pk",
                "ProjectionExpression": "#st, priority, assignee, #gr, sla_breached, sla_warned",
                "ExpressionAttributeNames": {
                    "#pk": f"{keys.GSI_STATUS}PK",
                    "#st": "status",
                    "#gr": "group",
                },
                "ExpressionAttributeValues": to_item({":pk": keys.status_pk(tenant, status)}),
            }
            for page in range(max_pages):
                answer = self._db.query(**params)
                for item in answer.get("Items", []):
                    v = from_item(item)
                    facts.append(
                        OpenTicketFacts(
                            status=v["status"],
                            priority=v["priority"],
                            assignee=v.get("assignee"),
                            group=v.get("group"),
                            sla_breached=bool(v.get("sla_breached")),
                            sla_warned=bool(v.get("sla_warned")),
                        )
                    )
                if "LastEvaluatedKey" not in answer:
                    break
                if page == max_pages - 1:
                    capped = True
                params = {**params, "ExclusiveStartKey": answer["LastEvaluatedKey"]}
        return facts, capped

    def resolved_before(self, tenant: str, cutoff: datetime) -> Iterator[Ticket]:
        """Resolved tickets untouched since `cutoff`: the status index sorts by last change."""
        partition = keys.status_pk(tenant, Status.RESOLVED.value)
        return self._before(keys.GSI_STATUS, partition, iso(cutoff))

    def closed_before(self, tenant: str, cutoff: datetime) -> Iterator[Ticket]:
        """Closed tickets untouched since `cutoff` (closed is final, so: closed before it)."""
        partition = keys.status_pk(tenant, Status.CLOSED.value)
        return self._before(keys.GSI_STATUS, partition, iso(cutoff))

    def purge(self, tenant: str, number: int) -> int:
        """Delete a ticket with everything it recorded; returns how many items went.

        The ticket item goes last, so an interrupted purge is found and finished by the next
        run. Items come back as keys only: nothing of their content is read.
        """
        pk = keys.ticket_pk(tenant, number)
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": pk}),
            "ProjectionExpression": "PK, SK",
        }
        records: list[dict[str, Any]] = []
        while True:
            answer = self._db.query(**params)
            records += [i for i in answer.get("Items", []) if i["SK"]["S"] != keys.TICKET_SK]
            if "LastEvaluatedKey" not in answer:
                break
            params = {**params, "ExclusiveStartKey": answer["LastEvaluatedKey"]}
        for start in range(0, len(records), _BATCH_WRITE):
            self._delete_all(records[start : start + _BATCH_WRITE])
        self._db.delete_item(TableName=self.table, Key=to_item(keys.ticket_key(tenant, number)))
        return len(records) + 1

    def _delete_all(self, item_keys: list[dict[str, Any]]) -> None:
        pending = {self.table: [{"DeleteRequest": {"Key": key}} for key in item_keys]}
        for attempt in range(_BATCH_RETRIES):
            answer = self._db.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05 * 2**attempt)  # unprocessed means throttled: back off
        raise RuntimeError("DynamoDB kept refusing deletes; the next run finishes the purge.")

    def due(self, shard: int, now: datetime) -> Iterator[Ticket]:
        """Tickets of one due-index shard whose next SLA moment is at or before `now`."""
        # Every entry of `now` sorts before "<now>#~": "#T#…" < "#~".
        return self._before(keys.GSI_SLA_DUE, keys.sla_due_pk(shard), f"{iso(now)}#~")

    def _before(self, index: str, partition: str, bound: str) -> Iterator[Ticket]:
        """Every ticket of an index partition whose sort key is below `bound`, all pages."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :pk AND #sk < :bound",
            "ExpressionAttributeNames": {"#pk": f"{index}PK", "#sk": f"{index}SK"},
            "ExpressionAttributeValues": to_item({":pk": partition, ":bound": bound}),
        }
        yield from self._all_pages(params)

    def _all_pages(self, params: dict[str, Any]) -> Iterator[Ticket]:
        while True:
            answer = self._db.query(**params)
            for item in answer.get("Items", []):
                yield ticket_from_item(from_item(item))
            if "LastEvaluatedKey" not in answer:
                return
            params = {**params, "ExclusiveStartKey": answer["LastEvaluatedKey"]}

    # --- personal data (GDPR access and erasure) -------------------------------------------

    def requester_tickets(self, tenant: str, email: str) -> Iterator[Ticket]:
        """Every ticket a requester filed in a tenant: all pages of the requester index."""
        partition = keys.requester_pk(tenant, email.lower())
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI_REQUESTER,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": f"{keys.GSI_REQUESTER}PK"},
            "ExpressionAttributeValues": to_item({":pk": partition}),
        }
        yield from self._all_pages(params)

    def records(self, tenant: str, number: int) -> list[Record]:
        """Everything a ticket recorded (messages, events, time, files, mail), all pages."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.ticket_pk(tenant, number)}),
            "ConsistentRead": True,
        }
        readers = {
            "message": message_from_item,
            "event": event_from_item,
            "time": time_from_item,
            "attachment": attachment_from_item,
            "mail_receipt": mail_receipt_from_item,
        }
        found: list[Record] = []
        while True:
            answer = self._db.query(**params)
            for item in answer.get("Items", []):
                values = from_item(item)
                reader = readers.get(values.get("kind", ""))
                if reader:
                    found.append(reader(values))
            if "LastEvaluatedKey" not in answer:
                return found
            params = {**params, "ExclusiveStartKey": answer["LastEvaluatedKey"]}

    def message(self, tenant: str, number: int, message_id: str) -> Message | None:
        key = {"PK": keys.ticket_pk(tenant, number), "SK": keys.message_sk(message_id)}
        item = self._db.get_item(TableName=self.table, Key=to_item(key)).get("Item")
        return message_from_item(from_item(item)) if item else None

    def thread_of(self, tenant: str, message_ids: list[str]) -> MailRef | None:
        """The first of `message_ids` (in the order given) that belongs to a ticket."""
        wanted = list(dict.fromkeys(m for m in message_ids if m))[-_MAX_THREAD_IDS:]
        if not wanted:
            return None
        found: dict[str, MailRef] = {}
        request = {self.table: {"Keys": [to_item(keys.mail_ref_key(tenant, m)) for m in wanted]}}
        while request:
            answer = self._db.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(self.table, []):
                ref = mail_ref_from_item(from_item(item))
                found[ref.message_id.lower()] = ref
            request = answer.get("UnprocessedKeys") or {}
        return next((found[m.lower()] for m in wanted if m.lower() in found), None)

    def add_mail_ref(self, ref: MailRef) -> None:
        self._db.put_item(TableName=self.table, Item=to_item(mail_ref_item(ref)))

    def attachments(self, tenant: str, number: int) -> list[Attachment]:
        params = _records_query(self.table, tenant, number, "ATT#")
        rows, _ = query_page(self._db, params, 100, None, ("PK", keys.ticket_pk(tenant, number)))
        return [attachment_from_item(r) for r in rows]

    def append_event(self, event: Event) -> None:
        """An audit event that changes nothing on the ticket (an export, for instance)."""
        self._db.put_item(TableName=self.table, Item=to_item(event_item(event)))

    def rewrite(
        self,
        ticket: Ticket,
        expected_version: int,
        records: list[Record],
    ) -> None:
        """Save a new version that rewrites existing records in place (same keys).

        A transaction holds at most 100 items: records beyond what fits beside the ticket are
        overwritten first. Rewriting is idempotent, so if the final conditional write fails
        the caller simply reads again and repeats.
        """
        room = _MAX_TRANSACTION - 1
        head, tail = records[-room:] if records else [], records[:-room] if records else []
        for start in range(0, len(tail), _MAX_TRANSACTION):
            chunk = tail[start : start + _MAX_TRANSACTION]
            self._db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": to_item(record_item(r))}}
                    for r in chunk
                ]
            )
        self.save(ticket, expected_version, head)

    def profile_role(self, tenant: str, email: str) -> str | None:
        item = self._db.get_item(
            TableName=self.table, Key=to_item(keys.user_key(tenant, email.lower()))
        ).get("Item")
        return from_item(item).get("role") if item else None

    def delete_profile(self, tenant: str, email: str) -> bool:
        # The bounce record beside the profile names the address too.
        self._db.delete_item(TableName=self.table, Key=to_item(keys.bounce_key(tenant, email)))
        answer = self._db.delete_item(
            TableName=self.table,
            Key=to_item(keys.user_key(tenant, email.lower())),
            ReturnValues="ALL_OLD",
        )
        return bool(answer.get("Attributes"))

    def messages(
        self, tenant: str, number: int, public_only: bool, limit: int, cursor: str | None
    ) -> Page[Message]:
        params = _records_query(self.table, tenant, number, "MSG#")
        if public_only:
            params["FilterExpression"] = "visibility = :public"
            params["ExpressionAttributeValues"][":public"] = {"S": Visibility.PUBLIC.value}
        pk = keys.ticket_pk(tenant, number)
        rows, next_cursor = query_page(self._db, params, limit, cursor, ("PK", pk))
        return Page([message_from_item(r) for r in rows], next_cursor)

    def events(
        self,
        tenant: str,
        number: int,
        limit: int,
        cursor: str | None,
        newest_first: bool = False,
    ) -> Page[Event]:
        params = _records_query(self.table, tenant, number, "EVT#")
        if newest_first:
            # Event ids are ULIDs: the sort key orders them by time.
            params["ScanIndexForward"] = False
        pk = keys.ticket_pk(tenant, number)
        rows, next_cursor = query_page(self._db, params, limit, cursor, ("PK", pk))
        return Page([event_from_item(r) for r in rows], next_cursor)


def _records_query(table: str, tenant: str, number: int, prefix: str) -> dict[str, Any]:
    return {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": to_item(
            {":pk": keys.ticket_pk(tenant, number), ":prefix": prefix}
        ),
    }


# What is still to be worked on; the queues and their counts read only these.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


def _index_for(tenant: str, where: TicketFilter) -> tuple[str, str]:
    """The most selective index the filter allows; the rest is applied as a filter."""
    if where.requester:
        return keys.GSI_REQUESTER, keys.requester_pk(tenant, where.requester)
    if where.assignee:
        return keys.GSI_ASSIGNEE, keys.assignee_pk(tenant, where.assignee)
    if where.group:
        return keys.GSI_GROUP, keys.group_pk(tenant, where.group)
    if where.status:
        return keys.GSI_STATUS, keys.status_pk(tenant, where.status)
    return keys.GSI_TENANT, keys.all_tickets_pk(tenant)


def _ticket_filters(
    where: TicketFilter, index: str
) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    served_by_index = {
        keys.GSI_REQUESTER: "requester",
        keys.GSI_ASSIGNEE: "assignee",
        keys.GSI_GROUP: "group",
        keys.GSI_STATUS: "status",
    }.get(index)
    wanted = {
        "status": where.status,
        "priority": where.priority,
        "assignee": where.assignee.lower() if where.assignee else None,
        "group": where.group,
        "type": where.type,
        "requester_email": where.requester.lower() if where.requester else None,
    }
    filters: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for n, (field, value) in enumerate(wanted.items()):
        if value is None or (field == served_by_index or field == f"{served_by_index}_email"):
            continue
        filters.append(f"#f{n} = :f{n}")
        names[f"#f{n}"] = field
        values[f":f{n}"] = value
    if where.text:
        filters.append("contains(subject_lc, :text)")
        values[":text"] = where.text.lower()
    if where.open_only and not where.status:
        filters.append("#open_st IN (:open_0, :open_1, :open_2, :open_3)")
        names["#open_st"] = "status"
        values.update({f":open_{n}": s.value for n, s in enumerate(OPEN_STATUSES)})
    if where.unassigned:
        # Unassigned tickets store assignee as NULL (ticket_item writes every field).
        filters.append("(attribute_not_exists(assignee) OR attribute_type(assignee, :null))")
        values[":null"] = "NULL"
    if where.sla == "breached":
        filters.append("sla_breached = :yes")
        values[":yes"] = True
    elif where.sla == "at_risk":
        filters.append("sla_warned = :yes AND sla_breached = :no")
        values.update({":yes": True, ":no": False})
    return filters, names, values


# --- item mapping ---------------------------------------------------------------------


def ticket_item(t: Ticket) -> dict[str, Any]:
    sla: TicketSla | None = t.sla
    moment = sla.next_moment() if sla else None
    return {
        **keys.ticket_key(t.tenant, t.number),
        **(keys.sla_due_keys(t.tenant, t.number, iso(moment)) if moment else {}),
        **keys.ticket_index_keys(
            t.tenant,
            t.number,
            status=t.status.value,
            requester=t.requester.email,
            assignee=t.assignee,
            group=t.group,
            updated_at=iso(t.updated_at),
        ),
        "kind": "ticket",
        "tenant": t.tenant,
        "number": t.number,
        "version": t.version,
        "subject": t.subject,
        "subject_lc": t.subject.lower(),
        "description": t.description,
        "type": t.type.value,
        "status": t.status.value,
        "impact": t.impact.value,
        "urgency": t.urgency.value,
        "priority": t.priority.value,
        "priority_set_by_agent": t.priority_set_by_agent,
        "channel": t.channel.value,
        "requester_email": t.requester.email,
        "requester_name": t.requester.name,
        "assignee": t.assignee,
        "group": t.group,
        "tier": t.tier,
        "category": t.category,
        "service": t.service,
        "problem": t.problem,
        "tags": list(t.tags),
        "custom_fields": t.custom_fields,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
        "created_by": t.created_by,
        "first_response_at": iso(t.first_response_at) if t.first_response_at else None,
        "resolved_at": iso(t.resolved_at) if t.resolved_at else None,
        "closed_at": iso(t.closed_at) if t.closed_at else None,
        "time_spent_minutes": t.time_spent_minutes,
        "reopen_count": t.reopen_count,
        "follow_up_of": t.follow_up_of,
        "sla": sla_item(sla) if sla else None,
        "satisfaction": satisfaction_item(t.satisfaction) if t.satisfaction else None,
        "approval": t.approval,
        "rca": t.rca,
        # Flat flags so that lists can filter on them.
        "sla_breached": bool(sla and sla.breached),
        "sla_warned": bool(sla and sla.warned),
    }


def ticket_from_item(v: dict[str, Any]) -> Ticket:
    return Ticket(
        tenant=v["tenant"],
        number=v["number"],
        version=v["version"],
        subject=v["subject"],
        description=v["description"],
        type=TicketType(v["type"]),
        status=Status(v["status"]),
        impact=Level(v["impact"]),
        urgency=Level(v["urgency"]),
        priority=Priority(v["priority"]),
        priority_set_by_agent=v["priority_set_by_agent"],
        channel=Channel(v["channel"]),
        requester=Person(email=v["requester_email"], name=v["requester_name"]),
        assignee=v.get("assignee"),
        group=v.get("group"),
        tier=v["tier"],
        category=v.get("category"),
        service=v.get("service"),
        problem=v.get("problem"),
        tags=tuple(v.get("tags", [])),
        custom_fields=v.get("custom_fields", {}),
        created_at=datetime.fromisoformat(v["created_at"]),
        updated_at=datetime.fromisoformat(v["updated_at"]),
        created_by=v["created_by"],
        first_response_at=parse_time(v.get("first_response_at")),
        resolved_at=parse_time(v.get("resolved_at")),
        closed_at=parse_time(v.get("closed_at")),
        time_spent_minutes=v.get("time_spent_minutes", 0),
        reopen_count=v.get("reopen_count", 0),
        follow_up_of=v.get("follow_up_of"),
        sla=sla_from_item(v["sla"]) if v.get("sla") else None,
        satisfaction=satisfaction_from_item(v["satisfaction"]) if v.get("satisfaction") else None,
        approval=v.get("approval"),
        rca=v.get("rca"),
    )


def satisfaction_item(s: Satisfaction) -> dict[str, Any]:
    return {
        "rating": s.rating.value,
        "resolution": s.resolution,
        "rated_at": iso(s.rated_at),
        "comment": s.comment,
    }


def satisfaction_from_item(v: dict[str, Any]) -> Satisfaction:
    return Satisfaction(
        rating=Rating(v["rating"]),
        resolution=int(v["resolution"]),
        rated_at=datetime.fromisoformat(v["rated_at"]),
        comment=v.get("comment"),
    )


_CLOCK_TIMES = (
    "started_at",
    "running_since",
    "due_at",
    "warn_at",
    "met_at",
    "warned_at",
    "breached_at",
)


def sla_item(sla: TicketSla) -> dict[str, Any]:
    return {
        "priority": sla.priority.value,
        "policy_version": sla.policy_version,
        "service": sla.scope.service,
        "organisation": sla.scope.organisation,
        "clocks": {
            name.value: {
                "calendar": c.calendar.value,
                "target_minutes": c.target_minutes,
                "warn_before_minutes": c.warn_before_minutes,
                "elapsed_seconds": c.elapsed.total_seconds(),
                "pauses": c.pauses,
                **{f: iso(getattr(c, f)) if getattr(c, f) else None for f in _CLOCK_TIMES},
            }
            for name, c in sla.clocks.items()
        },
    }


def sla_from_item(v: dict[str, Any]) -> TicketSla:
    return TicketSla(
        priority=Priority(v["priority"]),
        policy_version=v["policy_version"],
        scope=Scope(service=v.get("service"), organisation=v.get("organisation")),
        clocks={
            ClockName(name): Clock(
                name=ClockName(name),
                calendar=CalendarKind(c["calendar"]),
                target_minutes=c["target_minutes"],
                warn_before_minutes=c["warn_before_minutes"],
                elapsed=timedelta(seconds=c["elapsed_seconds"]),
                pauses=c["pauses"],
                **{f: parse_time(c.get(f)) for f in _CLOCK_TIMES},
            )
            for name, c in v["clocks"].items()
        },
    )


def record_item(record: Record) -> dict[str, Any]:
    if isinstance(record, Message):
        return message_item(record)
    if isinstance(record, Event):
        return event_item(record)
    if isinstance(record, Attachment):
        return attachment_item(record)
    if isinstance(record, MailRef):
        return mail_ref_item(record)
    if isinstance(record, ProblemLink):
        return problem_link_item(record)
    if isinstance(record, Watcher):
        return watcher_item(record)
    if isinstance(record, MailReceipt):
        return {
            "PK": keys.ticket_pk(record.tenant, record.ticket),
            "SK": keys.receipt_sk(record.id),
            "kind": "mail_receipt",
            "id": record.id,
            "tenant": record.tenant,
            "ticket": record.ticket,
            "received_at": iso(record.received_at),
            "mail": mail_facts_item(record.facts),
        }
    return time_item(record)


def problem_link_item(link: ProblemLink) -> dict[str, Any]:
    return {
        "PK": keys.ticket_pk(link.tenant, link.problem),
        "SK": keys.problem_link_sk(link.incident),
        "kind": "problem_link",
        "tenant": link.tenant,
        "incident": link.incident,
        "linked_at": iso(link.linked_at),
    }


def ticket_put(table: str, ticket: Ticket, expected_version: int) -> dict[str, Any]:
    """A new version of the ticket, written only if nobody changed it since `expected_version`."""
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(ticket_item(ticket)),
            **if_version(expected_version),
        }
    }


def _put(table: str, record: Record) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": to_item(record_item(record))}
    if isinstance(record, MailRef) and record.inbound:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    return {"Put": put}


def _check_received(reasons: list[str], records: tuple[Record, ...] | list[Record]) -> None:
    """A mail whose Message-ID is already on record was received before: say so."""
    for code, record in zip(reasons, records, strict=False):
        if isinstance(record, MailRef) and code == "ConditionalCheckFailed":
            raise AlreadyReceived(record.message_id)


# References of a long thread can list dozens of ids; the newest ones decide.
_MAX_THREAD_IDS = 50


def mail_ref_item(ref: MailRef) -> dict[str, Any]:
    return {
        **keys.mail_ref_key(ref.tenant, ref.message_id),
        "kind": "mail_ref",
        "tenant": ref.tenant,
        "message_id": ref.message_id,
        "ticket": ref.ticket,
        "inbound": ref.inbound,
    }


def mail_ref_from_item(v: dict[str, Any]) -> MailRef:
    return MailRef(
        tenant=v["tenant"], message_id=v["message_id"], ticket=v["ticket"], inbound=v["inbound"]
    )


def mail_receipt_from_item(v: dict[str, Any]) -> MailReceipt:
    return MailReceipt(
        id=v["id"],
        tenant=v["tenant"],
        ticket=v["ticket"],
        facts=mail_facts_from_item(v["mail"]),
        received_at=datetime.fromisoformat(v["received_at"]),
    )


def attachment_item(a: Attachment) -> dict[str, Any]:
    return {
        "PK": keys.ticket_pk(a.tenant, a.ticket),
        "SK": keys.attachment_sk(a.id),
        "kind": "attachment",
        "id": a.id,
        "tenant": a.tenant,
        "ticket": a.ticket,
        "message": a.message,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "key": a.key,
        "visibility": a.visibility.value,
        "created_at": iso(a.created_at),
        "content_id": a.content_id,
        "status": "pending" if a.pending else "stored",
        "uploaded_by": a.uploaded_by,
    }


def attachment_from_item(v: dict[str, Any]) -> Attachment:
    return Attachment(
        id=v["id"],
        tenant=v["tenant"],
        ticket=v["ticket"],
        message=v["message"],
        filename=v["filename"],
        content_type=v["content_type"],
        size=v["size"],
        key=v["key"],
        visibility=Visibility(v["visibility"]),
        created_at=datetime.fromisoformat(v["created_at"]),
        content_id=v.get("content_id"),
        # Items written before uploads existed have no status: they were stored by mail.
        pending=v.get("status") == "pending",
        uploaded_by=v.get("uploaded_by"),
    )


def message_item(m: Message) -> dict[str, Any]:
    return {
        "PK": keys.ticket_pk(m.tenant, m.ticket),
        "SK": keys.message_sk(m.id),
        "kind": "message",
        "id": m.id,
        "ticket": m.ticket,
        "tenant": m.tenant,
        "author": m.author,
        "visibility": m.visibility.value,
        "body": m.body,
        "channel": m.channel.value,
        "created_at": iso(m.created_at),
        "mail": mail_facts_item(m.mail) if m.mail else None,
        "attachments": list(m.attachments),
    }


def mail_facts_item(facts: MailFacts) -> dict[str, Any]:
    return {
        "message_id": facts.message_id,
        "sender": facts.sender,
        "raw_key": facts.raw_key,
        "original": facts.original,
        "kind": facts.kind,
        "verdicts": facts.verdicts,
    }


def mail_facts_from_item(v: dict[str, Any]) -> MailFacts:
    return MailFacts(
        message_id=v["message_id"],
        sender=v["sender"],
        raw_key=v.get("raw_key"),
        original=v.get("original"),
        kind=v.get("kind") or "human",
        verdicts=v.get("verdicts") or {},
    )


def message_from_item(v: dict[str, Any]) -> Message:
    return Message(
        id=v["id"],
        tenant=v["tenant"],
        ticket=v["ticket"],
        author=v["author"],
        visibility=Visibility(v["visibility"]),
        body=v["body"],
        created_at=datetime.fromisoformat(v["created_at"]),
        channel=Channel(v["channel"]),
        mail=mail_facts_from_item(v["mail"]) if v.get("mail") else None,
        attachments=tuple(v.get("attachments") or ()),
    )


def event_item(e: Event) -> dict[str, Any]:
    return {
        "PK": keys.ticket_pk(e.tenant, e.ticket),
        "SK": keys.event_sk(e.id),
        "kind": "event",
        "id": e.id,
        "type": e.type,
        "tenant": e.tenant,
        "ticket": e.ticket,
        "actor": e.actor,
        "occurred_at": iso(e.occurred_at),
        "changes": e.changes,
        "data": e.data,
    }


def event_from_item(v: dict[str, Any]) -> Event:
    return Event(
        id=v["id"],
        type=v["type"],
        tenant=v["tenant"],
        ticket=v["ticket"],
        actor=v["actor"],
        occurred_at=datetime.fromisoformat(v["occurred_at"]),
        changes=v.get("changes", {}),
        data=v.get("data", {}),
    )


def time_item(entry: TimeEntry) -> dict[str, Any]:
    return {
        "PK": keys.ticket_pk(entry.tenant, entry.ticket),
        "SK": keys.time_sk(entry.id),
        "kind": "time",
        "id": entry.id,
        "ticket": entry.ticket,
        "minutes": entry.minutes,
        "note": entry.note,
        "tenant": entry.tenant,
        "author": entry.author,
        "created_at": iso(entry.created_at),
    }


def time_from_item(v: dict[str, Any]) -> TimeEntry:
    return TimeEntry(
        id=v["id"],
        tenant=v["tenant"],
        ticket=v["ticket"],
        minutes=v["minutes"],
        note=v["note"],
        author=v["author"],
        created_at=datetime.fromisoformat(v["created_at"]),
    )


def watcher_item(w: Watcher) -> dict[str, Any]:
    return {
        **keys.watcher_key(w.tenant, w.ticket, w.email),
        **keys.watcher_index_keys(w.tenant, w.ticket, w.email),
        "kind": "watcher",
        "tenant": w.tenant,
        "ticket": w.ticket,
        "email": w.email.lower(),
        "added_by": w.added_by,
        "added_at": iso(w.added_at),
    }


def watcher_from_item(v: dict[str, Any]) -> Watcher:
    return Watcher(
        tenant=v["tenant"],
        ticket=int(v["ticket"]),
        email=v["email"],
        added_by=v.get("added_by", ""),
        added_at=datetime.fromisoformat(v["added_at"]),
    )
