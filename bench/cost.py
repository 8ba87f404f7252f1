"""`make cost`: what Balie costs on AWS per 1,000 tickets, as one JSON document on stdout.

The AWS work behind every inbound mail, API request, portal page, SLA sweep and daily run is
measured in-process on moto, the way bench/run.py measures (the same stack, seeding and
CallRecorder), together with everything it sets off: the table-stream function on its
records, the notification worker on the requests that queued, the mails they send. Measured
are the DynamoDB calls with the sizes of the items they read and write, every other AWS call,
and the Lambda durations. Request units follow DynamoDB's billing rules from those sizes.
Prices come from bench/prices.json. The document lists what is measured and what is modelled.

Progress goes to stderr; the only thing on stdout is the document.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PRICES = Path(__file__).with_name("prices.json")
REGION = "eu-west-1"

# --- the model's assumptions (everything here that is not measured) ------------------------

TICKETS = 1_000
AGENTS = 5
# One ticket's share of the work: the typical mix, plus its end (resolved once by an
# agent, closed once by the daily job), which every ticket also costs. The issue's "2
# notifications" are not an activity of their own: every activity here is measured with the
# mail it sets off (the acknowledgement of the inbound mail, a mail per public reply, the
# resolution), and the document reports how many mails a ticket sends.
MIX: dict[str, float] = {
    "inbound_mail": 1,
    "replies": 3,
    "portal_views": 10,
    "report_views": 1,
    "sla_warnings": 0.2,
    "sla_breaches": 0.05,
    "resolve": 1,
    "auto_close": 1,
}
# API Gateway caches the authorizer's answer per token for 60 s.
REQUESTS_PER_AUTHORIZER_RUN = 10
# CloudWatch Logs: the platform's START/END/REPORT lines plus the app's own, per invocation.
LOG_BYTES_PER_INVOCATION = 1024
# API Gateway's access log line per request (infra/template.yaml, ApiAccessLogs, on by
# default): the JSON format with its values filled in.
ACCESS_LOG_BYTES_PER_REQUEST = 450
# Invocations that start a new container (init billed since 2025) on the request-driven
# functions; the tick's function runs every minute and stays warm.
COLD_START_SHARE = 0.1
TICK_COLD_STARTS_PER_DAY = 12
TICKS_PER_DAY = 1_440
# CloudWatch bills a custom metric per hour in which it received data (730 hours a month).
HOURS_PER_MONTH = 730
# The hours in which the tickets come in: 22 working days of 9 hours.
ACTIVE_HOURS_PER_MONTH = 22 * 9
# What each business metric counts, as an activity of the mix.
METRIC_ACTIVITY = {"TicketsCreated": "inbound_mail", "SlaBreaches": "sla_breaches"}
DAYS_PER_MONTH = 30
RAW_MAIL_BYTES = 50 * 1024
# An SQS message is a SendMessage, a ReceiveMessage and a DeleteMessage.
SQS_REQUESTS_PER_MESSAGE = 3
GB = 1024**3
# DynamoDB bills 100 bytes of storage overhead per item and per index entry.
STORAGE_OVERHEAD_BYTES = 100

# --- what is measured, and how much --------------------------------------------------------

SEED_TICKETS = 300
WARMUP = 3
MAILS = 25  # new mails, each filing a ticket
REPLIED_TICKETS = 10  # of those, each gets MIX["replies"] replies, then is resolved
READS = 25
# The portal's requester (their first mail files the ticket whose page they view) and the
# reader of the report (reports are for supervisors).
PORTAL_REQUESTER = "requester@demo.example.com"
REPORT_READER = "supervisor@demo.example.com"
IDLE_TICKS = 10
SLA_REPEATS = 3
# Numbers for the SLA sweep's due tickets, far from the counter's.
DUE_FIRST_NUMBER = 900_001
STREAM_BATCH = 100  # Lambda's default batch size for a DynamoDB stream
NOTIFICATION_BATCH = 10  # the notification worker's batch size (app.py)


# --- DynamoDB billing arithmetic -----------------------------------------------------------


def number_size(text: str) -> int:
    """1 byte per two significant digits plus 1 (leading and trailing zeros do not count)."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").strip("0")
    return math.ceil(len(digits) / 2) + 1


def value_size(typed: dict[str, Any]) -> int:
    """The size of one attribute value as DynamoDB counts it, from its typed form."""
    ((kind, value),) = typed.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return number_size(value)
    if kind == "B":
        return len(value if isinstance(value, bytes | bytearray) else value.encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in value)
    if kind == "NS":
        return sum(number_size(v) for v in value)
    if kind == "BS":
        return sum(len(v) for v in value)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in value)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in value.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    """An item's size: every attribute name's UTF-8 bytes plus its value's size."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(size: float, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units: 1 per 4 KB strongly consistent, half that eventually consistent,
    twice that in a transaction; a read of nothing still costs the minimum."""
    blocks = max(1, math.ceil(size / 4096))
    if transactional:
        return 2.0 * blocks
    return float(blocks) if consistent else blocks / 2


def write_units(size: float, *, transactional: bool = False) -> int:
    """Write request units: 1 per 1 KB written (at least 1), twice that in a transaction."""
    return max(1, math.ceil(size / 1024)) * (2 if transactional else 1)


Indexes = dict[str, tuple[str, str | None]]


def _index_key(item: dict[str, Any] | None, key: tuple[str, str | None]) -> Any:
    if not item or any(a is not None and a not in item for a in key):
        return None
    return json.dumps([item[a] for a in key if a is not None], sort_keys=True)


def index_write_units(
    old: dict[str, Any] | None, new: dict[str, Any] | None, indexes: Indexes
) -> int:
    """What a write costs in the global secondary indexes (projection ALL, so an entry is
    the item): one write where the item enters, leaves or changes in place, two (delete and
    put) where its index key changes. Index writes are billed as standard writes."""
    units = 0
    for key in indexes.values():
        before, after = _index_key(old, key), _index_key(new, key)
        if before is None and after is None:
            continue
        if before is None:
            units += write_units(item_size(new))
        elif after is None:
            units += write_units(item_size(old))
        elif before == after:
            units += write_units(max(item_size(old), item_size(new)))
        else:
            units += write_units(item_size(old)) + write_units(item_size(new))
    return units


def stored_bytes(items: list[dict[str, Any]], indexes: Indexes) -> int:
    """Billed storage: each item and each of its index entries, plus 100 bytes apiece."""
    total = 0
    for item in items:
        size = item_size(item) + STORAGE_OVERHEAD_BYTES
        total += size
        total += size * sum(_index_key(item, key) is not None for key in indexes.values())
    return total


# --- Lambda and money ----------------------------------------------------------------------


def billed_ms(ms: float) -> int:
    """Lambda bills duration rounded up to the next millisecond."""
    return math.ceil(ms)


def gb_seconds(ms: float, memory_mb: int, *, rounded: bool = True) -> float:
    return (billed_ms(ms) if rounded else ms) / 1000 * memory_mb / 1024


def to_eur(usd: float, eur_per_usd: float) -> float:
    return usd * eur_per_usd


def sig(value: float, digits: int = 4) -> float:
    """Rounded to `digits` significant digits, for reading."""
    return float(f"{value:.{digits}g}") if value else 0.0


@dataclass
class Usage:
    """Billable quantities, additive: one request's, one ticket's or one month's."""

    rru: float = 0.0
    wru_table: float = 0.0
    wru_index: float = 0.0
    dynamodb_storage_gb_months: float = 0.0
    pitr_gb_months: float = 0.0
    lambda_requests: float = 0.0
    lambda_gb_s: float = 0.0
    api_requests: float = 0.0
    eventbridge_events: float = 0.0
    sqs_requests: float = 0.0
    ses_sent: float = 0.0
    ses_received: float = 0.0
    ses_received_chunks: float = 0.0
    sns_publishes: float = 0.0
    s3_put: float = 0.0
    s3_get: float = 0.0
    s3_gb_months: float = 0.0
    log_gb: float = 0.0
    log_storage_gb_months: float = 0.0
    custom_metric_months: float = 0.0
    alarm_metric_months: float = 0.0
    high_res_alarm_metric_months: float = 0.0
    dashboard_months: float = 0.0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def scaled(self, factor: float) -> "Usage":
        return Usage(**{f.name: getattr(self, f.name) * factor for f in fields(self)})

    def as_dict(self) -> dict[str, float]:
        return {f.name: sig(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)}


def total(usages: list[Usage]) -> Usage:
    summed = Usage()
    for usage in usages:
        summed = summed + usage
    return summed


