"""Create every resource of infra/template.yaml in whatever endpoint boto3 is pointed at.

Works in-process under `moto.mock_aws()` and against a moto server (AWS_ENDPOINT_URL).
moto's CloudFormation creates what it implements and answers CREATE_COMPLETE while skipping
the rest (DESIGN.md, "Known traps"). So this module:

1. sends the template's resources that moto's CloudFormation implements to CreateStack;
2. creates the resource types it skips (Cognito) through their own APIs;
3. applies the properties it ignores (table PITR/TTL, bucket public-access block, ownership,
   lifecycle) through their own APIs;
4. checks that every resource of the template exists with those properties, and
5. resolves the template's Outputs into the app's environment.

Every value comes from the template. A resource type or property this module has not been
taught fails before anything is created, so a template change cannot be skipped silently.
"""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from local.template import TEMPLATE_PATH, Resolver, UnresolvedError, load_template, references

STACK_PREFIX = "balie"
ENV_PREFIX = "BALIE_"


class ProvisionError(RuntimeError):
    """The local stack does not match infra/template.yaml."""


_clients: dict[tuple[str, str, str], Any] = {}


class _Aws:
    """boto3 clients, reused across runs: creating one costs more than most moto calls."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._endpoint = os.environ.get("AWS_ENDPOINT_URL", "")

    def __call__(self, service: str) -> Any:
        key = (service, self.region, self._endpoint)
        if key not in _clients:
            import boto3  # deferred like the app's adapters: importing local.* stays cheap

            _clients[key] = boto3.client(service, region_name=self.region)
        return _clients[key]


def _refuse_real_aws() -> None:
    """Provisioning with dummy credentials must never reach a real account."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and urlparse(endpoint).hostname in {"127.0.0.1", "localhost", "::1"}:
        return
    from moto.core.models import botocore_stubber

    if not endpoint and botocore_stubber.enabled:
        return
    raise ProvisionError(
        "refusing to provision: boto3 points at neither moto.mock_aws() nor a local "
        f"AWS_ENDPOINT_URL (got {endpoint!r})"
    )


@dataclass
class _Resource:
    logical_id: str
    type: str
    template: dict[str, Any]
    physical_id: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


Create = Callable[[_Aws, dict[str, Any]], str]
Apply = Callable[[_Aws, str, dict[str, Any]], None]
Attribute = Callable[[_Aws, _Resource, str], str]


@dataclass(frozen=True)
class _Kind:
    """What local provisioning knows about one resource type."""

    check: Apply
    # Properties moto's CloudFormation applies itself.
    native: frozenset[str] = frozenset()
    # Properties applied here through the service API (all of them when `create` is set).
    applied: frozenset[str] = frozenset()
    # Accepted without a local effect; each use below says why that is acceptable.
    inert: frozenset[str] = frozenset()
    # Set for the types moto's CloudFormation skips: creates one and returns what Ref gives.
    create: Create | None = None
    complete: Apply | None = None
    attribute: Attribute | None = None
    # moto's physical id is not what CloudFormation's Ref returns for some types.
    ref_property: str | None = None

    @property
    def known(self) -> frozenset[str]:
        return self.native | self.applied | self.inert


def _missing(resource: _Resource, error: Exception) -> ProvisionError:
    return ProvisionError(
        f"{resource.logical_id} ({resource.type}) from infra/template.yaml is not right "
        f"locally: {error}"
    )


# --- DynamoDB -----------------------------------------------------------------------------


def _table_complete(aws: _Aws, name: str, props: dict[str, Any]) -> None:
    dynamodb = aws("dynamodb")
    if "PointInTimeRecoverySpecification" in props:
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification=props["PointInTimeRecoverySpecification"],
        )
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _table_check(aws: _Aws, name: str, props: dict[str, Any]) -> None:
    dynamodb = aws("dynamodb")
    table = dynamodb.describe_table(TableName=name)["Table"]
    wanted = {index["IndexName"] for index in props.get("GlobalSecondaryIndexes", [])}
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    if wanted != present:
        raise ValueError(f"global secondary indexes {sorted(present)}, want {sorted(wanted)}")
    stream = props.get("StreamSpecification")
    if stream and table.get("StreamSpecification", {}).get("StreamViewType") != stream.get(
        "StreamViewType"
    ):
        raise ValueError(f"stream {table.get('StreamSpecification')}, want {stream}")
    pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
    if pitr is not None:
        backups = dynamodb.describe_continuous_backups(TableName=name)
        status = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        if (status["PointInTimeRecoveryStatus"] == "ENABLED") != bool(pitr):
            raise ValueError(f"point-in-time recovery is {status['PointInTimeRecoveryStatus']}")
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        described = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if described.get("TimeToLiveStatus") != "ENABLED" or described.get(
            "AttributeName"
        ) != ttl.get("AttributeName"):
            raise ValueError(f"time to live is {described}, want {ttl}")


