"""Recurring incidents: the window's incidents for the daily job, and the suggestions it keeps.

The incidents come from the tenant's ticket index (GSI5 `T#<t>#TICKETS`, sorted by
`<updated_at>#<number>`): every ticket created in the window was updated in it too, so the
key condition `SK >= <start of the window>` reads the window and nothing older; a filter
keeps incidents created in the window that no problem holds, and a projection keeps the
four fields clustering needs. The read is bounded by `max_read` items evaluated.

Suggestions and dismissals share one partition per tenant (`T#<t>#PROBLEMHINTS`).
"""

from datetime import datetime
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.tickets import iso
from chalicelib.domain.recurring import Cluster, Incident
from chalicelib.settings import get_settings

_PAGE = 500  # items evaluated per Query round of the window
_BATCH_WRITE = 25


class DynamoRecurring:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    def recent_incidents(
        self, tenant: str, since: datetime, max_read: int
    ) -> tuple[list[Incident], int, bool]:
        """Incidents created since `since` and linked to no problem, newest first: (those
        found, items read, whether `max_read` stopped the read before the window's end)."""
        bound = iso(since)
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI_TENANT,
            "KeyConditionExpression": "#pk = :pk AND #sk >= :since",
            "FilterExpression": (
                "#type = :incident AND created_at >= :since"
                " AND (attribute_not_exists(problem) OR attribute_type(problem, :null))"
            ),
            "ProjectionExpression": "#number, subject, description, category",
            "ExpressionAttributeNames": {
                "#pk": f"{keys.GSI_TENANT}PK",
                "#sk": f"{keys.GSI_TENANT}SK",
                "#type": "type",
                "#number": "number",
            },
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.all_tickets_pk(tenant),
                    ":since": bound,
                    ":incident": "incident",
                    ":null": "NULL",
                }
            ),
            "ScanIndexForward": False,
        }
        found: list[Incident] = []
        read = 0
        while read < max_read:
            answer = self._db.query(**params, Limit=min(_PAGE, max_read - read))
            read += answer.get("ScannedCount", 0)
            for item in answer.get("Items", []):
                v = from_item(item)
                found.append(
                    Incident(
                        number=v["number"],
                        subject=v.get("subject") or "",
                        description=v.get("description") or "",
                        category=v.get("category"),
                    )
                )
            start = answer.get("LastEvaluatedKey")
            if not start:
                return found, read, False
            params["ExclusiveStartKey"] = start
        return found, read, True

    # --- suggestions ----------------------------------------------------------------------

    def _partition(self, tenant: str, prefix: str, consistent: bool = False) -> list[dict]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.problem_hints_pk(tenant), ":prefix": prefix}
            ),
            "ConsistentRead": consistent,
        }
        rows: list[dict[str, Any]] = []
        while True:
            answer = self._db.query(**params)
            rows += [from_item(i) for i in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return rows
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def suggestions(self, tenant: str) -> list[dict[str, Any]]:
        """The current suggestions (a tenant has tens at most): one Query."""
        return [_suggestion(r) for r in self._partition(tenant, keys.PROBLEM_HINT_PREFIX)]

    def suggestion(self, tenant: str, cluster_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self.table,
            Key=to_item(keys.problem_hint_key(tenant, cluster_id)),
            ConsistentRead=True,
        ).get("Item")
        return _suggestion(from_item(item)) if item else None

    def dismissed(self, tenant: str) -> set[int]:
        """Incidents of dismissed suggestions (until their dismissal expires)."""
        rows = self._partition(tenant, keys.PROBLEM_DISMISSED_PREFIX, consistent=True)
        return {int(n) for r in rows for n in r.get("members", [])}

    def replace(
        self, tenant: str, clusters: list[Cluster], found_at: datetime, expires_at: int
    ) -> int:
        """This run's clusters replace the last run's: put the new, delete the rest (keys
        only are read). Returns how many were removed."""
        old = {r["SK"] for r in self._partition(tenant, keys.PROBLEM_HINT_PREFIX)}
        puts = []
        for c in clusters:
            item = {
                **keys.problem_hint_key(tenant, c.id),
                "kind": "problem_suggestion",
                "tenant": tenant,
                "id": c.id,
                "members": list(c.members),
                "size": c.size,
                "terms": list(c.terms),
                "label": list(c.label),
                "category": c.category,
                "found_at": iso(found_at),
                "expires_at": expires_at,
            }
            puts.append({"PutRequest": {"Item": to_item(item)}})
            old.discard(item["SK"])
        deletes = [
            {"DeleteRequest": {"Key": to_item({"PK": keys.problem_hints_pk(tenant), "SK": sk})}}
            for sk in sorted(old)
        ]
        self._write(puts + deletes)
        return len(deletes)

    def dismiss(self, tenant: str, suggestion: dict[str, Any], expires_at: int) -> None:
        """The suggestion goes; its incidents are remembered until `expires_at`."""
        marker = {
            **keys.problem_dismissed_key(tenant, suggestion["id"]),
            "kind": "problem_dismissal",
            "members": suggestion["members"],
            "expires_at": expires_at,
        }
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": to_item(keys.problem_hint_key(tenant, suggestion["id"])),
                    }
                },
                {"Put": {"TableName": self.table, "Item": to_item(marker)}},
            ]
        )

    def remove(self, tenant: str, cluster_id: str) -> None:
        """A suggestion that became a problem."""
        self._db.delete_item(
            TableName=self.table, Key=to_item(keys.problem_hint_key(tenant, cluster_id))
        )

    def _write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _BATCH_WRITE):
            pending: dict[str, Any] = {self.table: requests[start : start + _BATCH_WRITE]}
            while pending:
                answer = self._db.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}


def _suggestion(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "members": [int(n) for n in row.get("members", [])],
        "size": int(row.get("size", 0)),
        "terms": list(row.get("terms", [])),
        "label": list(row.get("label", [])),
        "category": row.get("category"),
        "found_at": row.get("found_at"),
    }