# Which service bills each quantity, and how the price table names its price.
UNITS: dict[str, tuple[str, str, float]] = {
    "rru": ("dynamodb", "usd_per_million_read_request_units", 1e-6),
    "wru_table": ("dynamodb", "usd_per_million_write_request_units", 1e-6),
    "wru_index": ("dynamodb", "usd_per_million_write_request_units", 1e-6),
    "dynamodb_storage_gb_months": ("dynamodb", "usd_per_gb_month_storage", 1),
    "pitr_gb_months": ("dynamodb", "usd_per_gb_month_pitr", 1),
    "lambda_requests": ("lambda", "usd_per_million_requests", 1e-6),
    "lambda_gb_s": ("lambda", "usd_per_gb_second", 1),
    "api_requests": ("api_gateway", "usd_per_million_rest_requests", 1e-6),
    "eventbridge_events": ("eventbridge", "usd_per_million_custom_events", 1e-6),
    "sqs_requests": ("sqs", "usd_per_million_requests", 1e-6),
    "ses_sent": ("ses", "usd_per_thousand_emails_sent", 1e-3),
    "ses_received": ("ses", "usd_per_thousand_emails_received", 1e-3),
    "ses_received_chunks": ("ses", "usd_per_thousand_incoming_chunks", 1e-3),
    "sns_publishes": ("sns", "usd_per_million_publishes", 1e-6),
    "s3_put": ("s3", "usd_per_thousand_put", 1e-3),
    "s3_get": ("s3", "usd_per_thousand_get", 1e-3),
    "s3_gb_months": ("s3", "usd_per_gb_month_standard", 1),
    "log_gb": ("cloudwatch", "usd_per_gb_logs_ingested", 1),
    "log_storage_gb_months": ("cloudwatch", "usd_per_gb_month_logs_stored", 1),
    "custom_metric_months": ("cloudwatch", "usd_per_custom_metric_month", 1),
    "alarm_metric_months": ("cloudwatch", "usd_per_standard_alarm_metric_month", 1),
    "high_res_alarm_metric_months": (
        "cloudwatch",
        "usd_per_high_resolution_alarm_metric_month",
        1,
    ),
    "dashboard_months": ("cloudwatch", "usd_per_dashboard_month", 1),
}
# How the document names the services (CloudWatch is split: logs and metrics bill apart).
SERVICE_NAMES = {
    "log_gb": "cloudwatch_logs",
    "log_storage_gb_months": "cloudwatch_logs",
    "custom_metric_months": "cloudwatch_metrics",
    "alarm_metric_months": "cloudwatch_alarms_and_dashboards",
    "high_res_alarm_metric_months": "cloudwatch_alarms_and_dashboards",
    "dashboard_months": "cloudwatch_alarms_and_dashboards",
}


def unit_prices(prices: dict[str, Any]) -> dict[str, float]:
    """USD per unit of every Usage quantity."""
    aws = prices["aws"]
    return {name: aws[service][key] * per for name, (service, key, per) in UNITS.items()}


def service_of(quantity: str) -> str:
    return SERVICE_NAMES.get(quantity, UNITS[quantity][0])


def bill(usage: Usage, prices: dict[str, float], eur_per_usd: float) -> dict[str, Any]:
    """Per service: the quantities and their price; the total is the sum of the services."""
    services: dict[str, dict[str, Any]] = {}
    for f in fields(usage):
        quantity = getattr(usage, f.name)
        if not quantity:
            continue
        line = services.setdefault(service_of(f.name), {"units": {}, "usd": 0.0})
        line["units"][f.name] = quantity
        line["usd"] += quantity * prices[f.name]
    usd = sum(line["usd"] for line in services.values())
    return {
        "services": services,
        "total_usd": usd,
        "total_eur": to_eur(usd, eur_per_usd),
    }


def after_free_tier(usage: Usage, free: dict[str, float]) -> Usage:
    """What is left to pay once the account's always-free allowances are used up by it alone."""
    left = Usage(**{f.name: getattr(usage, f.name) for f in fields(usage)})
    for name, allowance in free.items():
        if hasattr(left, name):
            setattr(left, name, max(0.0, getattr(left, name) - allowance))
    return left


