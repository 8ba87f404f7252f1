"""Retention: the daily job deletes tickets closed longer ago than the tenant keeps them,
with everything they recorded and their files; younger ones and other tenants' stay."""

import email.utils
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib.workers import daily
from tests.integration.test_mail import AGENT, DESK, REQUESTER, Mailroom, tickets_of


@pytest.fixture
def room(api: Any, aws_env: dict[str, str]) -> Mailroom:
    return Mailroom(aws_env)


def mailed_ticket(api: Any, room: Mailroom, subject: str) -> int:
    message = EmailMessage()
    message["From"] = f"Requester <{REQUESTER}>"
    message["To"] = DESK
    message["Subject"] = subject
    message["Message-ID"] = email.utils.make_msgid()
    message.set_content("Form attached.")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="f.pdf")
    room.send(message.as_bytes())
    (ticket,) = [t for t in tickets_of(api, REQUESTER) if t["subject"] == subject]
    return ticket["number"]


def close(api: Any, number: int) -> None:
    for status in ("resolved", "closed"):
        version = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"]
        answer = api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body={"status": status},
                          headers={"If-Match": f'"{version}"'})  # fmt: skip
        assert answer.status_code == 200, answer.json_body


def partition(aws_env: dict[str, str], tenant: str, number: int) -> list[dict[str, Any]]:
    from chalicelib.adapters.aws import client

    return client("dynamodb").query(
        TableName=aws_env["BALIE_TABLE_NAME"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant}#TICKET#{number}"}},
    )["Items"]


def files_in(aws_env: dict[str, str]) -> list[str]:
    from chalicelib.adapters.aws import client

    listed = client("s3").list_objects_v2(Bucket=aws_env["BALIE_BUCKET_NAME"])
    return [o["Key"] for o in listed.get("Contents", [])]


def test_given_a_ticket_closed_longer_ago_than_the_retention_then_it_and_its_files_go(
    api, room, aws_env
):
    old = mailed_ticket(api, room, "Old scan")
    close(api, old)
    kept_open = api.create_ticket(subject="Still open")["number"]
    attachments = [k for k in files_in(aws_env) if k.startswith("attachments/demo/")]
    assert attachments and partition(aws_env, "demo", old)

    # The demo tenant keeps closed tickets 24 months (services/tenants.py).
    now = datetime.now(UTC)
    assert daily.run(now + timedelta(days=700))["purged"] == {}
    assert daily.run(now + timedelta(days=740))["purged"] == {"demo": 1}

    assert partition(aws_env, "demo", old) == []
    assert api.call("GET", f"/v1/tickets/{old}", as_=AGENT).status_code == 404
    assert not set(attachments) & set(files_in(aws_env))
    assert not [k for k in files_in(aws_env) if k.startswith("raw-mail/")]
    assert api.call("GET", f"/v1/tickets/{kept_open}", as_=AGENT).status_code == 200
    assert daily.run(now + timedelta(days=740))["purged"] == {}


def test_given_a_tenant_that_keeps_tickets_then_nothing_is_deleted(api, aws_env):
    from chalicelib.wiring import sla_settings, tenants

    settings = tenants().get("demo")
    assert settings is not None
    from chalicelib.services.tenants import ensure_tenant

    ensure_tenant(
        "demo", name=settings["name"], locale=settings["locale"],
        timezone=settings["timezone"], inbound_addresses=settings["inbound_addresses"],
        groups=settings["groups"], sla=sla_settings(), retention_months=0,
    )  # fmt: skip
    number = api.create_ticket()["number"]
    close(api, number)

    assert daily.run(datetime.now(UTC) + timedelta(days=3650))["purged"] == {}
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).status_code == 200
