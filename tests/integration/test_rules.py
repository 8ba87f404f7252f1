"""Routing and automation rules over the API, evaluated when tickets are filed and changed."""

from typing import Any

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.test_mail import Mailroom, mail

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
AGENT2 = "agent2@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ADMIN = "admin@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"


def add_rule(api: Any, as_: str = SUPERVISOR, **fields: Any) -> dict[str, Any]:
    body = {"name": "Route VPN", "actions": [{"type": "add_tags", "tags": ["vpn"]}], **fields}
    answer = api.call("POST", "/v1/rules", as_=as_, body=body)
    assert answer.status_code == 201, answer.body
    return answer.json_body


def events(api: Any, number: int) -> list[dict[str, Any]]:
    answer = api.call("GET", f"/v1/tickets/{number}/events?limit=100", as_=AGENT)
    return answer.json_body["items"]


def applied(api: Any, number: int) -> list[dict[str, Any]]:
    return [e for e in events(api, number) if e["type"] == "rule.applied"]


def patch(api: Any, ticket: dict[str, Any], **changes: Any) -> Any:
    return api.call(
        "PATCH",
        f"/v1/tickets/{ticket['number']}",
        as_=AGENT,
        body=changes,
        headers={"If-Match": f'"{ticket["version"]}"'},
    )


@pytest.fixture
def two_in_servicedesk(api: Any) -> None:
    """agent2 joins agent in servicedesk, as an admin would set it up."""
    from chalicelib.domain.principal import Role
    from chalicelib.services import users

    users.ensure_user(
        "demo",
        email=AGENT2,
        name="Daan Visser",
        role=Role.AGENT,
        password=PASSWORD,
        tier=2,
        groups=["network", "servicedesk"],
        locale="nl",
    )


VPN_TO_SERVICEDESK = {
    "name": "VPN naar servicedesk",
    "conditions": [
        {"type": "text", "op": "any", "terms": ["vpn"]},
        {"type": "field", "field": "channel", "op": "in", "values": ["portal", "api"]},
    ],
    "actions": [
        {"type": "assign", "strategy": "round_robin", "group": "servicedesk"},
        {"type": "set_priority", "priority": "P2"},
        {"type": "add_tags", "tags": ["vpn", "remote"]},
    ],
}


# --- managing rules -----------------------------------------------------------------------


def test_given_a_supervisor_when_adding_a_rule_then_201_with_location_and_etag(api):
    answer = api.call("POST", "/v1/rules", as_=SUPERVISOR, body=VPN_TO_SERVICEDESK)

    assert answer.status_code == 201, answer.body
    rule = answer.json_body
    assert answer.headers["Location"] == f"/v1/rules/{rule['id']}"
    assert answer.headers["ETag"] == '"1"'
    assert rule["version"] == 1 and rule["position"] == 1 and rule["active"] is True
    assert rule["trigger"] == "created" and rule["updated_by"] == SUPERVISOR
    assert rule["conditions"][0] == {"type": "text", "in": "subject_or_body", "op": "any",
                                     "terms": ["vpn"]}  # fmt: skip
    again = api.call("GET", f"/v1/rules/{rule['id']}", as_=ADMIN)
    assert again.status_code == 200 and again.json_body == rule


def test_given_rules_then_the_list_is_in_position_order_and_pages(api):
    third = add_rule(api, name="third", position=30)
    first = add_rule(api, name="first", position=10)
    second = add_rule(api, name="second", position=20)

    page = api.call("GET", "/v1/rules?limit=2", as_=SUPERVISOR).json_body
    rest = api.call("GET", f"/v1/rules?limit=2&cursor={page['next_cursor']}", as_=SUPERVISOR)

    assert [r["id"] for r in page["items"]] == [first["id"], second["id"]]
    assert [r["id"] for r in rest.json_body["items"]] == [third["id"]]
    assert rest.json_body["next_cursor"] is None


