"""Problems and their incidents: many tickets read at once, and linked in one transaction.

A link is kept twice: on the incident (`problem`, so the incident shows it) and as a
`LINK#<incident>` item in the problem's partition, so one Query lists a problem's incidents
without an index. Both are written in the same transaction (here, and in a PATCH of
`problem` through DynamoTickets.save); a later change of an incident's
`problem` leaves the old link item behind, which readers skip (the incident decides).
"""

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.paging import query_page
from chalicelib.adapters.dynamo.tickets import (
    DynamoTickets,
    event_item,
    problem_link_item,
    ticket_from_item,
    ticket_item,
)
from chalicelib.domain.tickets import Event, ProblemLink, Ticket
from chalicelib.services.ports import Page, VersionConflict

_BATCH_GET = 100  # keys in one BatchGetItem
_CONFLICTS = {"None", "ConditionalCheckFailed", "TransactionConflict"}


class DynamoProblems:
    def __init__(self, tickets: DynamoTickets) -> None:
        self.tickets = tickets
        self.table = tickets.table

    def get_many(self, tenant: str, numbers: list[int]) -> dict[int, Ticket]:
        """The tickets that exist among `numbers`, by number (consistent reads)."""
        db = client("dynamodb")
        found: dict[int, Ticket] = {}
        wanted = sorted(set(numbers))
        for start in range(0, len(wanted), _BATCH_GET):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [
                        to_item(keys.ticket_key(tenant, n))
                        for n in wanted[start : start + _BATCH_GET]
                    ],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = db.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table, []):
                    ticket = ticket_from_item(from_item(item))
                    found[ticket.number] = ticket
                request = answer.get("UnprocessedKeys") or {}
        return found

    def link(self, problem_event: Event, changes: list[tuple[Ticket, int, Event]]) -> None:
        """Each incident's new version (if still at its expected version), its audit event and
        its link item, with one event on the problem: all or none."""
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table, "Item": to_item(event_item(problem_event))}}
        ]
        for incident, expected, event in changes:
            items += [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(ticket_item(incident)),
                        "ConditionExpression": "#v = :expected",
                        "ExpressionAttributeNames": {"#v": "version"},
                        "ExpressionAttributeValues": to_item({":expected": expected}),
                    }
                },
                {"Put": {"TableName": self.table, "Item": to_item(event_item(event))}},
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            problem_link_item(
                                ProblemLink(
                                    incident.tenant,
                                    incident.problem or 0,
                                    incident.number,
                                    incident.updated_at,
                                )
                            )
                        ),
                    }
                },
            ]
        db = client("dynamodb")
        try:
            db.transact_write_items(TransactItems=items)
        except db.exceptions.TransactionCanceledException as exc:
            codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if set(codes) <= _CONFLICTS:
                raise VersionConflict() from exc
            raise

    def linked(self, tenant: str, problem: int, limit: int, cursor: str | None) -> Page[int]:
        """Numbers of the incidents linked to `problem`, in number order, a page at a time."""
        params = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.ticket_pk(tenant, problem), ":prefix": keys.problem_link_prefix()}
            ),
        }
        pk = keys.ticket_pk(tenant, problem)
        rows, next_cursor = query_page(client("dynamodb"), params, limit, cursor, ("PK", pk))
        return Page([r["incident"] for r in rows], next_cursor)
