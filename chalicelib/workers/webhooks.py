"""SQS `webhooks` → one signed POST per message (services.webhooks.WebhookDeliverer).

Retries are the service's own: a failed attempt queues the next one with a delay and this
message is done. A record fails here only when Balie itself failed (the table, the queue);
SQS then hands it out again after its visibility timeout and, after five receives, keeps it
in the dead-letter queue (`make replay-dlq QUEUE=webhooks`).
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.observability import count, logger
from chalicelib.wiring import webhook_deliverer

processor = BatchProcessor(event_type=EventType.SQS)


def handle_webhook_delivery_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )


def handle_record(record: SQSRecord) -> None:
    request = json.loads(record.body)
    outcome = webhook_deliverer().deliver(request)
    logger.info(
        "webhook delivery",
        extra={
            "tenant": request.get("tenant"),
            "webhook": request.get("webhook"),
            "delivery": request.get("delivery"),
            "attempt": request.get("attempt"),
            "outcome": outcome,
        },
    )
    if outcome in ("delivered", "failed"):
        count("WebhooksDelivered" if outcome == "delivered" else "WebhooksFailed",
              request["tenant"])  # fmt: skip
