"""local/provision.py builds, under moto, everything infra/template.yaml declares.

Each check here asks the service APIs directly rather than trusting provision's own checks.
"""

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from chalicelib.adapters.dynamo import keys
from local.provision import DEPLOY_ONLY, ProvisionError, provision
from local.streams import TableStreamPoller
from local.template import load_template

REGION = "eu-west-1"
ENV_KEYS = {
    "BALIE_TABLE_NAME",
    "BALIE_TABLE_STREAM_ARN",
    "BALIE_USER_POOL_ID",
    "BALIE_USER_POOL_CLIENT_ID",
    "BALIE_BUCKET_NAME",
    "BALIE_EVENT_BUS_NAME",
    "BALIE_INBOUND_QUEUE_URL",
    "BALIE_NOTIFICATIONS_QUEUE_URL",
    "BALIE_INBOUND_QUEUE_ARN",
    "BALIE_NOTIFICATIONS_QUEUE_ARN",
    "BALIE_INBOUND_DEAD_LETTER_QUEUE_URL",
    "BALIE_NOTIFICATIONS_DEAD_LETTER_QUEUE_URL",
    "BALIE_WEBHOOKS_QUEUE_URL",
    "BALIE_WEBHOOKS_QUEUE_ARN",
    "BALIE_WEBHOOKS_DEAD_LETTER_QUEUE_URL",
    "BALIE_UPLOADS_QUEUE_URL",
    "BALIE_UPLOADS_QUEUE_ARN",
    "BALIE_UPLOADS_DEAD_LETTER_QUEUE_URL",
}


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("BALIE_REGION", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture
def env(fake_aws: None) -> dict[str, str]:
    return provision()


def aws(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def resources_of(kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: body
        for logical_id, body in load_template()["Resources"].items()
        if body.get("Type") == kind
    }


def queue_url_of(logical_id: str) -> str:
    urls = aws("sqs").list_queues()["QueueUrls"]
    # CloudFormation names a queue <stack>-<logical id>-<suffix>.
    matching = [url for url in urls if url.rsplit("/", 1)[-1].split("-")[2] == logical_id]
    assert len(matching) == 1, (logical_id, urls)
    return matching[0]


def test_given_the_template_when_provisioned_then_the_app_gets_every_output(
    env: dict[str, str],
):
    assert set(env) == ENV_KEYS
    assert all(env.values())
    assert env["BALIE_EVENT_BUS_NAME"] == "balie-local"
    assert env["BALIE_TABLE_STREAM_ARN"].startswith(
        f"arn:aws:dynamodb:{REGION}:123456789012:table/{env['BALIE_TABLE_NAME']}/stream/"
    )


def test_given_the_template_when_provisioned_then_every_resource_exists_locally(
    env: dict[str, str],
):
    template = load_template()["Resources"]
    # Patches of Chalice's own resources have no Type; IAM exists only deployed.
    declared = Counter(
        body["Type"]
        for body in template.values()
        if "Type" in body and body["Type"] not in DEPLOY_ONLY
    )
    cognito = aws("cognito-idp")
    pool_id = env["BALIE_USER_POOL_ID"]
    buses = [b for b in aws("events").list_event_buses()["EventBuses"] if b["Name"] != "default"]
    present = Counter(
        {
            "AWS::DynamoDB::Table": len(aws("dynamodb").list_tables()["TableNames"]),
            "AWS::SQS::Queue": len(aws("sqs").list_queues()["QueueUrls"]),
            "AWS::S3::Bucket": len(aws("s3").list_buckets()["Buckets"]),
            "AWS::Events::EventBus": len(buses),
            "AWS::Cognito::UserPool": len(cognito.list_user_pools(MaxResults=60)["UserPools"]),
            "AWS::Cognito::UserPoolClient": len(
                cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
            ),
            "AWS::Cognito::UserPoolGroup": len(cognito.list_groups(UserPoolId=pool_id)["Groups"]),
        }
    )
    assert present == declared
    for logical_id in resources_of("AWS::SQS::Queue"):
        queue_url_of(logical_id)
    table = aws("dynamodb").describe_table(TableName=env["BALIE_TABLE_NAME"])["Table"]
    # Every index the key builders name exists: the code and the template agree.
    used = {getattr(keys, n) for n in dir(keys) if n.startswith("GSI_")}
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == sorted(used)
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_given_the_table_when_provisioned_then_pitr_and_ttl_are_on(env: dict[str, str]):
    dynamodb = aws("dynamodb")
    table = env["BALIE_TABLE_NAME"]

    backups = dynamodb.describe_continuous_backups(TableName=table)
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]

    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_given_the_pool_when_provisioned_then_it_has_the_role_groups_by_precedence(
    env: dict[str, str],
):
    groups = aws("cognito-idp").list_groups(UserPoolId=env["BALIE_USER_POOL_ID"])["Groups"]

    by_precedence = sorted(groups, key=lambda g: g["Precedence"])
    assert [g["GroupName"] for g in by_precedence] == [
        "operator",
        "admin",
        "supervisor",
        "agent",
        "requester",
    ]


def test_given_the_pool_when_provisioned_then_its_settings_come_from_the_template(
    env: dict[str, str],
):
    cognito = aws("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=env["BALIE_USER_POOL_ID"])["UserPool"]
    client = cognito.describe_user_pool_client(
        UserPoolId=env["BALIE_USER_POOL_ID"], ClientId=env["BALIE_USER_POOL_CLIENT_ID"]
    )["UserPoolClient"]

    assert pool["Name"] == "balie-local"
    assert not pool.get("UsernameAttributes")
    assert {"custom:tenant", "custom:tier"} <= {a["Name"] for a in pool["SchemaAttributes"]}
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "ClientSecret" not in client
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert (client["IdTokenValidity"], client["TokenValidityUnits"]["IdToken"]) == (60, "minutes")


def test_given_the_client_when_a_user_signs_in_with_a_password_then_the_id_token_names_them(
    env: dict[str, str],
):
    cognito = aws("cognito-idp")
    pool_id = env["BALIE_USER_POOL_ID"]
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="agent@demo.example.com",
        UserAttributes=[
            {"Name": "email", "Value": "agent@demo.example.com"},
            {"Name": "custom:tenant", "Value": "demo"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id,
        Username="agent@demo.example.com",
        Password="Balie-test-2026!",
        Permanent=True,
    )

    result = cognito.initiate_auth(
        ClientId=env["BALIE_USER_POOL_CLIENT_ID"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "agent@demo.example.com", "PASSWORD": "Balie-test-2026!"},
    )["AuthenticationResult"]

    import jwt

    claims = jwt.decode(result["IdToken"], options={"verify_signature": False})
    assert claims["cognito:username"] == "agent@demo.example.com"
    assert claims["email"] == "agent@demo.example.com"
    assert claims["custom:tenant"] == "demo"


def test_given_a_weak_password_when_set_then_the_pool_policy_refuses_it(env: dict[str, str]):
    cognito = aws("cognito-idp")
    pool_id = env["BALIE_USER_POOL_ID"]
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="someone@demo.example.com", MessageAction="SUPPRESS"
    )

    with pytest.raises(cognito.exceptions.InvalidPasswordException):
        cognito.admin_set_user_password(
            UserPoolId=pool_id,
            Username="someone@demo.example.com",
            Password="short1!A",
            Permanent=True,
        )


@pytest.mark.parametrize(
    ("queue", "dead_letter_queue"),
    [
        ("InboundQueue", "InboundDeadLetterQueue"),
        ("NotificationsQueue", "NotificationsDeadLetterQueue"),
    ],
)
def test_given_a_work_queue_when_provisioned_then_it_dead_letters_after_five_receives(
    env: dict[str, str], queue: str, dead_letter_queue: str
):
    sqs = aws("sqs")
    url = queue_url_of(queue)
    dlq = sqs.get_queue_attributes(
        QueueUrl=queue_url_of(dead_letter_queue), AttributeNames=["All"]
    )["Attributes"]

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert attributes["VisibilityTimeout"] == "60"
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert url in env.values()


def test_given_a_message_that_always_fails_when_received_five_times_then_it_is_in_the_dlq(
    env: dict[str, str],
):
    sqs = aws("sqs")
    sqs.set_queue_attributes(
        QueueUrl=env["BALIE_INBOUND_QUEUE_URL"], Attributes={"VisibilityTimeout": "0"}
    )
    sqs.send_message(QueueUrl=env["BALIE_INBOUND_QUEUE_URL"], MessageBody="unparseable")

    for _ in range(5):
        received = sqs.receive_message(QueueUrl=env["BALIE_INBOUND_QUEUE_URL"])
        assert len(received.get("Messages", [])) == 1
    received = sqs.receive_message(QueueUrl=env["BALIE_INBOUND_QUEUE_URL"])

    assert received.get("Messages", []) == []
    dead = sqs.receive_message(QueueUrl=queue_url_of("InboundDeadLetterQueue"))
    assert [m["Body"] for m in dead["Messages"]] == ["unparseable"]


def test_given_the_bucket_when_provisioned_then_it_is_private_encrypted_and_expires_raw_mail(
    env: dict[str, str],
):
    s3 = aws("s3")
    bucket = env["BALIE_BUCKET_NAME"]

    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]

    assert set(block.values()) == {True} and len(block) == 4
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in {
        "AES256",
        "aws:kms",
    }
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"], r["Status"]) for r in rules] == [
        ("raw-mail/", 90, "Enabled")
    ]


