"""What SES receiving does, for the laptop and the tests: raw MIME into the bucket under
raw-mail/, and an SNS-wrapped "Received" notification onto the inbound queue."""

import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any


def ses_notification(ses_id: str, bucket: str, key: str, raw: bytes, recipients: list[str],
                     verdicts: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """The notification SES publishes for a received mail (the fields Balie reads, and a few
    more so that it looks like the real thing in logs)."""
    head = message_from_bytes(raw[:65536], policy=policy.compat32)
    statuses = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}
    statuses.update(verdicts or {})
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": datetime.now(UTC).isoformat(),
            "source": str(head.get("From", "")),
            "messageId": ses_id,
            "destination": recipients,
            "commonHeaders": {"subject": str(head.get("Subject", ""))},
        },
        "receipt": {
            "recipients": recipients,
            **{f"{name}Verdict": {"status": status} for name, status in statuses.items()},
            "action": {"type": "S3", "bucketName": bucket, "objectKey": key},
        },
    }


def sns_envelope(message: dict[str, Any]) -> str:
    return json.dumps(
        {"Type": "Notification", "MessageId": str(uuid.uuid4()), "Message": json.dumps(message)}
    )


def deliver(raw: bytes, recipients: list[str], *, bucket: str, queue_url: str,
            verdicts: dict[str, str] | None = None) -> str:  # fmt: skip
    """Receive one mail as SES would; returns its SES message id."""
    import boto3

    ses_id = uuid.uuid4().hex
    key = f"raw-mail/{ses_id}"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    notice = ses_notification(ses_id, bucket, key, raw, recipients, verdicts)
    boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=sns_envelope(notice))
    return ses_id
