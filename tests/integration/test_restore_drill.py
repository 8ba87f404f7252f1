"""The restore drill (docs/backup-restore.md): export a tenant, restore it into a fresh table."""

import os
from typing import Any

import boto3

from local.restore_drill import (
    create_table_like_template,
    drill,
    export_tenant,
    read_export,
    restore_tenant,
)
from local.template import load_template
from tests.integration.conftest import reset_caches

AGENT = "agent@demo.example.com"
ADMIN = "admin@demo.example.com"
ACME_REQUESTER = "requester@acme.example.com"


def _keys(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(item["PK"]["S"], item["SK"]["S"]) for item in items}


def _all_items(table: str) -> list[dict[str, Any]]:
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [item for page in pages for item in page["Items"]]


def _belongs_to(item: dict[str, Any], tenant: str) -> bool:
    pk = item["PK"]["S"]
    if pk == f"T#{tenant}" or pk.startswith(f"T#{tenant}#"):
        return True
    if pk == "TENANTS":
        return item["SK"]["S"] == tenant
    return pk.startswith(("ADDR#", "APIKEY#")) and item["tenant"]["S"] == tenant


def _demo_activity(api: Any) -> int:
    """Tickets with messages, an internal note, time, events, an idempotency claim, an API key."""
    first = api.create_ticket()["number"]
    api.call("POST", f"/v1/tickets/{first}/messages", as_=AGENT, body={"body": "On it"})
    api.call(
        "POST",
        f"/v1/tickets/{first}/messages",
        as_=AGENT,
        body={"body": "Toner", "visibility": "internal"},
    )
    api.call("POST", f"/v1/tickets/{first}/time", as_=AGENT, body={"minutes": 15})
    answer = api.call(
        "POST",
        "/v1/tickets",
        as_="requester@demo.example.com",
        body={"subject": "VPN is slow", "description": "Since this morning"},
        headers={"Idempotency-Key": "drill-1"},
    )
    assert answer.status_code == 201, answer.body
    answer = api.call("POST", "/v1/api-keys", as_=ADMIN, body={"name": "drill", "role": "agent"})
    assert answer.status_code == 201, answer.body
    api.create_ticket(as_=ACME_REQUESTER, subject="Acme's own ticket")
    return first


def test_given_demo_activity_when_drilling_then_every_demo_item_and_none_of_acme(api, aws_env):
    first = _demo_activity(api)
    table = aws_env["BALIE_TABLE_NAME"]
    source = _all_items(table)
    demo = [item for item in source if _belongs_to(item, "demo")]

    report = drill("demo", keep=True)

    restored = _all_items(report["restored_table"])
    assert _keys(restored) == _keys(demo)
    assert sorted(restored, key=lambda i: (i["PK"]["S"], i["SK"]["S"])) == sorted(
        demo, key=lambda i: (i["PK"]["S"], i["SK"]["S"])
    )
    assert not [item for item in restored if _belongs_to(item, "acme")]
    assert report["items"] == len(demo)
    kinds = report["items_per_kind"]
    for kind in ("tenant", "tenant_registry", "inbound_address", "user", "ticket", "message"):
        assert kinds.get(kind, 0) >= 1, kind
    for kind in ("event", "time_entry", "api_key", "api_key_lookup", "idempotency_claim"):
        assert kinds.get(kind, 0) >= 1, kind
    assert sum(kinds.values()) == report["items"]
    assert report["ticket_read"] == {"number": first + 1, "identical": True}
    assert report["bytes"] > 0 and report["seconds"]["total"] > 0
    # The app's own settings are back on the stack's table.
    assert os.environ["BALIE_TABLE_NAME"] == table


def test_given_the_restored_table_then_the_app_serves_the_same_ticket(api, aws_env, monkeypatch):
    number = _demo_activity(api)
    report = drill("demo", keep=True)
    before = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    messages = api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body

    # The whole app on the copy: sign-in profile, ticket and conversation come from it.
    monkeypatch.setenv("BALIE_TABLE_NAME", report["restored_table"])
    reset_caches()
    api.sign_out_everyone()
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body == before
    assert api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body == messages


def test_given_two_tenants_then_their_exports_are_disjoint(api, aws_env):
    _demo_activity(api)
    table, bucket = aws_env["BALIE_TABLE_NAME"], aws_env["BALIE_BUCKET_NAME"]
    demo = export_tenant(table, "demo", bucket, "exports/demo.jsonl")
    acme = export_tenant(table, "acme", bucket, "exports/acme.jsonl")
    demo_keys = _keys(read_export(bucket, "exports/demo.jsonl"))
    acme_keys = _keys(read_export(bucket, "exports/acme.jsonl"))

    assert demo_keys and acme_keys and not demo_keys & acme_keys
    assert (demo.items, acme.items) == (len(demo_keys), len(acme_keys))
    assert ("ADDR#support@acme.example.com", "ADDR") in acme_keys
    assert ("TENANTS", "acme") in acme_keys and ("TENANTS", "demo") in demo_keys
    # Every item of the table belongs to exactly one of them.
    assert demo_keys | acme_keys == _keys(_all_items(table))


def test_given_throttling_then_unprocessed_items_are_sent_again(api, aws_env):
    _demo_activity(api)
    table, bucket = aws_env["BALIE_TABLE_NAME"], aws_env["BALIE_BUCKET_NAME"]
    export_tenant(table, "demo", bucket, "exports/demo.jsonl")
    create_table_like_template("balie-throttled")
    real = boto3.client("dynamodb")

    class Throttling:
        """Leaves the last item of every first attempt unprocessed, as DynamoDB may."""

        def __init__(self) -> None:
            self.calls = 0

        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            requests = RequestItems["balie-throttled"]
            if self.calls % 2 == 1 and len(requests) > 1:
                real.batch_write_item(RequestItems={"balie-throttled": requests[:-1]})
                return {"UnprocessedItems": {"balie-throttled": requests[-1:]}}
            return real.batch_write_item(RequestItems=RequestItems)

    report = restore_tenant(
        bucket, "exports/demo.jsonl", "balie-throttled", dynamodb=Throttling(), sleep=lambda _: None
    )
    assert report.retries >= 1
    assert report.items == len(_all_items("balie-throttled"))


def test_the_fresh_table_has_the_template_definition(aws_env):
    create_table_like_template("balie-copy")
    dynamodb = boto3.client("dynamodb")
    described = dynamodb.describe_table(TableName="balie-copy")["Table"]
    wanted = load_template()["Resources"]["Table"]["Properties"]
    assert described["KeySchema"] == wanted["KeySchema"]
    assert sorted(i["IndexName"] for i in described["GlobalSecondaryIndexes"]) == sorted(
        i["IndexName"] for i in wanted["GlobalSecondaryIndexes"]
    )
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    backups = dynamodb.describe_continuous_backups(TableName="balie-copy")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName="balie-copy")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
