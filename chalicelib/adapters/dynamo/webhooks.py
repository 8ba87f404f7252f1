"""Webhooks and their delivery log (docs/data-model.md, docs/webhooks.md).

A webhook's signing secret is stored as is: Balie needs it to sign every delivery, so it
cannot keep only a hash as it does for API keys. The table is encrypted with KMS, and no
response or log ever shows the secret after the one that created it.
"""

import base64
import binascii
import contextlib
import json
import re
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain import webhooks as rules
from chalicelib.domain.errors import Invalid
from chalicelib.domain.webhooks import Delivery, Webhook

# A delivery (and its payload) is kept this long for the log and for redelivery.
DELIVERY_DAYS = 7
# An attempt claimed longer ago than this died with its worker (the delivery function times
# out after 60 s); SQS hands its message out again after 180 s, and it may be claimed anew.
CLAIM_STALE_SECONDS = 120

_ULID_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_WEBHOOK_FIELDS = {f.name for f in fields(Webhook)}
_DELIVERY_FIELDS = {f.name for f in fields(Delivery)}


def is_id(value: str) -> bool:
    return bool(_ULID_SHAPE.fullmatch(value))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class DynamoWebhooks:
    def __init__(self, table: str) -> None:
        self.table = table

    # --- webhooks -------------------------------------------------------------------------

    def insert(self, webhook: Webhook, secret: str) -> None:
        item = {
            **keys.webhook_key(webhook.tenant, webhook.id),
            "type": "webhook",
            **asdict(webhook),
            "events": list(webhook.events),
            "secret": secret,
        }
        client("dynamodb").put_item(
            TableName=self.table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def get(self, tenant: str, webhook_id: str) -> tuple[Webhook, str] | None:
        """The webhook and its secret (consistent: a deletion or disabling counts at once)."""
        if not is_id(webhook_id):
            return None
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant, webhook_id)),
                ConsistentRead=True,
            )
            .get("Item")
        )
        if not item:
            return None
        values = from_item(item)
        return _webhook(values), values["secret"]

    def all(self, tenant: str) -> list[tuple[Webhook, str]]:
        """Every webhook of the tenant (at most MAX_PER_TENANT: one page)."""
        answer = client("dynamodb").query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.webhooks_pk(tenant)}),
        )
        return [(_webhook(v), v["secret"]) for v in map(from_item, answer.get("Items", []))]

    def page(self, tenant: str, limit: int, cursor: str | None) -> tuple[list[Webhook], str | None]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.webhooks_pk(tenant)}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = to_item(keys.webhook_key(tenant, _decode(cursor)))
        answer = client("dynamodb").query(**request)
        found = [_webhook(from_item(item)) for item in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return found, _encode(last["SK"]["S"]) if last else None

    def delete(self, tenant: str, webhook_id: str) -> bool:
        """False when the tenant has no such webhook. Its deliveries expire by their TTL."""
        if not is_id(webhook_id):
            return False
        db = client("dynamodb")
        try:
            db.delete_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant, webhook_id)),
                ConditionExpression="attribute_exists(PK)",
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update(self, webhook: Webhook, expected_version: int) -> bool:
        """Write status, events and description if the stored version is `expected_version`."""
        db = client("dynamodb")
        try:
            db.update_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(webhook.tenant, webhook.id)),
                UpdateExpression="SET #s = :s, events = :e, description = :d, version = :v, "
                "consecutive_failures = :f, disabled_at = :da, disabled_reason = :dr",
                ConditionExpression="attribute_exists(PK) AND version = :expected",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":s": webhook.status,
                        ":e": list(webhook.events),
                        ":d": webhook.description,
                        ":v": webhook.version,
                        ":f": webhook.consecutive_failures,
                        ":da": webhook.disabled_at,
                        ":dr": webhook.disabled_reason,
                        ":expected": expected_version,
                    }
                ),
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def count_failed_delivery(self, tenant: str, webhook_id: str) -> int | None:
        """One more delivery that used up its attempts; the count in a row, None if deleted."""
        db = client("dynamodb")
        try:
            answer = db.update_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant, webhook_id)),
                UpdateExpression="ADD consecutive_failures :one",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=to_item({":one": 1}),
                ReturnValues="UPDATED_NEW",
            )
        except db.exceptions.ConditionalCheckFailedException:
            return None
        return int(answer["Attributes"]["consecutive_failures"]["N"])

    def reset_failures(self, tenant: str, webhook_id: str) -> None:
        db = client("dynamodb")
        # Deleted meanwhile: nothing to reset.
        with contextlib.suppress(db.exceptions.ConditionalCheckFailedException):
            db.update_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant, webhook_id)),
                UpdateExpression="SET consecutive_failures = :zero",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=to_item({":zero": 0}),
            )

    def disable(self, tenant: str, webhook_id: str, reason: str, now: datetime) -> Webhook | None:
        """Disable an active webhook; None when it was not active (someone else was first)."""
        db = client("dynamodb")
        try:
            answer = db.update_item(
                TableName=self.table,
                Key=to_item(keys.webhook_key(tenant, webhook_id)),
                UpdateExpression="SET #s = :disabled, disabled_at = :at, disabled_reason = :why "
                "ADD version :one",
                ConditionExpression="#s = :active",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":disabled": rules.DISABLED,
                        ":active": rules.ACTIVE,
                        ":at": _iso(now),
                        ":why": reason,
                        ":one": 1,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except db.exceptions.ConditionalCheckFailedException:
            return None
        return _webhook(from_item(answer["Attributes"]))

    # --- deliveries -----------------------------------------------------------------------

    def create_delivery(self, delivery: Delivery, now: datetime) -> bool:
        """Record a new delivery; False when this event already has one for this webhook
        (the stream delivers records at least once)."""
        db = client("dynamodb")
        try:
            db.put_item(
                TableName=self.table,
                Item=to_item(_delivery_item(delivery, now)),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def forget_delivery(self, delivery: Delivery) -> None:
        """Undo create_delivery when its message could not be queued, so a retry redoes both."""
        client("dynamodb").delete_item(
            TableName=self.table,
            Key=to_item(keys.delivery_key(delivery.tenant, delivery.webhook, delivery.id)),
        )

    def get_delivery(self, tenant: str, webhook_id: str, event_id: str) -> Delivery | None:
        if not is_id(webhook_id) or not is_id(event_id):
            return None
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.table,
                Key=to_item(keys.delivery_key(tenant, webhook_id, event_id)),
                ConsistentRead=True,
            )
            .get("Item")
        )
        return _delivery(from_item(item)) if item else None

    def recent_deliveries(self, tenant: str, webhook_id: str, limit: int) -> list[Delivery]:
        answer = client("dynamodb").query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :dlv)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.deliveries_pk(tenant, webhook_id), ":dlv": "DLV#"}
            ),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_delivery(from_item(item)) for item in answer.get("Items", [])]

    def claim_attempt(self, delivery: Delivery, round_: int, attempt: int, now: datetime) -> bool:
        """Mark attempt `attempt` of round `round_` as in flight; False when it was claimed
        already (a duplicate message) or belongs to an older round."""
        db = client("dynamodb")
        try:
            db.update_item(
                TableName=self.table,
                Key=to_item(keys.delivery_key(delivery.tenant, delivery.webhook, delivery.id)),
                UpdateExpression="SET #s = :sending, attempt = :n, claimed_at = :now",
                ConditionExpression="#r = :r AND (attempt < :n OR (attempt = :n AND "
                "#s = :sending AND claimed_at < :stale))",
                ExpressionAttributeNames={"#s": "status", "#r": "round"},
                ExpressionAttributeValues=to_item(
                    {
                        ":sending": rules.SENDING,
                        ":n": attempt,
                        ":r": round_,
                        ":now": _epoch(now),
                        ":stale": _epoch(now - timedelta(seconds=CLAIM_STALE_SECONDS)),
                    }
                ),
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_attempt(
        self,
        delivery: Delivery,
        *,
        status: str,
        at: datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: int | None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        client("dynamodb").update_item(
            TableName=self.table,
            Key=to_item(keys.delivery_key(delivery.tenant, delivery.webhook, delivery.id)),
            UpdateExpression="SET #s = :s, last_attempt_at = :at, last_status_code = :code, "
            "last_error = :error, last_duration_ms = :ms, next_attempt_at = :next "
            "ADD attempts :one",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_item(
                {
                    ":s": status,
                    ":at": _iso(at),
                    ":code": status_code,
                    ":error": error,
                    ":ms": duration_ms,
                    ":one": 1,
                    ":next": _iso(next_attempt_at) if next_attempt_at else None,
                }
            ),
        )

    def skip(self, delivery: Delivery, reason: str) -> None:
        db = client("dynamodb")
        with contextlib.suppress(db.exceptions.ConditionalCheckFailedException):
            db.update_item(
                TableName=self.table,
                Key=to_item(keys.delivery_key(delivery.tenant, delivery.webhook, delivery.id)),
                UpdateExpression="SET #s = :s, last_error = :why, next_attempt_at = :none",
                ConditionExpression="#s <> :delivered",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":s": rules.SKIPPED,
                        ":why": reason,
                        ":none": None,
                        ":delivered": rules.DELIVERED,
                    }
                ),
            )

    def new_round(self, delivery: Delivery, now: datetime) -> Delivery:
        """Start a redelivery: the next round, from attempt 1, kept another DELIVERY_DAYS."""
        answer = client("dynamodb").update_item(
            TableName=self.table,
            Key=to_item(keys.delivery_key(delivery.tenant, delivery.webhook, delivery.id)),
            UpdateExpression="SET #s = :pending, attempt = :zero, next_attempt_at = :none, "
            "expires_at = :expires ADD #r :one",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#s": "status", "#r": "round"},
            ExpressionAttributeValues=to_item(
                {
                    ":pending": rules.PENDING,
                    ":zero": 0,
                    ":none": None,
                    ":one": 1,
                    ":expires": _epoch(now + timedelta(days=DELIVERY_DAYS)),
                }
            ),
            ReturnValues="ALL_NEW",
        )
        return _delivery(from_item(answer["Attributes"]))


def _webhook(values: dict[str, Any]) -> Webhook:
    picked = {k: v for k, v in values.items() if k in _WEBHOOK_FIELDS}
    picked["events"] = tuple(values.get("events") or ())
    return Webhook(**picked)


def _delivery(values: dict[str, Any]) -> Delivery:
    return Delivery(**{k: v for k, v in values.items() if k in _DELIVERY_FIELDS})


def _delivery_item(delivery: Delivery, now: datetime) -> dict[str, Any]:
    return {
        **keys.delivery_key(delivery.tenant, delivery.webhook, delivery.id),
        "type": "webhook_delivery",
        **asdict(delivery),
        "expires_at": _epoch(now + timedelta(days=DELIVERY_DAYS)),
    }


def _encode(webhook_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": webhook_id}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        webhook_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["id"]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        webhook_id = None
    if not isinstance(webhook_id, str) or not is_id(webhook_id):
        raise Invalid(
            "The cursor is not one this list handed out.",
            errors=[{"field": "cursor", "message": "Unknown cursor."}],
        )
    return webhook_id
