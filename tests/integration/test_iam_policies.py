"""Every AWS call a deployed function makes is allowed by that function's policy.

Each entrypoint runs here against moto while a botocore hook notes the IAM action of every
call (TransactWriteItems is authorised per item, so it counts as the items' actions) and the
index a Query reads; the packaged template must grant exactly those, per function.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.adapters.aws import client
from chalicelib.services.ports import VersionConflict
from chalicelib.workers import daily, sla_tick
from chalicelib.workers.table_stream import handle_table_stream_event
from tests.deploy.conftest import Packaged, packaged  # noqa: F401 - the fixture
from tests.integration.test_domain_events import stream_records
from tests.integration.test_tickets_api import AGENT, REQUESTER, patch

pytestmark = pytest.mark.xdist_group("package")

_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem"}  # fmt: skip


# Lambda's event source mappings read the stream and the queues with the consumer's role,
# not the code.
STREAM_READS = {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                "dynamodb:ListStreams"}  # fmt: skip
QUEUE_READS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
# A presigned download link or upload form is used by the browser, with the signing role's
# permission.
PRESIGNED = {"s3:GetObject", "s3:PutObject"}
# Calls whose IAM action has another name. botocore builds a presigned POST from the
# CreateBucket model (its URL serialises as a POST form needs); the form puts an object.
_ACTION_OF = {"s3:HeadObject": "s3:GetObject", "s3:CreateBucket": "s3:PutObject"}


class Calls:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str | None]] = set()

    def note(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        prefix = model.service_model.signing_name
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                (kind,) = item
                self.seen.add((f"{prefix}:{_TRANSACT[kind]}", None))
            return
        action = f"{prefix}:{model.name}"
        self.seen.add((_ACTION_OF.get(action, action), params.get("IndexName")))


@pytest.fixture
def calls(aws_env: dict[str, str]):
    """A recorder on the app's own clients; reset between entrypoints by the test."""
    recorder = Calls()
    for service in ("dynamodb", "events", "sqs", "cognito-idp", "s3", "ses"):
        client(service).meta.events.register("before-parameter-build", recorder.note)
    return recorder


def granted(template: Packaged, *functions: str) -> tuple[set[str], set[str]]:
    actions: set[str] = set()
    indexes: set[str] = set()
    statements = [s for f in functions for s in template.statements(f)]
    for statement in statements:
        listed = statement["Action"]
        actions |= set(listed if isinstance(listed, list) else [listed])
        resources = statement.get("Resource")
        for resource in resources if isinstance(resources, list) else [resources]:
            if isinstance(resource, dict) and "Fn::Sub" in resource:
                indexes.add(resource["Fn::Sub"].rsplit("/index/", 1)[-1])
    return actions, indexes


def assert_allowed(template: Packaged, seen: set[tuple[str, str | None]], *functions: str):
    """What the functions that served a request or an event did is what their roles grant."""
    actions, indexes = granted(template, *functions)
    assert seen, f"nothing was recorded for {functions}"
    missing = sorted(action for action, _ in seen if action not in actions)
    assert not missing, f"{functions} call {missing} without permission"
    unindexed = sorted(i for _, i in seen if i and i not in indexes and "*" not in indexes)
    assert not unindexed, f"{functions} query indexes {unindexed} they may not read"
    # And nothing more: every data action granted is one the code was seen to use (logs and
    # the stream reads of Lambda's event source mapping aside).
    unused = {a for a in actions if not a.startswith("logs:")} - {a for a, _ in seen}
    unused -= STREAM_READS | QUEUE_READS | PRESIGNED
    assert not unused, f"{functions} are granted {sorted(unused)} they never use"


