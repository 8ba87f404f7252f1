"""Watchers over moto: the API and its rules of who may add whom, the audit trail, the copies
the notifier mails (public changes only), the rule action, mail Cc, GDPR and the pages."""

from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.integration.test_mail import DESK, Mailroom, mail
from tests.integration.test_web_portal import Browser, html

REQUESTER = "requester@demo.example.com"
REQUESTER2 = "requester2@demo.example.com"
AGENT = "agent@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ADMIN = "admin@demo.example.com"
OUTSIDER = "kim@elsewhere.example.net"
ACME_AGENT = "agent@acme.example.com"


@pytest.fixture
def room(api: Api, aws_env: dict[str, str]) -> Mailroom:
    return Mailroom(aws_env)


def watchers_of(api: Api, number: int, as_: str = AGENT) -> list[str]:
    answer = api.call("GET", f"/v1/tickets/{number}/watchers", as_=as_)
    assert answer.status_code == 200, answer.body
    return [w["email"] for w in answer.json_body["items"]]


def watch(api: Api, number: int, email: str, as_: str = AGENT) -> Any:
    return api.call("POST", f"/v1/tickets/{number}/watchers", as_=as_, body={"email": email})


def events_of(api: Api, number: int) -> list[dict[str, Any]]:
    return api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]


def test_given_an_agent_when_adding_a_known_person_then_201_listed_and_audited(api):
    number = api.create_ticket()["number"]
    answer = watch(api, number, "Requester2@demo.example.com")
    assert answer.status_code == 201, answer.body
    assert answer.json_body["email"] == REQUESTER2
    assert answer.json_body["added_by"] == AGENT
    assert watch(api, number, REQUESTER2).status_code == 200  # twice: nothing new
    assert watchers_of(api, number) == [REQUESTER2]
    assert watchers_of(api, number, as_=REQUESTER) == [REQUESTER2]
    added = [e for e in events_of(api, number) if e["type"] == "watcher.added"]
    assert len(added) == 1 and added[0]["data"] == {"watcher": REQUESTER2}

    assert api.call("DELETE", f"/v1/tickets/{number}/watchers/{REQUESTER2}", as_=AGENT
                    ).status_code == 204  # fmt: skip
    assert watchers_of(api, number) == []
    assert [e for e in events_of(api, number) if e["type"] == "watcher.removed"]
    again = api.call("DELETE", f"/v1/tickets/{number}/watchers/{REQUESTER2}", as_=AGENT)
    assert again.status_code == 404


def test_given_an_outside_address_then_422_unless_the_tenant_allows_outsiders(api, aws_env):
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.adapters.dynamo.keys import tenant_key

    number = api.create_ticket()["number"]
    refused = watch(api, number, OUTSIDER)
    assert refused.status_code == 422
    assert refused.json_body["errors"][0]["field"] == "email"
    assert watch(api, number, REQUESTER).status_code == 422  # the requester themself

    client("dynamodb").update_item(
        TableName=aws_env["BALIE_TABLE_NAME"], Key=to_item(tenant_key("demo")),
        UpdateExpression="SET external_watchers = :yes",
        ExpressionAttributeValues=to_item({":yes": True}),
    )  # fmt: skip
    from chalicelib import wiring

    wiring.tenants.cache_clear()
    wiring.watcher_service.cache_clear()
    assert watch(api, number, OUTSIDER).status_code == 201


def test_given_the_requester_then_they_add_and_remove_colleagues_of_their_domain_only(api):
    number = api.create_ticket(as_=REQUESTER)["number"]
    assert watch(api, number, "colleague@demo.example.com", as_=REQUESTER).status_code == 201
    assert watch(api, number, OUTSIDER, as_=REQUESTER).status_code == 403
    gone = api.call("DELETE", f"/v1/tickets/{number}/watchers/colleague@demo.example.com",
                    as_=REQUESTER)  # fmt: skip
    assert gone.status_code == 204
    # Someone else's ticket does not exist for another requester, nor for another tenant.
    assert watch(api, number, "x@demo.example.com", as_=REQUESTER2).status_code == 404
    assert api.call("GET", f"/v1/tickets/{number}/watchers", as_=ACME_AGENT).status_code == 404