def _table_attribute(aws: _Aws, resource: _Resource, name: str) -> str:
    table = aws("dynamodb").describe_table(TableName=resource.physical_id)["Table"]
    return {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")}[name]


# --- SQS ----------------------------------------------------------------------------------


_QUEUE_PROPERTIES = frozenset(
    {
        "ContentBasedDeduplication",
        "DelaySeconds",
        "FifoQueue",
        "KmsDataKeyReusePeriodSeconds",
        "KmsMasterKeyId",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "RedriveAllowPolicy",
        "RedrivePolicy",
        "SqsManagedSseEnabled",
        "VisibilityTimeout",
    }
)


def _as_attribute(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _queue_check(aws: _Aws, url: str, props: dict[str, Any]) -> None:
    attributes = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    for name in sorted(_QUEUE_PROPERTIES & props.keys()):
        want, have = props[name], attributes.get(name)
        if isinstance(want, dict):
            # SQS hands policies back as JSON with its own number formatting.
            same = have is not None and {k: _as_attribute(v) for k, v in want.items()} == {
                k: _as_attribute(v) for k, v in json.loads(have).items()
            }
        else:
            same = _as_attribute(want) == have
        if not same:
            raise ValueError(f"{name} is {have!r}, want {want!r}")


def _queue_attribute(aws: _Aws, resource: _Resource, name: str) -> str:
    if name == "QueueUrl":
        return resource.physical_id
    if name == "QueueName":
        return resource.physical_id.rsplit("/", 1)[-1]
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=resource.physical_id, AttributeNames=["QueueArn"]
    )["Attributes"]
    return {"Arn": attributes["QueueArn"]}[name]


# --- S3 -----------------------------------------------------------------------------------


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's flattened lifecycle rule in the shape of the S3 API."""
    known = {"Id", "Status", "Prefix", "ExpirationInDays", "AbortIncompleteMultipartUpload"}
    unknown = set(rule) - known
    if unknown:
        raise ProvisionError(
            f"local/provision.py cannot apply lifecycle rule properties {sorted(unknown)}"
        )
    converted: dict[str, Any] = {"Status": rule["Status"], "Filter": {}}
    if "Id" in rule:
        converted["ID"] = rule["Id"]
    if "Prefix" in rule:
        converted["Filter"] = {"Prefix": rule["Prefix"]}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return converted


def _notification_configuration(props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's bucket notifications (queues only) in the shape of the S3 API."""
    queues = []
    for entry in props.get("QueueConfigurations", []):
        unknown = set(entry) - {"Event", "Queue", "Filter"}
        if unknown or set(props) - {"QueueConfigurations"}:
            raise ProvisionError("local/provision.py applies queue notifications only")
        converted: dict[str, Any] = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
        if "Filter" in entry:
            converted["Filter"] = {"Key": {"FilterRules": entry["Filter"]["S3Key"]["Rules"]}}
        queues.append(converted)
    return {"QueueConfigurations": queues}


def _cors_configuration(props: dict[str, Any]) -> dict[str, Any]:
    renamed = {"MaxAge": "MaxAgeSeconds", "Id": "ID"}
    rules = [{renamed.get(k, k): v for k, v in rule.items()} for rule in props["CorsRules"]]
    return {"CORSRules": rules}


def _bucket_complete(aws: _Aws, name: str, props: dict[str, Any]) -> None:
    s3 = aws("s3")
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    if "LifecycleConfiguration" in props:
        rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    if "CorsConfiguration" in props:
        s3.put_bucket_cors(
            Bucket=name, CORSConfiguration=_cors_configuration(props["CorsConfiguration"])
        )
    if "NotificationConfiguration" in props:
        # moto delivers these to SQS, for presigned-POST uploads too (tests/integration/
        # test_uploads.py): locally the uploads worker hears about files as deployed.
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration=_notification_configuration(
                props["NotificationConfiguration"]
            ),
        )


def _bucket_check(aws: _Aws, name: str, props: dict[str, Any]) -> None:
    s3 = aws("s3")
    s3.head_bucket(Bucket=name)
    if "BucketEncryption" in props:
        s3.get_bucket_encryption(Bucket=name)
    if "PublicAccessBlockConfiguration" in props:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        if block != props["PublicAccessBlockConfiguration"]:
            raise ValueError(f"public access block is {block}")
    if "OwnershipControls" in props:
        controls = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]
        if controls != props["OwnershipControls"]:
            raise ValueError(f"ownership controls are {controls}")
    if "LifecycleConfiguration" in props:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        if len(rules) != len(props["LifecycleConfiguration"]["Rules"]):
            raise ValueError(f"lifecycle rules are {rules}")
    if "CorsConfiguration" in props:
        cors = s3.get_bucket_cors(Bucket=name)["CORSRules"]
        if len(cors) != len(props["CorsConfiguration"]["CorsRules"]):
            raise ValueError(f"CORS rules are {cors}")
    if "NotificationConfiguration" in props:
        queues = s3.get_bucket_notification_configuration(Bucket=name).get(
            "QueueConfigurations", []
        )
        wanted = props["NotificationConfiguration"].get("QueueConfigurations", [])
        if sorted(q["QueueArn"] for q in queues) != sorted(q["Queue"] for q in wanted):
            raise ValueError(f"queue notifications are {queues}")


