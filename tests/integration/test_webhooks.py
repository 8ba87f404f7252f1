"""Webhooks end to end on moto: the admin API, the stream's fan-out, and the delivery worker
calling a real HTTP server on this machine (loopback admitted by the test-only setting)."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters import webhook_http
from chalicelib.domain import webhooks as rules
from chalicelib.settings import Settings, get_settings
from tests.integration.test_domain_events import stream_records

ADMIN = "admin@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"
HOOK = "https://hooks.example.com/balie"
# What the fake resolver answers; no test needs the network's DNS.
DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "rebind.example.com": ["10.0.0.7"],
    "mixed.example.com": ["93.184.216.34", "169.254.169.254"],
}


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    answers = dict(DNS)
    monkeypatch.setattr(webhook_http, "resolve", lambda host, port: answers.get(host, []))
    wiring.reset()
    return answers


def register(api: Any, url: str = HOOK, as_: str = ADMIN, **fields: Any) -> Any:
    body = {"url": url, "events": ["ticket.created"], **fields}
    return api.call("POST", "/v1/webhooks", as_=as_, body=body)


# --- the admin API ------------------------------------------------------------------------


def test_given_an_admin_when_registering_then_the_secret_is_shown_once(api, dns):
    created = register(api, description="CRM")
    assert created.status_code == 201, created.body
    body = created.json_body
    assert body["secret"].startswith("whsec_")
    assert body["status"] == "active" and body["events"] == ["ticket.created"]
    assert body["contact_email"] == ADMIN
    assert created.headers["Location"] == f"/v1/webhooks/{body['id']}"
    assert created.headers["Cache-Control"] == "no-store"

    listed = api.call("GET", "/v1/webhooks", as_=ADMIN)
    one = api.call("GET", f"/v1/webhooks/{body['id']}", as_=ADMIN)
    assert [w["id"] for w in listed.json_body["items"]] == [body["id"]]
    assert one.json_body["deliveries"] == [] and one.headers["ETag"] == '"1"'
    for answer in (listed, one):
        assert body["secret"] not in answer.body.decode()
        assert "secret" not in json.dumps(answer.json_body)


@pytest.mark.parametrize(
    "who", ["requester@demo.example.com", "agent@demo.example.com", "supervisor@demo.example.com"]
)
def test_given_a_non_admin_then_webhooks_are_forbidden(api, dns, who):
    hook_id = register(api).json_body["id"]
    assert register(api, as_=who).status_code == 403
    assert api.call("GET", "/v1/webhooks", as_=who).status_code == 403
    assert api.call("GET", f"/v1/webhooks/{hook_id}", as_=who).status_code == 403
    assert api.call("DELETE", f"/v1/webhooks/{hook_id}", as_=who).status_code == 403


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("http://hooks.example.com/balie", ["ticket.created"], "url"),
        ("https://10.0.0.1/balie", ["ticket.created"], "url"),
        ("https://[::ffff:127.0.0.1]/balie", ["ticket.created"], "url"),
        ("https://2130706433/balie", ["ticket.created"], "url"),
        ("https://rebind.example.com/balie", ["ticket.created"], "url"),
        ("https://mixed.example.com/balie", ["ticket.created"], "url"),
        ("https://nowhere.example.com/balie", ["ticket.created"], "url"),
        ("https://127.0.0.1:8443/balie", ["ticket.created"], "url"),
        (HOOK, ["ticket.deleted"], "events"),
        (HOOK, [], "events"),
    ],
)
def test_given_a_refused_target_or_event_then_it_is_422_naming_the_field(
    api, dns, url, events, field
):
    answer = api.call("POST", "/v1/webhooks", as_=ADMIN, body={"url": url, "events": events})
    assert answer.status_code == 422, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json_body["errors"]]


def test_given_the_loopback_setting_then_it_is_off_unless_set():
    assert Settings.model_fields["webhooks_allow_loopback"].default is False
    assert get_settings().webhooks_allow_loopback is False


def test_given_an_admin_api_key_then_a_contact_address_is_required(api, dns):
    key = api.call("POST", "/v1/api-keys", as_=ADMIN,
                   body={"name": "ops", "role": "admin"}).json_body["key"]  # fmt: skip
    answer = register(api, as_=key)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json_body["errors"]] == ["contact_email"]
    created = register(api, as_=key, contact_email="Ops@Demo.example.com")
    assert created.status_code == 201
    assert created.json_body["contact_email"] == "ops@demo.example.com"


def test_given_another_tenants_webhook_then_it_does_not_exist(api, dns):
    hook_id = register(api).json_body["id"]
    assert api.call("GET", f"/v1/webhooks/{hook_id}", as_=ACME_ADMIN).status_code == 404
    assert api.call("DELETE", f"/v1/webhooks/{hook_id}", as_=ACME_ADMIN).status_code == 404
    patched = api.call("PATCH", f"/v1/webhooks/{hook_id}", as_=ACME_ADMIN,
                       body={"status": "disabled"}, headers={"If-Match": '"1"'})  # fmt: skip
    assert patched.status_code == 404
    assert api.call("GET", "/v1/webhooks", as_=ACME_ADMIN).json_body["items"] == []
    assert api.call("GET", f"/v1/webhooks/{hook_id}", as_=ADMIN).status_code == 200


def test_given_a_webhook_when_deleted_then_it_is_gone(api, dns):
    hook_id = register(api).json_body["id"]
    assert api.call("DELETE", f"/v1/webhooks/{hook_id}", as_=ADMIN).status_code == 204
    assert api.call("GET", f"/v1/webhooks/{hook_id}", as_=ADMIN).status_code == 404
    assert api.call("DELETE", f"/v1/webhooks/{hook_id}", as_=ADMIN).status_code == 404
    assert api.call("GET", "/v1/webhooks/not-an-id", as_=ADMIN).status_code == 404


def test_given_a_patch_then_it_needs_the_current_version(api, dns):
    hook_id = register(api).json_body["id"]
    path = f"/v1/webhooks/{hook_id}"
    change = {"status": "disabled", "events": ["*"]}
    assert api.call("PATCH", path, as_=ADMIN, body=change).status_code == 428
    stale = api.call("PATCH", path, as_=ADMIN, body=change, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    done = api.call("PATCH", path, as_=ADMIN, body=change, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.body
    assert (done.json_body["status"], done.json_body["events"]) == ("disabled", ["*"])
    assert done.headers["ETag"] == '"2"'


def test_given_ten_webhooks_then_an_eleventh_is_a_conflict(api, dns):
    for n in range(rules.MAX_PER_TENANT):
        assert register(api, url=f"{HOOK}/{n}").status_code == 201
    assert register(api).status_code == 409


# --- fan-out and delivery -----------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]) -> Iterator[Receiver]:
    monkeypatch.setenv("BALIE_WEBHOOKS_ALLOW_LOOPBACK", "1")
    get_settings.cache_clear()
    wiring.reset()
    with Receiver() as receiver:
        yield receiver


class Queues:
    """The webhooks and notifications queues, fed to their workers as Lambda would."""

    def __init__(self, env: dict[str, str]) -> None:
        from chalicelib.workers.notifications import handle_notification_event
        from chalicelib.workers.webhooks import handle_webhook_delivery_event
        from local.queues import QueuePoller

        self.env = env
        self.webhooks = QueuePoller(env["BALIE_WEBHOOKS_QUEUE_URL"],
                                    env["BALIE_WEBHOOKS_QUEUE_ARN"],
                                    handle_webhook_delivery_event, "webhooks")  # fmt: skip
        self.notifications = QueuePoller(env["BALIE_NOTIFICATIONS_QUEUE_URL"],
                                         env["BALIE_NOTIFICATIONS_QUEUE_ARN"],
                                         handle_notification_event, "notifications")  # fmt: skip
        self.seen = 0

    def stream(self) -> dict[str, Any]:
        """New stream records through the consumer, each twice (the stream may repeat)."""
        from chalicelib.workers.table_stream import handle_table_stream_event

        records = stream_records(self.env["BALIE_TABLE_STREAM_ARN"])[self.seen :]
        self.seen += len(records)
        return handle_table_stream_event({"Records": records + records})


def test_given_a_subscribed_webhook_when_a_ticket_is_filed_then_one_signed_post_arrives(
    api, loopback
):
    queues = Queues(api_env := _env())
    created = register(api, url=loopback.url, events=["ticket.created", "message.added"])
    assert created.status_code == 201, created.body
    secret, hook_id = created.json_body["secret"], created.json_body["id"]
    other = register(api, url=loopback.url + "/sla", events=["sla.breached"]).json_body["id"]
    number = api.create_ticket()["number"]

    assert queues.stream() == {"batchItemFailures": []}
    assert queues.webhooks.drain() == 1  # once, whatever the stream repeated
    assert queues.webhooks.drain() == 0

    (request,) = loopback.requests
    event = json.loads(request["body"])
    assert set(event) == {"id", "type", "occurred_at", "tenant", "data"}
    assert (event["type"], event["tenant"], event["data"]["ticket"]) == (
        "ticket.created", "demo", number,
    )  # fmt: skip
    headers = request["headers"]
    assert request["path"] == "/hook"
    assert headers["Content-Type"] == "application/json"
    assert headers["Balie-Event-Id"] == event["id"]
    timestamp = int(headers["Balie-Signature"].split(",")[0].removeprefix("t="))
    assert rules.verify(secret, request["body"], headers["Balie-Signature"], now=timestamp)
    assert not rules.verify("whsec_wrong", request["body"], headers["Balie-Signature"], timestamp)

    log = api.call("GET", f"/v1/webhooks/{hook_id}", as_=ADMIN).json_body["deliveries"]
    assert [(d["id"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        (event["id"], "delivered", 1, 204)
    ]
    assert api.call("GET", f"/v1/webhooks/{other}", as_=ADMIN).json_body["deliveries"] == []
    assert api_env["BALIE_WEBHOOKS_QUEUE_URL"]


def test_given_another_tenants_event_then_no_webhook_of_this_tenant_hears_it(api, loopback):
    queues = Queues(_env())
    register(api, url=loopback.url, events=["*"])
    api.create_ticket(as_="requester@acme.example.com")
    assert queues.stream() == {"batchItemFailures": []}
    assert queues.webhooks.drain() == 0
    assert loopback.requests == []


class Retries:
    """The worker's next attempts, kept instead of waiting out their SQS delay."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], int]] = []

    def __call__(self, message: dict[str, Any], delay_seconds: int = 0) -> None:
        self.messages.append((message, delay_seconds))