def test_given_the_api_then_each_of_its_calls_is_granted(api, aws_env, calls, packaged):  # noqa: F811
    from tests.integration.test_mail import Mailroom

    key = api.call("POST", "/v1/api-keys", as_="admin@demo.example.com",
                   body={"name": "crm", "role": "agent"}).json_body  # fmt: skip
    # The requester mails in a file, so that erasing them below deletes files too.
    Mailroom(aws_env).send(_with_attachment("support@demo.example.com", REQUESTER))
    hook, delivery = _webhook_with_a_delivery(api)
    calls.seen.clear()  # the logins above went through the API too, and are recorded below
    api.sign_out_everyone()
    wiring.sla_settings().forget()  # a cold container reads the SLA settings
    number = api.create_ticket()["number"]
    patch(api, number, {"status": "open", "assignee": AGENT}, 1)
    for path, body in (
        ("messages", {"body": "On it"}),
        ("time", {"minutes": 5}),
        ("escalate", {"tier": 2, "reason": "network"}),
    ):
        assert api.call(
            "POST", f"/v1/tickets/{number}/{path}", as_=AGENT, body=body
        ).status_code in (200, 201)
    for path in ("/v1/tickets", f"/v1/tickets/{number}/messages", f"/v1/tickets/{number}/events",
                 "/v1/me", "/v1/api-keys", "/v1/business-hours", "/v1/sla-policies"):  # fmt: skip
        assert (
            api.call(
                "GET", path, as_=AGENT if "api-keys" not in path else "admin@demo.example.com"
            ).status_code
            == 200
        )
    assert api.call("GET", "/v1/tickets", as_=key["key"]).status_code == 200
    assert api.call("GET", f"/v1/tickets?requester={REQUESTER}", as_=AGENT).status_code == 200
    assert (
        api.call("DELETE", f"/v1/api-keys/{key['id']}", as_="admin@demo.example.com").status_code
        == 204
    )
    # GDPR access and erasure: the requester's tickets, records, profile and Cognito account.
    admin = "admin@demo.example.com"
    assert api.call("GET", f"/v1/requesters/{REQUESTER}/export", as_=admin).status_code == 200
    assert api.call("DELETE", f"/v1/requesters/{REQUESTER}", as_=admin).status_code == 204
    onboard = {"id": "globex", "name": "Globex", "inbound_address": "hd@globex.example.com",
               "admin_email": "it@globex.example.com", "admin_name": "Ilse"}  # fmt: skip
    assert (
        api.call("POST", "/v1/tenants", as_="operator@demo.example.com", body=onboard).status_code
        == 201
    )
    # Webhooks: register, list, read with the log, change, redeliver (queued), delete.
    admin_hooks = "/v1/webhooks"
    assert api.call("POST", admin_hooks, as_=admin, body=WEBHOOK).status_code == 201
    for path in (admin_hooks, f"{admin_hooks}/{hook}"):
        assert api.call("GET", path, as_=admin).status_code == 200
    assert api.call("PATCH", f"{admin_hooks}/{hook}", as_=admin, body={"events": ["*"]},
                    headers={"If-Match": '"1"'}).status_code == 200  # fmt: skip
    assert api.call("POST", f"{admin_hooks}/{hook}/redeliver", as_=admin,
                    body={"delivery": delivery}).status_code == 202  # fmt: skip
    assert api.call("DELETE", f"{admin_hooks}/{hook}", as_=admin).status_code == 204
    _use_macros_and_announcements(api, number)
    upload = {"filename": "a.png", "content_type": "image/png", "size": 3}
    assert api.call("POST", f"/v1/tickets/{number}/attachments", as_=AGENT,
                    body=upload).status_code == 201  # fmt: skip
    # The authorizer runs inside each request; its own calls are checked alone below.
    assert_allowed(packaged, calls.seen, "APIHandler", "Bearer")