def _bucket_attribute(aws: _Aws, resource: _Resource, name: str) -> str:
    return {"Arn": f"arn:aws:s3:::{resource.physical_id}"}[name]


# --- EventBridge --------------------------------------------------------------------------


def _bus_check(aws: _Aws, name: str, props: dict[str, Any]) -> None:
    aws("events").describe_event_bus(Name=name)


def _bus_attribute(aws: _Aws, resource: _Resource, name: str) -> str:
    bus = aws("events").describe_event_bus(Name=resource.physical_id)
    return {"Arn": bus["Arn"], "Name": bus["Name"]}[name]


# --- Cognito: moto's CloudFormation creates none of these ---------------------------------

_POOL_PROPERTIES = frozenset(
    {
        "AccountRecoverySetting",
        "AdminCreateUserConfig",
        "AliasAttributes",
        "AutoVerifiedAttributes",
        "DeletionProtection",
        "EmailConfiguration",
        "MfaConfiguration",
        "Policies",
        "Schema",
        "UserAttributeUpdateSettings",
        "UsernameAttributes",
        "UsernameConfiguration",
        "UserPoolName",
        "UserPoolTags",
        "VerificationMessageTemplate",
        # Feature plan and threat protection: moto stores them; nothing local signs in riskily.
        "UserPoolAddOns",
        "UserPoolTier",
    }
)
_CLIENT_PROPERTIES = frozenset(
    {
        "AccessTokenValidity",
        "AuthSessionValidity",
        "ClientName",
        "EnableTokenRevocation",
        "ExplicitAuthFlows",
        "GenerateSecret",
        "IdTokenValidity",
        "PreventUserExistenceErrors",
        "ReadAttributes",
        "RefreshTokenValidity",
        "TokenValidityUnits",
        "UserPoolId",
        "WriteAttributes",
    }
)
_GROUP_PROPERTIES = frozenset({"Description", "GroupName", "Precedence", "RoleArn", "UserPoolId"})


def _pool_create(aws: _Aws, props: dict[str, Any]) -> str:
    # The API calls the name PoolName; every other property has the same name and shape.
    params = {("PoolName" if k == "UserPoolName" else k): v for k, v in props.items()}
    return aws("cognito-idp").create_user_pool(**params)["UserPool"]["Id"]


def _pool_check(aws: _Aws, pool_id: str, props: dict[str, Any]) -> None:
    aws("cognito-idp").describe_user_pool(UserPoolId=pool_id)


def _pool_attribute(aws: _Aws, resource: _Resource, name: str) -> str:
    provider = f"cognito-idp.{aws.region}.amazonaws.com/{resource.physical_id}"
    if name in {"ProviderName", "ProviderURL"}:
        return provider if name == "ProviderName" else f"https://{provider}"
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=resource.physical_id)["UserPool"]
    return {"Arn": pool["Arn"], "UserPoolId": pool["Id"]}[name]


def _client_create(aws: _Aws, props: dict[str, Any]) -> str:
    return aws("cognito-idp").create_user_pool_client(**props)["UserPoolClient"]["ClientId"]


