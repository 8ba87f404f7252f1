"""Inbound silence on moto: the intake notes each mail per tenant and day, and the SLA tick's
hourly check names the tenants that went quiet and publishes how many (docs/operations.md)."""

import json
from datetime import UTC, datetime, timedelta

from chalicelib import wiring
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import to_item
from chalicelib.adapters.dynamo.inbound_log import DynamoInboundLog
from chalicelib.services.inbound_silence import METRIC
from chalicelib.services.tenants import ensure_tenant
from chalicelib.settings import get_settings
from chalicelib.workers import sla_tick

# A Tuesday: 10:00 in Amsterdam, when demo's desk is open.
LAST = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def busy_month(last: datetime = LAST, tenant: str = "demo") -> None:
    """Forty mails on each of the four weeks of days before `last`, then one at `last`."""
    for day in range(28, 0, -1):
        at = last - timedelta(days=day)
        item = {**keys.inbound_day_key(tenant, at.date().isoformat()), "kind": "inbound_day",
                "mails": 40, "last_at": at.isoformat()}  # fmt: skip
        client("dynamodb").put_item(TableName=get_settings().table_name, Item=to_item(item))
    DynamoInboundLog().note(tenant, last)


def test_given_mail_for_a_tenant_then_the_intake_notes_it_once(api, aws_env):
    from tests.integration.test_mail import Mailroom, mail

    room = Mailroom(aws_env)
    room.send(mail())
    last, days = DynamoInboundLog().recent("demo", datetime.now(UTC))
    assert sum(days.values()) == 1
    assert last is not None and datetime.now(UTC) - last < timedelta(minutes=5)


def test_given_a_busy_tenant_quiet_for_hours_then_the_hourly_tick_names_it(api, capsys, caplog):
    busy_month()
    capsys.readouterr()
    # Three hours later (lunch included) is not yet four business hours.
    assert sla_tick.sweep(LAST + timedelta(hours=3))["silent_tenants"] == []
    report = sla_tick.sweep(LAST + timedelta(hours=6))
    assert report["silent_tenants"] == ["demo"]
    # Only on the hour: the other 59 sweeps of an hour do not check.
    assert "silent_tenants" not in sla_tick.sweep(LAST + timedelta(hours=6, minutes=1))

    captured = capsys.readouterr()
    output = (captured.out + captured.err).splitlines()
    lines = [json.loads(x) for x in output if x.startswith("{")]
    published = [x for x in lines if METRIC in x]
    # Published only in an hour with a silent tenant: a healthy month bills no metric.
    assert [x[METRIC] for x in published] == [[1.0]]
    # One metric for the stage, dimensioned by service and stage, never by tenant.
    (dimensions,) = published[-1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert sorted(dimensions) == ["service", "stage"]
    (warning,) = [r for r in caplog.records if r.getMessage() == "inbound silence"]
    assert warning.silent[0]["tenant"] == "demo"  # type: ignore[attr-defined]


def test_given_the_weekend_then_a_friday_silence_waits_for_monday(api):
    busy_month(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # Friday, 16:00 in Amsterdam
    assert wiring.inbound_watch().check(datetime(2026, 11, 29, 12, 0, tzinfo=UTC)) == []
    assert [f.tenant for f in wiring.inbound_watch().check(
        datetime(2026, 11, 30, 13, 0, tzinfo=UTC))] == ["demo"]  # fmt: skip


def test_given_a_tenant_that_switched_the_check_off_then_it_is_never_named(api):
    busy_month()
    settings = wiring.tenants().get("demo")
    assert settings is not None
    ensure_tenant(
        "demo",
        name=settings["name"],
        locale=settings["locale"],
        timezone=settings["timezone"],
        inbound_addresses=settings["inbound_addresses"],
        groups=settings["groups"],
        sla=wiring.sla_settings(),
        inbound_silence_hours=0,
    )
    assert wiring.tenants().get("demo")["inbound_silence_hours"] == 0
    assert wiring.inbound_watch().check(LAST + timedelta(days=2)) == []
