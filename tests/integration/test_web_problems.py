"""Problem management in the agent workspace over chalice.test: the suggestions page, creating
a problem from a suggestion or dismissing it, and a problem's RCA, links and resolution."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import wiring
from chalicelib.workers import daily
from tests.integration.conftest import Api, SignIn
from tests.integration.test_recurring import VPN, file_all
from tests.integration.test_web_portal import Browser, html

AGENT = "agent@demo.example.com"
REQUESTER = "requester@demo.example.com"
ACME_AGENT = "agent@acme.example.com"
_SUGGESTION = re.compile(r'action="/agent/problems/suggestions/([0-9a-f]{16})"')
_VERSION = re.compile(r'action="/agent/tickets/\d+/rca".*?name="version" value="(\d+)"', re.S)


@pytest.fixture
def agent(sign_in: SignIn) -> Browser:
    return sign_in(AGENT)


def detect() -> None:
    daily.run(datetime.now(UTC) + timedelta(hours=1))


def new_problem(api: Api) -> int:
    return api.create_ticket(
        as_=AGENT, subject="VPN tunnels", description="x", type="problem", requester_email=AGENT
    )["number"]


def test_given_recurring_incidents_then_the_problems_page_suggests_them_with_their_numbers(
    api: Api, agent: Browser
):
    vpn = file_all(api, VPN)
    detect()

    answer = agent.get("/agent/problems")

    page = html(answer)
    assert answer.status_code == 200
    assert "4 incidenten over 'vpn verbinding'" in page
    assert all(f"#{n}</a>" in page for n in vpn)
    assert "Probleem maken van deze incidenten" in page
    assert 'href="/agent/problems"' in html(agent.get("/agent"))  # the workspace links it


def test_given_a_requester_or_another_tenant_then_the_suggestions_stay_hidden(
    api: Api, sign_in: SignIn
):
    file_all(api, VPN)
    detect()
    requester, other = sign_in(REQUESTER), sign_in(ACME_AGENT)

    assert requester.get("/agent/problems").status_code == 403
    page = html(other.get("/agent/problems"))
    assert "vpn" not in page.lower()


def test_given_a_suggestion_when_the_agent_creates_the_problem_then_the_incidents_are_linked(
    api: Api, agent: Browser
):
    vpn = file_all(api, VPN)
    detect()
    (suggestion,) = _SUGGESTION.findall(html(agent.get("/agent/problems")))

    answer = agent.post(
        f"/agent/problems/suggestions/{suggestion}",
        {"action": "create", "subject": "VPN valt weg bij iedereen"},
    )

    assert answer.status_code == 303
    number = int(answer.headers["Location"].rsplit("/", 1)[1])
    problem = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    assert problem["type"] == "problem" and problem["subject"] == "VPN valt weg bij iedereen"
    links = api.call("GET", f"/v1/tickets/{number}/links", as_=AGENT).json_body["items"]
    assert [t["number"] for t in links] == vpn
    page = html(agent.get(f"/agent/tickets/{number}"))
    assert "Gekoppelde incidenten" in page and all(f"#{n}</a>" in page for n in vpn)
    assert wiring.recurring_incidents().store.suggestions("demo") == []
    # The same form again: the suggestion is gone, and no second problem is filed.
    again = agent.post(
        f"/agent/problems/suggestions/{suggestion}", {"action": "create", "subject": "VPN"}
    )
    assert again.status_code == 404


def test_given_a_dismissed_suggestion_then_it_returns_only_with_a_new_incident(
    api: Api, agent: Browser
):
    file_all(api, VPN)
    detect()
    (suggestion,) = _SUGGESTION.findall(html(agent.get("/agent/problems")))

    answer = agent.post(f"/agent/problems/suggestions/{suggestion}", {"action": "dismiss"})

    assert answer.status_code == 303
    assert _SUGGESTION.findall(html(agent.get("/agent/problems"))) == []
    detect()
    assert _SUGGESTION.findall(html(agent.get("/agent/problems"))) == []
    file_all(api, [("VPN verbinding weer weg", "Alweer geen vpn verbinding")])
    detect()
    assert len(_SUGGESTION.findall(html(agent.get("/agent/problems")))) == 1


def test_given_a_problem_when_the_agent_saves_its_rca_then_it_is_stored_and_shown(
    api: Api, agent: Browser
):
    number = new_problem(api)
    page = html(agent.get(f"/agent/tickets/{number}"))
    assert "Oorzaakanalyse" in page
    form = {
        "version": _VERSION.search(page).group(1),
        "symptoms": "VPN valt weg",
        "root_cause": "Firmware",
        "workaround": "Keep-alive 60 s",
        "permanent_fix": "",
        "known_error": "yes",
    }

    answer = agent.post(f"/agent/tickets/{number}/rca", form)

    assert answer.status_code == 303
    rca = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["rca"]
    assert rca["workaround"] == "Keep-alive 60 s" and rca["known_error"] is True
    assert "Bekende fout" in html(agent.get(f"/agent/tickets/{number}"))


def test_given_a_stale_rca_form_then_a_409_shows_the_current_analysis_and_the_agents_text(
    api: Api, agent: Browser
):
    number = new_problem(api)
    page = html(agent.get(f"/agent/tickets/{number}"))
    stale = _VERSION.search(page).group(1)
    api.call(
        "PUT",
        f"/v1/tickets/{number}/rca",
        as_=AGENT,
        body={"symptoms": "Iemand anders", "known_error": False},
        headers={"If-Match": f'"{stale}"'},
    )

    answer = agent.post(
        f"/agent/tickets/{number}/rca",
        {"version": stale, "symptoms": "Mijn tekst", "root_cause": "", "workaround": "",
         "permanent_fix": ""},
    )  # fmt: skip

    assert answer.status_code == 409
    page = html(answer)
    assert "Iemand anders" in page and "Mijn tekst" in page
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["rca"]["symptoms"] == (
        "Iemand anders"
    )


def test_given_a_known_error_without_workaround_then_the_form_says_what_is_missing(
    api: Api, agent: Browser
):
    number = new_problem(api)
    page = html(agent.get(f"/agent/tickets/{number}"))

    answer = agent.post(
        f"/agent/tickets/{number}/rca",
        {"version": _VERSION.search(page).group(1), "symptoms": "x", "known_error": "yes"},
    )

    assert answer.status_code == 422
    assert "tijdelijke oplossing nodig" in html(answer)


def test_given_several_numbers_when_linking_then_all_are_linked_or_the_refusal_is_shown(
    api: Api, agent: Browser
):
    number = new_problem(api)
    incidents = file_all(api, VPN[:3])
    agent.get(f"/agent/tickets/{number}")

    refused = agent.post(
        f"/agent/tickets/{number}/links", {"incidents": f"{incidents[0]}, {number}"}
    )
    assert refused.status_code == 422 and "kunnen niet gekoppeld worden" in html(refused)
    nonsense = agent.post(f"/agent/tickets/{number}/links", {"incidents": "een twee"})
    assert nonsense.status_code == 422

    answer = agent.post(
        f"/agent/tickets/{number}/links", {"incidents": " ".join(map(str, incidents))}
    )

    assert answer.status_code == 303
    links = api.call("GET", f"/v1/tickets/{number}/links", as_=AGENT).json_body["items"]
    assert [t["number"] for t in links] == incidents


def test_given_a_problem_with_incidents_when_resolved_then_each_incident_gets_the_message(
    api: Api, agent: Browser
):
    number = new_problem(api)
    incidents = file_all(api, VPN[:2])
    api.call("POST", f"/v1/tickets/{number}/links", as_=AGENT, body={"incidents": incidents})
    page = html(agent.get(f"/agent/tickets/{number}"))
    assert "Ook de 2 open gekoppelde incidenten oplossen" in page

    answer = agent.post(
        f"/agent/tickets/{number}/resolve",
        {"version": _VERSION.search(page).group(1), "message": "Opgelost met firmware 7.3",
         "resolve_incidents": "yes"},
    )  # fmt: skip

    assert answer.status_code == 303
    for n in incidents:
        seen = api.call("GET", f"/v1/tickets/{n}", as_=REQUESTER).json_body
        assert seen["status"] == "resolved"
        messages = api.call("GET", f"/v1/tickets/{n}/messages", as_=REQUESTER).json_body["items"]
        assert [m["body"] for m in messages] == ["Opgelost met firmware 7.3"]
    agent.get(f"/agent/tickets/{number}")
    missing = agent.post(
        f"/agent/tickets/{number}/resolve", {"version": "1", "resolve_incidents": "yes"}
    )
    assert missing.status_code == 422
