"""`make replay-dlq`: move what the dead-letter queues hold back to their queues.

A mail or notification lands in a dead-letter queue after five failed tries; once the cause
is fixed, replaying hands it to its worker again. Both workers are idempotent, so a message
that partly succeeded before does no harm. Against the running `make run` stack; on AWS use
`aws sqs start-message-move-task --source-arn <dead-letter queue ARN>` (docs/operations.md).

    python -m local.replay_dlq [--queue inbound|notifications|webhooks|uploads|all]
                               [--stack-file PATH]
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from local.run import STACK_FILE_ENV, stack_file_path
from local.sla_tick import StackUnavailable, read_stack_file, use_stack_environment

QUEUES = {
    "inbound": ("BALIE_INBOUND_DEAD_LETTER_QUEUE_URL", "BALIE_INBOUND_QUEUE_URL"),
    "notifications": (
        "BALIE_NOTIFICATIONS_DEAD_LETTER_QUEUE_URL",
        "BALIE_NOTIFICATIONS_QUEUE_URL",
    ),
    "webhooks": ("BALIE_WEBHOOKS_DEAD_LETTER_QUEUE_URL", "BALIE_WEBHOOKS_QUEUE_URL"),
    "uploads": ("BALIE_UPLOADS_DEAD_LETTER_QUEUE_URL", "BALIE_UPLOADS_QUEUE_URL"),
}


def replay(sqs: Any, dead_letters: str, target: str) -> int:
    """Send every message back, then delete it from the dead-letter queue; returns how many.

    Sent before deleted: a crash in between replays a message twice, never loses one.
    """
    moved = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=dead_letters, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            return moved
        for message in messages:
            sqs.send_message(QueueUrl=target, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=message["ReceiptHandle"])
            moved += 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.replay_dlq", description=__doc__)
    parser.add_argument("--queue", choices=[*QUEUES, "all"], default="all")
    parser.add_argument(
        "--stack-file", type=Path, default=None,
        help=f"the running stack's file (default: ${STACK_FILE_ENV} or .local/stack.json)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        env = read_stack_file(args.stack_file or stack_file_path())
    except StackUnavailable as error:
        print(f"replay-dlq: {error}", file=sys.stderr)
        return 1
    use_stack_environment(env)
    import boto3

    sqs = boto3.client("sqs")
    names = list(QUEUES) if args.queue == "all" else [args.queue]
    moved = {name: replay(sqs, env[QUEUES[name][0]], env[QUEUES[name][1]]) for name in names}
    print(json.dumps({"moved": moved}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
