"""An integrator's day over real HTTP against `make run`: sign in, key, tickets, audit, bus."""

import json

import boto3
import pytest
import requests

from local.moto_server import aws_env
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

PASSWORD = "Balie-demo-2026!"


class Caller:
    def __init__(self, stack: Stack, token: str) -> None:
        self.base = stack.api
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            return self.session.request(method.upper(), self.base + path, timeout=10, **kwargs)

        return call


def sign_in(stack: Stack, email: str) -> Caller:
    answer = requests.post(
        f"{stack.api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return Caller(stack, answer.json()["id_token"])


def bus_queue(stack: Stack) -> tuple[object, str]:
    """An SQS queue on the stack's moto that receives everything on the balie bus."""
    env = aws_env(stack.moto_port)
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    sqs = session.client("sqs", endpoint_url=stack.moto)
    events = session.client("events", endpoint_url=stack.moto)
    url = sqs.create_queue(QueueName="journey-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = next(b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default")
    events.put_rule(
        Name="journey", EventBusName=bus, EventPattern=json.dumps({"source": ["balie"]})
    )
    events.put_targets(Rule="journey", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def test_given_the_demo_stack_when_an_integrator_works_a_ticket_then_all_of_it_holds(stack):
    sqs, queue = bus_queue(stack)
    admin = sign_in(stack, "admin@demo.example.com")
    me = admin.get("/v1/me").json()
    assert (me["tenant"], me["role"]) == ("demo", "admin")

    created_key = admin.post("/v1/api-keys", json={"name": "CRM", "role": "agent"})
    assert created_key.status_code == 201
    integrator = Caller(stack, created_key.json()["key"])

    filed = integrator.post(
        "/v1/tickets",
        json={
            "subject": "Kassa 2 start niet op",
            "description": "Gemeld via het CRM",
            "requester_email": "requester@demo.example.com",
            "impact": "high",
            "urgency": "high",
        },
        headers={"Idempotency-Key": "crm-4711"},
    )
    assert filed.status_code == 201, filed.text
    ticket = filed.json()
    assert ticket["priority"] == "P1"
    number = ticket["number"]

    requester = sign_in(stack, "requester@demo.example.com")
    mine = [t["number"] for t in requester.get("/v1/tickets?limit=100").json()["items"]]
    assert number in mine
    assert requester.post(f"/v1/tickets/{number}/messages", json={"body": "Nog steeds"}).ok

    agent = sign_in(stack, "agent@demo.example.com")
    changed = agent.patch(
        f"/v1/tickets/{number}", json={"status": "open"}, headers={"If-Match": '"2"'}
    )
    assert changed.status_code == 200, changed.text
    stale = agent.patch(
        f"/v1/tickets/{number}", json={"status": "pending"}, headers={"If-Match": '"2"'}
    )
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"

    trail = agent.get(f"/v1/tickets/{number}/events").json()["items"]
    assert [e["type"] for e in trail] == ["ticket.created", "message.added", "ticket.updated"]

    published: set[str] = set()
    for _ in range(10):  # long polls, bounded: the poller publishes within a second or so
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        for message in answer.get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"]["data"]["ticket"] == number:
                published.add(event["detail-type"])
        if published == {"ticket.created", "message.added", "ticket.updated"}:
            break
    assert published == {"ticket.created", "message.added", "ticket.updated"}