def _use_macros_and_announcements(api: Any, number: int) -> None:
    supervisor = "supervisor@demo.example.com"
    macro = {"name": "Thanks", "body": {"en": "Thanks {{requester_name}}"}, "scope": "shared"}
    made = api.call("POST", "/v1/macros", as_=supervisor, body=macro).json_body
    path = f"/v1/macros/{made['id']}"
    assert api.call("GET", "/v1/macros", as_=AGENT).status_code == 200
    answer = api.call("POST", f"{path}/render", as_=AGENT, body={"ticket": number})
    assert answer.status_code == 200
    assert api.call("PUT", path, as_=supervisor, body=macro, headers={"If-Match": '"1"'}
                    ).status_code == 200  # fmt: skip
    assert api.call("DELETE", path, as_=supervisor).status_code == 204
    now = datetime.now(UTC)
    later = now + timedelta(hours=1)
    notice = {"title": {"en": "Maintenance"}, "body": {"en": "Tonight"},
              "starts_at": now.isoformat(), "ends_at": later.isoformat(),
              "mail_requesters": True}  # fmt: skip
    # Watchers: add (with its event), list, remove.
    watchers = f"/v1/tickets/{number}/watchers"
    assert api.call("POST", watchers, as_=AGENT, body={"email": supervisor}).status_code == 201
    assert api.call("GET", watchers, as_=AGENT).status_code == 200
    assert api.call("DELETE", f"{watchers}/{supervisor}", as_=AGENT).status_code == 204
    made = api.call("POST", "/v1/announcements", as_=supervisor, body=notice).json_body
    assert api.call("GET", "/v1/announcements?tenant=demo").status_code == 200
    assert api.call("GET", "/v1/announcements?include=past", as_=supervisor).status_code == 200
    assert api.call("DELETE", f"/v1/announcements/{made['id']}", as_=supervisor
                    ).status_code == 204  # fmt: skip


def test_given_the_authorizer_then_an_api_key_lookup_is_its_only_call(api, calls, packaged):  # noqa: F811
    from chalicelib.services import identity

    key = api.call("POST", "/v1/api-keys", as_="admin@demo.example.com",
                   body={"name": "crm", "role": "agent"}).json_body  # fmt: skip
    calls.seen.clear()
    identity.authenticate(f"Bearer {key['key']}")
    assert_allowed(packaged, calls.seen, "Bearer")


def test_given_the_schedules_then_the_sweep_and_daily_job_calls_are_granted(
    api,
    aws_env,
    calls,
    packaged,  # noqa: F811
    monkeypatch,
):
    from tests.integration.test_mail import Mailroom

    now = datetime.now(UTC)
    # A mailed ticket with a file: when retention deletes it, its files go too.
    Mailroom(aws_env).send(_with_attachment("support@demo.example.com", REQUESTER))
    (mailed,) = api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"]
    patch(api, mailed["number"], {"status": "resolved"}, mailed["version"])
    api.create_ticket(impact="high", urgency="high")
    calls.seen.clear()
    wiring.sla_settings().forget()
    # The sweep re-reads a ticket that changed under it: make that happen once.
    repository = wiring.ticket_service().tickets
    original_save = repository.save

    def conflict_once(*args):
        monkeypatch.setattr(repository, "save", original_save)
        raise VersionConflict()

    monkeypatch.setattr(repository, "save", conflict_once)
    assert sla_tick.sweep(now + timedelta(hours=1))["breaches"] == 1
    # The hourly inbound-silence check runs in the same function (the mail above was noted).
    assert sla_tick.watch_inbound(now + timedelta(hours=2)) == []
    assert_allowed(packaged, calls.seen, "HandleSlaTick")
    calls.seen.clear()
    wiring.sla_settings().forget()
    assert daily.run(now + timedelta(days=30))["closed"] == {"demo": 1}
    # Years later the retention period is over: the closed ticket and its files go.
    assert daily.run(now + timedelta(days=800))["purged"] == {"demo": 1}
    assert_allowed(packaged, calls.seen, "HandleDaily")


