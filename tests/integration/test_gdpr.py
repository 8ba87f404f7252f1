"""GDPR access and erasure of a requester, over HTTP against the table built from infra/."""

import json

import pytest

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo.codec import from_item
from chalicelib.settings import get_settings
from tests.integration.test_tickets_api import AGENT, REQUESTER, REQUESTER2, patch, problem

ADMIN = "admin@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"
REQUESTER_NAME = "Sanne de Vries"


def export_of(api, email, as_=ADMIN):
    return api.call("GET", f"/v1/requesters/{email}/export", as_=as_)


def erase(api, email, as_=ADMIN):
    return api.call("DELETE", f"/v1/requesters/{email}", as_=as_)


def stored_items(number, tenant="demo"):
    """Every item of a ticket's partition, exactly as stored."""
    answer = client("dynamodb").query(
        TableName=get_settings().table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant}#TICKET#{number}"}},
    )
    return [from_item(i) for i in answer["Items"]]


def events_of(number):
    return [i for i in stored_items(number) if i.get("kind") == "event"]


@pytest.fixture
def history(api):
    """Two tickets of the requester with a conversation and an internal note, one of another."""
    first = api.create_ticket(description=f"Call me, I am {REQUESTER_NAME} ({REQUESTER})")
    number = first["number"]
    patch(api, number, {"status": "open", "assignee": AGENT}, 1)
    for who, body in (
        (AGENT, f"Hello {REQUESTER_NAME}, which floor?"),
        (REQUESTER, "Third floor, desk 12"),
    ):
        reply = api.call("POST", f"/v1/tickets/{number}/messages", as_=who, body={"body": body})
        assert reply.status_code == 201, reply.body
    note = {"body": f"Internal: {REQUESTER} complains a lot", "visibility": "internal"}
    assert (
        api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body=note).status_code == 201
    )
    assert (
        api.call("POST", f"/v1/tickets/{number}/time", as_=AGENT, body={"minutes": 7}).status_code
        == 201
    )
    patch(api, number, {"status": "resolved"}, api.call(
        "GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"])  # fmt: skip
    second = api.create_ticket(subject="Mouse broken")["number"]
    other = api.create_ticket(as_=REQUESTER2)["number"]
    return {"first": number, "second": second, "other": other}


# --- export ------------------------------------------------------------------------------


def test_given_a_requester_with_tickets_when_an_admin_exports_then_all_their_data_but_no_internal_notes(  # noqa: E501
    api, history
):
    answer = export_of(api, REQUESTER)
    assert answer.status_code == 200, answer.body
    document = answer.json_body
    assert document["requester"] == {"email": REQUESTER, "name": REQUESTER_NAME}
    assert document["tenant"] == "demo" and document["exported_at"]
    assert [t["number"] for t in document["tickets"]] == [history["first"], history["second"]]
    first = document["tickets"][0]
    assert first["status"] == "resolved"
    assert [m["body"] for m in first["messages"]] == [
        f"Hello {REQUESTER_NAME}, which floor?",
        "Third floor, desk 12",
    ]
    assert [m["from_requester"] for m in first["messages"]] == [False, True]
    assert "complains" not in json.dumps(document)
    assert "Internal" not in json.dumps(document)
    types = [e["type"] for e in first["events"]]
    assert types[0] == "ticket.created" and "time.logged" not in types
    assert types.count("message.added") == 2  # the internal note's event is left out
    assert all("assignee" not in e["changes"] for e in first["events"])
    assert first["attachments"] == [] and first["ratings"] == []


def test_given_an_export_then_each_exported_ticket_records_who_exported_it(api, history):
    assert export_of(api, REQUESTER).status_code == 200
    for number in (history["first"], history["second"]):
        (event,) = [e for e in events_of(number) if e["type"] == "requester.exported"]
        assert event["actor"]["id"] == ADMIN
        assert REQUESTER not in json.dumps(event)
    assert not [e for e in events_of(history["other"]) if e["type"] == "requester.exported"]


def test_given_an_address_without_tickets_when_exporting_then_404(api, history):
    problem(export_of(api, "nobody@demo.example.com"), 404)


# --- roles and tenants -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor@demo.example.com", AGENT, REQUESTER])
def test_given_a_non_admin_when_exporting_or_erasing_then_403(api, history, who):
    problem(export_of(api, REQUESTER, as_=who), 403)
    problem(erase(api, REQUESTER, as_=who), 403)
    assert export_of(api, REQUESTER).status_code == 200  # nothing was erased


def test_given_another_tenants_admin_when_exporting_or_erasing_then_404(api, history):
    problem(export_of(api, REQUESTER, as_=ACME_ADMIN), 404)
    problem(erase(api, REQUESTER, as_=ACME_ADMIN), 404)
    assert export_of(api, REQUESTER).status_code == 200


