"""The packaged template is valid, complete for the code, and grants no more than it needs."""

import subprocess
import sys
from pathlib import Path

import pytest

from app import app
from chalicelib.adapters.dynamo import keys
from chalicelib.settings import Settings
from tests.deploy.conftest import Packaged

pytestmark = pytest.mark.xdist_group("package")

# Settings that name a deployed resource; each must come from the template, not a default.
RESOURCE_SETTINGS = {
    "table_name": "Table",
    "table_stream_arn": "Table",
    "event_bus_name": "EventBus",
    "bucket_name": "FilesBucket",
    "inbound_queue_url": "InboundQueue",
    "notifications_queue_url": "NotificationsQueue",
    "webhooks_queue_url": "WebhooksQueue",
    "user_pool_id": "UserPool",
    "user_pool_client_id": "UserPoolClient",
}


def test_given_the_packaged_template_then_cfn_lint_finds_nothing(packaged: Packaged):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run(  # noqa: S603 - our own tool, no shell
        [str(cfn_lint), str(packaged.template_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_given_the_settings_then_every_resource_they_name_comes_from_the_template(
    packaged: Packaged,
):
    variables = packaged.template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(RESOURCE_SETTINGS) <= set(Settings.model_fields)
    for setting, logical_id in RESOURCE_SETTINGS.items():
        value = variables[f"BALIE_{setting.upper()}"]
        assert logical_id in str(value), f"{setting} should come from {logical_id}: {value}"
        assert logical_id in packaged.resources


def test_given_the_key_builders_then_every_index_they_name_exists(packaged: Packaged):
    table = packaged.resources["Table"]["Properties"]
    declared = {index["IndexName"] for index in table["GlobalSecondaryIndexes"]}
    used = {getattr(keys, name) for name in dir(keys) if name.startswith("GSI_")}
    assert used <= declared


def test_given_the_app_then_every_handler_is_a_function_with_its_trigger(packaged: Packaged):
    handlers = {body["Handler"]: body for body in packaged.functions().values()}
    assert "app.app" in handlers  # the HTTP API
    for source in app.event_sources:
        assert f"app.{source.name}" in handlers, source.name
    for authorizer in app.builtin_auth_handlers:
        assert any(h.endswith(f".{authorizer.name}") for h in handlers), authorizer.name
    assert handlers["app.handle_sla_tick"]["Events"]["HandleSlaTickEvent"]["Properties"] == {
        "Schedule": "rate(1 minute)"
    }
    stream = handlers["app.handle_table_stream"]["Events"]["HandleTableStreamDynamodbEventSource"]
    assert stream["Properties"]["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # A batch given up on is kept for inspection, never dropped.
    assert stream["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["TableStreamFailureQueue", "Arn"]
    }


def test_given_every_policy_then_no_wildcard_action_and_data_access_names_its_resources(
    packaged: Packaged,
):
    for function in packaged.functions():
        for statement in packaged.statements(function):
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert not [a for a in actions if "*" in a], (function, actions)
            if not all(a.startswith("logs:") for a in actions):
                assert "*" not in _named(str(statement["Resource"])), (function, statement)


# Wildcards that still name their resources: a table's indexes, one key prefix of the
# bucket, and the account's own SES identities (tenants add theirs after deployment).
_NAMED_WILDCARDS = ("/index/*", "/raw-mail/*", "/attachments/*", ":identity/*")


def _named(resource: str) -> str:
    for allowed in _NAMED_WILDCARDS:
        resource = resource.replace(allowed, "")
    return resource


def test_given_the_package_then_lambda_accepts_it_as_a_direct_upload(packaged: Packaged):
    size = (packaged.directory / "deployment.zip").stat().st_size
    assert size < 50 * 1024 * 1024, f"deployment.zip is {size / 1e6:.1f} MB"


def test_given_every_function_then_its_logs_expire(packaged: Packaged):
    groups = {
        body["Properties"]["LogGroupName"]["Fn::Sub"]: body["Properties"]
        for body in packaged.resources.values()
        if body["Type"] == "AWS::Logs::LogGroup"
    }
    for function in packaged.functions():
        group = groups[f"/aws/lambda/${{{function}}}"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize(
    "kind", ["UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED",
             "DEFAULT_4XX", "DEFAULT_5XX"],
)  # fmt: skip
def test_given_api_gateways_own_answers_then_they_are_problem_documents(packaged, kind):
    import json

    (response,) = [
        body["Properties"]
        for body in packaged.resources.values()
        if body["Type"] == "AWS::ApiGateway::GatewayResponse"
        and body["Properties"]["ResponseType"] == kind
    ]
    headers = response["ResponseParameters"]
    assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    template = response["ResponseTemplates"]["application/json"]
    problem = json.loads(template.replace("$context.error.statusCode", "400"))
    assert set(problem) == {"type", "title", "status", "detail"}
    if "StatusCode" in response:
        assert problem["status"] == int(response["StatusCode"])


def test_given_the_deployed_stack_then_webhooks_may_not_call_loopback(packaged: Packaged):
    """The test-only setting that admits loopback webhook targets is never set deployed."""
    assert Settings.model_fields["webhooks_allow_loopback"].default is False
    for name, function in packaged.functions().items():
        variables = {
            **packaged.template["Globals"]["Function"]["Environment"]["Variables"],
            **function.get("Environment", {}).get("Variables", {}),
        }
        assert "BALIE_WEBHOOKS_ALLOW_LOOPBACK" not in variables, name


def test_given_the_webhook_worker_then_it_reports_partial_failures_and_outlives_its_posts(
    packaged: Packaged,
):
    worker = packaged.functions()["HandleWebhookDelivery"]
    source = worker["Events"]["HandleWebhookDeliverySqsEventSource"]["Properties"]
    assert source["Queue"] == {"Fn::GetAtt": ["WebhooksQueue", "Arn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = packaged.resources["WebhooksQueue"]["Properties"]
    # A batch of five POSTs, each up to two 5 s timeouts, fits the function's time; SQS
    # hides a message longer than the function may run.
    assert source["BatchSize"] * 2 * 5 <= worker["Timeout"] < queue["VisibilityTimeout"]