def _client_check(aws: _Aws, client_id: str, props: dict[str, Any]) -> None:
    aws("cognito-idp").describe_user_pool_client(UserPoolId=props["UserPoolId"], ClientId=client_id)


def _group_create(aws: _Aws, props: dict[str, Any]) -> str:
    aws("cognito-idp").create_group(**props)
    return props["GroupName"]


def _group_check(aws: _Aws, name: str, props: dict[str, Any]) -> None:
    aws("cognito-idp").get_group(GroupName=name, UserPoolId=props["UserPoolId"])


_KINDS: dict[str, _Kind] = {
    "AWS::DynamoDB::Table": _Kind(
        native=frozenset(
            {
                "AttributeDefinitions",
                "BillingMode",
                "DeletionProtectionEnabled",
                "GlobalSecondaryIndexes",
                "KeySchema",
                "LocalSecondaryIndexes",
                "ProvisionedThroughput",
                "StreamSpecification",
                "Tags",
                "TableName",
            }
        ),
        applied=frozenset({"PointInTimeRecoverySpecification", "TimeToLiveSpecification"}),
        # Encryption at rest means nothing in memory; moto also reads the API's `Enabled`
        # where CloudFormation says `SSEEnabled`, so DescribeTable shows no SSE locally.
        inert=frozenset({"SSESpecification"}),
        complete=_table_complete,
        check=_table_check,
        attribute=_table_attribute,
    ),
    "AWS::SQS::Queue": _Kind(
        native=_QUEUE_PROPERTIES | {"QueueName", "Tags"},
        check=_queue_check,
        attribute=_queue_attribute,
    ),
    "AWS::S3::Bucket": _Kind(
        native=frozenset({"BucketName", "BucketEncryption", "Tags"}),
        applied=frozenset(
            {
                "CorsConfiguration",
                "LifecycleConfiguration",
                "NotificationConfiguration",
                "OwnershipControls",
                "PublicAccessBlockConfiguration",
            }
        ),
        complete=_bucket_complete,
        check=_bucket_check,
        attribute=_bucket_attribute,
    ),
    "AWS::Events::EventBus": _Kind(
        native=frozenset({"Name", "Description", "Tags"}),
        check=_bus_check,
        attribute=_bus_attribute,
        # moto records no physical id for a bus; CloudFormation's Ref returns its name.
        ref_property="Name",
    ),
    "AWS::Cognito::UserPool": _Kind(
        applied=_POOL_PROPERTIES,
        create=_pool_create,
        check=_pool_check,
        attribute=_pool_attribute,
    ),
    "AWS::Cognito::UserPoolClient": _Kind(
        applied=_CLIENT_PROPERTIES, create=_client_create, check=_client_check
    ),
    "AWS::Cognito::UserPoolGroup": _Kind(
        applied=_GROUP_PROPERTIES, create=_group_create, check=_group_check
    ),
}


# Resource types that only mean something deployed. Each says why skipping it locally loses
# nothing that a local run could have shown.
DEPLOY_ONLY: dict[str, str] = {
    "AWS::Logs::LogGroup": "the functions run in chalice local, whose logs go to the terminal",
    "AWS::ApiGateway::GatewayResponse": "chalice local answers for API Gateway itself; "
    "tests/deploy checks each response is a problem document",
    "AWS::IAM::ManagedPolicy": "moto does not enforce IAM; tests/deploy checks every policy "
    "against the AWS calls the code makes",
    "AWS::CloudWatch::Alarm": "nothing locally emits the Lambda, API Gateway, SQS or DynamoDB "
    "metrics they watch; tests/deploy/test_operations.py checks what each one watches and "
    "that it notifies the alarm topic",
    "AWS::CloudWatch::Dashboard": "graphs of deployed metrics only; tests/deploy checks that "
    "its body is valid JSON naming every function",
    "AWS::SNS::Topic": "only SES and deployed alarms publish to its topics; locally the SMTP "
    "intake (local/smtp.py) puts SES-shaped notifications on the inbound queue itself",
    "AWS::SNS::TopicPolicy": "lets SES publish to the inbound topic, which is deploy-only",
    "AWS::SNS::Subscription": "the inbound topic's queue subscription and the alarm e-mail; "
    "locally nothing publishes to SNS",
    "AWS::SQS::QueuePolicy": "lets the inbound topic write to the inbound queue and S3 to the "
    "uploads queue; moto does not enforce resource policies",
    "AWS::S3::BucketPolicy": "lets SES store raw mail in the bucket; locally the SMTP intake "
    "stores it",
    "AWS::SES::ReceiptRuleSet": "moto never receives mail; local/smtp.py does what the rule does",
    "AWS::SES::ReceiptRule": "see AWS::SES::ReceiptRuleSet",
    "AWS::SES::ConfigurationSet": "bounce and complaint events exist only on real SES; "
    "tests feed their notifications to the intake directly",
    "AWS::SES::ConfigurationSetEventDestination": "see AWS::SES::ConfigurationSet",
    "AWS::IAM::Role": "API Gateway's CloudWatch logs role; chalice local writes no access logs",
    "AWS::ApiGateway::Account": "the region's API Gateway settings (its logs role); "
    "see AWS::IAM::Role",
}