def test_given_the_table_stream_when_items_change_then_the_poller_hands_over_lambda_events(
    env: dict[str, str],
):
    events: list[dict[str, Any]] = []
    poller = TableStreamPoller(env["BALIE_TABLE_STREAM_ARN"], events.append)
    dynamodb = aws("dynamodb")
    table = env["BALIE_TABLE_NAME"]
    key = {"PK": {"S": "T#demo#TICKET#1"}, "SK": {"S": "META"}}

    dynamodb.put_item(TableName=table, Item={**key, "blob": {"B": b"\x00\x01"}})
    dynamodb.delete_item(TableName=table, Key=key)
    delivered = poller.poll_once()

    assert delivered == 2
    [event] = events
    insert, remove = event["Records"]
    assert [insert["eventName"], remove["eventName"]] == ["INSERT", "REMOVE"]
    for record in (insert, remove):
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventSourceARN"] == env["BALIE_TABLE_STREAM_ARN"]
        assert record["awsRegion"] == REGION
        assert record["dynamodb"]["Keys"] == key
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert insert["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert remove["dynamodb"]["OldImage"]["PK"] == key["PK"]
    json.dumps(event)  # exactly what Lambda would hand over: plain JSON
    assert poller.poll_once() == 0


def test_given_a_handler_reporting_a_failed_record_then_the_poller_retries_from_it(
    env: dict[str, str],
):
    seen: list[list[str]] = []

    def flaky(event: dict[str, Any]) -> dict[str, Any]:
        numbers = [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]]
        seen.append(numbers)
        if len(seen) == 1:
            second = event["Records"][1]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": second}]}
        return {"batchItemFailures": []}

    poller = TableStreamPoller(env["BALIE_TABLE_STREAM_ARN"], flaky, idle_wait=0)
    for name in ("a", "b", "c"):
        aws("dynamodb").put_item(
            TableName=env["BALIE_TABLE_NAME"], Item={"PK": {"S": name}, "SK": {"S": "x"}}
        )

    poller.poll_once()

    assert seen == [["a", "b", "c"], ["b", "c"]]


