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
from chalicelib.adapters.dynamo import postings as index_postings
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.paging import query_page
from chalicelib.adapters.dynamo.tickets import (
    DynamoTickets,
    event_item,
    problem_link_item,
    ticket_from_item,
    ticket_put,
)
from chalicelib.adapters.dynamo.transactions import transact_versioned
from chalicelib.domain import search
from chalicelib.domain.tickets import Event, ProblemLink, Ticket
from chalicelib.services.ports import Page

_BATCH_GET = 100  # keys in one BatchGetItem


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
                ticket_put(self.table, incident, expected),
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
        transact_versioned(client("dynamodb"), items)

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

    # --- known errors (docs/catalog-and-problems.md) --------------------------------------

    def known_error_index(self, tenant: str, problem: int) -> search.Document | None:
        """The terms a problem's known-error postings were written under, if it has any."""
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.table,
                Key=to_item(keys.known_error_key(tenant, problem)),
                ConsistentRead=True,
            )
            .get("Item")
        )
        if not item:
            return None
        values = from_item(item)
        return search.Document(length=values["length"], frequencies=dict(values["terms"]))

    def save_rca(
        self,
        ticket: Ticket,
        expected: int,
        event: Event,
        old: search.Document | None,
        new: search.Document | None,
    ) -> None:
        """The problem's new version and its event, with its known-error postings moved from
        `old` to `new` terms and the statistics adjusted: one transaction (≤ 100 items)."""
        tenant, number = ticket.tenant, ticket.number
        items: list[dict[str, Any]] = [
            ticket_put(self.table, ticket, expected),
            {"Put": {"TableName": self.table, "Item": to_item(event_item(event))}},
        ]
        new_postings: list[dict[str, Any]] = []
        old_keys: list[dict[str, str]] = []
        if new:
            for term, frequency in sorted(new.frequencies.items()):
                new_postings.append(
                    known_error_posting_item(tenant, number, term, frequency, new.length)
                )
        if old:
            for term in sorted(old.frequencies):
                old_keys.append(keys.known_error_posting_key(tenant, term, number))
        items += index_postings.moves(self.table, new_postings, old_keys)
        if new:
            marker = {
                **keys.known_error_key(tenant, number),
                "kind": "known_error",
                "length": new.length,
                "terms": new.frequencies,
            }
            items.append({"Put": {"TableName": self.table, "Item": to_item(marker)}})
        elif old:
            key = keys.known_error_key(tenant, number)
            items.append({"Delete": {"TableName": self.table, "Key": to_item(key)}})
        stats_key = keys.known_error_stats_key(tenant)
        items += index_postings.statistics_update(self.table, stats_key, old, new)
        transact_versioned(client("dynamodb"), items)

    def known_error_stats(self, tenant: str) -> tuple[int, int]:
        """(known errors indexed, their total length)."""
        item = (
            client("dynamodb")
            .get_item(TableName=self.table, Key=to_item(keys.known_error_stats_key(tenant)))
            .get("Item")
        )
        values = from_item(item) if item else {}
        return int(values.get("documents", 0)), int(values.get("total_length", 0))

    def known_error_postings(
        self, tenant: str, terms: list[str], limit: int
    ) -> list[search.Posting]:
        """Up to `limit` postings of each term, one Query per term, side by side."""
        partitions = [keys.known_error_term_pk(tenant, term) for term in terms]
        rows = index_postings.heads(client("dynamodb"), self.table, partitions, limit)
        return [
            search.Posting(
                term=row["term"],
                article=str(row["problem"]),
                frequency=int(row["tf"]),
                length=int(row["dl"]),
                visibility="agents",
                language="",
                category=None,
            )
            for row in rows
        ]


def known_error_posting_item(
    tenant: str, problem: int, term: str, frequency: int, length: int
) -> dict[str, Any]:
    return {
        **keys.known_error_posting_key(tenant, term, problem),
        "kind": "known_error_posting",
        "term": term,
        "problem": problem,
        "tf": frequency,
        "dl": length,
    }