def rounded_bill(billed: dict[str, Any], eur_per_usd: float) -> dict[str, Any]:
    return {
        "services": {
            name: {
                "units": {k: sig(v) for k, v in line["units"].items()},
                "usd": sig(line["usd"]),
                "eur": sig(to_eur(line["usd"], eur_per_usd)),
            }
            for name, line in sorted(billed["services"].items(), key=lambda kv: -kv[1]["usd"])
        },
        "total_usd": sig(billed["total_usd"]),
        "total_eur": sig(billed["total_eur"]),
    }


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def lambda_memory_mb(stage: str = "dev") -> int:
    """The stage's memory from .chalice/config.json (Chalice's default is 128 MB)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stage_config = config.get("stages", {}).get(stage, {})
    return int(stage_config.get("lambda_memory_size", config.get("lambda_memory_size", 128)))


def metric_months(
    names: list[str], events: dict[str, float], active_hours: float = ACTIVE_HOURS_PER_MONTH
) -> dict[str, float]:
    """Billed metric-months per metric: the hours with at least one data point (no more than
    the metric's events, no more than the active hours) over the month's hours. A metric the
    model cannot tie to an activity is counted in every active hour."""
    return {
        name: min(events.get(METRIC_ACTIVITY.get(name, ""), active_hours), active_hours)
        / HOURS_PER_MONTH
        for name in names
    }


def monitoring(template: dict[str, Any]) -> dict[str, int]:
    """The template's alarms and dashboards, as CloudWatch bills them: an alarm per metric it
    reads (each metric of a metric-math alarm counts; an anomaly band counts 3), at high
    resolution when a period is under a minute."""
    counts = {"alarms": 0, "alarm_metrics": 0, "high_resolution_alarm_metrics": 0, "dashboards": 0}
    # Count what a stack deployed with the template's default Monitoring setting has.
    setting = template.get("Parameters", {}).get("Monitoring", {}).get("Default", "full")
    deployed = {"HasAlarms": setting != "none", "HasDashboard": setting == "full"}
    for resource in template.get("Resources", {}).values():
        if not deployed.get(resource.get("Condition", ""), True):
            continue
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::CloudWatch::Dashboard":
            counts["dashboards"] += 1
        if kind != "AWS::CloudWatch::Alarm":
            continue
        counts["alarms"] += 1
        queries = props.get("Metrics")
        if queries:
            stats = [q["MetricStat"] for q in queries if "MetricStat" in q]
            bands = sum("ANOMALY_DETECTION_BAND" in str(q.get("Expression", "")) for q in queries)
            metrics = len(stats) + 2 * bands
            periods = [int(st.get("Period", 60)) for st in stats]
        else:
            metrics, periods = 1, [int(props.get("Period", 60))]
        key = "high_resolution_alarm_metrics" if min(periods) < 60 else "alarm_metrics"
        counts[key] += metrics
    return counts


def template_monitoring() -> dict[str, int]:
    from local.template import load_template

    return monitoring(load_template())


def custom_metrics() -> list[str]:
    """The business metrics the code emits per tenant (observability.count calls)."""
    names: set[str] = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        names.update(re.findall(r"\bcount\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    return sorted(names)


# --- measuring: request units from the items themselves ----------------------------------

READ_CALLS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
WRITE_CALLS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass(frozen=True)
class Charge:
    """The request units of one DynamoDB call."""

    operation: str
    phase: str
    rru: float = 0.0
    wru_table: float = 0.0
    wru_index: float = 0.0
    bytes_read: int = 0
    bytes_written: int = 0
    estimated: bool = False


@dataclass(frozen=True)
class Written:
    table: str
    key: dict[str, Any]
    kind: str  # Put, Update, Delete, ConditionCheck
    transactional: bool


def written(operation: str, params: dict[str, Any], key_attrs: list[str]) -> list[Written]:
    """Every item a write call touches."""

    def key_of(item: dict[str, Any]) -> dict[str, Any]:
        return {a: item[a] for a in key_attrs if a in item}

    if operation == "PutItem":
        return [Written(params["TableName"], key_of(params["Item"]), "Put", False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [Written(params["TableName"], params["Key"], operation[:-4], False)]
    if operation == "BatchWriteItem":
        out = []
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    out.append(Written(table, key_of(request["PutRequest"]["Item"]), "Put", False))
                else:
                    out.append(Written(table, request["DeleteRequest"]["Key"], "Delete", False))
        return out
    if operation == "TransactWriteItems":
        out = []
        for entry in params.get("TransactItems", []):
            ((kind, action),) = entry.items()
            key = key_of(action["Item"]) if kind == "Put" else action["Key"]
            out.append(Written(action["TableName"], key, kind, True))
        return out
    return []


@dataclass
class MeterWindow:
    """The charges of one measured call, and the time the meter itself spent in it (its
    lookups of items before and after writes), which is not the app's."""

    charges: list[Charge] = field(default_factory=list)
    overhead_ms: float = 0.0


class UnitMeter:
    """botocore hooks on the app's DynamoDB client that price each call from its items.

    Reads are priced from the items returned; writes from the item before and after the call,
    which an observer client (unhooked, uncounted) reads from moto around each write.
    """

    def __init__(self, recorder: Any, observer: Any, key_attrs: list[str], indexes: Indexes):
        self._recorder = recorder
        self._observer = observer
        self._key_attrs = key_attrs
        self.indexes = indexes
        self._window: MeterWindow | None = None
        self._sizes: list[int] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    @contextmanager
    def window(self) -> Iterator[MeterWindow]:
        self._window = MeterWindow()
        try:
            yield self._window
        finally:
            self._window = None

    def image(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        answer = self._observer.get_item(TableName=table, Key=key, ConsistentRead=True)
        return answer.get("Item")

    def _before(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if self._window is None:
            return
        started = time.perf_counter()
        context["cost_params"] = params
        if model.name in WRITE_CALLS:
            touched = written(model.name, params, self._key_attrs)
            context["cost_before"] = [(w, self.image(w.table, w.key)) for w in touched]
        self._window.overhead_ms += (time.perf_counter() - started) * 1000

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        window = self._window
        if window is None or "cost_params" not in context:
            return
        started = time.perf_counter()
        params, phase = context["cost_params"], self._recorder.phase
        failed = "Error" in parsed
        if model.name in READ_CALLS:
            window.charges.append(self._read(model.name, params, parsed, phase))
        elif model.name in WRITE_CALLS:
            window.charges.append(self._write(model.name, context["cost_before"], failed, phase))
        window.overhead_ms += (time.perf_counter() - started) * 1000

    def _mean_size(self) -> float:
        return statistics.fmean(self._sizes) if self._sizes else 0.0

    def _read(self, op: str, params: dict[str, Any], parsed: dict[str, Any], phase: str) -> Charge:
        if op == "GetItem":
            size = item_size(parsed.get("Item"))
            self._sizes += [size] if size else []
            rru = read_units(size, consistent=bool(params.get("ConsistentRead")))
            return Charge(op, phase, rru=rru, bytes_read=size)
        if op == "BatchGetItem":
            rru, read = 0.0, 0
            for table, request in params.get("RequestItems", {}).items():
                found = {
                    json.dumps({a: i[a] for a in self._key_attrs}, sort_keys=True): item_size(i)
                    for i in parsed.get("Responses", {}).get(table, [])
                }
                for key in request.get("Keys", []):
                    size = found.get(json.dumps(key, sort_keys=True), 0)
                    read += size
                    consistent = bool(request.get("ConsistentRead"))
                    rru += read_units(size, consistent=consistent)
            return Charge(op, phase, rru=rru, bytes_read=read)
        if op == "TransactGetItems":
            sizes = [item_size(r.get("Item")) for r in parsed.get("Responses", [])]
            rru = sum(read_units(s, consistent=True, transactional=True) for s in sizes)
            return Charge(op, phase, rru=rru, bytes_read=sum(sizes))
        # Query and Scan: the sizes of every item evaluated, summed, then rounded up once.
        items = parsed.get("Items", [])
        sizes = [item_size(i) for i in items]
        self._sizes += sizes
        scanned = parsed.get("ScannedCount", parsed.get("Count", len(items)))
        unseen = max(0, scanned - len(items))  # dropped by a filter: sized as the mean item
        evaluated = sum(sizes) + unseen * self._mean_size()
        rru = read_units(evaluated, consistent=bool(params.get("ConsistentRead")))
        return Charge(op, phase, rru=rru, bytes_read=sum(sizes), estimated=unseen > 0)

    def _write(
        self, op: str, before: list[tuple[Written, dict[str, Any] | None]], failed: bool, phase: str
    ) -> Charge:
        table_units = index_units = 0
        written_bytes = 0
        for w, old in before:
            new = old if failed or w.kind == "ConditionCheck" else self.image(w.table, w.key)
            size = max(item_size(old), item_size(new))
            table_units += write_units(size, transactional=w.transactional)
            if not failed and w.kind != "ConditionCheck":
                index_units += index_write_units(old, new, self.indexes)
                written_bytes += item_size(new)
        return Charge(
            op,
            phase,
            wru_table=table_units,
            wru_index=index_units,
            bytes_written=written_bytes,
            estimated=failed,
        )


# --- measuring: the functions an activity sets off -----------------------------------------


class StreamTap:
    """Reads the stream from LATEST after every measured call (an unhooked client)."""

    def __init__(self, stream_arn: str) -> None:
        from local.streams import streams_client

        self.arn = stream_arn
        self._client = streams_client(REGION)
        shards = self._client.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        self._iterators = {
            s["ShardId"]: self._client.get_shard_iterator(
                StreamArn=stream_arn, ShardId=s["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for s in shards
        }

    def drain(self) -> list[dict[str, Any]]:
        """The new records as Lambda would get them; one per item changed (moto repeats some
        INSERTs of one transaction, DynamoDB does not)."""
        from local.streams import lambda_record

        records: dict[str, dict[str, Any]] = {}
        for shard, iterator in list(self._iterators.items()):
            while iterator:
                answer = self._client.get_records(ShardIterator=iterator, Limit=1000)
                for record in answer.get("Records", []):
                    key = json.dumps(record["dynamodb"]["Keys"], sort_keys=True)
                    records.pop(key, None)
                    records[key] = lambda_record(record, self.arn)
                iterator = answer.get("NextShardIterator")
                if not answer.get("Records"):
                    break
            self._iterators[shard] = iterator
        return list(records.values())


class NotificationTap:
    """Takes what the stream function queued for the notification worker off its queue (an
    unhooked client), in the batches Lambda's event source mapping hands the worker."""

    def __init__(self, queue_url: str, queue_arn: str) -> None:
        import boto3

        self.url, self.arn = queue_url, queue_arn
        self._sqs = boto3.client("sqs", region_name=REGION)

    def drain(self) -> list[list[dict[str, Any]]]:
        messages: list[dict[str, Any]] = []
        while True:
            answer = self._sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            got = answer.get("Messages", [])
            if not got:
                break
            messages += got
            self._sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)
                ],
            )
        size = NOTIFICATION_BATCH
        return [messages[i : i + size] for i in range(0, len(messages), size)]


def _is_audit_event(record: dict[str, Any]) -> bool:
    image = record["dynamodb"].get("NewImage", {})
    return record["eventName"] == "INSERT" and image.get("kind", {}).get("S") == "event"


def created_tickets(records: list[dict[str, Any]]) -> list[int]:
    """The numbers of the tickets whose `ticket.created` event is among the records."""
    numbers = []
    for record in records:
        image = record["dynamodb"].get("NewImage", {})
        if _is_audit_event(record) and image.get("type", {}).get("S") == "ticket.created":
            numbers.append(int(image["ticket"]["N"]))
    return numbers


@dataclass(frozen=True)
class Run:
    """One invocation of a function that an activity set off: the table-stream function or
    the notification worker."""

    function: str  # STREAM or NOTIFY
    ms: float
    charges: tuple[Charge, ...]
    calls: dict[str, int]  # AWS calls other than DynamoDB, as "service.Operation"
    audit_events: int = 0


STREAM, NOTIFY = "stream", "notify"
# A chain of functions setting each other off ends long before this (stream → notification
# worker → stream on what it wrote → nothing); more means a loop.
MAX_FOLLOW_DEPTH = 4


# --- measuring: samples and their summary --------------------------------------------------


@dataclass
class Sample:
    ms: float
    authorizer_ms: float
    aws_ms: float
    charges: list[Charge]
    calls: dict[str, int]
    other_calls: dict[str, int]
    runs: list[Run] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    result: Any = None


@dataclass(frozen=True)
class Work:
    """A function's share of one unit of an activity: its invocations, their mean duration,
    the request units they use and the other AWS calls they make."""

    invocations: float = 0.0
    ms: float = 0.0
    rru: float = 0.0
    wru_table: float = 0.0
    wru_index: float = 0.0
    calls: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "invocations": sig(self.invocations),
            "ms_mean": round(self.ms, 2),
            "read_request_units": sig(self.rru),
            "write_request_units_table": sig(self.wru_table),
            "write_request_units_indexes": sig(self.wru_index),
            "aws_calls": {k: sig(v) for k, v in sorted(self.calls.items())},
        }


def work_of(runs: list[Run], units: float) -> Work:
    """The runs of `units` units of an activity, per unit."""
    if not runs:
        return Work()
    calls: Counter[str] = Counter()
    for run in runs:
        calls.update(run.calls)
    return Work(
        invocations=len(runs) / units,
        ms=statistics.fmean(r.ms for r in runs),
        rru=sum(c.rru for r in runs for c in r.charges) / units,
        wru_table=sum(c.wru_table for r in runs for c in r.charges) / units,
        wru_index=sum(c.wru_index for r in runs for c in r.charges) / units,
        calls={k: v / units for k, v in calls.items()},
    )


@dataclass
class Profile:
    """What one unit of an activity costs, averaged over its samples (means: costs add up):
    its own function (`ms`, request units, `calls`) and the functions it sets off."""

    name: str
    what: str
    samples: int
    per: float
    rru: float
    rru_authorizer: float
    wru_table: float
    wru_index: float
    bytes_read: float
    bytes_written: float
    ms: float
    ms_median: float
    authorizer_ms: float
    in_aws_calls_ms_median: float
    dynamodb_calls: dict[str, int]
    other_aws_calls: dict[str, int]
    calls: dict[str, float]
    stream: Work
    notify: Work
    audit_events: float
    estimated_reads: bool

    @property
    def mails_sent(self) -> float:
        return self.calls.get("ses.SendRawEmail", 0) + self.notify.calls.get("ses.SendRawEmail", 0)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"what": self.what, "samples": self.samples}
        if self.per != 1:
            shown["tickets_per_sample"] = self.per
        shown.update(
            {
                "per_sample": {
                    "dynamodb_calls": self.dynamodb_calls,
                    "ms_median": round(self.ms_median, 2),
                    "in_aws_calls_ms_median": round(self.in_aws_calls_ms_median, 2),
                    **({"other_aws_calls": self.other_aws_calls} if self.other_aws_calls else {}),
                },
                "read_request_units": sig(self.rru),
                "write_request_units_table": sig(self.wru_table),
                "write_request_units_indexes": sig(self.wru_index),
                "bytes_read": round(self.bytes_read),
                "bytes_written": round(self.bytes_written),
                "lambda_ms": round(self.ms, 2),
                "audit_events": sig(self.audit_events),
                "mails_sent": sig(self.mails_sent),
                "table_stream_function": self.stream.as_dict(),
                "notification_worker": self.notify.as_dict(),
            }
        )
        if self.samples and (self.rru_authorizer or self.authorizer_ms):
            shown["authorizer_read_request_units"] = sig(self.rru_authorizer)
            shown["authorizer_ms"] = round(self.authorizer_ms, 2)
        if self.estimated_reads:
            shown["estimated_reads"] = True
        return shown


