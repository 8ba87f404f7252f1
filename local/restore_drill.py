"""`make restore-drill TENANT=demo`: export one tenant to S3, restore it into a fresh table, check.

An operator's tool (docs/backup-restore.md), not a request path:

- `export_tenant` writes every item of one tenant to S3 as JSON lines, one item per line in
  DynamoDB JSON: the items whose PK is `T#<tenant>` or starts with `T#<tenant>#`, plus the
  global items that point at the tenant (its `ADDR#` and `APIKEY#` lookups and its `TENANTS`
  registry entry). The SLA due index (`SLADUE#…`) is only GSI attributes of ticket items, so it
  travels with them.
- `restore_tenant` writes such an export into a table with BatchWriteItem.
- `drill` runs both against a fresh table made from infra/template.yaml's `Table`, compares the
  restored items with the exported ones, and reads a ticket through the app from the copy.

The drill creates and deletes tables, so it only runs against moto (in-process or the moto
server of `make run`); export and restore work against any endpoint boto3 is pointed at.

    python -m local.restore_drill [--tenant demo] [--stack-file PATH] [--keep]
"""

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from local.template import load_template, references

# BatchWriteItem's limit per call.
BATCH_SIZE = 25
MAX_BATCH_ATTEMPTS = 8
EXPORT_PREFIX = "exports/tenants"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

Item = dict[str, Any]  # one item in DynamoDB JSON ({"PK": {"S": "…"}, …})


class DrillFailed(RuntimeError):
    """The restored copy is not the tenant's data, or the drill cannot run here."""


@dataclass
class ExportReport:
    tenant: str
    table: str
    bucket: str
    key: str
    items: int = 0
    bytes: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class RestoreReport:
    table: str
    bucket: str
    key: str
    items: int = 0
    batches: int = 0
    retries: int = 0
    seconds: float = 0.0


def _region() -> str:
    # Same precedence as chalicelib.settings, so the drill looks where the app looks.
    for name in ("BALIE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    return "eu-west-1"


def _clients(dynamodb: Any = None, s3: Any = None) -> tuple[Any, Any]:
    """The clients given, or new ones for the environment's endpoint and region."""
    import boto3  # deferred like everything in local/: importing the module stays cheap

    region = _region()
    return (
        dynamodb or boto3.client("dynamodb", region_name=region),
        s3 or boto3.client("s3", region_name=region),
    )


def _string(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))


def kind_of(item: Item) -> str:
    """What an item is, after docs/data-model.md; the export report counts items per kind."""
    pk, sk = _string(item, "PK"), _string(item, "SK")
    if pk.startswith("ADDR#"):
        return "inbound_address"
    if pk.startswith("APIKEY#"):
        return "api_key_lookup"
    if pk == "TENANTS":
        return "tenant_registry"
    parts = pk.split("#")
    # T#<tenant>[#KIND#…]
    section = parts[2] if len(parts) > 2 else ""
    if section == "TICKET":
        return {"META": "ticket", "MSG": "message", "EVT": "event", "TIME": "time_entry"}.get(
            sk.split("#", 1)[0], "ticket_other"
        )
    if section == "USER":
        return "user"
    if section == "APIKEYS":
        return "api_key"
    if section == "IDEMPOTENCY":
        return "idempotency_claim"
    if section == "":
        if sk == "TENANT":
            return "tenant"
        return {"GROUP": "group", "COUNTER": "counter", "SLA": "sla_settings"}.get(
            sk.split("#", 1)[0], "tenant_other"
        )
    return "other"


