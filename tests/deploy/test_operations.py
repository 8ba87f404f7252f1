"""The packaged template's alarms and dashboard watch what docs/operations.md says they do."""

import json
import re
from typing import Any

import pytest

from chalicelib import observability
from tests.deploy.conftest import Packaged

pytestmark = pytest.mark.xdist_group("package")

DEAD_LETTER_QUEUES = ("InboundDeadLetterQueue", "NotificationsDeadLetterQueue",
                      "WebhooksDeadLetterQueue", "UploadsDeadLetterQueue")  # fmt: skip
# Read by the Lambda event source mapping, not by the code; DynamoDB reports no errors on them.
STREAM_ACTIONS = {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"}
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def alarms(packaged: Packaged) -> dict[str, dict[str, Any]]:
    return {
        name: body["Properties"]
        for name, body in packaged.resources.items()
        if body["Type"] == "AWS::CloudWatch::Alarm"
    }


def watched(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metric the alarm reads, as {Namespace, MetricName, Dimensions: {name: value}}."""
    if "MetricName" in alarm:
        metrics = [alarm]
    else:
        metrics = [q["MetricStat"]["Metric"] for q in alarm["Metrics"] if "MetricStat" in q]
    return [
        {
            "Namespace": metric["Namespace"],
            "MetricName": metric["MetricName"],
            "Dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])},
        }
        for metric in metrics
    ]


def alarms_on(
    packaged: Packaged, namespace: str, metric_name: str, **dimensions: Any
) -> dict[str, dict[str, Any]]:
    return {
        name: alarm
        for name, alarm in alarms(packaged).items()
        if any(
            m["Namespace"] == namespace
            and m["MetricName"] == metric_name
            and dimensions.items() <= m["Dimensions"].items()
            for m in watched(alarm)
        )
    }


def test_given_each_dead_letter_queue_then_an_alarm_fires_on_its_first_message(
    packaged: Packaged,
):
    for queue in DEAD_LETTER_QUEUES:
        assert packaged.resources[queue]["Type"] == "AWS::SQS::Queue"
        found = alarms_on(
            packaged,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            QueueName={"Fn::GetAtt": [queue, "QueueName"]},
        )
        assert len(found) == 1, (queue, sorted(found))
        (alarm,) = found.values()
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["Threshold"] == 0


def test_given_every_queue_with_a_dead_letter_queue_then_that_queue_is_watched(
    packaged: Packaged,
):
    for body in packaged.resources.values():
        redrive = body.get("Properties", {}).get("RedrivePolicy")
        if body["Type"] == "AWS::SQS::Queue" and redrive:
            (queue, _) = redrive["deadLetterTargetArn"]["Fn::GetAtt"]
            assert queue in DEAD_LETTER_QUEUES


def test_given_every_function_then_it_has_an_errors_and_a_throttles_alarm(packaged: Packaged):
    functions = packaged.functions()
    assert {"APIHandler", "Bearer", "HandleTableStream", "HandleSlaTick", "HandleDaily"} <= set(
        functions
    )
    for function in functions:
        reference = {"Ref": function}
        errors = alarms_on(packaged, "AWS/Lambda", "Errors", FunctionName=reference)
        throttles = alarms_on(packaged, "AWS/Lambda", "Throttles", FunctionName=reference)
        assert len(errors) == 1, (function, sorted(errors))
        assert len(throttles) == 1, (function, sorted(throttles))
        (throttle,) = throttles.values()
        assert (throttle["Statistic"], throttle["Period"], throttle["Threshold"]) == ("Sum", 300, 0)
        assert throttle["ComparisonOperator"] == "GreaterThanThreshold"
        (error,) = errors.values()
        assert error["Statistic"] == "Sum"
        assert 0 <= error["Threshold"] <= 5, (function, error["Threshold"])


def test_given_the_sla_tick_then_its_silence_breaches(packaged: Packaged):
    found = alarms_on(packaged, "AWS/Lambda", "Invocations", FunctionName={"Ref": "HandleSlaTick"})
    assert len(found) == 1, sorted(found)
    (alarm,) = found.values()
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 300
    # The schedule it watches: one sweep a minute, so five minutes without one is an outage.
    events = packaged.functions()["HandleSlaTick"]["Events"]
    assert events["HandleSlaTickEvent"]["Properties"] == {"Schedule": "rate(1 minute)"}


def test_given_the_rest_api_then_its_5xx_rate_is_watched_by_its_name_and_stage(
    packaged: Packaged,
):
    api = packaged.resources["RestAPI"]["Properties"]
    # API Gateway's metrics carry the API's name; per stage, so two stages never share them.
    name, stage = api["Name"], api["StageName"]
    assert name == {"Fn::Sub": "balie-${Stage}"}
    errors = alarms_on(packaged, "AWS/ApiGateway", "5XXError", ApiName=name, Stage=stage)
    assert len(errors) == 1, sorted(errors)
    (alarm,) = errors.values()
    metrics = watched(alarm)
    assert {m["MetricName"] for m in metrics} == {"5XXError", "Count"}, "a rate needs both"
    assert all(m["Dimensions"] == {"ApiName": name, "Stage": stage} for m in metrics)
    (result,) = [q for q in alarm["Metrics"] if q.get("ReturnData", True)]
    assert "/" in result["Expression"]


def test_given_the_table_then_system_errors_and_throttles_of_every_call_are_watched(
    packaged: Packaged,
):
    # Everything the functions may do to the table, per tests/integration/test_iam_policies.py;
    # TransactWriteItems is authorised per item but reported under its own name.
    called = {"TransactWriteItems"}
    for function in packaged.functions():
        for statement in packaged.statements(function):
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                service, name = action.split(":")
                if service == "dynamodb" and name not in STREAM_ACTIONS:
                    called.add(name)
    table = {"Ref": "Table"}
    for metric_name in ("SystemErrors", "ThrottledRequests"):
        found = alarms_on(packaged, "AWS/DynamoDB", metric_name, TableName=table)
        assert len(found) == 1, (metric_name, sorted(found))
        (alarm,) = found.values()
        operations = {m["Dimensions"]["Operation"] for m in watched(alarm)}
        assert called <= operations, (metric_name, called - operations)
        assert all(m["Dimensions"]["TableName"] == table for m in watched(alarm))
        assert alarm["Threshold"] == 0


def test_given_every_alarm_then_it_notifies_the_alarm_topic(packaged: Packaged):
    topic = packaged.resources["AlarmTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    found = alarms(packaged)
    assert len(found) >= 2 * len(packaged.functions()) + len(DEAD_LETTER_QUEUES) + 4
    for name, alarm in found.items():
        assert {"Ref": "AlarmTopic"} in alarm.get("AlarmActions", []), name
        assert alarm.get("ActionsEnabled", True) is True, name
        assert alarm["TreatMissingData"] in {"breaching", "notBreaching"}, name


def test_given_an_alarm_email_then_it_is_subscribed_only_when_set(packaged: Packaged):
    parameter = packaged.template["Parameters"]["AlarmEmail"]
    assert parameter["Default"] == ""
    subscriptions = [
        body
        for body in packaged.resources.values()
        if body["Type"] == "AWS::SNS::Subscription"
        and body["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    ]
    assert len(subscriptions) == 1
    (subscription,) = subscriptions
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    condition = packaged.template["Conditions"][subscription["Condition"]]
    assert condition == {
        "Fn::And": [
            {"Condition": "HasAlarms"},
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
        ]
    }


def test_given_the_dashboard_then_its_body_is_json_naming_every_function_and_alarm(
    packaged: Packaged,
):
    (dashboard,) = [
        body["Properties"]
        for body in packaged.resources.values()
        if body["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    template = dashboard["DashboardBody"]["Fn::Sub"]
    assert isinstance(template, str)
    names = set(_PLACEHOLDER.findall(template))
    for name in names:
        logical_id = name.split(".", 1)[0]
        assert (
            logical_id in packaged.resources
            or logical_id in packaged.template["Parameters"]
            or logical_id.startswith("AWS::")
        ), name

    body = json.loads(_PLACEHOLDER.sub("dummy", template))

    widgets = body["widgets"]
    assert all(w["x"] + w["width"] <= 24 for w in widgets)
    for function in packaged.functions():
        assert function in names, function
    # The alarm widget lists every alarm, so its state is on the page before any graph.
    listed = {name.removesuffix(".Arn") for name in names if name.endswith(".Arn")}
    assert set(alarms(packaged)) <= listed
    for queue in (*DEAD_LETTER_QUEUES, "InboundQueue", "NotificationsQueue", "WebhooksQueue",
                  "UploadsQueue"):  # fmt: skip
        assert f"{queue}.QueueName" in names, queue
    expressions = [
        item["expression"]
        for widget in widgets
        for row in widget["properties"].get("metrics", [])
        for item in row
        if isinstance(item, dict) and "expression" in item
    ]
    api = packaged.resources["RestAPI"]["Properties"]
    # The body was parsed with every ${…} as "dummy": the name as the same Sub renders it.
    name = _PLACEHOLDER.sub("dummy", api["Name"]["Fn::Sub"])
    api_dimensions = ["ApiName", name, "Stage", api["StageName"]]
    api_rows = [
        row
        for widget in widgets
        for row in widget["properties"].get("metrics", [])
        if row[0] == "AWS/ApiGateway"
    ]
    assert api_rows
    assert all(row[2:6] == api_dimensions for row in api_rows), api_rows
    # The app's own metrics: Powertools EMF, dimensioned by its service and the tenant.
    schema = f"{{{observability.metrics.namespace},service,tenant}}"
    service = f'service="{observability.SERVICE}"'
    for metric in ("TicketsCreated", "SlaBreaches", "MailsIn"):
        assert any(
            schema in e and f'MetricName="{metric}"' in e and service in e for e in expressions
        ), metric


def test_given_the_monitoring_setting_then_alarms_and_dashboard_follow_it(packaged: Packaged):
    """CloudWatch bills them monthly even for an idle stack, so the owner chooses."""
    setting = packaged.template["Parameters"]["Monitoring"]
    assert setting["AllowedValues"] == ["none", "alarms", "full"]
    for body in packaged.resources.values():
        alarm_topic = body["Type"] == "AWS::SNS::Topic" and "inbound" not in str(body)
        if body["Type"] == "AWS::CloudWatch::Alarm" or alarm_topic:
            assert body.get("Condition") == "HasAlarms"
        if body["Type"] == "AWS::CloudWatch::Dashboard":
            assert body.get("Condition") == "HasDashboard"


# --- mail reputation and inbound silence ---------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "threshold"),
    [("Reputation.BounceRate", 0.05), ("Reputation.ComplaintRate", 0.001)],
)
def test_given_ses_reputation_then_it_alarms_at_the_review_thresholds(
    packaged: Packaged, metric: str, threshold: float
):
    """SES reviews an account from 5% bounces or 0.1% complaints, and may pause it later."""
    found = alarms_on(packaged, "AWS/SES", metric)
    assert len(found) == 1, sorted(found)
    (alarm,) = found.values()
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"  # no mail sent: no rate published
    assert "Dimensions" not in alarm  # an account-level metric


def test_given_inbound_silence_then_one_stage_metric_is_watched_not_one_per_tenant(
    packaged: Packaged,
):
    from chalicelib.services import inbound_silence

    found = alarms_on(packaged, observability.metrics.namespace, inbound_silence.METRIC)
    assert len(found) == 1, sorted(found)
    (alarm,) = found.values()
    (metric,) = watched(alarm)
    assert metric["Dimensions"] == {"service": observability.SERVICE, "stage": {"Ref": "Stage"}}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    # The check runs hourly; an hour without data is the tick's own alarm.
    assert alarm["Period"] == 3600


def test_given_api_access_logs_then_they_are_json_lines_kept_for_the_retention(
    packaged: Packaged,
):
    setting = packaged.resources["RestAPI"]["Properties"]["AccessLogSetting"]["Fn::If"]
    condition, enabled, disabled = setting
    assert disabled == {"Ref": "AWS::NoValue"}
    assert packaged.template["Conditions"][condition]
    assert enabled["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(enabled["Format"])
    for field in ("requestId", "ip", "tenant", "route", "status", "latencyMs",
                  "integrationError"):  # fmt: skip
        assert field in line, field
    assert line["route"] == "$context.resourcePath"  # never the path: it may hold e-mails
    group = packaged.resources["ApiAccessLogGroup"]
    assert group["Condition"] == condition
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert "balie-${Stage}" in group["Properties"]["LogGroupName"]["Fn::Sub"]


def test_given_threat_protection_then_it_is_a_parameter_that_requires_the_plus_plan(
    packaged: Packaged,
):
    pool = packaged.resources["UserPool"]["Properties"]
    parameters = packaged.template["Parameters"]
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": {"Ref": "ThreatProtection"}}
    assert pool["UserPoolTier"] == {"Ref": "CognitoTier"}
    # Off by default: the PLUS plan costs per monthly active user from the first one.
    assert parameters["ThreatProtection"]["Default"] == "OFF"
    assert parameters["CognitoTier"]["Default"] == "ESSENTIALS"
    rule = packaged.template["Rules"]["ThreatProtectionNeedsPlus"]
    assert rule["Assertions"] == [
        {
            "Assert": {"Fn::Equals": [{"Ref": "CognitoTier"}, "PLUS"]},
            "AssertDescription": rule["Assertions"][0]["AssertDescription"],
        }
    ]
