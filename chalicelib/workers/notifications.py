"""SQS `notifications` → mail (services.notify).

A temporary SES failure (throttling, an outage) fails the record, so SQS hands it out again
after its visibility timeout and, after five tries, keeps it in the dead-letter queue.
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
from chalicelib.wiring import notifications

processor = BatchProcessor(event_type=EventType.SQS)


def handle_notification_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )


def handle_record(record: SQSRecord) -> None:
    request = json.loads(record.body)
    outcomes = notifications().handle(request)
    logger.info(
        "notification",
        extra={"tenant": request.get("tenant"), "type": request.get("type"), "outcomes": outcomes},
    )
    sent = outcomes.count("sent")
    if sent:
        count("MailsOut", request["tenant"], sent)