def test_given_the_stream_consumer_then_its_calls_are_granted(
    api,
    aws_env,
    calls,
    packaged,  # noqa: F811
    monkeypatch,
):
    assert api.call("POST", "/v1/webhooks", as_=ADMIN, body=WEBHOOK).status_code == 201
    api.create_ticket(impact="high", urgency="high")
    sla_tick.sweep(datetime.now(UTC) + timedelta(hours=1))
    records = stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])
    calls.seen.clear()
    wiring.sla_settings().forget()  # a cold container reads the calendar to count metrics
    # A webhook delivery whose message cannot be queued is undone, and its record retried.
    fanout = wiring.webhook_fanout()
    queue = fanout.enqueue

    def fail_once(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(fanout, "enqueue", queue)
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(fanout, "enqueue", fail_once)
    assert handle_table_stream_event({"Records": records})["batchItemFailures"]
    assert handle_table_stream_event({"Records": records}) == {"batchItemFailures": []}
    assert_allowed(packaged, calls.seen, "HandleTableStream")
    actions, _ = granted(packaged, "HandleTableStream")
    assert actions >= STREAM_READS


def test_given_the_mail_workers_then_their_calls_are_granted(
    api,
    aws_env,
    calls,
    packaged,  # noqa: F811
    monkeypatch,
):
    from chalicelib.settings import get_settings
    from tests.integration.test_mail import Mailroom, mail

    monkeypatch.setenv("BALIE_MAIL_MAX_FILE_BYTES", "20")
    get_settings.cache_clear()
    wiring.reset()
    room = Mailroom(aws_env)
    # A new mail (a requester profile, the ticket, the acknowledgement), then a reply to it
    # with one attachment kept and one refused.
    room.send(mail())
    (ack,) = room.sent_to(STRANGER)
    _least_loaded_rule(api)
    calls.seen.clear()
    _deliver_only(room, _with_attachment(ack["Reply-To"]), ack["Reply-To"])
    # A new mail a routing rule assigns to the least-loaded agent of a group.
    _deliver_only(room, mail(sender="kim@customer.example.org", subject="Printer"), DESK)
    # A mail whose raw MIME is missing fails and stays queued; its idempotency record goes.
    _fail_one(room)
    assert_allowed(packaged, calls.seen, "HandleInboundEmail")

    records = stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])[room.seen_stream :]
    room.seen_stream += len(records)
    room.stream({"Records": records})
    # An announcement mailed to the requesters one per page: each page queues the next.
    from chalicelib.services import notify

    monkeypatch.setattr(notify, "ANNOUNCEMENT_BATCH", 1)
    _announce_by_mail(api)
    calls.seen.clear()
    assert room.outbound.drain()
    assert_allowed(packaged, calls.seen, "HandleNotification")


def _announce_by_mail(api: Any) -> None:
    now = datetime.now(UTC)
    notice = {"title": {"en": "Maintenance"}, "body": {"en": "Tonight"},
              "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat(),
              "mail_requesters": True}  # fmt: skip
    answer = api.call("POST", "/v1/announcements", as_="supervisor@demo.example.com", body=notice)
    assert answer.status_code == 201, answer.body


STRANGER = "pat@customer.example.org"
DESK = "support@demo.example.com"


def _least_loaded_rule(api: Any) -> None:
    rule = {
        "name": "Least loaded",
        "conditions": [{"type": "text", "op": "any", "terms": ["printer"]}],
        "actions": [{"type": "assign", "strategy": "least_loaded", "group": "servicedesk"}],
    }
    answer = api.call("POST", "/v1/rules", as_="supervisor@demo.example.com", body=rule)
    assert answer.status_code == 201, answer.body


def _deliver_only(room: Any, raw: bytes, to: str) -> None:
    from local.mail_intake import deliver

    env = room.env
    deliver(raw, [to], bucket=env["BALIE_BUCKET_NAME"], queue_url=env["BALIE_INBOUND_QUEUE_URL"])
    assert room.inbound.drain()


def _fail_one(room: Any) -> None:
    from local.mail_intake import ses_notification, sns_envelope
    from local.queues import lambda_event

    env = room.env
    notice = ses_notification("lost", env["BALIE_BUCKET_NAME"], "raw-mail/lost", b"", [DESK])
    message = {"MessageId": "m-lost", "ReceiptHandle": "r", "Body": sns_envelope(notice)}
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    # A batch that failed as a whole raises, so that Lambda hands all of it out again.
    with pytest.raises(BatchProcessingError):
        room.inbound.handler(lambda_event([message], env["BALIE_INBOUND_QUEUE_ARN"]))


def _with_attachment(to: str, sender: str = STRANGER) -> bytes:
    from email.message import EmailMessage
    from email.utils import make_msgid

    message = EmailMessage()
    message["From"] = f"Pat <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: Laptop"
    message["Message-ID"] = make_msgid()
    message.set_content("Photo attached.")
    message.add_attachment(b"png", maintype="image", subtype="png", filename="photo.png")
    # Over the limit: not kept, and the sender is told.
    message.add_attachment(b"png" * 10, maintype="image", subtype="png", filename="big.png")
    return message.as_bytes()


