"""Inbound mail: how many messages one worker files per second in-process on moto, and the
AWS calls each one costs (plain mail and mail with a 1 MB attachment).

Each message is a new mail from a new sender (the most expensive path: a requester profile,
a ticket with its counter, receipt and Message-ID ref, and for the attachment an S3 put). Its
raw MIME is put in the bucket before the clock starts, as SES would have; the measured part
is `handle_inbound_email` for one SQS record, Powertools idempotency included.
"""

import statistics
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from bench.recorder import CallRecorder
from local.mail_intake import ses_notification, sns_envelope
from local.queues import LambdaContext, lambda_event

MESSAGES = {"plain": 40, "attachment_1mb": 10}


def mail(index: int, attachment: bool = False, sender: str | None = None) -> bytes:
    """A new mail to the demo tenant, from `sender` or a sender of its own."""
    message = EmailMessage()
    message["From"] = sender or f"Sender {index} <sender{index}@customer.example.org>"
    message["To"] = "support@demo.example.com"
    message["Subject"] = f"Printer {index} shows error 79"
    message["Message-ID"] = f"<bench-{index}-{attachment}@customer.example.org>"
    message.set_content("Since this morning the printer shows error 79.\n\n-- \nSender")
    if attachment:
        blob = bytes(range(256)) * 4096  # 1 MiB
        message.add_attachment(blob, maintype="application", subtype="pdf", filename="log.pdf")
    return message.as_bytes()


def as_received(ses_id: str, raw: bytes) -> dict[str, Any]:
    """What SES does with a mail (the raw MIME into the bucket, its notification through SNS
    onto the inbound queue), done here with an unrecorded client; returns the Lambda event
    the inbound worker gets for it."""
    import boto3

    from chalicelib.settings import get_settings

    settings = get_settings()
    key = f"raw-mail/{ses_id}"
    boto3.client("s3").put_object(Bucket=settings.bucket_name, Key=key, Body=raw)
    notice = ses_notification(ses_id, settings.bucket_name, key, raw,
                              ["support@demo.example.com"])  # fmt: skip
    message = {"MessageId": ses_id, "ReceiptHandle": ses_id, "Body": sns_envelope(notice)}
    return lambda_event([message], settings.inbound_queue_arn)


def measure(recorder: CallRecorder, progress: Callable[[str], None]) -> dict[str, Any]:
    from chalicelib.workers.inbound_email import handle_inbound_event

    results: dict[str, Any] = {}
    for kind, count in MESSAGES.items():
        progress(f"inbound mail: {count} {kind} messages")
        seconds: list[float] = []
        calls: list[dict[str, int]] = []
        for index in range(count):
            raw = mail(index + len(results) * 1000, kind != "plain")
            event = as_received(f"bench-{kind}-{index}", raw)
            with recorder.window() as window:
                started = time.perf_counter()
                answer = handle_inbound_event(event, LambdaContext())
                seconds.append(time.perf_counter() - started)
            assert answer == {"batchItemFailures": []}, answer
            dynamo = window.operations("dynamodb")
            calls.append({**{f"dynamodb.{k}": v for k, v in dynamo.items()},
                          **window.other_services()})  # fmt: skip
        median = statistics.median(seconds)
        results[kind] = {
            "messages": count,
            "median_ms": round(median * 1000, 1),
            "messages_per_second": round(1 / median, 1),
            "calls_per_message": _typical(calls),
            "dynamodb_calls_per_message": sum(
                v for k, v in _typical(calls).items() if k.startswith("dynamodb.")
            ),
        }
    return results


def _typical(calls: list[dict[str, int]]) -> dict[str, int]:
    """The call counts most messages made (the first may differ: cold caches)."""
    shapes = [tuple(sorted(c.items())) for c in calls]
    return dict(max(set(shapes), key=shapes.count))
