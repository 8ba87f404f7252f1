"""The supervisor's rules page over chalice.test: list in order, create and edit with the
form (plain fields and the JSON boxes), reorder, switch, delete with confirmation — all
through RuleService, so roles and versions are the API's."""

import re
from typing import Any

import pytest

from tests.integration.conftest import Api, SignIn
from tests.integration.test_web_portal import Browser, html

SUPERVISOR = "supervisor@demo.example.com"
AGENT = "agent@demo.example.com"


@pytest.fixture
def supervisor(sign_in: SignIn) -> Browser:
    return sign_in(SUPERVISOR)


def rules(api: Api) -> list[dict[str, Any]]:
    return api.call("GET", "/v1/rules", as_=SUPERVISOR).json_body["items"]


def add(api: Api, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "actions": [{"type": "add_tags", "tags": [name.lower()]}], **fields}
    answer = api.call("POST", "/v1/rules", as_=SUPERVISOR, body=body)
    assert answer.status_code == 201, answer.body
    return answer.json_body


def test_given_a_supervisor_when_filling_the_form_then_the_rule_is_stored_as_the_api_would(
    api, supervisor
):
    page = html(supervisor.get("/agent/rules"))
    assert "/agent/rules/new" in page
    blank = supervisor.get("/agent/rules/new")
    assert blank.status_code == 200, html(blank)
    assert 'name="active" checked' in html(blank)
    form = {
        "name": "VPN naar netwerk", "trigger": "both", "match": "all", "active": "on",
        "channel.email": "on", "channel.portal": "on", "terms": "vpn, remote access",
        "domains": "Contoso.com", "hours": "outside", "set_group": "network",
        "set_priority": "P2", "add_tags": "vpn", "add_watcher": "supervisor@demo.example.com",
        "reply_nl": "Beste {requester_name}, we kijken ernaar.",
        "more_conditions": '[{"type": "tags", "op": "has_none", "values": ["spam"]}]',
    }  # fmt: skip
    answer = supervisor.post("/agent/rules/new", form)
    assert answer.status_code == 303, html(answer)
    (rule,) = rules(api)
    assert rule["name"] == "VPN naar netwerk" and rule["trigger"] == "both"
    assert {"type": "field", "field": "channel", "op": "in",
            "values": ["portal", "email"]} in rule["conditions"]  # fmt: skip
    assert {"type": "text", "in": "subject_or_body", "op": "any",
            "terms": ["vpn", "remote access"]} in rule["conditions"]  # fmt: skip
    assert {"type": "tags", "op": "has_none", "values": ["spam"]} in rule["conditions"]
    assert {"type": "set_group", "group": "network"} in rule["actions"]
    assert {"type": "add_watcher", "email": "supervisor@demo.example.com"} in rule["actions"]

    # The edit page shows every part again: the plain ones in fields, the rest as JSON.
    page = html(supervisor.get(f"/agent/rules/{rule['id']}"))
    assert 'value="vpn, remote access"' in page and "has_none" in page
    assert 'name="channel.email" checked' in page


def test_given_a_wrong_form_then_422_with_the_error_on_its_field_and_nothing_stored(
    api, supervisor
):
    supervisor.get("/agent/rules/new")
    answer = supervisor.post("/agent/rules/new", {"name": "", "add_tags": "x"})
    assert answer.status_code == 422
    assert 'id="name-error"' in html(answer)
    answer = supervisor.post("/agent/rules/new", {"name": "No action"})
    assert answer.status_code == 422 and 'id="actions-error"' in html(answer)
    answer = supervisor.post("/agent/rules/new", {"name": "Bad domain", "domains": "not a domain",
                                                  "add_tags": "x"})  # fmt: skip
    assert answer.status_code == 422 and 'id="domains-error"' in html(answer)
    explode = {"name": "Bad JSON", "add_tags": "x", "more_actions": '[{"type": "explode"}]'}
    answer = supervisor.post("/agent/rules/new", explode)
    assert answer.status_code == 422
    # The path counts within the box: its first entry is at actions.0, whatever precedes it.
    assert 'id="more_actions-error"' in html(answer) and "actions.0" in html(answer)
    answer = supervisor.post("/agent/rules/new", {"name": "Not a list", "add_tags": "x",
                                                  "more_conditions": "{"})  # fmt: skip
    assert answer.status_code == 422 and 'id="more_conditions-error"' in html(answer)
    answer = supervisor.post("/agent/rules/new", {"name": "Ghost group", "set_group": "ghosts"})
    assert answer.status_code == 422
    assert rules(api) == []


def test_given_rules_then_they_move_switch_and_delete_after_confirmation(api, supervisor):
    first, second = add(api, "First"), add(api, "Second")
    page = html(supervisor.get("/agent/rules"))
    assert page.index("First") < page.index("Second")

    answer = supervisor.post(f"/agent/rules/{second['id']}/move",
                             {"direction": "up", "version": str(second["version"])})  # fmt: skip
    assert answer.status_code == 303
    assert [r["name"] for r in rules(api)] == ["Second", "First"]

    supervisor.get("/agent/rules")
    stale = supervisor.post(f"/agent/rules/{first['id']}/active", {"version": "1"})
    assert "done=stale" in stale.headers["Location"]  # moving it made version 2
    current = {r["name"]: r for r in rules(api)}["First"]
    supervisor.get("/agent/rules")
    supervisor.post(f"/agent/rules/{first['id']}/active", {"version": str(current["version"])})
    assert {r["name"]: r for r in rules(api)}["First"]["active"] is False

    confirm = html(supervisor.get(f"/agent/rules/{second['id']}/delete"))
    assert "Second" in confirm
    current = {r["name"]: r for r in rules(api)}["Second"]
    supervisor.post(f"/agent/rules/{second['id']}/delete", {"version": str(current["version"])})
    assert [r["name"] for r in rules(api)] == ["First"]


def test_given_an_agent_then_the_rules_pages_are_forbidden_and_not_linked(sign_in: SignIn):
    agent = sign_in(AGENT)
    assert "/agent/rules" not in html(agent.get("/agent"))
    assert agent.get("/agent/rules").status_code == 403
    assert agent.get("/agent/rules/new").status_code == 403


def test_given_the_supervisor_then_the_workspace_links_the_rules(api, supervisor):
    assert re.search(r'href="/agent/rules"', html(supervisor.get("/agent")))
