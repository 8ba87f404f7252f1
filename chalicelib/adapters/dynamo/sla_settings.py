"""A tenant's business hours and SLA policies: two small versioned documents."""

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.services.ports import VersionConflict
from chalicelib.settings import get_settings

PARTS = ("hours", "policies")


class DynamoSlaSettings:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def get(self, tenant: str) -> dict[str, tuple[dict[str, Any], int]]:
        """Both documents in one BatchGetItem; a part never written is absent."""
        answer = client("dynamodb").batch_get_item(
            RequestItems={
                self.table: {
                    "Keys": [to_item(keys.sla_settings_key(tenant, p)) for p in PARTS],
                    "ConsistentRead": True,
                }
            }
        )
        found: dict[str, tuple[dict[str, Any], int]] = {}
        for item in answer.get("Responses", {}).get(self.table, []):
            values = from_item(item)
            found[values["part"]] = (values["document"], values["version"])
        return found

    def put(self, tenant: str, part: str, document: dict[str, Any], expected: int) -> int:
        """Replace a document if it is still at `expected` (0: never written); the new version."""
        db = client("dynamodb")
        condition = "attribute_not_exists(PK)" if expected == 0 else "version = :expected"
        params: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item(
                {
                    **keys.sla_settings_key(tenant, part),
                    "part": part,
                    "tenant": tenant,
                    "document": document,
                    "version": expected + 1,
                }
            ),
            "ConditionExpression": condition,
        }
        if expected:
            params["ExpressionAttributeValues"] = to_item({":expected": expected})
        try:
            db.put_item(**params)
        except db.exceptions.ConditionalCheckFailedException as exc:
            raise VersionConflict() from exc
        return expected + 1
