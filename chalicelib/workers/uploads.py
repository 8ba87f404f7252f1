"""SQS `uploads` ← S3 `ObjectCreated` under attachments/ → the attachment is stored.

Each record is an S3 event notification (or S3's `s3:TestEvent` when the notification is
configured, which is skipped). Keys in it are URL-encoded with `+` for spaces. What to do with
each file is AttachmentService.file_arrived: idempotent, so SQS's at-least-once delivery and
a portal confirm racing the worker change nothing twice. A record fails only when Balie
failed (the table, the bucket); SQS then hands it out again and, after five receives, keeps it
in the dead-letter queue (`make replay-dlq QUEUE=uploads`).
"""

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.observability import logger
from chalicelib.wiring import attachment_service

processor = BatchProcessor(event_type=EventType.SQS)


def handle_upload_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )


def created_keys(body: str) -> list[str]:
    """The object keys an S3 notification reports as created."""
    notification = json.loads(body)
    return [
        unquote_plus(record["s3"]["object"]["key"])
        for record in notification.get("Records", [])
        if str(record.get("eventName", "")).startswith("ObjectCreated")
    ]


def handle_record(record: SQSRecord) -> None:
    for key in created_keys(record.body):
        outcome = attachment_service().file_arrived(key)
        if outcome != "ignored":
            logger.info("upload", extra={"key": key, "outcome": outcome})
