"""SLA clocks on tickets, the settings API, and the sweep over the due index."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine

from chalicelib.workers.sla_tick import sweep
from chalicelib.workers.table_stream import handle_table_stream_event
from tests.integration.test_domain_events import stream_records
from tests.integration.test_tickets_api import AGENT, REQUESTER, patch, problem

SUPERVISOR = "supervisor@demo.example.com"
# Monday 23 November 2026, 10:00 in Amsterdam: inside the demo's office hours.
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def clock(api, number: int, name: str, who: str = AGENT) -> dict:
    return api.call("GET", f"/v1/tickets/{number}", as_=who).json_body["sla"][name]


def events(api, number: int) -> list[str]:
    return [
        e["type"]
        for e in api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    ]


# --- settings -----------------------------------------------------------------------------


def test_given_the_demo_calendar_then_agents_read_it_and_only_supervisors_replace_it(api):
    hours = api.call("GET", "/v1/business-hours", as_=AGENT)
    assert hours.status_code == 200
    body = hours.json_body
    assert body["timezone"] == "Europe/Amsterdam" and body["holidays"]["country"] == "NL"
    problem(api.call("GET", "/v1/business-hours", as_=REQUESTER), 403)
    new = {k: v for k, v in body.items() if k != "version"} | {
        "week": {"mon": [["09:00", "17:00"]]}
    }
    version = {"If-Match": hours.headers["ETag"]}
    problem(api.call("PUT", "/v1/business-hours", as_=AGENT, body=new, headers=version), 403)
    replaced = api.call("PUT", "/v1/business-hours", as_=SUPERVISOR, body=new, headers=version)
    assert replaced.status_code == 200, replaced.body
    assert replaced.json_body["week"] == {"mon": [["09:00", "17:00"]]}
    problem(api.call("PUT", "/v1/business-hours", as_=SUPERVISOR, body=new, headers=version), 412)


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "Mars/Olympus"},
        {"week": {"mon": [["17:00", "09:00"]]}},
        {"week": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
        {"week": {"funday": [["09:00", "12:00"]]}},
        {"holidays": {"country": "XX"}},
    ],
)
def test_given_an_impossible_calendar_then_422_and_the_old_one_stays(api, change):
    current = api.call("GET", "/v1/business-hours", as_=SUPERVISOR)
    body = {k: v for k, v in current.json_body.items() if k != "version"} | change
    answer = api.call(
        "PUT",
        "/v1/business-hours",
        as_=SUPERVISOR,
        body=body,
        headers={"If-Match": current.headers["ETag"]},
    )
    problem(answer, 422)
    assert api.call("GET", "/v1/business-hours", as_=SUPERVISOR).json_body == current.json_body


def test_given_new_policies_then_new_clocks_use_them_and_running_clocks_keep_theirs(api):
    with at(MONDAY_10):
        before = api.create_ticket(impact="high", urgency="high")["number"]
        policies = api.call("GET", "/v1/sla-policies", as_=SUPERVISOR)
        body = {k: v for k, v in policies.json_body.items() if k != "version"}
        body["items"][0]["first_response_minutes"] = 15
        put = api.call(
            "PUT",
            "/v1/sla-policies",
            as_=SUPERVISOR,
            body=body,
            headers={"If-Match": policies.headers["ETag"]},
        )
        assert put.status_code == 200, put.body
        after = api.create_ticket(impact="high", urgency="high")["number"]
        assert clock(api, before, "first_response")["target_minutes"] == 30
        assert clock(api, after, "first_response")["target_minutes"] == 15
        missing = {**body, "items": body["items"][:3]}
        problem(
            api.call(
                "PUT", "/v1/sla-policies", as_=SUPERVISOR, body=missing, headers={"If-Match": '"1"'}
            ),
            422,
        )


# --- clocks -------------------------------------------------------------------------------


def test_given_a_p2_ticket_then_its_clocks_count_business_time_pause_and_are_met(api):
    with at(MONDAY_10):
        number = api.create_ticket(impact="high", urgency="medium")["number"]
        first = clock(api, number, "first_response")
        assert (first["state"], first["due_at"], first["remaining_minutes"]) == (
            "running", "2026-11-23T10:00:00Z", 60,
        )  # fmt: skip
    with at(MONDAY_10 + timedelta(minutes=20)):
        assert patch(api, number, {"status": "pending"}, 1).status_code == 200
        assert clock(api, number, "first_response")["state"] == "paused"
    with at(MONDAY_10 + timedelta(hours=3)):
        api.sign_out_everyone()
        path = f"/v1/tickets/{number}/messages"
        assert api.call("POST", path, as_=REQUESTER, body={"body": "Here it is"}).status_code == 201
        resumed = clock(api, number, "first_response")
        # 20 minutes were used before the pause; 40 remain from the requester's answer.
        assert (resumed["state"], resumed["due_at"]) == ("running", "2026-11-23T12:40:00Z")
        assert api.call("POST", path, as_=AGENT, body={"body": "Fixed"}).status_code == 201
        met = clock(api, number, "first_response")
        assert (met["state"], met["elapsed_minutes"], met["breached"]) == ("met", 20, False)
        trail = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert [e["data"].get("sla") for e in trail[1:]] == [
        {"first_response": "paused", "resolution": "paused"},
        {"first_response": "resumed", "resolution": "resumed"},
        {"first_response": "met"},
    ]


def test_given_a_requester_reply_after_an_answer_then_the_next_response_clock_runs(api):
    with at(MONDAY_10):
        number = api.create_ticket()["number"]
        path = f"/v1/tickets/{number}/messages"
        api.call("POST", path, as_=AGENT, body={"body": "Which printer?"})
        api.call("POST", path, as_=REQUESTER, body={"body": "The one on 3"})
        following = clock(api, number, "next_response")
        assert (following["state"], following["target_minutes"]) == ("running", 480)
        api.call("POST", path, as_=AGENT, body={"body": "Thanks"})
        assert clock(api, number, "next_response")["state"] == "met"


def test_given_a_friday_evening_ticket_then_its_business_clock_waits_for_monday(api):
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 in Amsterdam
    with at(friday_evening):
        number = api.create_ticket(impact="high", urgency="medium")["number"]
        # Monday opens at 08:30 local (07:30Z); 60 business minutes later, 08:30Z.
        assert clock(api, number, "first_response")["due_at"] == "2026-11-30T08:30:00Z"


def test_given_requesters_then_they_see_their_ticket_clocks_too(api):
    number = api.create_ticket()["number"]
    assert clock(api, number, "resolution", who=REQUESTER)["state"] == "running"


# --- the sweep ----------------------------------------------------------------------------


def test_given_a_p1_then_the_sweep_warns_breaches_and_escalates_exactly_once(api):
    with at(MONDAY_10):
        number = api.create_ticket(
            as_=AGENT, requester_email=REQUESTER, impact="high", urgency="high"
        )["number"]
    assert sweep(MONDAY_10 + timedelta(minutes=19))["warnings"] == 0
    assert sweep(MONDAY_10 + timedelta(minutes=20))["warnings"] == 1
    report = sweep(MONDAY_10 + timedelta(minutes=31))
    assert (report["breaches"], report["escalations"]) == (1, 1)
    assert sweep(MONDAY_10 + timedelta(minutes=31)) == {
        "tickets": 0,
        "warnings": 0,
        "breaches": 0,
        "escalations": 0,
    }
    with at(MONDAY_10 + timedelta(minutes=32)):
        api.sign_out_everyone()
        ticket = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
        assert ticket["sla"]["first_response"]["state"] == "breached"
        assert ticket["tier"] == 2
        assert events(api, number) == [
            "ticket.created",
            "sla.warning",
            "sla.breached",
            "ticket.escalated",
        ]
        breached = api.call("GET", "/v1/tickets?sla=breached", as_=AGENT).json_body["items"]
        assert [t["number"] for t in breached] == [number]


def test_given_two_sweeps_racing_then_each_moment_is_acted_on_once(api, monkeypatch):
    from chalicelib import wiring

    with at(MONDAY_10):
        number = api.create_ticket(impact="high", urgency="high")["number"]
    repository = wiring.ticket_service().tickets
    original_save = repository.save
    moment = MONDAY_10 + timedelta(minutes=40)

    def rival_first(ticket, expected, records):
        monkeypatch.setattr(repository, "save", original_save)
        assert sweep(moment)["breaches"] == 1  # the rival sweep commits first
        return original_save(ticket, expected, records)

    monkeypatch.setattr(repository, "save", rival_first)
    assert sweep(moment)["breaches"] == 0
    with at(moment):
        api.sign_out_everyone()
        assert events(api, number).count("sla.breached") == 1


def test_given_many_tickets_then_the_sweep_reads_only_the_due_ones(api):
    with at(MONDAY_10):
        for _ in range(3):
            api.create_ticket(impact="high", urgency="high")  # P1: warned after 20 min
        for _ in range(12):
            api.create_ticket(impact="low", urgency="low")  # P4: nothing due for hours
    assert sweep(MONDAY_10 + timedelta(minutes=25))["tickets"] == 3


def test_given_a_breach_then_a_notification_request_is_queued_from_the_stream(api, aws_env):
    with at(MONDAY_10):
        number = api.create_ticket(
            as_=AGENT, requester_email=REQUESTER, assignee=AGENT, impact="high", urgency="high"
        )["number"]
    sweep(MONDAY_10 + timedelta(minutes=45))
    handle_table_stream_event({"Records": stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])})
    queued = boto3.client("sqs").receive_message(
        QueueUrl=aws_env["BALIE_NOTIFICATIONS_QUEUE_URL"], MaxNumberOfMessages=10
    )
    requests = [json.loads(m["Body"]) for m in queued.get("Messages", [])]
    breach = next(r for r in requests if r["type"] == "sla.breached")
    assert (breach["data"]["ticket"], breach["data"]["clock"]) == (number, "first_response")
    assert breach["data"]["assignee"] == AGENT


# --- the daily job ------------------------------------------------------------------------


def test_given_resolved_tickets_then_the_daily_job_closes_those_older_than_the_tenants_days(api):
    from chalicelib.workers import daily

    with at(MONDAY_10):
        old = api.create_ticket()["number"]
        assert patch(api, old, {"status": "resolved"}, 1).status_code == 200
        reopened = api.create_ticket()["number"]
        assert patch(api, reopened, {"status": "resolved"}, 1).status_code == 200
        assert patch(api, reopened, {"status": "open"}, 2, who=REQUESTER).status_code == 200
    with at(MONDAY_10 + timedelta(days=3)):
        api.sign_out_everyone()
        recent = api.create_ticket()["number"]
        assert patch(api, recent, {"status": "resolved"}, 1).status_code == 200

    assert daily.run(MONDAY_10 + timedelta(days=6))["closed"] == {}
    assert daily.run(MONDAY_10 + timedelta(days=8))["closed"] == {"demo": 1}
    assert daily.run(MONDAY_10 + timedelta(days=8))["closed"] == {}

    with at(MONDAY_10 + timedelta(days=8)):
        api.sign_out_everyone()
        statuses = {
            n: api.call("GET", f"/v1/tickets/{n}", as_=AGENT).json_body["status"]
            for n in (old, reopened, recent)
        }
        assert statuses == {old: "closed", reopened: "open", recent: "resolved"}
        closing = api.call("GET", f"/v1/tickets/{old}/events", as_=AGENT).json_body["items"][-1]
        assert closing["actor"] == {
            "kind": "system",
            "id": "auto-close",
            "name": "Balie",
            "role": "admin",
        }


def test_given_an_organisation_override_then_its_requesters_tickets_get_its_targets(api):
    policies = api.call("GET", "/v1/sla-policies", as_=SUPERVISOR)
    body = {k: v for k, v in policies.json_body.items() if k != "version"}
    vip = {
        "priority": "P3",
        "calendar": "24x7",
        "first_response_minutes": 15,
        "next_response_minutes": 30,
        "resolution_minutes": 120,
        "warn_before_minutes": 5,
    }
    body["overrides"] = [{"organisation": "vip.example.com", "items": [vip]}]
    headers = {"If-Match": policies.headers["ETag"]}
    put = api.call("PUT", "/v1/sla-policies", as_=SUPERVISOR, body=body, headers=headers)
    assert put.status_code == 200, put.body

    vip_ticket = api.create_ticket(as_=AGENT, requester_email="boss@vip.example.com")["number"]
    usual = api.create_ticket(as_=AGENT, requester_email="someone@demo.example.com")["number"]

    assert clock(api, vip_ticket, "first_response")["target_minutes"] == 15
    assert clock(api, usual, "first_response")["target_minutes"] == 240
    both = {
        **body,
        "overrides": [{"service": "vpn", "organisation": "vip.example.com", "items": [vip]}],
    }
    headers = {"If-Match": put.headers["ETag"]}
    problem(api.call("PUT", "/v1/sla-policies", as_=SUPERVISOR, body=both, headers=headers), 422)
