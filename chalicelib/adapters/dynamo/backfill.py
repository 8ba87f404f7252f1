"""What the metrics backfill reads (services/metrics_backfill.py): a tenant's tickets through
its all-tickets index, a page at a time, and one ticket's audit events as the stream carries
them. Queries only; never a Scan."""

from collections.abc import Iterator
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.paging import query_page
from chalicelib.settings import get_settings


class DynamoBackfillSource:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def tickets(self, tenant: str, cursor: str | None, limit: int) -> tuple[list[int], str | None]:
        """A page of the tenant's ticket numbers (GSI5, every ticket), and the next cursor."""
        partition = keys.all_tickets_pk(tenant)
        params = {
            "TableName": self.table,
            "IndexName": keys.GSI_TENANT,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": f"{keys.GSI_TENANT}PK"},
            "ExpressionAttributeValues": to_item({":pk": partition}),
        }
        rows, next_cursor = query_page(
            client("dynamodb"), params, limit, cursor, (f"{keys.GSI_TENANT}PK", partition)
        )
        return [int(row["number"]) for row in rows], next_cursor

    def events(self, tenant: str, number: int) -> Iterator[dict[str, Any]]:
        """The ticket's audit events, each as the item the stream's INSERT record carries."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.ticket_pk(tenant, number), ":prefix": keys.event_sk("")}
            ),
        }
        while True:
            answer = client("dynamodb").query(**params)
            yield from (from_item(raw) for raw in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