def test_given_another_stage_when_provisioned_then_stage_names_follow(fake_aws: None):
    env = provision("ci")

    assert env["BALIE_EVENT_BUS_NAME"] == "balie-ci"
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=env["BALIE_USER_POOL_ID"])
    assert pool["UserPool"]["Name"] == "balie-ci"


def test_given_a_provisioned_stack_when_provisioning_again_then_it_says_so(
    env: dict[str, str],
):
    with pytest.raises(ProvisionError, match="already exists"):
        provision()


def write_template(tmp_path: Path, template: dict[str, Any]) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template), encoding="utf-8")
    return path


def test_given_a_resource_type_provision_does_not_know_then_nothing_is_created(
    fake_aws: None, tmp_path: Path
):
    template = load_template()
    template["Resources"]["Stream"] = {"Type": "AWS::Kinesis::Stream", "Properties": {}}

    with pytest.raises(ProvisionError, match="AWS::Kinesis::Stream"):
        provision(template_path=write_template(tmp_path, template))

    assert aws("dynamodb").list_tables()["TableNames"] == []


def test_given_a_property_moto_might_ignore_then_provision_refuses_it(
    fake_aws: None, tmp_path: Path
):
    template = load_template()
    template["Resources"]["Table"]["Properties"]["ContributorInsightsSpecification"] = {
        "Enabled": True
    }

    with pytest.raises(ProvisionError, match="ContributorInsightsSpecification"):
        provision(template_path=write_template(tmp_path, template))


def test_given_merge_patches_for_chalice_resources_then_provision_leaves_them_to_chalice(
    fake_aws: None, tmp_path: Path
):
    template = load_template()
    template["Transform"] = "AWS::Serverless-2016-10-31"
    template["Globals"] = {"Function": {"Environment": {"Variables": {"X": {"Ref": "Table"}}}}}
    template["Resources"]["HandleTableStream"] = {
        "Properties": {"Events": {"Stream": {"Properties": {"Stream": "x"}}}}
    }

    env = provision(template_path=write_template(tmp_path, template))

    assert set(env) == ENV_KEYS


def test_given_boto3_points_at_real_aws_then_provision_refuses(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    with pytest.raises(ProvisionError, match="refusing"):
        provision()
