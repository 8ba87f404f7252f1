"""The metrics backfill (services/metrics_backfill.py): tickets filed while nothing counted them
are counted from their audit trails exactly once, by the consumer's own code.

"Filed before metrics" is simulated by never handing their stream records to the consumer;
the report must then equal the brute-force count of tests/integration/test_reports.py.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.services import metrics_backfill as backfill_module
from tests.integration.test_reports import (  # noqa: F401 - quick_transactions is a fixture
    RANGES,
    SUPERVISOR,
    ZONE,
    Stream,
    all_stream_records,
    brute_report,
    generate,
    history,
    quick_transactions,
    report,
)

OPERATOR = "operator@demo.example.com"
AGENT = "agent@demo.example.com"


def backfill() -> dict[str, Any]:
    return wiring.metrics_backfill().run("demo").as_dict()


def test_given_a_month_filed_before_metrics_then_the_backfill_equals_a_brute_force_count(
    api,
    aws_env,
    quick_transactions,  # noqa: F811
):
    generated = generate()
    first, last = RANGES[0]
    query = f"from={first}&to={last}"
    assert report(api, SUPERVISOR, query).json_body["created"] == 0  # nothing counted yet

    done = backfill()
    assert done["tickets"] == done["backfilled"] == len(generated.numbers)
    assert done["events"] > done["tickets"] and done["next_cursor"] is None

    histories = [history(n) for n in generated.numbers]
    # Deflections are not tickets: the backfill leaves them to the stream (docs/metrics.md).
    for first, last in RANGES:
        query = f"from={first}&to={last}"
        expected = brute_report(histories, [], first, last)
        assert report(api, SUPERVISOR, query).json_body == expected, query
    query = f"from={RANGES[0][0]}&to={RANGES[0][1]}&group=network"
    expected = brute_report(histories, [], *RANGES[0], ("group", "network"))
    assert report(api, SUPERVISOR, query).json_body == expected

    # Twice changes nothing: every ticket is known as counted, no event counts again.
    before = report(api, SUPERVISOR, query).json_body
    again = backfill()
    assert (again["events"], again["backfilled"]) == (0, 0)
    assert again["counted_already"] == len(generated.numbers)
    assert report(api, SUPERVISOR, query).json_body == before


def today_report(api: Any) -> dict[str, Any]:
    today = datetime.now(UTC).astimezone(ZONE).date()
    return report(api, SUPERVISOR, f"from={today}&to={today}").json_body


def test_given_tickets_the_stream_counted_then_the_backfill_leaves_them_alone(api, aws_env):
    stream = Stream(aws_env)
    counted = api.create_ticket()["number"]
    api.call("POST", f"/v1/tickets/{counted}/messages", as_=AGENT, body={"body": "On it"})
    stream.feed()
    assert today_report(api)["created"] == 1
    # Two tickets whose records the consumer never sees: filed "before metrics".
    for _ in range(2):
        api.create_ticket()
    stream.seen = len(all_stream_records(stream.arn))

    done = backfill()
    assert (done["tickets"], done["backfilled"], done["counted_already"]) == (3, 2, 1)
    figures = today_report(api)
    assert (figures["created"], figures["backlog_end"]) == (3, 3)
    # The stream later redelivers what it had counted: nothing changes.
    stream.seen = 0
    stream.feed()
    assert today_report(api) == figures


def test_given_a_run_that_stopped_half_way_then_the_next_run_counts_each_event_once(
    api, aws_env, monkeypatch
):
    number = api.create_ticket()["number"]
    for body in ("First", "Second"):
        api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body={"body": body})
    api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body={"status": "resolved"},
             headers={"If-Match": '"3"'})  # fmt: skip
    recorder = wiring.metrics_recorder()
    original = recorder.record
    calls = []

    def crash_on_the_third(image: dict[str, Any], note: Any = None) -> bool:
        calls.append(image["id"])
        if len(calls) == 3:
            raise RuntimeError("the function timed out")
        return original(image, note)

    monkeypatch.setattr(recorder, "record", crash_on_the_third)
    with pytest.raises(RuntimeError):
        backfill()
    monkeypatch.setattr(recorder, "record", original)

    done = backfill()
    assert done["backfilled"] == 1
    figures = today_report(api)
    assert (figures["created"], figures["resolved"], figures["backlog_end"]) == (1, 1, 0)
    assert figures["first_response_minutes"]["median"] is not None
    assert backfill()["events"] == 0
    assert today_report(api) == figures


def test_given_the_operator_api_then_it_backfills_page_by_page_with_a_cursor(
    api, aws_env, monkeypatch
):
    monkeypatch.setattr(backfill_module, "PAGE", 2)
    from chalicelib.api import tenants as tenants_api

    monkeypatch.setattr(tenants_api, "BACKFILL_SECONDS", -1.0)  # every call stops after a page
    for _ in range(3):
        api.create_ticket()
    path = "/v1/tenants/demo/metrics-backfill"
    first = api.call("POST", path, as_=OPERATOR, body={})
    assert first.status_code == 200, first.body
    assert (first.json_body["tickets"], first.json_body["backfilled"]) == (2, 2)
    assert first.json_body["next_cursor"]
    second = api.call("POST", path, as_=OPERATOR, body={"cursor": first.json_body["next_cursor"]})
    assert second.status_code == 200, second.body
    assert second.json_body["tickets"] == 1 and second.json_body["next_cursor"] is None
    assert today_report(api)["created"] == 3
    for who in ("admin@demo.example.com", SUPERVISOR):
        assert api.call("POST", path, as_=who, body={}).status_code == 403
    bad = api.call("POST", path, as_=OPERATOR, body={"cursor": "not-a-cursor"})
    assert bad.status_code == 400
