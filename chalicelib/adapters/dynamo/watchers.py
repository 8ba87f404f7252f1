"""Watchers in the table (docs/watchers.md): items `WATCH#<email>` in the ticket's partition,
indexed on GSI2 by address; each add or removal commits with its audit event."""

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.tickets import event_item, watcher_from_item, watcher_item
from chalicelib.domain.tickets import Event
from chalicelib.domain.watchers import MAX_WATCHERS, Watcher
from chalicelib.settings import get_settings


class DynamoWatchers:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    def of_ticket(self, tenant: str, number: int, *, consistent: bool = False) -> list[Watcher]:
        """A ticket's watchers (≤ 20 small items: one Query page)."""
        answer = self._db.query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.ticket_pk(tenant, number), ":prefix": keys.WATCHER_PREFIX}
            ),
            ConsistentRead=consistent,
            Limit=MAX_WATCHERS * 2,
        )
        return [watcher_from_item(from_item(i)) for i in answer.get("Items", [])]

    def add(self, watcher: Watcher, event: Event) -> bool:
        """Add with its event; False (nothing written) when the address already watches."""
        put = {"TableName": self.table, "Item": to_item(watcher_item(watcher)),
               "ConditionExpression": "attribute_not_exists(PK)"}  # fmt: skip
        return self._transact([{"Put": put}, self._event(event)])

    def remove(self, tenant: str, number: int, email: str, event: Event) -> bool:
        """Remove with its event; False (nothing written) when the address does not watch."""
        delete = {"TableName": self.table, "Key": to_item(keys.watcher_key(tenant, number, email)),
                  "ConditionExpression": "attribute_exists(PK)"}  # fmt: skip
        return self._transact([{"Delete": delete}, self._event(event)])

    def watching(self, tenant: str, email: str) -> list[int]:
        """Numbers of the tickets one address watches, all pages of the GSI2 partition."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI_REQUESTER,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": f"{keys.GSI_REQUESTER}PK"},
            "ExpressionAttributeValues": to_item({":pk": keys.watching_pk(tenant, email)}),
        }
        numbers: list[int] = []
        while True:
            answer = self._db.query(**params)
            numbers += [int(from_item(i)["ticket"]) for i in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return numbers
            params = {**params, "ExclusiveStartKey": answer["LastEvaluatedKey"]}

    def forget(self, tenant: str, email: str) -> int:
        """GDPR erasure: delete every watcher item of the address (no event: the audit trail
        would only repeat the address being erased)."""
        numbers = self.watching(tenant, email)
        for number in numbers:
            self._db.delete_item(
                TableName=self.table, Key=to_item(keys.watcher_key(tenant, number, email))
            )
        return len(numbers)

    def _event(self, event: Event) -> dict[str, Any]:
        return {"Put": {"TableName": self.table, "Item": to_item(event_item(event))}}

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        db = self._db
        try:
            db.transact_write_items(TransactItems=items)
        except db.exceptions.TransactionCanceledException as exc:
            codes = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise
        return True
