"""The cost model's arithmetic (bench/cost.py) on fixed inputs: sizes, units, money, totals."""

import math
from dataclasses import fields
from typing import Any

import pytest

from bench import cost
from bench.cost import Model, Profile, Usage, Work

GSIS: cost.Indexes = {"GSI1": ("GSI1PK", "GSI1SK"), "GSI2": ("GSI2PK", None)}


def padded(size: int, **keys: str) -> dict[str, Any]:
    """An item of exactly `size` bytes holding the given string attributes."""
    item: dict[str, Any] = {name: {"S": value} for name, value in keys.items()}
    rest = size - cost.item_size(item) - 1  # the name "x" takes 1 byte
    item["x"] = {"S": "a" * rest}
    assert cost.item_size(item) == size
    return item


# --- item sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "size"),
    [("1000", 2), ("7", 2), ("12", 2), ("123", 3), ("10.50", 3), ("0.0", 1), ("-123456", 4)],
)
def test_a_number_takes_one_byte_per_two_significant_digits_plus_one(number, size):
    assert cost.number_size(number) == size


def test_an_item_is_its_names_plus_its_values_with_list_and_map_overhead():
    item = {
        "PK": {"S": "ab"},  # 2 + 2
        "é": {"S": "é"},  # 2 + 2: UTF-8 bytes
        "n": {"N": "1000"},  # 1 + 2
        "b": {"BOOL": True},  # 1 + 1
        "m": {"M": {"k": {"S": "vv"}}},  # 1 + 3 + (1 + 1 + 2)
        "l": {"L": [{"N": "12"}, {"NULL": True}]},  # 1 + 3 + (1 + 2) + (1 + 1)
        "ss": {"SS": ["a", "bc"]},  # 2 + 3
    }
    assert cost.item_size(item) == 4 + 4 + 3 + 2 + 8 + 9 + 5
    assert cost.item_size(None) == 0


# --- request units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "eventual", "strong", "transactional"),
    [(0, 0.5, 1.0, 2.0), (1, 0.5, 1.0, 2.0), (4096, 0.5, 1.0, 2.0), (4097, 1.0, 2.0, 4.0)],
)
def test_reads_round_up_to_4_kb_half_eventual_double_transactional(
    size, eventual, strong, transactional
):
    assert cost.read_units(size, consistent=False) == eventual
    assert cost.read_units(size, consistent=True) == strong
    assert cost.read_units(size, consistent=True, transactional=True) == transactional


@pytest.mark.parametrize(
    ("size", "standard", "transactional"), [(0, 1, 2), (1024, 1, 2), (1025, 2, 4), (3000, 3, 6)]
)
def test_writes_round_up_to_1_kb_and_transactions_cost_double(size, standard, transactional):
    assert cost.write_units(size) == standard
    assert cost.write_units(size, transactional=True) == transactional


def test_index_writes_follow_the_items_index_keys():
    old = padded(1500, GSI1PK="a", GSI1SK="1", GSI2PK="p")
    same_keys = padded(1500, GSI1PK="a", GSI1SK="1", GSI2PK="p")
    moved = padded(1500, GSI1PK="a", GSI1SK="2", GSI2PK="p")
    only_gsi2 = padded(1500, GSI2PK="p")
    nowhere = padded(1500)
    # 1,500 bytes is 2 write units per index write.
    assert cost.index_write_units(None, old, GSIS) == 2 * 2  # enters both
    assert cost.index_write_units(old, same_keys, GSIS) == 2 * 2  # in place in both
    assert cost.index_write_units(old, moved, GSIS) == 2 * 2 + 2  # GSI1 delete + put, GSI2 in place
    assert cost.index_write_units(old, only_gsi2, GSIS) == 2 + 2  # leaves GSI1, stays in GSI2
    assert cost.index_write_units(nowhere, nowhere, GSIS) == 0
    assert cost.index_write_units(old, None, GSIS) == 2 * 2  # deleted from both


def test_an_index_entry_needs_every_key_attribute_of_its_index():
    half = padded(500, GSI1PK="a")  # no GSI1SK: not in GSI1
    assert cost.index_write_units(None, half, GSIS) == 0


def test_stored_bytes_count_each_item_and_index_entry_with_100_bytes_overhead():
    items = [padded(900, GSI1PK="a", GSI1SK="1"), padded(400)]
    assert cost.stored_bytes(items, GSIS) == (900 + 100) * 2 + (400 + 100)


