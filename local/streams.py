"""Feed the table's DynamoDB stream to a handler the way Lambda's event source mapping does.

moto keeps stream records but invokes nothing, so locally a thread polls the stream and hands
each batch, shaped as the `{"Records": [...]}` event Lambda delivers, to the same handler.
"""

import base64
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

logger = logging.getLogger("balie.local.streams")

Handler = Callable[[dict[str, Any]], Any]

# Lambda's default batch size for DynamoDB event sources.
BATCH_SIZE = 100


def streams_client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    # botocore sends ARN-bearing stream calls to <account>.streams-ddb.<region>.amazonaws.com,
    # a host moto's in-process mock does not route; the classic endpoint works everywhere.
    return boto3.client(
        "dynamodbstreams",
        region_name=region,
        config=Config(account_id_endpoint_mode="disabled"),
    )


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it: JSON-ready, with the source ARN."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # Lambda sends epoch seconds; boto3 has parsed them into a datetime.
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = _json_ready(change[image])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        # moto reports us-east-1 whatever the table's region; the ARN knows better.
        "awsRegion": stream_arn.split(":")[3],
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _json_ready(value: Any) -> Any:
    # boto3 decodes B/BS attribute values to bytes; Lambda's JSON carries them as base64.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


def _first_failure(result: Any, records: list[dict[str, Any]]) -> int | None:
    """Index of the first record a `{"batchItemFailures": [...]}` response names, if any."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return None
    failed = {failure.get("itemIdentifier") for failure in failures}
    for index, record in enumerate(records):
        if record["dynamodb"]["SequenceNumber"] in failed:
            return index
    return 0


class TableStreamPoller:
    """Polls one stream from LATEST at start; `poll_once` for tests, `start`/`stop` for run."""

    def __init__(
        self,
        stream_arn: str,
        handler: Handler,
        *,
        client: Any = None,
        idle_wait: float = 0.5,
        attempts: int = 3,
    ) -> None:
        self.stream_arn = stream_arn
        self.name = "table-stream"
        self._handler = handler
        self._client = client or streams_client(stream_arn.split(":")[3])
        self._idle_wait = idle_wait
        self._attempts = attempts
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._iterators: dict[str, str | None] = {}
        self._seen_shards: set[str] = set()
        self.delivered = 0
        self._discover(start_type="LATEST")

    def _discover(self, *, start_type: str) -> None:
        """Track shards; ones that appear after the start are read from their beginning."""
        description = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id in self._seen_shards:
                continue
            self._seen_shards.add(shard_id)
            self._iterators[shard_id] = self._client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=start_type
            )["ShardIterator"]

    def poll_once(self) -> int:
        """Deliver what is waiting on every open shard; returns how many records."""
        delivered = 0
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self._client.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)
            records = response.get("Records", [])
            if records:
                self._deliver([lambda_record(r, self.stream_arn) for r in records])
                delivered += len(records)
            next_iterator = response.get("NextShardIterator")
            self._iterators[shard_id] = next_iterator
            if next_iterator is None:  # shard closed: its children carry on
                self._discover(start_type="TRIM_HORIZON")
        self.delivered += delivered
        return delivered

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        # Lambda retries a failed batch, or with ReportBatchItemFailures the part from the
        # first failed record on. Here a few times, then the stream moves on so that one
        # poison record does not stall the laptop stack.
        for attempt in range(1, self._attempts + 1):
            try:
                result = self._handler({"Records": records})
            except Exception:
                logger.exception(
                    "table stream handler failed (attempt %d of %d) on %s",
                    attempt,
                    self._attempts,
                    [r["eventID"] for r in records],
                )
            else:
                failed = _first_failure(result, records)
                if failed is None:
                    return
                records = records[failed:]
                logger.warning(
                    "table stream handler reported failures (attempt %d of %d) from %s",
                    attempt,
                    self._attempts,
                    records[0]["dynamodb"]["SequenceNumber"],
                )
            if self._stop.wait(self._idle_wait):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end after the batch in hand, without waiting for it."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.poll_once() > 0
            except Exception:
                # The moto server may be stopping or reset; try again after a pause.
                logger.exception("polling the table stream failed")
                busy = False
                if not self._stop.wait(self._idle_wait * 4):
                    self._recover()
            if not busy:
                self._stop.wait(self._idle_wait)

    def _recover(self) -> None:
        try:
            self._iterators.clear()
            self._seen_shards.clear()
            self._discover(start_type="LATEST")
        except Exception:
            logger.warning("table stream %s is not available yet", self.stream_arn)
