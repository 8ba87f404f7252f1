"""Webhook deliveries, queued for the delivery worker (SQS `webhooks`)."""

import json
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.settings import get_settings

# The longest SQS can hold a message back.
MAX_DELAY_SECONDS = 900


def enqueue(message: dict[str, Any], delay_seconds: int = 0) -> None:
    client("sqs").send_message(
        QueueUrl=get_settings().webhooks_queue_url,
        MessageBody=json.dumps(message, separators=(",", ":")),
        DelaySeconds=min(max(delay_seconds, 0), MAX_DELAY_SECONDS),
    )