def test_a_transaction_lists_every_item_it_touches():
    params = {
        "TransactItems": [
            {"Update": {"TableName": "t", "Key": {"PK": {"S": "c"}, "SK": {"S": "C"}}}},
            {"Put": {"TableName": "t", "Item": {"PK": {"S": "k"}, "SK": {"S": "M"}, "v": {}}}},
        ]
    }
    touched = cost.written("TransactWriteItems", params, ["PK", "SK"])
    assert [(w.kind, w.key["PK"]["S"], w.transactional) for w in touched] == [
        ("Update", "c", True),
        ("Put", "k", True),
    ]


# --- Lambda, money and totals --------------------------------------------------------------


def test_gb_seconds_bill_whole_milliseconds_times_memory():
    assert cost.billed_ms(100.2) == 101
    assert cost.gb_seconds(100.2, 512) == pytest.approx(0.101 * 0.5)
    assert cost.gb_seconds(100.2, 512, rounded=False) == pytest.approx(0.1002 * 0.5)
    assert cost.gb_seconds(1000, 1024) == pytest.approx(1.0)


def test_dollars_convert_to_euros_at_the_table_rate():
    assert cost.to_eur(10.0, 0.862) == pytest.approx(8.62)


def fixed_prices() -> dict[str, Any]:
    """Every price the model reads, with round numbers."""
    return {
        "aws": {
            "dynamodb": {
                "usd_per_million_write_request_units": 1.0,
                "usd_per_million_read_request_units": 0.25,
                "usd_per_gb_month_storage": 0.5,
                "usd_per_gb_month_pitr": 0.2,
            },
            "lambda": {"usd_per_million_requests": 0.2, "usd_per_gb_second": 0.00002},
            "api_gateway": {"usd_per_million_rest_requests": 4.0},
            "eventbridge": {"usd_per_million_custom_events": 1.0},
            "sqs": {"usd_per_million_requests": 0.5},
            "sns": {"usd_per_million_publishes": 0.5},
            "ses": {
                "usd_per_thousand_emails_sent": 0.1,
                "usd_per_thousand_emails_received": 0.1,
                "usd_per_thousand_incoming_chunks": 0.1,
            },
            "s3": {
                "usd_per_thousand_put": 0.005,
                "usd_per_thousand_get": 0.0004,
                "usd_per_gb_month_standard": 0.025,
            },
            "cloudwatch": {
                "usd_per_gb_logs_ingested": 0.5,
                "usd_per_gb_month_logs_stored": 0.03,
                "usd_per_custom_metric_month": 0.3,
                "usd_per_standard_alarm_metric_month": 0.1,
                "usd_per_high_resolution_alarm_metric_month": 0.3,
                "usd_per_dashboard_month": 3.0,
            },
        }
    }


def test_a_bill_prices_each_service_and_its_total_is_the_sum_of_the_services():
    usage = Usage(
        rru=4_000_000,
        wru_table=1_000_000,
        wru_index=2_000_000,
        lambda_requests=500_000,
        lambda_gb_s=10_000,
        api_requests=250_000,
        ses_sent=2_000,
        log_gb=2,
        custom_metric_months=1,
    )
    billed = cost.bill(usage, cost.unit_prices(fixed_prices()), eur_per_usd=0.9)
    services = {name: line["usd"] for name, line in billed["services"].items()}
    assert services == pytest.approx(
        {
            "dynamodb": 4 * 0.25 + 3 * 1.0,
            "lambda": 0.5 * 0.2 + 10_000 * 0.00002,
            "api_gateway": 0.25 * 4.0,
            "ses": 2 * 0.1,
            "cloudwatch_logs": 2 * 0.5,
            "cloudwatch_metrics": 0.3,
        }
    )
    assert billed["total_usd"] == pytest.approx(sum(services.values()))
    assert billed["total_eur"] == pytest.approx(billed["total_usd"] * 0.9)
    assert billed["services"]["dynamodb"]["units"] == {
        "rru": 4_000_000,
        "wru_table": 1_000_000,
        "wru_index": 2_000_000,
    }


def test_every_quantity_has_a_price_and_a_service():
    prices = cost.unit_prices(fixed_prices())
    assert set(prices) == {f.name for f in fields(Usage)}
    assert {cost.service_of(name) for name in prices} >= {"dynamodb", "lambda", "cloudwatch_logs"}


def test_usage_adds_and_scales_field_by_field():
    one = Usage(rru=1.5, api_requests=1)
    assert one + Usage(rru=0.5, sqs_requests=3) == Usage(rru=2.0, api_requests=1, sqs_requests=3)
    assert one.scaled(1000) == Usage(rru=1500, api_requests=1000)
    assert cost.total([one, one, one]) == one.scaled(3)


