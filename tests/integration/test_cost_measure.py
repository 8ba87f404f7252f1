"""`make cost` measures an activity with everything it sets off (bench/cost.py, Bench): the
table-stream function on its records, the notification worker on what that queued, and the
stream function again on what they wrote. On moto, one inbound mail end to end."""

from typing import Any

import pytest

from bench import cost
from bench.inbound_mail import as_received, mail
from bench.mototx import SnapshotGuard
from bench.recorder import SERVICES, CallRecorder
from local.queues import LambdaContext


@pytest.fixture
def bench(tenants: None) -> cost.Bench:
    from chalicelib.adapters import aws

    recorder = CallRecorder()
    for service in SERVICES:
        recorder.attach(aws.client(service))
    return cost.Bench.on_stack(recorder, SnapshotGuard())


def receive(event: dict[str, Any]) -> Any:
    from chalicelib.workers.inbound_email import handle_inbound_event

    answer = handle_inbound_event(event, LambdaContext())
    assert answer == {"batchItemFailures": []}
    return answer


def test_given_a_new_mail_when_measured_then_its_worker_stream_and_acknowledgement_are_counted(
    bench: cost.Bench,
):
    event = as_received("cost-test-1", mail(1))

    sample = bench.measure(lambda: receive(event), stream_groups=cost.one_batch)
    p = cost.profile_of("inbound_mail", "one new mail", [sample])

    assert len(sample.created) == 1
    # The worker reads the raw mail SES stored and files the ticket in a transaction.
    assert p.calls.get("s3.GetObject") == 1
    assert p.wru_table > 0 and p.wru_index > 0
    # The stream function publishes the ticket.created event and queues its notification...
    assert p.audit_events >= 1
    assert p.stream.calls["eventbridge.PutEvents"] == p.audit_events
    assert p.stream.calls["sqs.SendMessage"] >= 1
    # ...and the notification worker, run on what was queued, mails the acknowledgement and
    # records it (the written sent-marker sets the stream function off once more).
    assert p.notify.invocations == 1
    assert p.mails_sent == 1
    assert p.notify.wru_table > 0
    assert p.stream.invocations >= 2
    usage = cost.Model(memory_mb=512, cold_start_ms=0).queued(p)
    assert usage.ses_sent == 1 and usage.s3_get == 1
    assert usage.lambda_requests == 1 + p.stream.invocations + p.notify.invocations


def test_given_everything_measured_then_nothing_is_left_for_the_next_measurement(
    bench: cost.Bench,
):
    bench.measure(
        lambda: receive(as_received("cost-test-2", mail(2))), stream_groups=cost.one_batch
    )

    assert bench.tap.drain() == []
    assert bench.queued.drain() == []