def test_given_a_staff_address_when_erasing_then_409_and_the_account_stays(api, history):
    problem(erase(api, AGENT), 409)
    assert api.call("GET", "/v1/me", as_=AGENT).status_code == 200


# --- erasure -----------------------------------------------------------------------------


def test_given_a_requester_when_erased_then_no_stored_item_of_their_tickets_holds_them(
    api, history
):
    assert erase(api, REQUESTER).status_code == 204
    for number in (history["first"], history["second"]):
        stored = json.dumps(stored_items(number), default=str).lower()
        assert REQUESTER not in stored
        assert REQUESTER_NAME.lower() not in stored
        assert "erased-" in stored
    ticket = api.call("GET", f"/v1/tickets/{history['first']}", as_=AGENT).json_body
    assert ticket["requester"]["name"] == "Erased requester"
    assert ticket["requester"]["email"].endswith("@invalid")
    assert ticket["description"] == "[erased]"
    bodies = [
        m["body"]
        for m in api.call("GET", f"/v1/tickets/{history['first']}/messages", as_=AGENT).json_body[
            "items"
        ]
    ]
    assert bodies[1] == "[erased]" and "Erased requester" in bodies[0]
    # Another requester's ticket is untouched.
    assert REQUESTER2 in json.dumps(stored_items(history["other"]), default=str)


def test_given_an_erasure_then_the_statistics_fields_are_kept_and_the_version_bumped(api, history):
    before = api.call("GET", f"/v1/tickets/{history['first']}", as_=AGENT).json_body
    assert erase(api, REQUESTER).status_code == 204
    after = api.call("GET", f"/v1/tickets/{history['first']}", as_=AGENT).json_body
    assert after["version"] == before["version"] + 1
    for kept in ("status", "priority", "impact", "urgency", "type", "channel", "created_at",
                 "updated_at", "first_response_at", "resolved_at", "time_spent_minutes",
                 "assignee", "subject", "sla"):  # fmt: skip
        assert after.get(kept) == before.get(kept), kept
    pseudonyms = {
        api.call("GET", f"/v1/tickets/{n}", as_=AGENT).json_body["requester"]["email"]
        for n in (history["first"], history["second"])
    }
    assert len(pseudonyms) == 1  # stable: the erased person's tickets still group together


def test_given_an_erasure_then_each_ticket_has_an_erased_event_without_personal_data(api, history):
    assert erase(api, REQUESTER).status_code == 204
    for number in (history["first"], history["second"]):
        (event,) = [e for e in events_of(number) if e["type"] == "requester.erased"]
        assert event["actor"]["id"] == ADMIN
        assert "erased-" not in json.dumps(event) and "@demo" not in json.dumps(event["data"])


def test_given_an_erased_requester_then_their_account_and_profile_are_gone_and_a_second_erase_is_404(  # noqa: E501
    api, history
):
    assert api.call("GET", "/v1/me", as_=REQUESTER).status_code == 200
    assert erase(api, REQUESTER).status_code == 204
    api.sign_out_everyone()
    login = api.call(
        "POST", "/v1/auth/login", body={"email": REQUESTER, "password": "Balie-test-2026!"}
    )
    assert login.status_code == 401
    profile = client("dynamodb").get_item(
        TableName=get_settings().table_name,
        Key={"PK": {"S": f"T#demo#USER#{REQUESTER}"}, "SK": {"S": "PROFILE"}},
    )
    assert "Item" not in profile
    problem(erase(api, REQUESTER), 404)
    problem(export_of(api, REQUESTER), 404)


def test_given_a_requester_filed_for_by_an_agent_without_an_account_when_erased_then_204(api):
    number = api.create_ticket(
        as_=AGENT, requester_email="walkin@example.org", requester_name="Walk In"
    )["number"]
    assert erase(api, "walkin@example.org").status_code == 204
    assert "walkin@example.org" not in json.dumps(stored_items(number), default=str)
    problem(erase(api, "walkin@example.org"), 404)


def test_given_a_conversation_longer_than_one_transaction_when_erased_then_every_message_is(api):
    from chalicelib import wiring
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.domain.tickets import Channel, Visibility

    number = api.create_ticket()["number"]
    service = wiring.ticket_service()
    me = Principal(tenant="demo", role=Role.REQUESTER, kind="user", id=REQUESTER,
                   name=REQUESTER_NAME, email=REQUESTER)  # fmt: skip
    for n in range(60):  # 60 messages and 60 events: more than a transaction's 100 items
        service.add_message(me, number, f"ping {n}", Visibility.PUBLIC, Channel.API)
    assert erase(api, REQUESTER).status_code == 204
    stored = stored_items(number)
    assert len(stored) > 120
    assert REQUESTER not in json.dumps(stored, default=str)
    bodies = {i["body"] for i in stored if i.get("kind") == "message"}
    assert bodies == {"[erased]"}