@pytest.mark.parametrize("who", [REQUESTER, AGENT])
def test_given_less_than_a_supervisor_then_rules_are_forbidden(api, who):
    rule = add_rule(api)
    assert api.call("GET", "/v1/rules", as_=who).status_code == 403
    assert api.call("GET", f"/v1/rules/{rule['id']}", as_=who).status_code == 403
    assert api.call("POST", "/v1/rules", as_=who, body=VPN_TO_SERVICEDESK).status_code == 403
    assert api.call("DELETE", f"/v1/rules/{rule['id']}", as_=who).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"conditions": [{"type": "field", "field": "channel", "op": "like", "value": "x"}]},
         "conditions.0.field.op"),
        ({"conditions": [{"type": "field", "field": "colour", "op": "equals", "value": "x"}]},
         "conditions.0.field.field"),
        ({"conditions": [{"type": "field", "field": "priority", "op": "equals", "value": "P9"}]},
         "conditions.0.field"),
        ({"conditions": [{"type": "weather", "op": "sunny"}]}, "conditions.0"),
        ({"actions": [{"type": "close_ticket"}]}, "actions.0"),
        ({"actions": [{"type": "reply", "text": {"en": "Hi {name}"}}]}, "actions.0.reply.text"),
        ({"actions": [{"type": "assign", "strategy": "round_robin", "agent": AGENT}]},
         "actions.0.assign"),
        ({"actions": []}, "actions"),
    ],
)  # fmt: skip
def test_given_an_unknown_field_operator_or_action_then_422_names_its_path(api, change, field):
    answer = api.call("POST", "/v1/rules", as_=SUPERVISOR, body={**VPN_TO_SERVICEDESK, **change})

    assert answer.status_code == 422, answer.body
    assert field in [e["field"] for e in answer.json_body["errors"]]


def test_given_a_group_or_agent_that_does_not_exist_then_422_names_the_action(api):
    body = {
        "name": "Nowhere",
        "actions": [
            {"type": "set_group", "group": "nowhere"},
            {"type": "assign", "strategy": "agent", "agent": REQUESTER},
        ],
    }
    answer = api.call("POST", "/v1/rules", as_=SUPERVISOR, body=body)

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json_body["errors"]] == [
        "actions.0.group",
        "actions.1.agent",
    ]


def test_given_if_match_then_put_replaces_and_stale_or_missing_versions_are_refused(api):
    rule = add_rule(api)
    path = f"/v1/rules/{rule['id']}"
    body = {**VPN_TO_SERVICEDESK, "name": "Renamed"}

    missing = api.call("PUT", path, as_=SUPERVISOR, body=body)
    fresh = api.call("PUT", path, as_=SUPERVISOR, body=body, headers={"If-Match": '"1"'})
    stale = api.call("PUT", path, as_=SUPERVISOR, body=body, headers={"If-Match": '"1"'})
    stale_delete = api.call("DELETE", path, as_=SUPERVISOR, headers={"If-Match": '"1"'})

    assert missing.status_code == 428
    assert fresh.status_code == 200, fresh.body
    assert fresh.json_body["name"] == "Renamed" and fresh.json_body["version"] == 2
    assert fresh.json_body["position"] == rule["position"]
    assert fresh.headers["ETag"] == '"2"'
    assert stale.status_code == 412
    assert stale_delete.status_code == 412
    assert api.call("DELETE", path, as_=SUPERVISOR, headers={"If-Match": '"2"'}).status_code == 204
    assert api.call("GET", path, as_=SUPERVISOR).status_code == 404


def test_given_another_tenants_rule_then_it_does_not_exist_and_does_not_route_here(api):
    acme = add_rule(api, as_=ACME_ADMIN, name="acme tags", actions=[
        {"type": "add_tags", "tags": ["acme-only"]}])  # fmt: skip

    assert api.call("GET", f"/v1/rules/{acme['id']}", as_=SUPERVISOR).status_code == 404
    assert api.call("GET", "/v1/rules", as_=SUPERVISOR).json_body["items"] == []
    ticket = api.create_ticket(as_=REQUESTER)
    assert "acme-only" not in api.call("GET", f"/v1/tickets/{ticket['number']}",
                                       as_=AGENT).json_body["tags"]  # fmt: skip
    assert applied(api, ticket["number"]) == []


# --- routing on create --------------------------------------------------------------------


