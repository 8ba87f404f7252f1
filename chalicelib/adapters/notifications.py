"""Requests for notifications, queued for the notification worker (SQS `notifications`)."""

import json
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.settings import get_settings


def enqueue(request: dict[str, Any]) -> None:
    client("sqs").send_message(
        QueueUrl=get_settings().notifications_queue_url,
        MessageBody=json.dumps(request, separators=(",", ":")),
    )