ADMIN = "admin@demo.example.com"
# An address literal: registering it needs no DNS.
WEBHOOK = {"url": "https://93.184.216.34/balie", "events": ["ticket.created"]}


def _webhook_with_a_delivery(api: Any) -> tuple[str, str]:
    from chalicelib.adapters.dynamo.webhooks import DynamoWebhooks
    from chalicelib.domain.tickets import new_id
    from chalicelib.domain.webhooks import Delivery
    from chalicelib.settings import get_settings

    hook = api.call("POST", "/v1/webhooks", as_=ADMIN, body=WEBHOOK).json_body["id"]
    event = new_id()
    delivery = Delivery(tenant="demo", webhook=hook, id=event, event_type="ticket.created",
                        payload="{}", status="failed", round=1, attempt=6, attempts=6,
                        created_at="2026-11-23T09:30:00Z")  # fmt: skip
    table = get_settings().table_name
    assert DynamoWebhooks(table).create_delivery(delivery, datetime.now(UTC))
    return hook, event


def test_given_the_webhook_worker_then_its_calls_are_granted(
    api,
    aws_env,
    calls,
    packaged,  # noqa: F811
    monkeypatch,
):
    import json

    from chalicelib.adapters import webhook_http
    from chalicelib.adapters.dynamo.webhooks import DynamoWebhooks
    from chalicelib.workers.webhooks import handle_webhook_delivery_event
    from local.queues import lambda_event

    hook = api.call("POST", "/v1/webhooks", as_=ADMIN, body=WEBHOOK).json_body["id"]
    store = DynamoWebhooks(aws_env["BALIE_TABLE_NAME"])
    for _ in range(4):  # one more failed delivery disables it, and mails its admin
        store.count_failed_delivery("demo", hook)
    api.create_ticket()
    handle_table_stream_event({"Records": stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])})
    (queued,) = client("sqs").receive_message(QueueUrl=aws_env["BALIE_WEBHOOKS_QUEUE_URL"])[
        "Messages"
    ]
    request = json.loads(queued["Body"])
    monkeypatch.setattr(webhook_http, "post", lambda *args: webhook_http.Answer(500, None, 1))
    wiring.reset()
    calls.seen.clear()
    for attempt in range(1, 7):
        body = json.dumps({**request, "attempt": attempt})
        message = {"MessageId": f"m{attempt}", "ReceiptHandle": "r", "Body": body}
        event = lambda_event([message], aws_env["BALIE_WEBHOOKS_QUEUE_ARN"])
        assert handle_webhook_delivery_event(event) == {"batchItemFailures": []}
    webhook, _ = store.get("demo", hook) or (None, None)
    assert webhook is not None and webhook.status == "disabled"
    assert_allowed(packaged, calls.seen, "HandleWebhookDelivery")


def test_given_the_uploads_worker_then_its_calls_are_granted(
    api,
    aws_env,
    calls,
    packaged,  # noqa: F811
):
    import requests

    from chalicelib.workers.uploads import handle_upload_event
    from local.queues import QueuePoller

    number = api.create_ticket()["number"]
    path = f"/v1/tickets/{number}/attachments"
    for content, declared in ((b"png", 3), (b"too long", 3)):  # stored, and refused
        body = {"filename": "a.png", "content_type": "image/png", "size": declared}
        form = api.call("POST", path, as_=REQUESTER, body=body).json_body["upload"]
        answer = requests.post(form["url"], data=form["fields"], timeout=10,
                               files={"file": ("a.png", content, "image/png")})  # fmt: skip
        assert answer.status_code == 204
    wiring.reset()
    calls.seen.clear()
    poller = QueuePoller(aws_env["BALIE_UPLOADS_QUEUE_URL"], aws_env["BALIE_UPLOADS_QUEUE_ARN"],
                         handle_upload_event, "uploads")  # fmt: skip
    assert poller.drain() >= 2
    seen = {(action, index) for action, index in calls.seen if not action.startswith("sqs:")}
    assert_allowed(packaged, seen, "HandleAttachmentUpload")