def _plan(template: dict[str, Any]) -> dict[str, _Resource]:
    """The template's resources, refusing anything this module would skip."""
    resources: dict[str, _Resource] = {}
    for logical_id, body in template.get("Resources", {}).items():
        if "Type" not in body or body["Type"] in DEPLOY_ONLY:
            # A --merge-template patch to a resource `chalice package` generates (a function,
            # its event source, its role), or a deploy-only resource (see DEPLOY_ONLY); the
            # laptop stack runs functions through chalice local instead.
            continue
        kind = _KINDS.get(body["Type"])
        if kind is None:
            raise ProvisionError(
                f"{logical_id}: local/provision.py does not know how to create or check "
                f"{body['Type']}; teach it (see _KINDS) before adding it to the template"
            )
        if "Condition" in body:
            raise ProvisionError(f"{logical_id}: conditions are not supported locally")
        unknown = set(body.get("Properties", {})) - kind.known
        if unknown:
            raise ProvisionError(
                f"{logical_id} ({body['Type']}): local/provision.py does not apply "
                f"{sorted(unknown)}; moto may ignore them silently, so teach it first"
            )
        resources[logical_id] = _Resource(logical_id, body["Type"], body)
    for resource in resources.values():
        if _KINDS[resource.type].create is None:
            ours = {
                ref
                for ref in references(resource.template) | set(_depends_on(resource))
                if ref in resources and _KINDS[resources[ref].type].create is not None
            }
            if ours:
                raise ProvisionError(
                    f"{resource.logical_id} refers to {sorted(ours)}, which moto's "
                    "CloudFormation cannot create; local provisioning cannot order that"
                )
    return resources


def _depends_on(resource: _Resource) -> list[str]:
    depends = resource.template.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else list(depends)