def _common(values: list[dict[str, int]]) -> dict[str, int]:
    counted = Counter(json.dumps(v, sort_keys=True) for v in values).most_common(1)
    return json.loads(counted[0][0]) if counted else {}


def profile_of(
    name: str,
    what: str,
    samples: list[Sample],
    *,
    per: float = 1,
    baseline: "Profile | None" = None,
) -> Profile:
    """Means over the samples, divided by `per` units of work each, less a baseline's share
    (the idle part of a scheduled run that acted on `per` tickets)."""

    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else 0.0

    def charged(s: Sample, attr: str, phase: str | None = "handler") -> float:
        return sum(getattr(c, attr) for c in s.charges if phase is None or c.phase == phase)

    def less(value: float, base: float) -> float:
        return max(0.0, value - (base if baseline else 0.0)) / per

    b = baseline
    handler_ms = [s.ms - s.authorizer_ms for s in samples]
    units = len(samples) * per
    calls: Counter[str] = Counter()
    for s in samples:
        calls.update(s.other_calls)
    base_calls = b.calls if b else {}
    runs = [r for s in samples for r in s.runs]
    return Profile(
        name=name,
        what=what,
        samples=len(samples),
        per=per,
        rru=less(mean([charged(s, "rru") for s in samples]), b.rru if b else 0),
        rru_authorizer=mean([charged(s, "rru", "authorizer") for s in samples]) / per,
        wru_table=less(mean([charged(s, "wru_table") for s in samples]), b.wru_table if b else 0),
        wru_index=less(mean([charged(s, "wru_index") for s in samples]), b.wru_index if b else 0),
        bytes_read=less(
            mean([charged(s, "bytes_read", None) for s in samples]), b.bytes_read if b else 0
        ),
        bytes_written=less(
            mean([charged(s, "bytes_written", None) for s in samples]), b.bytes_written if b else 0
        ),
        ms=less(mean(handler_ms), b.ms if b else 0),
        ms_median=statistics.median(handler_ms),
        authorizer_ms=mean([s.authorizer_ms for s in samples]) / per,
        in_aws_calls_ms_median=statistics.median(s.aws_ms for s in samples),
        dynamodb_calls=_common([s.calls for s in samples]),
        other_aws_calls=_common([s.other_calls for s in samples]),
        calls={k: less(v / len(samples), base_calls.get(k, 0.0) * per) for k, v in calls.items()},
        stream=work_of([r for r in runs if r.function == STREAM], units),
        notify=work_of([r for r in runs if r.function == NOTIFY], units),
        audit_events=sum(r.audit_events for r in runs) / units,
        estimated_reads=any(c.estimated for s in samples for c in s.charges),
    )


# --- measuring: the run --------------------------------------------------------------------

_started = time.perf_counter()


