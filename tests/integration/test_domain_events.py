"""Audit events reach the EventBridge bus through the table stream, and only they do."""

import json
from typing import Any

import boto3

from chalicelib.workers.table_stream import handle_table_stream_event


def stream_records(stream_arn: str) -> list[dict[str, Any]]:
    """The stream as Lambda would deliver it."""
    streams = boto3.client("dynamodbstreams")
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            records.append({**record, "eventSourceARN": stream_arn})
    return records


def bus_listener(env: dict[str, str]) -> str:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="bus-listener")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events = boto3.client("events")
    bus = env["BALIE_EVENT_BUS_NAME"]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["balie"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    return queue_url


def received(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_given_a_ticket_filed_and_changed_then_each_audit_event_is_published_once(api, aws_env):
    queue_url = bus_listener(aws_env)
    number = api.create_ticket()["number"]
    api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_="agent@demo.example.com",
        body={"status": "open"},
        headers={"If-Match": '"1"'},
    )

    records = stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])
    # Through the app's own handler, as Lambda invokes it.
    from app import handle_table_stream

    answer = handle_table_stream({"Records": records}, None)

    assert answer == {"batchItemFailures": []}
    published = received(queue_url)
    assert sorted({e["detail-type"] for e in published}) == ["ticket.created", "ticket.updated"]
    updated = next(e["detail"] for e in published if e["detail-type"] == "ticket.updated")
    assert updated["tenant"] == "demo"
    assert updated["data"]["ticket"] == number
    assert updated["data"]["changes"]["status"] == {"from": "new", "to": "open"}
    assert set(updated) == {"id", "type", "occurred_at", "tenant", "data"}


def test_given_the_bus_refuses_an_event_then_that_record_is_reported_for_retry(
    api, aws_env, monkeypatch
):
    from chalicelib.adapters import events

    api.create_ticket()
    records = stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])
    monkeypatch.setattr(events, "client", lambda _: FailingBus())
    answer = handle_table_stream_event({"Records": records})
    event_records = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["dynamodb"].get("NewImage", {}).get("kind", {}).get("S") == "event"
    ]
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed and set(failed) <= set(event_records)


class FailingBus:
    def put_events(self, Entries):
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