def test_the_free_tier_is_subtracted_but_never_below_zero():
    left = cost.after_free_tier(
        Usage(lambda_requests=1_500_000, lambda_gb_s=100, rru=10),
        {"lambda_requests": 1_000_000, "lambda_gb_s": 400_000},
    )
    assert left == Usage(lambda_requests=500_000, lambda_gb_s=0, rru=10)


def test_a_metric_is_billed_for_the_hours_that_have_data():
    months = cost.metric_months(
        ["TicketsCreated", "SlaBreaches", "Other"],
        {"inbound_mail": 1000, "sla_breaches": 50},
        active_hours=198,
    )
    assert months == pytest.approx(
        {"TicketsCreated": 198 / 730, "SlaBreaches": 50 / 730, "Other": 198 / 730}
    )


# --- the model on a fixed profile ----------------------------------------------------------


def profile(**values: Any) -> Profile:
    zero: dict[str, Any] = {
        f.name: 0.0 for f in fields(Profile) if f.name not in ("name", "what", "per")
    }
    zero.update(
        dynamodb_calls={}, other_aws_calls={}, calls={}, stream=Work(), notify=Work(),
        estimated_reads=False, samples=1,
    )  # fmt: skip
    return Profile(name="p", what="fixed", per=1, **{**zero, **values})


def test_an_api_request_pays_its_handler_a_tenth_of_the_authorizer_and_what_it_sets_off():
    model = Model(memory_mb=512, cold_start_ms=0)
    p = profile(
        ms=99.5, authorizer_ms=9.5, rru=0.5, wru_table=4, wru_index=6,
        stream=Work(invocations=1, ms=1.5, wru_table=2, calls={"eventbridge.PutEvents": 1,
                                                             "sqs.SendMessage": 1}),
        notify=Work(invocations=1, ms=19.5, rru=1, calls={"ses.SendRawEmail": 1}),
    )  # fmt: skip
    usage = model.api_request(p)
    assert usage.api_requests == 1
    assert usage.lambda_requests == pytest.approx(1 + 0.1 + 1 + 1)
    assert usage.lambda_gb_s == pytest.approx((100 + 10 * 0.1 + 2 + 20) / 1000 * 0.5)
    assert (usage.rru, usage.wru_table, usage.wru_index) == (1.5, 6, 6)
    assert usage.eventbridge_events == 1
    assert usage.ses_sent == 1
    # The message the stream function queues is sent, then received and deleted.
    assert usage.sqs_requests == 3
    # 3.1 invocations' log lines, and API Gateway's access log line for the request.
    access = cost.ACCESS_LOG_BYTES_PER_REQUEST
    assert usage.log_gb == pytest.approx((3.1 * 1024 + access) / 1024**3)


def test_a_portal_page_pays_no_authorizer_its_session_cookie_is_checked_in_the_handler():
    model = Model(memory_mb=512, cold_start_ms=0)
    page = model.api_request(profile(ms=39.5, rru=2), authorized=False)
    assert page.lambda_requests == 1
    assert page.lambda_gb_s == pytest.approx(40 / 1000 * 0.5)
    assert page.rru == 2


def test_aws_calls_are_priced_from_the_table_free_ones_are_free_and_unknown_ones_refused():
    usage = cost.calls_usage(
        {
            "s3.GetObject": 2,
            "s3.PutObject": 1,
            "ses.SendRawEmail": 3,
            "sns.Publish": 1,
            "s3.DeleteObject": 4,
            "cognito-identity-provider.InitiateAuth": 1,
        }
    )
    assert usage == Usage(s3_get=2, s3_put=1, ses_sent=3, sns_publishes=1)
    with pytest.raises(ValueError, match=r"textract\.AnalyzeDocument"):
        cost.calls_usage({"textract.AnalyzeDocument": 1})


def charge(**units: float) -> cost.Charge:
    return cost.Charge("PutItem", "handler", **units)


def test_work_is_the_runs_per_unit_of_activity_with_their_mean_duration():
    runs = [
        cost.Run(cost.NOTIFY, 10.0, (charge(rru=1, wru_table=2),), {"ses.SendRawEmail": 1}),
        cost.Run(cost.NOTIFY, 30.0, (charge(rru=3, wru_index=4),), {"ses.SendRawEmail": 2}),
    ]
    work = cost.work_of(runs, units=4)
    assert work == Work(
        invocations=0.5,
        ms=20.0,
        rru=1.0,
        wru_table=0.5,
        wru_index=1.0,
        calls={"ses.SendRawEmail": 0.75},
    )
    assert cost.work_of([], units=4) == Work()