def _scan_tenant(dynamodb: Any, table: str, tenant: str) -> Iterator[Item]:
    # A Scan reads the whole table. That is acceptable here and only here: this is an
    # operator's tool run by hand (or by a drill), never a request or schedule path, which
    # DESIGN.md and docs/data-model.md keep free of Scans. The filter keeps only the tenant's
    # partitions (`T#<t>` exactly or `T#<t>#…`, so tenant `demo` never takes `demo2`'s) and
    # the global lookups that name the tenant.
    paginator = dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table,
        ConsistentRead=True,
        FilterExpression=(
            "PK = :own OR begins_with(PK, :own_prefix)"
            " OR (PK = :registry AND SK = :tenant)"
            " OR ((begins_with(PK, :address) OR begins_with(PK, :api_key))"
            " AND #tenant = :tenant)"
        ),
        ExpressionAttributeNames={"#tenant": "tenant"},
        ExpressionAttributeValues={
            ":own": {"S": f"T#{tenant}"},
            ":own_prefix": {"S": f"T#{tenant}#"},
            ":registry": {"S": "TENANTS"},
            ":tenant": {"S": tenant},
            ":address": {"S": "ADDR#"},
            ":api_key": {"S": "APIKEY#"},
        },
    )
    for page in pages:
        yield from page["Items"]