def test_given_a_routing_rule_then_portal_tickets_are_born_routed_and_round_robin(
    api, two_in_servicedesk
):
    from tests.integration.test_web_portal import Browser

    add_rule(api, **VPN_TO_SERVICEDESK)
    browser = Browser(api.client)
    browser.sign_in(REQUESTER)

    numbers = [browser.file(f"VPN valt weg ({i})", "Sinds vanochtend") for i in range(3)]
    other = browser.file("Printer jams", "Every job")

    tickets = [api.call("GET", f"/v1/tickets/{n}", as_=AGENT).json_body for n in numbers]
    assert [t["channel"] for t in tickets] == ["portal"] * 3
    # Turns go by address: agent2@ sorts before agent@.
    assert [t["assignee"] for t in tickets] == [AGENT2, AGENT, AGENT2]
    assert {t["group"] for t in tickets} == {"servicedesk"}
    assert {t["priority"] for t in tickets} == {"P2"}
    assert all(t["tags"] == ["vpn", "remote"] for t in tickets)
    assert all(t["version"] == 1 and t["sla"]["policy"] == "P2" for t in tickets)
    untouched = api.call("GET", f"/v1/tickets/{other}", as_=AGENT).json_body
    assert untouched["assignee"] is None and untouched["tags"] == []


def test_given_a_rule_applied_then_the_audit_trail_names_it_with_what_it_did(api):
    rule = add_rule(api, **VPN_TO_SERVICEDESK)
    ticket = api.create_ticket(as_=REQUESTER, subject="VPN drops")

    (event,) = applied(api, ticket["number"])
    assert event["actor"] == {"kind": "rule", "id": f"rule:{rule['id']}",
                              "name": "VPN naar servicedesk", "role": "supervisor"}  # fmt: skip
    assert event["data"]["rule"] == {"id": rule["id"], "name": "VPN naar servicedesk"}
    assert event["data"]["trigger"] == "created"
    assert [a["type"] for a in event["data"]["actions"]] == ["assign", "set_priority", "add_tags"]
    assert event["data"]["actions"][0]["assignee"] == AGENT
    assert event["changes"]["priority"] == {"from": "P3", "to": "P2"}
    assert event["changes"]["group"] == {"from": None, "to": "servicedesk"}
    created = [e for e in events(api, ticket["number"]) if e["type"] == "ticket.created"]
    assert created[0]["data"]["priority"] == "P2"


def test_given_stop_processing_and_positions_then_only_the_first_matching_rule_acts(api):
    add_rule(api, name="later", position=20, actions=[{"type": "set_priority", "priority": "P4"}])
    add_rule(api, name="first", position=10, stop_processing=True,
             actions=[{"type": "set_priority", "priority": "P1"}])  # fmt: skip
    add_rule(api, name="inactive", position=5, active=False,
             actions=[{"type": "add_tags", "tags": ["never"]}])  # fmt: skip

    ticket = api.create_ticket(as_=REQUESTER)

    assert ticket["priority"] == "P1"
    assert [e["data"]["rule"]["name"] for e in applied(api, ticket["number"])] == ["first"]


def test_given_least_loaded_then_the_agent_with_fewer_open_tickets_gets_the_ticket(
    api, two_in_servicedesk
):
    # agent2@ sorts first and would win a tie; one open ticket makes it the busier one.
    busy = api.create_ticket(as_=AGENT, requester_email=REQUESTER, assignee=AGENT2)
    done = api.create_ticket(as_=AGENT, requester_email=REQUESTER, assignee=AGENT)
    assert patch(api, done, status="resolved").status_code == 200  # not open: not load
    add_rule(api, name="least", actions=[
        {"type": "assign", "strategy": "least_loaded", "group": "servicedesk"}])  # fmt: skip

    ticket = api.create_ticket(as_=REQUESTER)

    assert busy["assignee"] == AGENT2
    assert (
        api.call("GET", f"/v1/tickets/{ticket['number']}", as_=AGENT).json_body["assignee"] == AGENT
    )


def test_given_a_template_reply_rule_then_a_public_message_is_mailed_but_not_a_response(
    api, aws_env
):
    add_rule(api, name="Ontvangst", actions=[{"type": "reply", "text": {
        "nl": "Beste {requester_name}, we hebben melding {ticket_number} ontvangen: {portal_link}",
        "en": "Dear {requester_name}, we received ticket {ticket_number}."}}])  # fmt: skip
    room = Mailroom(aws_env)

    ticket = api.create_ticket(as_=REQUESTER)
    room.settle()

    messages = api.call("GET", f"/v1/tickets/{ticket['number']}/messages",
                        as_=REQUESTER).json_body["items"]  # fmt: skip
    (reply,) = messages
    number = ticket["number"]
    assert reply["visibility"] == "public"
    assert reply["author"]["kind"] == "rule" and reply["author"]["name"] == "Ontvangst"
    assert reply["body"] == (
        f"Beste Sanne de Vries, we hebben melding {number} ontvangen: "
        f"http://127.0.0.1:8077/tickets/{number}"
    )
    after = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    assert after["first_response_at"] is None and after["status"] == "new"
    assert after["sla"]["first_response"]["state"] == "running"
    mailed = [m for m in room.sent_to(REQUESTER)
              if f"melding {number} ontvangen" in m.get_body(("plain",)).get_content()]  # fmt: skip
    assert len(mailed) == 1
    assert mailed[0]["Auto-Submitted"] == "auto-replied"


