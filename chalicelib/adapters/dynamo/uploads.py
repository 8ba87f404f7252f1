"""Uploaded attachments: the pending item written when an upload is granted, and its one
move to stored (docs/data-model.md, "attachment (pending upload)")."""

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.tickets import attachment_from_item, attachment_item, event_item
from chalicelib.domain.tickets import Attachment, Event
from chalicelib.settings import get_settings


class DynamoUploads:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    def _key(self, tenant: str, number: int, attachment_id: str) -> dict[str, str]:
        return {"PK": keys.ticket_pk(tenant, number), "SK": keys.attachment_sk(attachment_id)}

    def add_pending(self, attachment: Attachment, expires_at: int) -> None:
        """The pending item, gone by itself at `expires_at` (epoch seconds, the table's TTL)
        unless the file arrives first."""
        item = {**attachment_item(attachment), "expires_at": expires_at}
        self._db.put_item(
            TableName=self.table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, tenant: str, number: int, attachment_id: str) -> Attachment | None:
        item = self._db.get_item(
            TableName=self.table,
            Key=to_item(self._key(tenant, number, attachment_id)),
            ConsistentRead=True,
        ).get("Item")
        return attachment_from_item(from_item(item)) if item else None

    def store(self, attachment: Attachment, size: int, event: Event) -> bool:
        """Pending → stored with the size the bucket reports, the TTL removed and the audit
        event written, all or none; False when it was not pending (already stored, or gone)."""
        update = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(self._key(attachment.tenant, attachment.ticket, attachment.id)),
                "UpdateExpression": "SET #st = :stored, #size = :size REMOVE expires_at",
                "ConditionExpression": "#st = :pending",
                "ExpressionAttributeNames": {"#st": "status", "#size": "size"},
                "ExpressionAttributeValues": to_item(
                    {":stored": "stored", ":pending": "pending", ":size": size}
                ),
            }
        }
        audit = {
            "Put": {
                "TableName": self.table,
                "Item": to_item(event_item(event)),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        db = self._db
        try:
            db.transact_write_items(TransactItems=[update, audit])
        except db.exceptions.TransactionCanceledException as exc:
            codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def drop_pending(self, attachment: Attachment) -> bool:
        """Forget a pending upload whose file was refused; False if it was no longer pending."""
        db = self._db
        try:
            db.delete_item(
                TableName=self.table,
                Key=to_item(self._key(attachment.tenant, attachment.ticket, attachment.id)),
                ConditionExpression="#st = :pending",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues=to_item({":pending": "pending"}),
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True