def test_given_a_failing_receiver_then_attempts_back_off_and_five_failed_deliveries_disable_it(
    api, loopback, monkeypatch
):
    from chalicelib.adapters import webhook_queue

    queues = Queues(_env())
    hook_id = register(api, url=loopback.url).json_body["id"]
    loopback.status = 302  # a redirect is not followed: it is a failure like a 500
    retries = Retries()
    monkeypatch.setattr(webhook_queue, "enqueue", retries)
    wiring.reset()
    deliverer = wiring.webhook_deliverer()
    for _ in range(rules.DISABLE_AFTER_FAILED_DELIVERIES):
        api.create_ticket()
        queues.stream()
        first, _ = retries.messages.pop()
        outcomes, delays = [deliverer.deliver(first)], []
        while retries.messages:
            message, delay = retries.messages.pop()
            delays.append(delay)
            outcomes.append(deliverer.deliver(message))
        assert delays == list(rules.RETRY_DELAYS)
        assert outcomes == ["retrying"] * len(rules.RETRY_DELAYS) + ["failed"]

    assert len(loopback.requests) == rules.DISABLE_AFTER_FAILED_DELIVERIES * rules.MAX_ATTEMPTS
    assert {r["path"] for r in loopback.requests} == {"/hook"}  # never followed elsewhere
    hook = api.call("GET", f"/v1/webhooks/{hook_id}", as_=ADMIN).json_body
    assert hook["status"] == "disabled"
    assert hook["consecutive_failures"] == rules.DISABLE_AFTER_FAILED_DELIVERIES
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in hook["deliveries"]} == {
        ("failed", rules.MAX_ATTEMPTS, 302)
    }

    # The admin named on the webhook is told, once, in their language (demo: nl).
    queues.notifications.drain()
    (told,) = [m for m in _sent_mail() if m["To"] == ADMIN]
    assert told["Subject"].startswith("Webhook uitgeschakeld")
    assert f"PATCH /v1/webhooks/{hook_id}" in told.get_body(("plain",)).get_content()

    # A disabled webhook gets nothing more: the fan-out's cache (15 s) may still queue an
    # event for it, but the worker reads the webhook itself and skips it.
    api.create_ticket()
    queues.stream()
    for message, _ in retries.messages:
        assert deliverer.deliver(message) == "skipped"
    assert len(loopback.requests) == rules.DISABLE_AFTER_FAILED_DELIVERIES * rules.MAX_ATTEMPTS