def progress(message: str) -> None:
    print(f"[cost {time.perf_counter() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Measured:
    profiles: dict[str, Profile]
    idle_tick: Profile
    daily_idle: Profile
    cold_start_ms: dict[str, float]
    ticket_stored_bytes: float
    empty_table_stored_bytes: int
    provision_s: float


class Bench:
    """One moto stack and the hooks that measure everything run in it."""

    def __init__(
        self,
        recorder: Any,
        meter: UnitMeter,
        tap: StreamTap,
        queued: NotificationTap,
        guard: Any,
    ) -> None:
        self.recorder = recorder
        self.meter = meter
        self.tap = tap
        self.queued = queued
        self.guard = guard

    @classmethod
    def on_stack(cls, recorder: Any, guard: Any) -> "Bench":
        """Meters on the app's DynamoDB client of the stack provisioned in moto, and taps that
        read its stream and notifications queue from now on."""
        import boto3

        from chalicelib.adapters import aws
        from chalicelib.settings import get_settings

        settings = get_settings()
        observer = boto3.client("dynamodb", region_name=REGION)
        meter = UnitMeter(recorder, observer, *_table_shape(observer, settings.table_name))
        meter.attach(aws.client("dynamodb"))
        queued = NotificationTap(settings.notifications_queue_url, settings.notifications_queue_arn)
        return cls(recorder, meter, StreamTap(settings.table_stream_arn), queued, guard)

    def measure(
        self, call: Callable[[], Any], *, stream_groups: Callable[[list[dict[str, Any]]], Any]
    ) -> Sample:
        """One unit of an activity, then every function it sets off until all is quiet."""
        with self.recorder.window() as window, self.meter.window() as metered:
            started = time.perf_counter()
            result = call()
            ms = (time.perf_counter() - started) * 1000
        self.guard.check("the cost run")
        sample = Sample(
            ms=ms - metered.overhead_ms,
            authorizer_ms=window.authorizer_ms,
            aws_ms=window.aws_ms(),
            charges=list(metered.charges),
            calls=window.operations("dynamodb"),
            other_calls=window.other_services(),
            result=result,
        )
        records = self.tap.drain()
        sample.created = created_tickets(records)
        for group in stream_groups(records):
            if group:
                self.follow(group, sample)
        return sample

    def follow(self, records: list[dict[str, Any]], sample: Sample, depth: int = 0) -> None:
        """The table-stream function on these records, the notification worker on what it
        queued, and the stream function again on what either of them wrote."""
        if depth > MAX_FOLLOW_DEPTH:
            raise RuntimeError(f"the functions set each other off {depth} deep: a loop?")
        from chalicelib.workers.notifications import handle_notification_event
        from chalicelib.workers.table_stream import handle_table_stream_event
        from local.queues import lambda_event

        audit = sum(_is_audit_event(r) for r in records)
        sample.runs.append(self.run(STREAM, handle_table_stream_event, {"Records": records}, audit))
        written = self.tap.drain()  # the stream function's own writes (report counters)
        for messages in self.queued.drain():
            event = lambda_event(messages, self.queued.arn)
            sample.runs.append(self.run(NOTIFY, handle_notification_event, event))
            written += self.tap.drain()
        if written:
            self.follow(written, sample, depth + 1)

    def run(
        self,
        function: str,
        handler: Callable[[dict[str, Any]], Any],
        event: dict[str, Any],
        audit_events: int = 0,
    ) -> Run:
        with self.recorder.window() as window, self.meter.window() as metered:
            started = time.perf_counter()
            answer = handler(event)
            ms = (time.perf_counter() - started) * 1000
        if answer != {"batchItemFailures": []}:
            raise RuntimeError(f"the {function} function reported failures: {answer}")
        return Run(
            function=function,
            ms=ms - metered.overhead_ms,
            charges=tuple(metered.charges),
            calls=window.other_services(),
            audit_events=audit_events,
        )


def one_batch(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A request's records reach the stream function together: one invocation."""
    return [records]


def per_ticket(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A sweep acts on tickets minutes apart in practice: one invocation per ticket."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["dynamodb"]["Keys"]["PK"]["S"], []).append(record)
    return list(groups.values())


def batches(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A burst (the daily job) reaches the stream function in batches of 100 records."""
    return [records[i : i + STREAM_BATCH] for i in range(0, len(records), STREAM_BATCH)]


def _scan(observer: Any, table: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        answer = observer.scan(TableName=table, **params)
        items += answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return items
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _table_shape(observer: Any, table: str) -> tuple[list[str], Indexes]:
    described = observer.describe_table(TableName=table)["Table"]
    key_attrs = [k["AttributeName"] for k in described["KeySchema"]]
    indexes: Indexes = {}
    for index in described.get("GlobalSecondaryIndexes", []):
        schema = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
        if index.get("Projection", {}).get("ProjectionType") != "ALL":
            raise RuntimeError(f"{index['IndexName']} does not project ALL; price its entries")
        indexes[index["IndexName"]] = (schema["HASH"], schema.get("RANGE"))
    return key_attrs, indexes


def measure_all() -> Measured:
    import boto3

    from bench import mototx
    from bench import run as bench_run
    from bench.seed import seed

    with tempfile.TemporaryDirectory() as scratch:
        bench_run._environment(bench_run._moto_jwks(Path(scratch)))
        with bench_run._stack("cost") as (recorder, provision_s):
            from chalicelib.settings import get_settings

            settings = get_settings()
            observer = boto3.client("dynamodb", region_name=REGION)
            _, indexes = _table_shape(observer, settings.table_name)
            empty = stored_bytes(_scan(observer, settings.table_name), indexes)
            with (
                mototx.install() as guard,
                bench_run._authorizer_tagged(recorder),
                open(os.devnull, "w") as sink,
                redirect_stdout(sink),  # EMF metric lines belong to CloudWatch, not stdout
            ):
                progress(f"seeding {SEED_TICKETS} tickets")
                seeded = seed(SEED_TICKETS, datetime.now(UTC))
                guard.check("seeding")
                progress(f"seeded in {seeded.seconds:.1f}s")
                bench = Bench.on_stack(recorder, guard)
                idle_tick, sla = _measure_sla(bench)
                mail, filed = _measure_mail(bench)
                api, lived = _measure_api(bench, filed)
                profiles = {**sla, "inbound_mail": mail, **api}
                daily_idle, closing = _measure_daily(bench)
                profiles["auto_close"] = closing
                ticket_bytes = _ticket_storage(observer, settings.table_name, indexes, lived)
    cold = _cold_start_ms()
    return Measured(
        profiles=profiles,
        idle_tick=idle_tick,
        daily_idle=daily_idle,
        cold_start_ms=cold,
        ticket_stored_bytes=ticket_bytes,
        empty_table_stored_bytes=empty,
        provision_s=provision_s,
    )


def _measure_sla(bench: Bench) -> tuple[Profile, dict[str, Profile]]:
    """The idle tick at the real time, then warnings and breaches at bench.sla_sweep.NOW."""
    from bench.sla_sweep import NOW, _write_api, due_tickets
    from chalicelib import wiring
    from chalicelib.adapters.dynamo.tickets import ticket_item
    from chalicelib.workers import sla_tick

    progress(f"SLA tick with nothing due: {WARMUP} warm-up + {IDLE_TICKS} measured")
    idle: list[Sample] = []
    for i in range(WARMUP + IDLE_TICKS):
        sample = bench.measure(lambda: sla_tick.sweep(datetime.now(UTC)), stream_groups=per_ticket)
        if sample.result["tickets"] or sample.runs:
            raise RuntimeError(f"the idle tick found work: {sample.result}")
        if i >= WARMUP:
            idle.append(sample)
    idle_tick = profile_of("sla_tick_idle", "one minute's sweep with nothing due", idle)

    # The hourly inbound-silence check on the seeded tenants (their mail history as seeded).
    progress(f"inbound silence check: {IDLE_TICKS} measured")
    checks = []
    for i in range(WARMUP + IDLE_TICKS):
        sample = bench.measure(
            lambda: sla_tick.watch_inbound(datetime.now(UTC)), stream_groups=per_ticket
        )
        if i >= WARMUP:
            checks.append(sample)
    silence_check = profile_of(
        "inbound_silence_check", "one hourly inbound-silence check of every tenant", checks
    )

    terms = wiring.sla_settings().effective("demo")
    due = due_tickets(terms, DUE_FIRST_NUMBER)
    cases = (
        ("sla_warnings", "one SLA warning recorded by the sweep", due[:3], "warnings"),
        ("sla_breaches", "one SLA breach recorded and escalated by the sweep", due[3:], "breaches"),
    )
    profiles: dict[str, Profile] = {}
    for name, what, tickets, kind in cases:
        items = [ticket_item(t) for t in tickets]
        progress(f"SLA sweep acting on {len(items)} {kind}: {SLA_REPEATS} measured")
        samples = []
        for _ in range(SLA_REPEATS):
            _write_api(items)  # the tickets as due, whatever the last sweep recorded
            bench.tap.drain()
            # A tick a minute after the last one finds the 60-s settings cache expired.
            wiring.sla_settings.cache_clear()
            wiring.sla_sweep.cache_clear()
            sample = bench.measure(lambda: sla_tick.sweep(NOW), stream_groups=per_ticket)
            if sample.result["tickets"] != len(items) or sample.result[kind] != len(items):
                raise RuntimeError(f"{name}: the sweep reported {sample.result}")
            samples.append(sample)
        profiles[name] = profile_of(name, what, samples, per=len(items), baseline=idle_tick)
    profiles["inbound_silence_check"] = silence_check
    return idle_tick, profiles


def _measure_mail(bench: Bench) -> tuple[Profile, list[int]]:
    """Mail from new senders, each filing a ticket: the inbound worker on the SQS record SES's
    notification becomes, and what it sets off (the acknowledgement to the sender). The first
    warm-up mail is the demo requester's, for the portal's ticket page; returns the numbers
    of the tickets filed, in order."""
    from bench.inbound_mail import as_received, mail
    from chalicelib.workers.inbound_email import handle_inbound_event
    from local.queues import LambdaContext

    progress(f"inbound mail: {WARMUP} warm-up + {MAILS} measured new mails")
    samples, numbers = [], []
    for i in range(WARMUP + MAILS):
        sender = PORTAL_REQUESTER if i == 0 else None
        event = as_received(f"cost-{i}", mail(i, sender=sender))

        def receive(event: dict[str, Any] = event) -> Any:
            answer = handle_inbound_event(event, LambdaContext())
            if answer != {"batchItemFailures": []}:
                raise RuntimeError(f"the inbound worker reported failures: {answer}")
            return answer

        sample = bench.measure(receive, stream_groups=one_batch)
        if len(sample.created) != 1:
            raise RuntimeError(f"mail {i} filed {sample.created}, not one ticket")
        numbers += sample.created
        samples.append(sample)
    profile = profile_of(
        "inbound_mail",
        "a new mail filing a ticket: the inbound worker on one SQS record (SES → S3 + SNS → "
        "SQS), and the acknowledgement it sets off",
        samples[WARMUP:],
    )
    return profile, numbers


def _measure_api(bench: Bench, numbers: list[int]) -> tuple[dict[str, Profile], list[int]]:
    """The agent's replies and resolution over the API, a supervisor's report view and the
    requester's portal pages, on the tickets the mail filed (`numbers[0]` is the portal
    requester's). Also returns the tickets that lived the whole mix."""
    from chalice.test import Client

    from app import app
    from bench import run as bench_run
    from bench.pages import _Browser

    profiles: dict[str, Profile] = {}
    with Client(app, project_dir=str(ROOT)) as client:

        def login(email: str) -> str:
            answer = client.http.request(
                "POST",
                "/v1/auth/login",
                headers={"Content-Type": "application/json"},
                body=json.dumps({"email": email, "password": bench_run.PASSWORD}).encode(),
            )
            if answer.status_code != 200:
                raise RuntimeError(f"login of {email} failed: {answer.status_code}")
            return answer.json_body["id_token"]

        agent, supervisor = login(bench_run.AGENT), login(REPORT_READER)

        def call(request: Any, status: int, token: str = agent) -> Sample:
            def send() -> Any:
                answer = bench_run._send(client, request, token)
                if answer.status_code != status:
                    raise RuntimeError(
                        f"{request[0]} {request[1]} answered {answer.status_code}, not {status}: "
                        f"{answer.body[:300]!r}"
                    )
                return answer

            return bench.measure(send, stream_groups=one_batch)

        def run(name: str, what: str, samples: list[Sample], warmup: int = WARMUP) -> None:
            profiles[name] = profile_of(name, what, samples[warmup:])

        answered = numbers[1 : 1 + WARMUP] + numbers[1 + WARMUP : 1 + WARMUP + REPLIED_TICKETS]
        reply = {
            "body": "Thanks, we are looking into it and will get back to you today.",
            "visibility": "public",
        }
        replies = int(MIX["replies"])
        progress(f"reply: {WARMUP} warm-up + {replies} on each of {REPLIED_TICKETS} tickets")
        run(
            "replies",
            f"POST /v1/tickets/{{n}}/messages, a public agent reply ({replies} per ticket)",
            [
                call(("POST", f"/v1/tickets/{n}/messages", reply, {}), 201)
                for n in answered[:1] * WARMUP
                + [n for n in answered[WARMUP:] for _ in range(replies)]
            ],
        )
        resolves = []
        for n in answered[:1] + answered[WARMUP:]:
            etag = bench_run._send(client, ("GET", f"/v1/tickets/{n}", None, {}), agent).headers
            headers = {"If-Match": etag["ETag"]}
            resolves.append(("PATCH", f"/v1/tickets/{n}", {"status": "resolved"}, headers))
        # The warm-up resolves one ticket; the other warm-ups would conflict, so repeat none.
        progress("resolve: 1 warm-up + measured")
        run(
            "resolve",
            "PATCH /v1/tickets/{n} status resolved (If-Match), and the mail it sets off",
            [call(r, 200) for r in resolves],
            warmup=1,
        )
        today = datetime.now(UTC).date()
        summary = f"/v1/reports/summary?from={today - timedelta(days=30)}&to={today}"
        progress(f"report view: {WARMUP} warm-up + {READS} measured")
        run(
            "report_views",
            "GET /v1/reports/summary for the last 30 days, as a supervisor",
            [call(("GET", summary, None, {}), 200, supervisor) for _ in range(WARMUP + READS)],
        )
        browser = _Browser(client)
        browser.sign_in(PORTAL_REQUESTER, bench_run.PASSWORD)
        pages = ["/", f"/tickets/{numbers[0]}"]
        progress(f"portal view: {WARMUP} warm-up + {READS} measured, home and ticket page")

        def view(path: str) -> Sample:
            def get() -> Any:
                answer = browser.request("GET", path)
                if answer.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {answer.status_code}")
                return answer

            return bench.measure(get, stream_groups=one_batch)

        run(
            "portal_views",
            f"a portal page as the requester signed in: {' and '.join(pages)} in turn",
            [view(pages[i % 2]) for i in range(WARMUP + READS)],
        )
    return profiles, answered[WARMUP:]


def _measure_daily(bench: Bench) -> tuple[Profile, Profile]:
    """The daily job with nothing to close (today), then closing every resolved ticket (as if
    run eight days from now, past the tenant's 7 days)."""
    from chalicelib.workers import daily

    progress("daily job with nothing to close: 1 warm-up + 3 measured")
    idle = [
        bench.measure(lambda: daily.run(datetime.now(UTC)), stream_groups=batches) for _ in range(4)
    ]
    if any(s.result["closed"] for s in idle):
        raise RuntimeError(f"the daily job closed tickets today: {idle[0].result}")
    daily_idle = profile_of("daily_idle", "the daily job with nothing to close", idle[1:])
    later = datetime.now(UTC) + timedelta(days=8)
    sample = bench.measure(lambda: daily.run(later), stream_groups=batches)
    closed = sum(sample.result["closed"].values())
    if not closed:
        raise RuntimeError("the daily job closed nothing eight days from now")
    progress(f"daily job closed {closed} resolved tickets")
    closing = profile_of(
        "auto_close",
        f"one ticket closed by the daily job (measured over {closed} closed in one run)",
        [sample],
        per=closed,
        baseline=daily_idle,
    )
    return daily_idle, closing


def _ticket_storage(observer: Any, table: str, indexes: Indexes, numbers: list[int]) -> float:
    """Stored bytes of the tickets that went through the mix's life: filed, answered, resolved
    and closed (their messages, events and index entries included)."""
    from chalicelib.adapters.dynamo import keys

    per_ticket_bytes = []
    for n in numbers:
        answer = observer.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.ticket_pk("demo", n)}},
        )
        status = [i["status"]["S"] for i in answer["Items"] if i["SK"]["S"] == "META"]
        if status != ["closed"]:
            raise RuntimeError(f"ticket {n} did not end closed: {status}")
        per_ticket_bytes.append(stored_bytes(answer["Items"], indexes))
    return statistics.fmean(per_ticket_bytes)


_COLD_PROBE = (
    "import json, time\n"
    "started = time.perf_counter()\n"
    "import app\n"
    "imported = time.perf_counter()\n"
    "import boto3, jwt\n"
    "boto3.client('dynamodb', region_name='eu-west-1')\n"
    "done = time.perf_counter()\n"
    "print(json.dumps([(imported - started) * 1000, (done - imported) * 1000]))\n"
)


def _cold_start_ms(runs: int = 3) -> dict[str, float]:
    """A fresh interpreter with a Lambda's environment: `import app` (the init phase) and
    what the first request adds (boto3, a client, PyJWT)."""
    from bench.imports import lambda_environment

    progress(f"cold start: 1 warm-up + {runs} fresh interpreters")
    timings = []
    for _ in range(runs + 1):
        done = subprocess.run(  # noqa: S603 - our own interpreter with a fixed argument list
            [sys.executable, "-c", _COLD_PROBE],
            cwd=ROOT,
            env=lambda_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        timings.append(json.loads(done.stdout.strip().splitlines()[-1]))
    init = statistics.median(t[0] for t in timings[1:])
    first = statistics.median(t[1] for t in timings[1:])
    return {"import_app_ms": round(init, 1), "first_request_setup_ms": round(first, 1)}


# --- the model ---------------------------------------------------------------------------


# What each AWS call the code makes is billed as, beside the Lambda time it takes. A message
# sent is later received and deleted by its consumer's event source mapping (3 requests);
# EventBridge bills per entry, and adapters/events.py puts one entry per call.
CALL_USAGE: dict[str, Usage] = {
    "eventbridge.PutEvents": Usage(eventbridge_events=1),
    "sqs.SendMessage": Usage(sqs_requests=SQS_REQUESTS_PER_MESSAGE),
    "ses.SendRawEmail": Usage(ses_sent=1),
    "s3.GetObject": Usage(s3_get=1),
    "s3.HeadObject": Usage(s3_get=1),
    "s3.PutObject": Usage(s3_put=1),
    "sns.Publish": Usage(sns_publishes=1),
}
# No charge per call: S3 deletes; Cognito below 10,000 monthly active users (Lite, Essentials).
FREE_CALLS = {"s3.DeleteObject"}
FREE_SERVICES = {"cognito-identity-provider"}


def calls_usage(calls: dict[str, float]) -> Usage:
    """What AWS bills for these calls; a call with no line here is an error, not free."""
    usage = Usage()
    for name, count in calls.items():
        if name in CALL_USAGE:
            usage = usage + CALL_USAGE[name].scaled(count)
        elif name not in FREE_CALLS and name.split(".")[0] not in FREE_SERVICES:
            raise ValueError(f"no price for the AWS call {name}: add it to CALL_USAGE")
    return usage


@dataclass(frozen=True)
class Model:
    memory_mb: int
    cold_start_ms: float

    def invocation(self, ms: float, cold_share: float = COLD_START_SHARE) -> Usage:
        """One Lambda invocation of `ms`, its share of cold starts and its log lines."""
        return Usage(
            lambda_requests=1,
            lambda_gb_s=gb_seconds(ms, self.memory_mb)
            + cold_share * gb_seconds(self.cold_start_ms, self.memory_mb, rounded=False),
            log_gb=LOG_BYTES_PER_INVOCATION / GB,
        )

    def own_work(self, p: Profile) -> Usage:
        """The activity's own function: its request units and AWS calls (not its time)."""
        return Usage(rru=p.rru, wru_table=p.wru_table, wru_index=p.wru_index) + calls_usage(p.calls)

    def work(self, w: Work) -> Usage:
        return (
            self.invocation(w.ms).scaled(w.invocations)
            + Usage(rru=w.rru, wru_table=w.wru_table, wru_index=w.wru_index)
            + calls_usage(w.calls)
        )

    def set_off(self, p: Profile) -> Usage:
        """The table-stream function and the notification worker the activity sets off."""
        return self.work(p.stream) + self.work(p.notify)

    def api_request(self, p: Profile, *, authorized: bool = True) -> Usage:
        """One request through API Gateway; a bearer token's authorizer answer is cached,
        a portal page's session cookie needs none."""
        authorizer = self.invocation(p.authorizer_ms) + Usage(rru=p.rru_authorizer)
        return (
            Usage(api_requests=1, log_gb=ACCESS_LOG_BYTES_PER_REQUEST / GB)
            + self.invocation(p.ms)
            + (authorizer.scaled(1 / REQUESTS_PER_AUTHORIZER_RUN) if authorized else Usage())
            + self.own_work(p)
            + self.set_off(p)
        )

    def queued(self, p: Profile) -> Usage:
        """One invocation of a queue's worker (sparse traffic: one message each)."""
        return self.invocation(p.ms) + self.own_work(p) + self.set_off(p)

    def in_scheduled_run(self, p: Profile) -> Usage:
        """Work a scheduled run does for one ticket: extra duration, no extra invocation."""
        return (
            Usage(lambda_gb_s=gb_seconds(p.ms, self.memory_mb, rounded=False))
            + self.own_work(p)
            + self.set_off(p)
        )


def mail_receipt(ses_chunk_bytes: int) -> Usage:
    """What the receipt rule in infra/template.yaml does with a mail before the worker runs:
    SES receives it, writes it to S3 and notifies SNS, which puts it on the inbound queue."""
    return Usage(
        ses_received=1,
        ses_received_chunks=math.ceil(RAW_MAIL_BYTES / ses_chunk_bytes),
        s3_put=1,
        sns_publishes=1,
        sqs_requests=SQS_REQUESTS_PER_MESSAGE,
    )


def activities(m: Model, p: dict[str, Profile], ses_chunk_bytes: int) -> dict[str, Usage]:
    """One unit of each activity of the mix."""
    return {
        "inbound_mail": mail_receipt(ses_chunk_bytes) + m.queued(p["inbound_mail"]),
        "replies": m.api_request(p["replies"]),
        "portal_views": m.api_request(p["portal_views"], authorized=False),
        "report_views": m.api_request(p["report_views"]),
        "sla_warnings": m.in_scheduled_run(p["sla_warnings"]),
        "sla_breaches": m.in_scheduled_run(p["sla_breaches"]),
        "resolve": m.api_request(p["resolve"]),
        "auto_close": m.in_scheduled_run(p["auto_close"]),
    }


def monthly_fixed(
    m: Model, measured: Measured, alarms: dict[str, int] | None = None
) -> dict[str, Usage]:
    ticks = TICKS_PER_DAY * DAYS_PER_MONTH
    tick = m.invocation(measured.idle_tick.ms, TICK_COLD_STARTS_PER_DAY / TICKS_PER_DAY)
    daily = m.invocation(measured.daily_idle.ms, cold_share=1.0)  # once a day: always cold
    tick_month = (tick + m.own_work(measured.idle_tick)).scaled(ticks)
    daily_month = (daily + m.own_work(measured.daily_idle)).scaled(DAYS_PER_MONTH)
    empty_gb = measured.empty_table_stored_bytes / GB
    logs = tick_month.log_gb + daily_month.log_gb
    counted = alarms or {}
    # The hourly inbound-silence check runs inside a tick: its extra duration and reads.
    check = measured.profiles.get("inbound_silence_check")
    silence = m.in_scheduled_run(check).scaled(HOURS_PER_MONTH) if check else Usage()
    logs += silence.log_gb
    return {
        "sla_tick": tick_month,
        "inbound_silence_check": silence,
        "daily_job": daily_month,
        "alarms_and_dashboard": Usage(
            alarm_metric_months=counted.get("alarm_metrics", 0),
            high_res_alarm_metric_months=counted.get("high_resolution_alarm_metrics", 0),
            dashboard_months=counted.get("dashboards", 0),
        ),
        "empty_table_and_logs_storage": Usage(
            dynamodb_storage_gb_months=empty_gb,
            pitr_gb_months=empty_gb,
            log_storage_gb_months=logs,
        ),
    }


def month_storage(measured: Measured, variable: Usage) -> Usage:
    """A month's tickets, raw mail and logs, stored for a month (it accumulates after that)."""
    tickets_gb = TICKETS * measured.ticket_stored_bytes / GB
    return Usage(
        dynamodb_storage_gb_months=tickets_gb,
        pitr_gb_months=tickets_gb,
        s3_gb_months=TICKETS * MIX["inbound_mail"] * RAW_MAIL_BYTES / GB,
        log_storage_gb_months=variable.log_gb,
    )


def build_document(measured: Measured, prices: dict[str, Any], seconds: float) -> dict[str, Any]:
    memory = lambda_memory_mb()
    cold_ms = sum(measured.cold_start_ms.values())
    model = Model(memory, cold_ms)
    per_unit = unit_prices(prices)
    rate = prices["exchange_rate"]["eur_per_usd"]
    free = {k: v for k, v in prices["always_free_tier"].items() if isinstance(v, int | float)}
    chunk = prices["aws"]["ses"]["incoming_chunk_bytes"]

    one = activities(model, measured.profiles, chunk)
    by_activity = {name: one[name].scaled(MIX[name] * TICKETS) for name in MIX}
    variable = total(list(by_activity.values()))
    mails = {name: measured.profiles[name].mails_sent * MIX[name] for name in MIX}
    alarms = template_monitoring()
    fixed = monthly_fixed(model, measured, alarms)
    metrics = custom_metrics()
    billed_metrics = metric_months(metrics, {k: v * TICKETS for k, v in MIX.items()})
    with_traffic = {
        "custom_metrics": Usage(custom_metric_months=sum(billed_metrics.values())),
        "storage_of_the_months_tickets": month_storage(measured, variable),
    }
    month = total([variable, *fixed.values(), *with_traffic.values()])
    idle = total(list(fixed.values()))

    month_bill = bill(month, per_unit, rate)
    variable_bill = bill(variable, per_unit, rate)
    idle_bill = bill(idle, per_unit, rate)
    tick_usd = bill(fixed["sla_tick"], per_unit, rate)["total_usd"]
    monitoring_usd = bill(fixed["alarms_and_dashboard"], per_unit, rate)["total_usd"]
    monitoring_free_usd = bill(
        after_free_tier(fixed["alarms_and_dashboard"], free), per_unit, rate
    )["total_usd"]
    month_usd = month_bill["total_usd"]

    def usd(usage: Usage) -> float:
        return sig(bill(usage, per_unit, rate)["total_usd"])

    per_1000 = rounded_bill(month_bill, rate)
    for name, line in per_1000["services"].items():
        line["usd_traffic"] = sig(variable_bill["services"].get(name, {}).get("usd", 0.0))
    per_1000.update(
        {
            "basis": (
                f"one month in which {TICKETS:,} tickets arrive ({AGENTS} agents): traffic_usd "
                "(usd_traffic per service) grows with the tickets; fixed_and_storage_usd is a "
                "month of the SLA tick, the daily job, the alarms and dashboard, the custom "
                "metrics, and the month's data stored for a month"
            ),
            "traffic_usd": sig(variable_bill["total_usd"]),
            "traffic_eur": sig(variable_bill["total_eur"]),
            "fixed_and_storage_usd": sig(month_usd - variable_bill["total_usd"]),
            "of_which_alarms_and_dashboard_usd": sig(monitoring_usd),
            "without_alarms_and_dashboard_usd": sig(month_usd - monitoring_usd),
            "per_ticket_usd": sig(month_usd / TICKETS),
            "mails_sent_per_ticket": sig(sum(mails.values())),
            "mails_sent_per_ticket_by_activity": {k: sig(v) for k, v in mails.items() if v},
            "after_always_free_tier_usd": usd(after_free_tier(month, free)),
            "by_activity_usd": {
                **{name: usd(u) for name, u in by_activity.items()},
                **{f"month_of_{name}": usd(u) for name, u in fixed.items()},
                **{name: usd(u) for name, u in with_traffic.items()},
            },
        }
    )
    helpdesks = prices["hosted_helpdesks"]
    comparison = [
        {
            "product": h["product"],
            "usd_per_agent_month": h["usd_per_agent_month"],
            "usd_per_month": h["usd_per_agent_month"] * AGENTS,
            "eur_per_month": sig(to_eur(h["usd_per_agent_month"] * AGENTS, rate)),
            "usd_per_ticket": sig(h["usd_per_agent_month"] * AGENTS / TICKETS),
            "marker": h["marker"],
        }
        for h in helpdesks["products"]
    ]
    comparison.append(
        {
            "product": "Balie in your own AWS account (this model, AWS list prices)",
            "usd_per_agent_month": sig(month_usd / AGENTS),
            "usd_per_month": sig(month_usd),
            "eur_per_month": sig(to_eur(month_usd, rate)),
            "usd_per_ticket": sig(month_usd / TICKETS),
            "marker": "measured and modelled here; no licence fee; your AWS bill",
        }
    )
    idle_doc = rounded_bill(idle_bill, rate)
    idle_doc.update(
        {
            "after_always_free_tier_usd": usd(after_free_tier(idle, free)),
            "alarms_and_dashboard_usd": sig(monitoring_usd),
            "sla_tick_usd": sig(tick_usd),
            "sla_tick_share_without_alarms_and_dashboard": sig(
                tick_usd / (idle_bill["total_usd"] - monitoring_usd), 3
            ),
            "sla_tick_invocations": TICKS_PER_DAY * DAYS_PER_MONTH,
            "sla_tick_read_request_units": sig(fixed["sla_tick"].rru),
            "empty_table_stored_bytes": measured.empty_table_stored_bytes,
            "note": (
                "No traffic. Of the application's own work the per-minute SLA tick is nearly "
                f"all: {TICKS_PER_DAY * DAYS_PER_MONTH:,} invocations and 8 empty due-index "
                f"Queries each, ${sig(tick_usd, 2)} a month; the daily job and an empty "
                "table's storage add almost nothing. The largest idle line is the monitoring "
                f"in infra/template.yaml ({alarms['alarms']} alarms reading "
                f"{alarms['alarm_metrics'] + alarms['high_resolution_alarm_metrics']} metrics, "
                f"{alarms['dashboards']} dashboard): ${sig(monitoring_usd, 3)} a month at list "
                f"price, ${sig(monitoring_free_usd, 3)} after the always-free 10 alarm metrics "
                "and 3 dashboards (if the account has no others). Per-operation alarms (one "
                "metric per DynamoDB operation) are what makes the alarm metrics many."
            ),
        }
    )
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "region": prices["region"],
        "prices": {
            "file": "bench/prices.json",
            "as_of": prices["as_of"],
            "sources": sorted({v["source"] for v in prices["aws"].values()}),
            "eur_per_usd": rate,
        },
        "lambda_memory_mb": memory,
        "tickets": TICKETS,
        "mix_per_ticket": MIX,
        "per_1000_tickets": per_1000,
        "idle_per_month": idle_doc,
        "hosted_helpdesks_5_agents_1000_tickets": {
            "agents": AGENTS,
            "tickets_per_month": TICKETS,
            "note": helpdesks["note"],
            "rows": comparison,
        },
        "measured": {
            "per_unit_of_activity": {n: p.as_dict() for n, p in measured.profiles.items()},
            "sla_tick_idle": measured.idle_tick.as_dict(),
            "daily_job_idle": measured.daily_idle.as_dict(),
            "cold_start_ms": measured.cold_start_ms,
            "ticket_stored_bytes": round(measured.ticket_stored_bytes),
            "custom_metrics_per_tenant": metrics,
            "custom_metric_months": {k: sig(v) for k, v in billed_metrics.items()},
            "alarms_and_dashboards_in_template": alarms,
        },
        "measured_vs_modelled": _basis(),
        "cost_seconds": round(seconds, 1),
    }


def _basis() -> dict[str, list[str]]:
    return {
        "measured": [
            "DynamoDB request units of every call on the paths below, from the sizes of the "
            "items read and written (DynamoDB's size rules; reads 4 KB, half for eventually "
            "consistent; writes 1 KB, transactions 2x; a Query rounds its items' total once; "
            "index writes from the item before and after, 2 where an index key changes).",
            "Inbound mail: the inbound worker on the SQS record of each of "
            f"{MAILS} new mails from new senders (Powertools idempotency included), reading "
            "the raw mail from S3 and filing a ticket.",
            "Per API operation (reply, resolve, the report summary): in-process through "
            "chalice.test on moto, authorizer included, as bench/run.py does; the portal's "
            "home and ticket pages as the requester signed in with a session cookie.",
            "Everything an activity sets off, run after it: the table-stream function on its "
            "records (the audit events it publishes to EventBridge, the notification requests "
            "it queues, the report counters it writes); the notification worker on every "
            f"request queued, in batches of {NOTIFICATION_BATCH} (its reads, its sent-markers, "
            "the mails it sends through SES); and the stream function again on what those "
            "wrote, until nothing is left. mails_sent_per_ticket counts the mails sent.",
            "Every other AWS call (S3, SES, SQS, SNS, EventBridge) priced from the calls made, "
            "by CALL_USAGE; a call with no price stops the run.",
            "The SLA tick with nothing due, and per SLA warning and breach (sweeps at "
            "bench.sla_sweep.NOW over bench.sla_sweep.due_tickets, minus the idle tick), with "
            "the mails they set off.",
            "The daily job idle, and per ticket it closes.",
            "Lambda durations: in-process wall time on this machine, moto's work included "
            "(on AWS, network calls to DynamoDB replace it). An approximation of billed "
            "duration, not a Lambda measurement.",
            "Cold start: `import app` plus boto3, a client and PyJWT in a fresh interpreter "
            "with a Lambda's environment.",
            "Stored bytes of a ticket after the mix (ticket, messages, events, index "
            "entries) and of the empty table (the tenant and its people).",
            "Lambda memory from .chalice/config.json; the custom metrics from the code; the "
            "alarms (per metric they read) and dashboards from infra/template.yaml.",
        ],
        "modelled": [
            "What AWS does with a received mail before the worker runs (the receipt rule in "
            "infra/template.yaml): 1 SES receipt of "
            f"{RAW_MAIL_BYTES // 1024} KB (1 incoming chunk), 1 S3 PUT of the raw mail (kept "
            "90 days by the lifecycle rule), 1 SNS publish, and 1 SQS message (send, receive, "
            "delete). No API Gateway request and no authorizer on this path.",
            "An SQS message costs 3 requests: the send (counted), the receive and the delete "
            "by the consumer's event source mapping. Empty long-poll receives are inside "
            "SQS's free million.",
            f"The authorizer runs once per {REQUESTS_PER_AUTHORIZER_RUN} API requests (API "
            "Gateway caches its answer per token for 60 s); in-process it ran on every "
            "request. Portal pages check their session cookie in the handler: no authorizer.",
            "A portal view is the home page or a ticket page, in turn; static files are not "
            "counted (hashed names, cached for a year after the first visit).",
            f"SLA actions per ticket: {MIX['sla_warnings']} warnings and "
            f"{MIX['sla_breaches']} breaches (assumed). Every ticket is resolved once and "
            "closed once by the daily job (added to the issue's mix: a ticket's end).",
            "The issue's 2 notifications per ticket are not a separate activity: the mail each "
            "activity sets off is measured with it (mails_sent_per_ticket).",
            "One table-stream invocation per write request and per ticket a sweep acts on "
            "(sparse traffic), one more for what the functions it set off wrote; daily "
            "closures in batches of 100 records. One notification-worker invocation per "
            "queue batch; one inbound-worker invocation per mail.",
            f"CloudWatch Logs: {LOG_BYTES_PER_INVOCATION} bytes ingested per Lambda invocation, "
            f"and {ACCESS_LOG_BYTES_PER_REQUEST} bytes of API Gateway access log per request.",
            "The hourly inbound-silence check: measured on the seeded tenants, run "
            f"{HOURS_PER_MONTH} times a month inside the tick (no invocation of its own); its "
            "metric SilentTenants is published only in hours with a silent tenant, so a "
            "healthy month bills none of it.",
            "Custom metrics (Powertools EMF, per tenant): billed for the hours in which they "
            f"get data; tickets arrive in {ACTIVE_HOURS_PER_MONTH} working hours a month.",
            f"Cold starts: {COLD_START_SHARE:.0%} of request-driven invocations, "
            f"{TICK_COLD_STARTS_PER_DAY} a day for the tick, every daily run.",
            f"{TICKS_PER_DAY} ticks a day, {DAYS_PER_MONTH} days a month; 1,000 tickets in one "
            "month, so per_1000_tickets is that month's bill: traffic plus a month of the "
            "fixed work and the month's storage held for a month.",
            "Not counted: Cognito (no charge below 10,000 monthly active users on the Lite and "
            "Essentials tiers), data transfer out, KMS requests of the AWS-managed table key "
            "(no monthly key fee), SNS deliveries of alarm notifications, the requester "
            "profile a new sender's first mail creates (bytes, once per person).",
            "Prices: bench/prices.json, list prices without free tier; "
            "after_always_free_tier_usd subtracts the always-free allowances as if nothing "
            "else in the account used them.",
        ],
    }


# --- entry point -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.run import _stdout_for_json

    prices = load_prices()
    with _stdout_for_json() as out:
        measured = measure_all()
        document = build_document(measured, prices, time.perf_counter() - _started)
        json.dump(document, out, indent=2)
        out.write("\n")
        progress(
            f"done in {document['cost_seconds']} s: "
            f"${document['per_1000_tickets']['total_usd']} per 1,000 tickets"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
