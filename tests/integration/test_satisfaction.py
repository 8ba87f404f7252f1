"""The satisfaction survey: rating over the API, in the portal and by the links in the
resolution mail; once per resolution, only by the requester."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from chalice.test import Client

from tests.integration.conftest import Api
from tests.integration.test_domain_events import stream_records
from tests.integration.test_mail import Mailroom
from tests.integration.test_web_portal import Browser, html

REQUESTER = "requester@demo.example.com"
OTHER_REQUESTER = "requester2@demo.example.com"
AGENT = "agent@demo.example.com"
EN = {"Accept-Language": "en"}
_SURVEY_LINK = re.compile(r"https?://[^\s\"<>]+/survey/([^\s\"<>?]+)")


def change(api: Api, number: int, **fields: Any) -> dict[str, Any]:
    version = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"]
    answer = api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body=fields,
                      headers={"If-Match": f'"{version}"'})  # fmt: skip
    assert answer.status_code == 200, answer.json_body
    return answer.json_body


def resolved_ticket(api: Api) -> int:
    number = api.create_ticket(as_=REQUESTER)["number"]
    change(api, number, status="resolved")
    return number


def rate(api: Api, number: int, who: str = REQUESTER, **body: Any) -> Any:
    return api.call("POST", f"/v1/tickets/{number}/satisfaction", as_=who,
                    body={"rating": "good", **body})  # fmt: skip


def events_of(api: Api, number: int) -> list[dict[str, Any]]:
    return api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]


# --- the API -------------------------------------------------------------------------------


def test_given_a_resolved_ticket_when_its_requester_rates_then_it_is_kept_and_audited(api):
    number = resolved_ticket(api)

    answer = rate(api, number, rating="bad", comment="  Took three days  ")

    assert answer.status_code == 201
    assert answer.json_body["rating"] == "bad"
    assert answer.json_body["resolution"] == 1
    assert answer.json_body["comment"] == "Took three days"
    shown = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert shown["satisfaction"]["rating"] == "bad"
    received = [e for e in events_of(api, number) if e["type"] == "satisfaction.received"]
    assert [e["data"] for e in received] == [{"rating": "bad", "resolution": 1}]


def test_given_a_rated_resolution_when_rated_again_then_409_and_the_first_stands(api):
    number = resolved_ticket(api)
    rate(api, number, rating="good")

    answer = rate(api, number, rating="bad")

    assert answer.status_code == 409
    shown = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert shown["satisfaction"]["rating"] == "good"


def test_given_a_reopened_and_again_resolved_ticket_then_the_new_resolution_is_rated(api):
    number = resolved_ticket(api)
    rate(api, number, rating="bad")
    change(api, number, status="open")
    change(api, number, status="resolved")

    answer = rate(api, number, rating="good")

    assert answer.status_code == 201
    assert answer.json_body["resolution"] == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [(AGENT, 403), (OTHER_REQUESTER, 404), ("requester@acme.example.com", 404)],
)
def test_given_someone_else_when_rating_then_refused_and_nothing_recorded(api, who, status):
    number = resolved_ticket(api)

    answer = rate(api, number, who=who)

    assert answer.status_code == status
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["satisfaction"] is None


def test_given_an_open_ticket_when_rating_then_409(api):
    number = api.create_ticket(as_=REQUESTER)["number"]

    assert rate(api, number).status_code == 409


@pytest.mark.parametrize(
    "body",
    [{"rating": "meh"}, {"rating": "good", "comment": "x" * 2001}, {"rating": "good", "stars": 5}],
)
def test_given_a_bad_rating_body_then_422(api, body):
    number = resolved_ticket(api)

    answer = api.call("POST", f"/v1/tickets/{number}/satisfaction", as_=REQUESTER, body=body)

    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"


# --- the links in the resolution mail ----------------------------------------------------------


@pytest.fixture
def client(api: Api) -> Client:
    return api.client


@pytest.fixture
def room(api: Api, aws_env: dict[str, str]) -> Mailroom:
    room = Mailroom(aws_env)
    # Start after what seeding wrote, so only this test's changes are mailed.
    room.seen_stream = len(stream_records(aws_env["BALIE_TABLE_STREAM_ARN"]))
    return room


def survey_links(room: Mailroom) -> dict[str, str]:
    mail = room.sent_to(REQUESTER)[-1]
    text = mail.get_body(("plain",)).get_content()
    tokens = _SURVEY_LINK.findall(text)
    assert len(tokens) == 2, text
    return {token.split(".")[3]: f"/survey/{token}" for token in tokens}


def test_given_the_resolution_mail_when_a_link_is_clicked_then_its_rating_counts_once(
    api, room, client
):
    number = resolved_ticket(api)
    room.settle()
    links = survey_links(room)
    visitor = Browser(client)

    first = visitor.get(links["bad"], **EN)
    again = Browser(client).get(links["good"], **EN)

    assert first.status_code == 200 and "not happy" in html(first)
    assert again.status_code == 200 and "rated this ticket already" in html(again)
    shown = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert shown["satisfaction"]["rating"] == "bad"
    received = [e for e in events_of(api, number) if e["type"] == "satisfaction.received"]
    assert len(received) == 1
    assert received[0]["actor"]["id"] == REQUESTER


def test_given_a_clicked_link_then_one_comment_can_follow_without_signing_in(api, room, client):
    number = resolved_ticket(api)
    room.settle()
    visitor = Browser(client)
    link = survey_links(room)["good"]
    visitor.get(link, **EN)

    answer = visitor.post(link, {"comment": "Fixed before lunch, thanks"}, **EN)

    assert answer.status_code == 200 and "Thank you for your comment" in html(answer)
    shown = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert shown["satisfaction"]["comment"] == "Fixed before lunch, thanks"
    assert 'name="comment"' not in html(visitor.get(link, **EN))


def test_given_a_comment_without_csrf_token_then_403_and_nothing_recorded(api, room, client):
    number = resolved_ticket(api)
    room.settle()
    visitor = Browser(client)
    link = survey_links(room)["good"]
    visitor.get(link, **EN)

    answer = visitor.post(link, {"comment": "Forged"}, csrf=False, **EN)

    assert answer.status_code == 403
    shown = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert shown["satisfaction"]["comment"] is None


def test_given_a_tampered_link_then_a_friendly_404_and_nothing_recorded(api, room, client):
    number = resolved_ticket(api)
    room.settle()
    link = survey_links(room)["good"]

    answer = Browser(client).get(link.replace(f".{number}.", f".{number + 1}."), **EN)

    assert answer.status_code == 404 and "does not work" in html(answer)
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["satisfaction"] is None


def test_given_a_link_older_than_thirty_days_then_it_has_expired(api, room, client):
    resolved_ticket(api)
    room.settle()
    link = survey_links(room)["good"]

    with time_machine.travel(datetime.now(UTC) + timedelta(days=31)):
        answer = Browser(client).get(link, **EN)

    assert answer.status_code == 410 and "expired" in html(answer)


def test_given_a_ticket_reopened_after_the_mail_then_its_link_records_nothing(api, room, client):
    number = resolved_ticket(api)
    room.settle()
    link = survey_links(room)["good"]
    change(api, number, status="open")

    answer = Browser(client).get(link, **EN)

    assert answer.status_code == 409 and "reopened" in html(answer)
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["satisfaction"] is None


def test_given_a_dutch_tenant_then_the_survey_page_speaks_dutch(api, room, client):
    resolved_ticket(api)
    room.settle()

    # No language chosen and none the browser asks for: the tenant's.
    answer = Browser(client).get(survey_links(room)["good"])

    assert "Bedankt!" in html(answer)


# --- the portal ----------------------------------------------------------------------------


def test_given_a_resolved_ticket_then_the_portal_asks_and_records_the_rating(api, client):
    number = resolved_ticket(api)
    visitor = Browser(client)
    visitor.sign_in(REQUESTER)

    page = visitor.get(f"/tickets/{number}?rating=good", **EN)
    assert 'value="good" checked' in html(page)
    answer = visitor.post(f"/tickets/{number}/satisfaction", {"rating": "good", "comment": ""})

    assert answer.status_code == 303
    after = html(visitor.get(f"/tickets/{number}", **EN))
    assert "Bedankt voor je beoordeling" in after and 'name="rating"' not in after
    shown = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert shown["satisfaction"]["rating"] == "good" and shown["satisfaction"]["comment"] is None


def test_given_no_choice_when_sending_the_portal_survey_then_it_asks_again(api, client):
    number = resolved_ticket(api)
    visitor = Browser(client)
    visitor.sign_in(REQUESTER)
    visitor.get(f"/tickets/{number}")

    answer = visitor.post(f"/tickets/{number}/satisfaction", {"comment": "hm"})

    assert answer.status_code == 422 and 'aria-invalid="true"' in html(answer)


def test_given_an_agent_reading_the_portal_then_no_survey_is_offered(api, client):
    number = resolved_ticket(api)
    visitor = Browser(client)
    visitor.sign_in(AGENT)

    assert 'name="rating"' not in html(visitor.get(f"/tickets/{number}"))


# --- personal data -------------------------------------------------------------------------


def test_given_a_rating_with_a_comment_then_export_shows_it_and_erasure_keeps_only_the_rating(
    api,
):
    admin = "admin@demo.example.com"
    number = resolved_ticket(api)
    rate(api, number, rating="bad", comment="Sanne here: slow answers")

    exported = api.call("GET", f"/v1/requesters/{REQUESTER}/export", as_=admin).json_body
    (ticket,) = [t for t in exported["tickets"] if t["number"] == number]
    assert ticket["ratings"][0]["comment"] == "Sanne here: slow answers"
    assert api.call("DELETE", f"/v1/requesters/{REQUESTER}", as_=admin).status_code == 204

    kept = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["satisfaction"]
    assert kept["rating"] == "bad" and kept["comment"] is None