def test_given_a_disabled_webhook_when_re_enabled_and_redelivered_then_the_delivery_arrives(
    api, loopback, monkeypatch
):
    queues = Queues(_env())
    created = register(api, url=loopback.url).json_body
    hook_id = created["id"]
    api.create_ticket()
    loopback.status = 500
    queues.stream()
    assert queues.webhooks.drain() == 1
    (delivery,) = api.call("GET", f"/v1/webhooks/{hook_id}", as_=ADMIN).json_body["deliveries"]
    assert (delivery["status"], delivery["last_status_code"]) == ("retrying", 500)
    assert delivery["next_attempt_at"]

    disable = api.call("PATCH", f"/v1/webhooks/{hook_id}", as_=ADMIN,
                       body={"status": "disabled"}, headers={"If-Match": '"1"'})  # fmt: skip
    assert disable.status_code == 200
    path = f"/v1/webhooks/{hook_id}/redeliver"
    body = {"delivery": delivery["id"]}
    assert api.call("POST", path, as_=ADMIN, body=body).status_code == 409
    enable = api.call("PATCH", f"/v1/webhooks/{hook_id}", as_=ADMIN,
                      body={"status": "active"}, headers={"If-Match": '"2"'})  # fmt: skip
    assert enable.json_body["status"] == "active"

    loopback.status = 200
    again = api.call("POST", path, as_=ADMIN, body=body)
    assert again.status_code == 202, again.body
    assert again.json_body["status"] == "pending"
    assert queues.webhooks.drain() == 1
    (delivery,) = api.call("GET", f"/v1/webhooks/{hook_id}", as_=ADMIN).json_body["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered", 2, 200,
    )  # fmt: skip
    bodies = {r["body"] for r in loopback.requests}
    assert len(loopback.requests) == 2 and len(bodies) == 1  # the same event, re-signed
    unknown = api.call("POST", path, as_=ADMIN, body={"delivery": "0" * 26})
    assert unknown.status_code == 404
    other = api.call("POST", path, as_=ACME_ADMIN, body=body)
    assert other.status_code == 404