def export_tenant(
    table: str,
    tenant: str,
    bucket: str,
    key: str,
    *,
    dynamodb: Any = None,
    s3: Any = None,
) -> ExportReport:
    """Write every item of `tenant` in `table` to s3://bucket/key as JSON lines."""
    if not tenant or "#" in tenant:
        raise ValueError(f"not a tenant id: {tenant!r}")
    dynamodb, s3 = _clients(dynamodb, s3)
    started = time.perf_counter()
    report = ExportReport(tenant=tenant, table=table, bucket=bucket, key=key)
    kinds: Counter[str] = Counter()
    body = io.BytesIO()
    for item in _scan_tenant(dynamodb, table, tenant):
        body.write(json.dumps(item, sort_keys=True, separators=(",", ":")).encode("utf-8"))
        body.write(b"\n")
        kinds[kind_of(item)] += 1
    data = body.getvalue()
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=data,
        ContentType="application/x-ndjson",
        ServerSideEncryption="AES256",
        Metadata={"tenant": tenant, "table": table, "items": str(kinds.total())},
    )
    report.items = kinds.total()
    report.bytes = len(data)
    report.kinds = dict(sorted(kinds.items()))
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def read_export(bucket: str, key: str, *, s3: Any = None) -> list[Item]:
    """The items of an export, in the order they were written."""
    s3 = _clients(s3=s3)[1]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def _batches(items: list[Item]) -> Iterator[list[Item]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def restore_tenant(
    bucket: str,
    key: str,
    table: str,
    *,
    dynamodb: Any = None,
    s3: Any = None,
    sleep: Any = time.sleep,
) -> RestoreReport:
    """Write the items of s3://bucket/key into `table`, 25 per BatchWriteItem.

    Items with the same key are overwritten (BatchWriteItem has no conditions): restore into a
    fresh table, or into the live one only after the tenant's items are gone.
    """
    dynamodb, s3 = _clients(dynamodb, s3)
    started = time.perf_counter()
    items = read_export(bucket, key, s3=s3)
    report = RestoreReport(table=table, bucket=bucket, key=key)
    for batch in _batches(items):
        requests: dict[str, list[dict[str, Any]]] = {
            table: [{"PutRequest": {"Item": item}} for item in batch]
        }
        for attempt in range(MAX_BATCH_ATTEMPTS):
            report.batches += 1
            answer = dynamodb.batch_write_item(RequestItems=requests)
            requests = answer.get("UnprocessedItems") or {}
            if not requests:
                break
            # Throttled or over capacity: back off exponentially, then send only the rest.
            report.retries += 1
            sleep(min(0.05 * 2**attempt, 2.0))
        else:
            left = sum(len(r) for r in requests.values())
            raise DrillFailed(f"{left} items still unprocessed after {MAX_BATCH_ATTEMPTS} tries")
        report.items += len(batch)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# --- the drill: a fresh table exactly like the template's ---------------------------------


# How each property of the template's `Table` reaches CreateTable or the calls after it. A
# property missing here fails the drill, so a template change cannot be skipped silently.
_CREATE_PROPERTIES = frozenset(
    {
        "AttributeDefinitions",
        "BillingMode",
        "GlobalSecondaryIndexes",
        "KeySchema",
        "LocalSecondaryIndexes",
        "ProvisionedThroughput",
    }
)
_AFTER_PROPERTIES = frozenset(
    {"PointInTimeRecoverySpecification", "SSESpecification", "StreamSpecification"}
)
_TTL_PROPERTY = "TimeToLiveSpecification"
# Not copied: a restored copy is named by the drill and is not tagged as the stack's table.
_IGNORED_PROPERTIES = frozenset({"TableName", "Tags", "DeletionProtectionEnabled"})


def table_properties() -> dict[str, Any]:
    """infra/template.yaml's `Table` properties (no intrinsics: nothing to resolve)."""
    table = load_template()["Resources"]["Table"]
    properties: dict[str, Any] = table.get("Properties", {})
    unknown = set(properties) - _CREATE_PROPERTIES - _AFTER_PROPERTIES - _IGNORED_PROPERTIES
    unknown -= {_TTL_PROPERTY}
    if unknown:
        raise DrillFailed(
            f"infra/template.yaml's Table has {sorted(unknown)}, which local/restore_drill.py "
            "does not apply to the restored table; teach it first"
        )
    if references(properties):
        raise DrillFailed("the Table's properties refer to other resources; resolve them first")
    return properties


def create_table_like_template(name: str, *, dynamodb: Any = None) -> None:
    """CreateTable from the template: keys, indexes, billing, stream, SSE, then PITR and TTL."""
    dynamodb = _clients(dynamodb=dynamodb)[0]
    properties = table_properties()
    params: dict[str, Any] = {k: v for k, v in properties.items() if k in _CREATE_PROPERTIES}
    stream = properties.get("StreamSpecification")
    if stream:
        params["StreamSpecification"] = {"StreamEnabled": True, **stream}
    sse = properties.get("SSESpecification")
    if sse:
        # CloudFormation says SSEEnabled where the API says Enabled.
        api_sse = {("Enabled" if k == "SSEEnabled" else k): v for k, v in sse.items()}
        params["SSESpecification"] = api_sse
    dynamodb.create_table(TableName=name, **params)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    pitr = properties.get("PointInTimeRecoverySpecification")
    if pitr:
        dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
    ttl = properties.get(_TTL_PROPERTY)
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _refuse_real_aws() -> None:
    """The drill creates and deletes tables: only ever against moto."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and urlparse(endpoint).hostname in _LOCAL_HOSTS:
        return
    if not endpoint:
        from moto.core.models import botocore_stubber

        if botocore_stubber.enabled:
            return
    raise DrillFailed(
        "refusing to drill: boto3 points at neither moto.mock_aws() nor a local "
        f"AWS_ENDPOINT_URL (got {endpoint!r}); on AWS, use export_tenant/restore_tenant "
        "as docs/backup-restore.md describes"
    )


def _key_of(item: Item) -> tuple[str, str]:
    return _string(item, "PK"), _string(item, "SK")


def _all_items(dynamodb: Any, table: str) -> list[Item]:
    # Scanning the drill's own fresh copy: it holds the one tenant and nothing else.
    paginator = dynamodb.get_paginator("scan")
    return [
        item
        for page in paginator.paginate(TableName=table, ConsistentRead=True)
        for item in page["Items"]
    ]


def _latest_ticket_number(items: list[Item]) -> int | None:
    numbers = [
        int(_string(item, "PK").rsplit("#", 1)[1]) for item in items if kind_of(item) == "ticket"
    ]
    return max(numbers, default=None)


def _reset_app_caches() -> None:
    """The app caches its settings, clients and services per process; forget them."""
    from chalicelib import wiring
    from chalicelib.adapters import aws
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()
    wiring.ticket_service.cache_clear()
    wiring.sla_settings.cache_clear()
    wiring.sla_sweep.cache_clear()
    wiring.tenants.cache_clear()


def read_ticket_through_app(table: str, tenant: str, number: int) -> Any:
    """The app's view of ticket `number` when its table is `table`."""
    previous = os.environ.get("BALIE_TABLE_NAME")
    os.environ["BALIE_TABLE_NAME"] = table
    try:
        _reset_app_caches()
        # The app logs on stdout (as Lambda wants); stdout is this command's JSON answer.
        with contextlib.redirect_stdout(sys.stderr):
            from chalicelib import wiring

            return wiring.ticket_service().tickets.get(tenant, number)
    finally:
        if previous is None:
            os.environ.pop("BALIE_TABLE_NAME", None)
        else:
            os.environ["BALIE_TABLE_NAME"] = previous
        _reset_app_caches()


def drill(
    tenant: str,
    *,
    table: str | None = None,
    bucket: str | None = None,
    restored_table: str | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """Export `tenant`, restore it into a fresh table, verify; the drill's report."""
    _refuse_real_aws()
    started = time.perf_counter()
    table = table or os.environ.get("BALIE_TABLE_NAME") or "balie"
    bucket = bucket or os.environ.get("BALIE_BUCKET_NAME") or "balie-files"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"{EXPORT_PREFIX}/{tenant}/{stamp}.jsonl"
    restored_table = restored_table or f"{table}-restore-{tenant}-{stamp}"[:255]
    dynamodb, s3 = _clients()

    exported = export_tenant(table, tenant, bucket, key, dynamodb=dynamodb, s3=s3)
    if exported.items == 0:
        raise DrillFailed(f"tenant {tenant!r} has no items in {table}: nothing to drill")

    create_started = time.perf_counter()
    create_table_like_template(restored_table, dynamodb=dynamodb)
    create_seconds = round(time.perf_counter() - create_started, 3)
    try:
        restored = restore_tenant(bucket, key, restored_table, dynamodb=dynamodb, s3=s3)

        verify_started = time.perf_counter()
        expected = sorted(read_export(bucket, key, s3=s3), key=_key_of)
        actual = sorted(_all_items(dynamodb, restored_table), key=_key_of)
        if len(actual) != len(expected):
            raise DrillFailed(f"restored {len(actual)} items, exported {len(expected)}")
        different = [_key_of(a) for a, e in zip(actual, expected, strict=True) if a != e]
        if different:
            raise DrillFailed(f"{len(different)} restored items differ, first {different[0]}")
        number = _latest_ticket_number(expected)
        ticket_read: dict[str, Any] = {"number": number, "identical": None}
        if number is not None:
            original = read_ticket_through_app(table, tenant, number)
            restored_ticket = read_ticket_through_app(restored_table, tenant, number)
            if restored_ticket is None or restored_ticket != original:
                raise DrillFailed(f"the app reads ticket {number} differently from the copy")
            ticket_read["identical"] = True
        verify_seconds = round(time.perf_counter() - verify_started, 3)
    finally:
        if not keep:
            dynamodb.delete_table(TableName=restored_table)

    return {
        "tenant": tenant,
        "source_table": table,
        "restored_table": restored_table,
        "restored_table_kept": keep,
        "export": f"s3://{bucket}/{key}",
        "items": exported.items,
        "items_per_kind": exported.kinds,
        "bytes": exported.bytes,
        "identical": True,
        "ticket_read": ticket_read,
        "seconds": {
            "export": exported.seconds,
            "create_table": create_seconds,
            "restore": restored.seconds,
            "verify": verify_seconds,
            "total": round(time.perf_counter() - started, 3),
        },
        "restore_batches": restored.batches,
        "restore_retries": restored.retries,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.restore_drill",
        description="Export one tenant of the running `make run` stack to S3, restore it "
        "into a fresh table made from infra/template.yaml, and verify the copy.",
    )
    parser.add_argument("--tenant", default="demo", help="the tenant to drill (default: demo)")
    parser.add_argument(
        "--stack-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="the running stack's file (default: $BALIE_STACK_FILE or .local/stack.json)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="leave the restored table for inspection"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from local.run import stack_file_path
    from local.sla_tick import StackUnavailable, read_stack_file, use_stack_environment

    args = _parser().parse_args(argv)
    path: Path = args.stack_file or stack_file_path()
    try:
        use_stack_environment(read_stack_file(path))
        report = drill(args.tenant, keep=args.keep)
    except (StackUnavailable, DrillFailed, ValueError) as error:
        print(f"restore-drill: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