def test_given_a_watcher_then_public_replies_and_status_changes_are_copied_and_notes_never(
    api, room
):
    number = api.create_ticket(as_=REQUESTER)["number"]
    assert watch(api, number, REQUESTER2).status_code == 201
    room.settle()
    assert room.sent_to(REQUESTER2) == []  # the filing itself is not copied
    for body, visibility in (("Secret: check the fuser", "internal"), ("Try tray 2", "public")):
        answer = api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT,
                          body={"body": body, "visibility": visibility})  # fmt: skip
        assert answer.status_code == 201
    room.settle()
    copies = room.sent_to(REQUESTER2)
    assert len(copies) == 1
    text = copies[0].get_body(("plain",)).get_content()
    assert "Try tray 2" in text and "fuser" not in text
    assert copies[0]["Auto-Submitted"] == "auto-generated"

    current = api.call("GET", f"/v1/tickets/{number}", as_=AGENT)
    answer = api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body={"status": "pending"},
                      headers={"If-Match": current.headers["ETag"]})  # fmt: skip
    assert answer.status_code == 200, answer.body
    room.settle()
    copies = room.sent_to(REQUESTER2)
    assert len(copies) == 2
    # Bram's profile is Dutch: "pending" in the words of the Dutch templates.
    assert "De melding is nu: wacht op aanvrager." in copies[1].get_body(("plain",)).get_content()


def test_given_a_rule_with_add_watcher_then_the_filed_ticket_is_watched_and_audited(api):
    lead = {"type": "add_watcher", "email": "Supervisor@demo.example.com"}
    rule = {"name": "Copy the team lead", "conditions": [], "actions": [lead]}
    assert api.call("POST", "/v1/rules", as_=SUPERVISOR, body=rule).status_code == 201
    bad = {**rule, "actions": [{"type": "add_watcher", "email": "not-an-address"}]}
    assert api.call("POST", "/v1/rules", as_=SUPERVISOR, body=bad).status_code == 422
    number = api.create_ticket()["number"]
    assert watchers_of(api, number) == [SUPERVISOR]
    (applied,) = [e for e in events_of(api, number) if e["type"] == "rule.applied"]
    assert applied["data"]["actions"] == [{"type": "add_watcher", "email": SUPERVISOR}]


def test_given_a_mail_with_colleagues_in_cc_then_they_watch_the_ticket_it_files(api, room):
    room.send(mail(sender="pat@customer.example.org",
                   Cc="Kim <kim@customer.example.org>, boss@other.example.com"))  # fmt: skip
    (ticket,) = api.call("GET", "/v1/tickets", as_=AGENT).json_body["items"]
    assert watchers_of(api, ticket["number"]) == ["kim@customer.example.org"]
    assert DESK not in watchers_of(api, ticket["number"])


def test_given_a_watcher_then_gdpr_export_lists_the_ticket_and_erasure_removes_the_watch(api):
    number = api.create_ticket(as_=REQUESTER)["number"]
    assert watch(api, number, REQUESTER2).status_code == 201
    export = api.call("GET", f"/v1/requesters/{REQUESTER2}/export", as_=ADMIN)
    assert export.status_code == 200, export.body
    assert export.json_body["watching"] == [number]
    assert export.json_body["tickets"] == []
    assert api.call("DELETE", f"/v1/requesters/{REQUESTER2}", as_=ADMIN).status_code == 204
    assert watchers_of(api, number) == []


def test_given_the_agent_page_then_watchers_are_added_and_removed_with_csrf_forms(api):
    number = api.create_ticket(as_=REQUESTER)["number"]
    agent = Browser(api.client)
    agent.sign_in(AGENT)
    page = html(agent.get(f"/agent/tickets/{number}"))
    assert "Nobody watches this ticket." in page or "Niemand volgt deze melding." in page
    answer = agent.post(f"/agent/tickets/{number}/watchers", {"email": OUTSIDER})
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in html(answer)
    answer = agent.post(f"/agent/tickets/{number}/watchers", {"email": REQUESTER2})
    assert answer.status_code == 303, html(answer)
    page = html(agent.get(f"/agent/tickets/{number}"))
    assert REQUESTER2 in page
    refused = agent.post(f"/agent/tickets/{number}/watchers/remove", {"email": REQUESTER2},
                         csrf=False)  # fmt: skip
    assert refused.status_code == 403
    assert watchers_of(api, number) == [REQUESTER2]
    agent.get(f"/agent/tickets/{number}")
    answer = agent.post(f"/agent/tickets/{number}/watchers/remove", {"email": REQUESTER2})
    assert answer.status_code == 303
    assert watchers_of(api, number) == []


def test_given_a_watched_ticket_then_the_portal_shows_its_watchers_without_forms(api):
    number = api.create_ticket(as_=REQUESTER)["number"]
    assert watch(api, number, REQUESTER2).status_code == 201
    requester = Browser(api.client)
    requester.sign_in(REQUESTER)
    page = html(requester.get(f"/tickets/{number}"))
    assert REQUESTER2 in page
    assert "/watchers" not in page