def test_given_a_duplicate_or_stale_message_then_nothing_is_sent_twice(api, loopback):
    queues = Queues(_env())
    register(api, url=loopback.url)
    api.create_ticket()
    queues.stream()
    sqs = boto3.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=_env()["BALIE_WEBHOOKS_QUEUE_URL"])["Messages"]
    request = json.loads(message["Body"])
    deliverer = wiring.webhook_deliverer()
    assert deliverer.deliver(request) == "delivered"
    assert deliverer.deliver(request) == "duplicate"
    assert deliverer.deliver({**request, "round": 7}) == "superseded"
    assert len(loopback.requests) == 1


def test_given_a_name_that_now_resolves_to_a_private_address_then_the_attempt_is_refused(
    api, aws_env, dns, monkeypatch
):
    """DNS rebinding: vetted at registration, re-pointed afterwards, refused at delivery."""
    queues = Queues(aws_env)
    register(api, url="https://hooks.example.com/balie")
    dns["hooks.example.com"] = ["127.0.0.1"]
    sent: list[Any] = []
    monkeypatch.setattr(webhook_http, "post", lambda *args: sent.append(args))
    wiring.reset()
    api.create_ticket()
    queues.stream()
    assert queues.webhooks.drain() == 1
    assert sent == []
    (hook,) = api.call("GET", "/v1/webhooks", as_=ADMIN).json_body["items"]
    (delivery,) = api.call("GET", f"/v1/webhooks/{hook['id']}", as_=ADMIN).json_body["deliveries"]
    assert delivery["status"] == "retrying"
    assert delivery["last_error"].startswith("refused: Webhooks may not call private networks")


def test_given_a_public_name_then_the_connection_goes_to_the_vetted_address(
    api, aws_env, dns, monkeypatch
):
    queues = Queues(aws_env)
    created = register(api, url="https://hooks.example.com:8443/in?x=1").json_body
    calls: list[tuple[Any, ...]] = []

    def post(target, address, body, headers, timeout):
        calls.append((target.host, target.port, target.path, str(address), timeout))
        return webhook_http.Answer(200, None, 3)

    monkeypatch.setattr(webhook_http, "post", post)
    wiring.reset()
    api.create_ticket()
    queues.stream()
    queues.webhooks.drain()
    assert calls == [("hooks.example.com", 8443, "/in?x=1", "93.184.216.34", 5.0)]
    assert created["id"]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k.startswith("BALIE_")}


def _sent_mail() -> list[Any]:
    from tests.integration.test_mail import Mailroom

    return Mailroom(_env()).sent()


def test_given_a_message_in_the_webhooks_dead_letter_queue_then_replay_dlq_moves_it_back(
    aws_env,
):
    from local.replay_dlq import QUEUES, replay

    dead, live = (aws_env[name] for name in QUEUES["webhooks"])
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=dead, MessageBody='{"tenant":"demo"}')
    assert replay(sqs, dead, live) == 1
    (message,) = sqs.receive_message(QueueUrl=live)["Messages"]
    assert message["Body"] == '{"tenant":"demo"}'