def _region() -> str:
    # Same precedence as chalicelib.settings, so the app looks where provisioning built.
    for name in ("BALIE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    return "eu-west-1"


def _env_name(output_key: str) -> str:
    return ENV_PREFIX + re.sub(r"(?<!^)(?=[A-Z])", "_", output_key).upper()


def provision(stage: str = "local", *, template_path: Path = TEMPLATE_PATH) -> dict[str, str]:
    """Build the stack of `template_path` for `stage`; return the app's environment."""
    _refuse_real_aws()
    template = load_template(template_path)
    resources = _plan(template)
    aws = _Aws(_region())
    stack_name = f"{STACK_PREFIX}-{stage}"

    native = {k: v for k, v in resources.items() if _KINDS[v.type].create is None}
    stack_id = _create_stack(aws, stack_name, template, native, stage)

    parameters = {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
    if "Stage" in template.get("Parameters", {}):
        parameters["Stage"] = stage
    refs: dict[str, str] = {
        **parameters,
        "AWS::Region": aws.region,
        "AWS::AccountId": stack_id.split(":")[4],
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
        "AWS::Partition": "aws",
    }

    def attribute(logical_id: str, name: str) -> str:
        resource = resources.get(logical_id)
        kind = _KINDS[resource.type] if resource else None
        if resource is None or not resource.physical_id or kind is None:
            raise UnresolvedError(f"{logical_id}.{name}")
        if kind.attribute is None:
            raise ProvisionError(f"{resource.type} has no attribute {name} locally")
        try:
            return kind.attribute(aws, resource, name)
        except KeyError:
            raise ProvisionError(f"{resource.type} has no attribute {name} locally") from None

    resolver = Resolver(refs, attribute)

    summaries = _stack_resources(aws, stack_name)
    for resource in native.values():
        physical_id = summaries.get(resource.logical_id)
        if physical_id is None:
            raise ProvisionError(
                f"moto's CloudFormation reported CREATE_COMPLETE without creating "
                f"{resource.logical_id} ({resource.type})"
            )
        resource.physical_id = physical_id
        if not _KINDS[resource.type].ref_property:
            refs[resource.logical_id] = physical_id
    # Properties only once every id is known: a resource may name one defined after it (the
    # bucket names its notification queue). Those whose Ref is a property of theirs first.
    for resource in sorted(native.values(), key=lambda r: not _KINDS[r.type].ref_property):
        kind = _KINDS[resource.type]
        resource.properties = resolver.resolve(resource.template.get("Properties", {}))
        if kind.ref_property:
            physical_id = resource.properties[kind.ref_property]
            resource.physical_id = refs[resource.logical_id] = physical_id

    _create_skipped(aws, resources, resolver)

    for resource in native.values():
        complete = _KINDS[resource.type].complete
        if complete is not None:
            complete(aws, resource.physical_id, resource.properties)

    for resource in resources.values():
        try:
            _KINDS[resource.type].check(aws, resource.physical_id, resource.properties)
        except ProvisionError:
            raise
        except Exception as error:  # any API error here means the resource is not right
            raise _missing(resource, error) from error

    env: dict[str, str] = {}
    for key, output in template.get("Outputs", {}).items():
        try:
            env[_env_name(key)] = str(resolver.resolve(output["Value"]))
        except UnresolvedError as error:
            raise ProvisionError(f"output {key} needs {error}, which has no local value") from None
    return env


def _create_stack(
    aws: _Aws,
    stack_name: str,
    template: dict[str, Any],
    native: dict[str, _Resource],
    stage: str,
) -> str:
    from botocore.exceptions import ClientError

    # Only what moto's CloudFormation implements; Outputs are resolved here, because moto
    # renders some of them wrongly (an EventBus Ref comes back as a Python object's repr).
    # SAM sections (Transform, Globals) belong to the packaged template, not to moto.
    body = {key: value for key, value in template.items() if key in _TEMPLATE_SECTIONS}
    body["Resources"] = {logical_id: _without_inert(r) for logical_id, r in native.items()}
    parameters = (
        [{"ParameterKey": "Stage", "ParameterValue": stage}]
        if "Stage" in template.get("Parameters", {})
        else []
    )
    cloudformation = aws("cloudformation")
    try:
        stack_id = cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(body, separators=(",", ":")),
            Parameters=parameters,
        )["StackId"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "AlreadyExistsException":
            raise ProvisionError(
                f"stack {stack_name} already exists here; provision into a fresh endpoint "
                "(POST /moto-api/reset on a moto server)"
            ) from error
        raise
    status = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        raise ProvisionError(f"stack {stack_name} is {status}, want CREATE_COMPLETE")
    return stack_id


_TEMPLATE_SECTIONS = frozenset({"AWSTemplateFormatVersion", "Description", "Parameters"})


def _without_inert(resource: _Resource) -> dict[str, Any]:
    # Inert properties can still cost: moto creates a KMS key (RSA key generation, ~40 ms)
    # for a table with SSESpecification, and shows no encryption for it anyway.
    inert = _KINDS[resource.type].inert
    body = dict(resource.template)
    if "Properties" in body:
        body["Properties"] = {k: v for k, v in body["Properties"].items() if k not in inert}
    return body


def _stack_resources(aws: _Aws, stack_name: str) -> dict[str, str]:
    paginator = aws("cloudformation").get_paginator("list_stack_resources")
    return {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for page in paginator.paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
        if summary.get("LogicalResourceId")
    }


def _create_skipped(aws: _Aws, resources: dict[str, _Resource], resolver: Resolver) -> None:
    """Create, in dependency order, the resources moto's CloudFormation does not."""
    pending = [r for r in resources.values() if _KINDS[r.type].create is not None]
    while pending:
        ready = [
            r
            for r in pending
            if all(
                resources[ref].physical_id
                for ref in references(r.template) | set(_depends_on(r))
                if ref in resources
            )
        ]
        if not ready:
            raise ProvisionError(
                f"circular references among {sorted(r.logical_id for r in pending)}"
            )
        for resource in ready:
            create = _KINDS[resource.type].create
            assert create is not None
            resource.properties = resolver.resolve(resource.template.get("Properties", {}))
            resource.physical_id = resolver.refs[resource.logical_id] = create(
                aws, resource.properties
            )
            pending.remove(resource)
