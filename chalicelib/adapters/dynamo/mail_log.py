"""What mail went out: one record per event and address, and hourly counts per address."""

from datetime import datetime, timedelta

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import to_item
from chalicelib.settings import get_settings

# Long enough to outlive every redelivery of a notification request (SQS keeps them 4 days).
_SENT_DAYS = 7


class DynamoMailLog:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def was_sent(self, tenant: str, event_id: str, address: str) -> bool:
        item = client("dynamodb").get_item(
            TableName=self.table,
            Key=to_item(keys.sent_key(tenant, event_id, address)),
            ConsistentRead=True,
        )
        return "Item" in item

    def sent(
        self, tenant: str, event_id: str, address: str, message_id: str, now: datetime
    ) -> None:
        expires = int((now + timedelta(days=_SENT_DAYS)).timestamp())
        item = {
            **keys.sent_key(tenant, event_id, address),
            "message_id": message_id,
            "expires_at": expires,
        }
        client("dynamodb").put_item(TableName=self.table, Item=to_item(item))

    def count_automatic(self, tenant: str, address: str, now: datetime) -> int:
        """Count one more automatic mail to `address` this hour; returns the new count."""
        hour = now.strftime("%Y-%m-%dT%H")
        answer = client("dynamodb").update_item(
            TableName=self.table,
            Key=to_item(keys.mail_rate_key(tenant, address, hour)),
            UpdateExpression="ADD #n :one SET expires_at = :expires",
            ExpressionAttributeNames={"#n": "count"},
            ExpressionAttributeValues=to_item(
                {":one": 1, ":expires": int((now + timedelta(hours=2)).timestamp())}
            ),
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["count"]["N"])
