"""Feed an SQS queue to its handler the way Lambda's event source mapping does.

moto keeps messages but invokes nothing. A thread long-polls the queue and hands each batch,
shaped as Lambda's SQS event, to the same handler; records the handler reports as failed are
left on the queue (they come back after the visibility timeout and, after five receives, go
to the dead-letter queue, as deployed).
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("balie.local.queues")

Handler = Callable[[dict[str, Any], Any], Any]

# Lambda gives a function this long per invocation (`lambda_timeout` in .chalice/config.json).
INVOCATION_SECONDS = 30


class LambdaContext:
    """The part of Lambda's context object the workers read: Powertools' idempotency asks
    for the time left, to lock a record no longer than the invocation can hold it."""

    def get_remaining_time_in_millis(self) -> int:
        return INVOCATION_SECONDS * 1000


def lambda_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for m in messages
        ]
    }


class QueuePoller:
    def __init__(self, queue_url: str, queue_arn: str, handler: Handler, name: str) -> None:
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.handler = handler
        self.name = f"queue-{name}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive and one handler call; returns how many messages were handled."""
        import boto3

        sqs = boto3.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        result = self.handler(lambda_event(messages, self.queue_arn), LambdaContext()) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for message in done:
            sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if failed:
            logger.warning("%d message(s) failed; SQS will hand them out again", len(failed))
        return len(messages)

    def drain(self) -> int:
        """Handle until the queue is empty (tests)."""
        total = 0
        while handled := self.poll_once():
            total += handled
        return total

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end after the batch in hand, without waiting for it."""
        self._stopping.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # keep polling: one bad batch must not stop local mail
                logger.exception("queue poller %s failed", self.name)
                self._stopping.wait(1)
