"""The table's change stream → domain events on the bus, and the notifications they call for.

Audit events are written in the same transaction as the change they describe, so publishing
them from the stream never announces a change that did not commit, nor misses one that did.
Delivery is at least once (moto even emits duplicate INSERT records): consumers dedupe on `id`.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)

from chalicelib.adapters.dynamo.codec import from_item
from chalicelib.adapters.events import publish
from chalicelib.adapters.notifications import enqueue
from chalicelib.observability import logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def handle_table_stream_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=publish_record, processor=processor, context=context
    )


def publish_record(record: DynamoDBRecord) -> None:
    raw = record.raw_event
    if raw.get("eventName") != "INSERT":
        return
    image = from_item(raw["dynamodb"].get("NewImage", {}))
    count_for_reports(image)
    if image.get("kind") != "event":
        return
    event = domain_event(image)
    publish(event)
    if event["type"] in NOTIFIED:
        enqueue(event)
    fan_out_to_webhooks(event)
    logger.debug("published", extra={"event_type": image["type"], "ticket": image["ticket"]})


def count_for_reports(image: dict[str, Any]) -> None:
    """Report counters (docs/metrics.md): exactly once per item, whatever the redeliveries."""
    if image.get("kind") in ("event", "deflection"):
        from chalicelib.wiring import metrics_recorder

        metrics_recorder().record(image)


# Events someone may have to hear about; the notification worker (services.notify) decides
# who, and dedupes on the event id, since the stream delivers at least once.
NOTIFIED = {
    "ticket.created",
    "ticket.updated",
    "message.added",
    "sla.warning",
    "sla.breached",
    "rule.applied",  # a rule that assigned on an update tells the new assignee
}


def fan_out_to_webhooks(event: dict[str, Any]) -> None:
    """Queue one delivery per subscribed webhook (services.webhooks.WebhookFanout)."""
    from chalicelib.wiring import webhook_fanout

    webhook_fanout().publish(event)


def domain_event(image: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": image["id"],
        "type": image["type"],
        "occurred_at": image["occurred_at"],
        "tenant": image["tenant"],
        "data": {
            "ticket": image["ticket"],
            "actor": image["actor"],
            "changes": image.get("changes", {}),
            **image.get("data", {}),
        },
    }