def test_given_mail_from_a_customer_domain_then_the_rule_on_domain_and_channel_routes_it(
    api, aws_env
):
    add_rule(api, name="Contoso", conditions=[
        {"type": "requester_domain", "op": "in", "values": ["customer.example.org"]},
        {"type": "field", "field": "channel", "op": "equals", "value": "email"}],
        actions=[{"type": "set_group", "group": "network"}])  # fmt: skip
    room = Mailroom(aws_env)

    room.send(mail(subject="Wifi is traag"))

    (ticket,) = api.call("GET", "/v1/tickets?group=network", as_=AGENT).json_body["items"]
    assert ticket["channel"] == "email" and ticket["subject"] == "Wifi is traag"


# --- routing on update --------------------------------------------------------------------


def test_given_an_update_rule_then_a_change_triggers_it_in_the_same_version(api):
    add_rule(api, name="P1 naar netwerk", trigger="updated",
             conditions=[{"type": "changed", "fields": ["priority"]},
                         {"type": "field", "field": "priority", "op": "equals", "value": "P1"}],
             actions=[{"type": "set_group", "group": "network"},
                      {"type": "add_tags", "tags": ["major"]}])  # fmt: skip
    ticket = api.create_ticket(as_=REQUESTER)
    assert applied(api, ticket["number"]) == []  # an update rule does not run on create

    answer = patch(api, ticket, priority="P1")

    assert answer.status_code == 200, answer.body
    assert answer.json_body["group"] == "network" and answer.json_body["tags"] == ["major"]
    assert answer.json_body["version"] == ticket["version"] + 1
    trail = events(api, ticket["number"])
    updated = [e for e in trail if e["type"] == "ticket.updated"]
    assert updated[0]["changes"] == {"priority": {"from": "P3", "to": "P1"}}
    assert updated[0]["actor"]["id"] == AGENT
    (rule_event,) = [e for e in trail if e["type"] == "rule.applied"]
    assert rule_event["data"]["trigger"] == "updated"
    assert set(rule_event["changes"]) == {"group", "tags"}


def test_given_update_rules_that_undo_each_other_then_one_change_runs_them_once(api):
    add_rule(api, name="to P1", trigger="updated", position=1,
             conditions=[{"type": "field", "field": "priority", "op": "equals", "value": "P2"}],
             actions=[{"type": "set_priority", "priority": "P1"}])  # fmt: skip
    add_rule(api, name="to P2", trigger="updated", position=2,
             conditions=[{"type": "field", "field": "priority", "op": "equals", "value": "P1"}],
             actions=[{"type": "set_priority", "priority": "P2"}])  # fmt: skip
    ticket = api.create_ticket(as_=REQUESTER)

    answer = patch(api, ticket, priority="P2")

    assert answer.status_code == 200
    assert answer.json_body["priority"] == "P2"
    assert answer.json_body["version"] == ticket["version"] + 1
    assert [e["data"]["rule"]["name"] for e in applied(api, ticket["number"])] in (
        ["to P1", "to P2"],
        ["to P2", "to P1"],  # same moment: the trail's order within it is the ids'
    )
    latest = api.call("GET", f"/v1/tickets/{ticket['number']}", as_=AGENT).json_body
    assert latest["version"] == ticket["version"] + 1


def test_given_a_rule_that_assigns_on_update_then_the_new_assignee_is_told(api, aws_env):
    add_rule(api, name="Assign on P1", trigger="updated",
             conditions=[{"type": "field", "field": "priority", "op": "equals", "value": "P1"}],
             actions=[{"type": "assign", "strategy": "agent", "agent": AGENT2}])  # fmt: skip
    room = Mailroom(aws_env)
    ticket = api.create_ticket(as_=REQUESTER)
    room.settle()

    patch(api, ticket, priority="P1")
    room.settle()

    assert len(room.sent_to(AGENT2)) == 1
