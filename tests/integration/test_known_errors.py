"""Known errors: a problem with known-error status and a workaround is found by agents (search
and ticket page), never by requesters; its postings follow its RCA exactly (property)."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.principal import Principal, Role
from tests.integration.conftest import Api
from tests.integration.test_kb_postings import table
from tests.integration.test_web_portal import Browser, html

AGENT = "agent@demo.example.com"
REQUESTER = "requester@demo.example.com"
AGENT_PRINCIPAL = Principal(
    tenant="demo", role=Role.AGENT, kind="user", id=AGENT, name="Eva Bakker", email=AGENT,
    locale="nl",
)  # fmt: skip
WORKAROUND = "Zet de keep-alive van de VPN client op 60 seconden."


def problem_with_rca(api: Api, **rca: Any) -> int:
    number = api.create_ticket(
        as_=AGENT,
        subject="VPN tunnels vallen weg",
        description="Veel gebruikers verliezen hun VPN verbinding",
        type="problem",
        requester_email=AGENT,
    )["number"]
    body = {
        "symptoms": "VPN verbinding valt elke tien minuten weg",
        "root_cause": "Firewall firmware 7.2 sluit stille tunnels",
        "workaround": WORKAROUND,
        "permanent_fix": "Firmware 7.3",
        "known_error": True,
        **rca,
    }
    answer = api.call(
        "PUT", f"/v1/tickets/{number}/rca", as_=AGENT, body=body, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 200, answer.body
    return number


def postings() -> list[dict[str, Any]]:
    return [i for i in table() if i.get("kind") == "known_error_posting"]


def test_given_a_known_error_when_an_agent_searches_then_it_is_found(api: Api):
    number = problem_with_rca(api)
    api.create_ticket(subject="Printer", description="Paper jam")  # not a problem at all
    from chalicelib.wiring import problem_service

    found = problem_service().known_errors(AGENT_PRINCIPAL, "mijn vpn verbinding valt weg")

    assert [t.number for t in found] == [number]
    assert postings() and all(p["PK"].startswith("T#demo#KETERM#") for p in postings())


def test_given_a_known_error_when_an_integrator_searches_the_api_then_agents_find_it(api: Api):
    number = problem_with_rca(api)

    found = api.call("GET", "/v1/known-errors?q=vpn%20valt%20weg&limit=3", as_=AGENT)
    assert found.status_code == 200, found.body
    assert [t["number"] for t in found.json_body["items"]] == [number]
    assert found.json_body["items"][0]["rca"]["workaround"] == WORKAROUND

    nothing = api.call("GET", "/v1/known-errors?q=printer", as_=AGENT)
    assert nothing.json_body == {"items": []}
    assert api.call("GET", "/v1/known-errors?q=vpn", as_=REQUESTER).status_code == 403
    assert api.call("GET", "/v1/known-errors?q=", as_=AGENT).status_code == 422
    assert api.call("GET", "/v1/known-errors?q=vpn&limit=21", as_=AGENT).status_code == 422


def test_given_a_problem_without_known_error_status_then_it_has_no_postings(api: Api):
    problem_with_rca(api, known_error=False)
    problem_with_rca(api, workaround="")  # known error without a workaround: not searchable

    assert postings() == []


def test_given_a_known_error_then_an_agent_sees_it_on_a_matching_ticket_and_a_requester_never(
    api: Api,
):
    number = problem_with_rca(api)
    incident = api.create_ticket(
        subject="VPN verbinding valt weg", description="Thuis valt mijn vpn steeds weg"
    )["number"]
    agent, requester = Browser(api.client), Browser(api.client)
    agent.sign_in(AGENT)
    requester.sign_in(REQUESTER)

    page = html(agent.get(f"/agent/tickets/{incident}"))
    assert "Bekende fouten" in page and WORKAROUND in page and f"#{number}" in page
    search = html(agent.get("/agent/problems?q=vpn+valt+weg"))
    assert WORKAROUND in search

    own = html(requester.get(f"/tickets/{incident}"))
    assert WORKAROUND not in own and "Bekende fout" not in own
    assert requester.get("/agent/problems?q=vpn").status_code == 403
    for path in ("/v1/kb/search?q=vpn", f"/v1/tickets/{number}"):
        answer = api.call("GET", path, as_=REQUESTER)
        assert WORKAROUND not in answer.body.decode(), path


@pytest.mark.usefixtures("tenants")
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.booleans(),
            st.lists(
                st.sampled_from(["vpn", "tunnel", "firewall", "printer", "toner", "laptop"]),
                max_size=6,
            ).map(" ".join),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_given_any_rca_history_when_the_known_error_is_cleared_then_no_postings_remain(
    steps: list[tuple[bool, str]],
):
    from chalicelib.domain.tickets import Channel, TicketType
    from chalicelib.services.tickets import NewTicket
    from chalicelib.wiring import problem_service, ticket_service

    problem, _ = ticket_service().create(
        AGENT_PRINCIPAL,
        NewTicket(subject="Storing", description="x", type=TicketType.PROBLEM),
        channel=Channel.API,
    )
    service = problem_service()
    version = problem.version
    for known, workaround in steps:
        rca = {"symptoms": "", "root_cause": "", "workaround": workaround,
               "permanent_fix": "", "known_error": known}  # fmt: skip
        version = service.set_rca(AGENT_PRINCIPAL, problem.number, rca, version).version
        mine = [p for p in postings() if p["problem"] == problem.number]
        assert bool(mine) == (known and bool(workaround.strip()))
    cleared = {"symptoms": "", "root_cause": "", "workaround": "", "permanent_fix": "",
               "known_error": False}  # fmt: skip
    service.set_rca(AGENT_PRINCIPAL, problem.number, cleared, version)

    items = table()
    assert [p for p in items if p.get("kind") == "known_error_posting"] == []
    assert [i for i in items if i.get("kind") == "known_error"] == []
    stats = next((i for i in items if i.get("SK") == "KE#STATS"), {})
    assert stats.get("documents", 0) == 0 and stats.get("total_length", 0) == 0