def test_a_profile_splits_the_runs_it_set_off_by_function():
    stream = cost.Run(cost.STREAM, 2.0, (), {"eventbridge.PutEvents": 1}, audit_events=1)
    notify = cost.Run(cost.NOTIFY, 20.0, (), {"ses.SendRawEmail": 1})
    sample = cost.Sample(
        ms=12.0, authorizer_ms=2.0, aws_ms=5.0, charges=[charge(wru_table=3)],
        calls={"PutItem": 1}, other_calls={"s3.GetObject": 1}, runs=[stream, notify],
    )  # fmt: skip
    p = cost.profile_of("mail", "one mail", [sample, sample])
    assert (p.ms, p.wru_table, p.calls) == (10.0, 3, {"s3.GetObject": 1})
    assert p.stream.invocations == 1 and p.stream.calls == {"eventbridge.PutEvents": 1}
    assert p.notify.invocations == 1 and p.mails_sent == 1
    assert p.audit_events == 1


def test_a_received_mail_pays_the_receipt_rule_and_the_worker_on_one_message():
    model = Model(memory_mb=1024, cold_start_ms=0)
    ack = Work(invocations=1, ms=9.5, calls={"ses.SendRawEmail": 1})
    mail = profile(ms=49.5, calls={"s3.GetObject": 1}, notify=ack)
    usage = cost.mail_receipt(ses_chunk_bytes=256 * 1024) + model.queued(mail)
    assert (usage.ses_received, usage.ses_received_chunks) == (1, 1)
    assert (usage.s3_put, usage.s3_get, usage.sns_publishes) == (1, 1, 1)
    assert usage.sqs_requests == 3
    assert usage.ses_sent == 1
    assert usage.api_requests == 0
    assert usage.lambda_requests == 2
    assert usage.lambda_gb_s == pytest.approx(0.05 + 0.01)


def test_every_activity_of_the_mix_has_a_price_and_nothing_else_does():
    model = Model(memory_mb=512, cold_start_ms=0)
    profiles = {name: profile() for name in cost.MIX}
    assert set(cost.activities(model, profiles, ses_chunk_bytes=256 * 1024)) == set(cost.MIX)


def test_cold_starts_add_their_share_of_the_init_time():
    cold = Model(memory_mb=1024, cold_start_ms=400).invocation(100, cold_share=0.25)
    assert cold.lambda_gb_s == pytest.approx(0.1 + 0.25 * 0.4)


def test_a_month_of_ticks_is_43200_invocations_of_the_idle_sweep():
    model = Model(memory_mb=512, cold_start_ms=0)
    measured = cost.Measured(
        profiles={},
        idle_tick=profile(ms=19.2, rru=4),
        daily_idle=profile(ms=30, rru=2.5),
        cold_start_ms={},
        ticket_stored_bytes=0,
        empty_table_stored_bytes=0,
        provision_s=0,
    )
    tick = cost.monthly_fixed(model, measured)["sla_tick"]
    assert tick.lambda_requests == 43_200
    assert tick.rru == 43_200 * 4
    assert tick.lambda_gb_s == pytest.approx(43_200 * 0.020 * 0.5)


def test_the_price_table_names_its_region_date_sources_and_rate():
    prices = cost.load_prices()
    assert prices["region"] == "eu-west-1"
    assert prices["as_of"] == "public on-demand list prices as of 2026-11"
    assert all(service["source"] for service in prices["aws"].values())
    assert 0 < prices["exchange_rate"]["eur_per_usd"] < 2
    assert all(math.isfinite(v) and v > 0 for v in cost.unit_prices(prices).values())
    for product in prices["hosted_helpdesks"]["products"]:
        assert product["marker"] == "list price, approximate, check vendor"


def test_alarms_are_billed_per_metric_they_read_and_dashboards_each():
    def stat(period: int) -> dict[str, Any]:
        return {"MetricStat": {"Metric": {"MetricName": "m"}, "Period": period, "Stat": "Sum"}}

    template = {
        "Resources": {
            "Plain": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 300}},
            "Math": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"Metrics": [stat(300), stat(300), {"Expression": "a / b"}]},
            },
            "Fast": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Period": 10}},
            "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        }
    }
    assert cost.monitoring(template) == {
        "alarms": 3,
        "alarm_metrics": 1 + 2,
        "high_resolution_alarm_metrics": 1,
        "dashboards": 1,
    }
