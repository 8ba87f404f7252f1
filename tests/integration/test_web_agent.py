"""The agent workspace over chalice.test: queues and their counts, the ticket page, notes
and replies, changes with conflicts, escalation, time, phone intake, the supervisor's
counts, and who may see any of it."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Api, SignIn
from tests.integration.test_web_portal import CSP, Browser, html

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"  # tier 1, group servicedesk
AGENT2 = "agent2@demo.example.com"  # tier 2, group network
SUPERVISOR = "supervisor@demo.example.com"
ACME_AGENT = "agent@acme.example.com"
_VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def agent(sign_in: SignIn) -> Browser:
    return sign_in(AGENT)


@pytest.fixture
def client(api: Api) -> Client:
    return api.client


@pytest.fixture
def visitor(client: Client) -> Browser:
    return Browser(client)


def file(api: Api, subject: str = "Printer jams", **fields: Any) -> int:
    return api.create_ticket(subject=subject, description="Every job", **fields)["number"]


def ticket(api: Api, number: int) -> dict[str, Any]:
    return api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body


def version_on(page: str) -> str:
    found = _VERSION.search(page)
    assert found, "the page has no versioned form"
    return found.group(1)


def change_form(page: str, **changes: str) -> dict[str, str]:
    """The change form as the page filled it in, with `changes` made by the agent."""
    form = page[page.index('action="/agent/tickets/') :]
    form = form[form.index("/change") :]
    form = form[: form.index("</form>")]
    values: dict[str, str] = {"version": version_on(form)}
    for name in ("status", "priority", "type", "tier", "group"):
        select = re.search(rf'<select id="{name}" name="{name}".*?</select>', form, re.S)
        assert select, name
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0))
        values[name] = chosen.group(1) if chosen else ""
    for name in ("assignee", "category", "problem"):
        field = re.search(rf'id="{name}" name="{name}"[^>]*value="([^"]*)"', form)
        assert field, name
        values[name] = field.group(1)
    return {**values, **changes}


# --- who gets in ----------------------------------------------------------------------


def test_given_staff_signing_in_on_the_portal_then_they_land_in_the_workspace(
    visitor: Browser,
):
    answer = visitor.sign_in(AGENT)

    assert answer.headers["Location"] == "/agent"
    page = html(visitor.get("/agent"))
    assert "Werkplek" in page and "Mijn tickets" in page


def test_given_a_requester_when_opening_the_workspace_then_a_friendly_403(
    api: Api, signed_in: Browser
):
    number = file(api)

    for path in ("/agent", f"/agent/tickets/{number}", "/agent/new", "/agent/supervisor"):
        answer = signed_in.get(path)
        assert answer.status_code == 403, path
        assert "Niet toegestaan" in html(answer)
        assert answer.headers["Content-Security-Policy"] == CSP
    assert signed_in.get("/").status_code == 200


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    visitor.sign_in(REQUESTER)
    return visitor


def test_given_an_agent_then_the_supervisor_page_is_refused(agent: Browser):
    assert agent.get("/agent/supervisor").status_code == 403


def test_given_another_tenants_ticket_then_the_agent_page_is_404(api: Api, sign_in: SignIn):
    number = file(api)
    outsider = sign_in(ACME_AGENT)

    answer = outsider.get(f"/agent/tickets/{number}")

    assert answer.status_code == 404
    assert "Printer jams" not in html(answer)


# --- queues ---------------------------------------------------------------------------


def queue_counts(page: str) -> dict[str, int]:
    found = re.findall(
        r'href="/agent\?queue=([^"&]+)[^"]*"[^>]*>[^<]*<span class="count">(\d+)', page
    )
    return {name.replace("%3A", ":"): int(count) for name, count in found}


def test_given_tickets_then_each_queue_lists_and_counts_its_own(api: Api, agent: Browser):
    mine = file(api, "Mine")
    unassigned = file(api, "Nobody's")
    network = file(api, "Network down")
    api.call(
        "PATCH",
        f"/v1/tickets/{mine}",
        as_=AGENT,
        body={"assignee": AGENT, "group": "servicedesk"},
        headers={"If-Match": '"1"'},
    )
    api.call(
        "PATCH",
        f"/v1/tickets/{network}",
        as_=AGENT,
        body={"assignee": AGENT2, "group": "network"},
        headers={"If-Match": '"1"'},
    )

    page = html(agent.get("/agent"))

    assert queue_counts(page) == {
        "mine": 1,
        "group:servicedesk": 1,
        "unassigned": 1,
        "breached": 0,
        "at_risk": 0,
        "open": 3,
    }
    assert "Mine" in page and "Nobody&#39;s" not in page
    unassigned_page = html(agent.get("/agent?queue=unassigned"))
    assert f"#{unassigned}<" in unassigned_page and f"#{mine}<" not in unassigned_page
    everything = html(agent.get("/agent?queue=open&sort=oldest"))
    # Oldest change first: the unassigned one was never touched after it was filed.
    positions = [everything.index(f"#{n}<") for n in (unassigned, mine, network)]
    assert positions == sorted(positions)
    assert agent.get("/agent?queue=group:network").status_code == 404


def test_given_a_filter_then_the_queue_narrows_and_resolved_tickets_leave_it(
    api: Api, agent: Browser
):
    urgent = file(api, "Urgent one", impact="high", urgency="high")
    calm = file(api, "Calm one", impact="low", urgency="low")
    done = file(api, "Done one")
    api.call(
        "PATCH",
        f"/v1/tickets/{done}",
        as_=AGENT,
        body={"status": "resolved"},
        headers={"If-Match": '"1"'},
    )

    p1 = html(agent.get("/agent?queue=open&priority=P1"))
    everything = html(agent.get("/agent?queue=open"))
    resolved = html(agent.get("/agent?queue=open&status=resolved"))

    assert f"#{urgent}<" in p1 and f"#{calm}<" not in p1
    assert f"#{done}<" not in everything and f"#{calm}<" in everything
    assert f"#{done}<" in resolved


def test_given_htmx_polling_then_the_queue_comes_back_as_a_fragment(api: Api, agent: Browser):
    file(api)
    page = html(agent.get("/agent?queue=open"))
    assert 'hx-trigger="every 30s"' in page

    fragment = agent.get("/agent?queue=open", **{"HX-Request": "true"})

    assert fragment.status_code == 200
    body = html(fragment)
    assert body.lstrip().startswith('<div id="queue"') and "<html" not in body
    assert "Printer jams" in body


def test_given_the_queue_page_then_it_costs_a_few_dynamodb_calls(
    api: Api, agent: Browser, monkeypatch: pytest.MonkeyPatch
):
    for n in range(5):
        file(api, f"Ticket {n}")
    agent.get("/agent")  # the tenant settings are kept a minute; count a warm page
    calls = count_dynamodb_calls(monkeypatch)

    agent.get("/agent?queue=open")

    # profile (groups), the queue's Query, one count Query per open status.
    assert sum(calls.values()) <= 7, calls


def count_dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    from chalicelib.adapters import aws

    db = aws.client("dynamodb")
    calls: dict[str, int] = {}
    for operation in ("get_item", "query", "batch_get_item", "transact_write_items"):
        original = getattr(db, operation)

        def counted(
            *args: Any, _original: Any = original, _name: str = operation, **kw: Any
        ) -> Any:
            calls[_name] = calls.get(_name, 0) + 1
            return _original(*args, **kw)

        monkeypatch.setattr(db, operation, counted)
    return calls


# --- the ticket page ------------------------------------------------------------------


def test_given_notes_and_replies_then_the_agent_sees_both_marked_and_the_requester_only_replies(
    api: Api, sign_in: SignIn, agent: Browser
):
    number = file(api)
    agent.get(f"/agent/tickets/{number}")

    note = agent.post(
        f"/agent/tickets/{number}/message",
        {"body": "Printer is end of life", "visibility": "internal"},
    )
    agent.get(f"/agent/tickets/{number}")
    reply = agent.post(
        f"/agent/tickets/{number}/message", {"body": "Which tray?", "visibility": "public"}
    )
    page = html(agent.get(f"/agent/tickets/{number}"))

    assert note.status_code == 303 and reply.status_code == 303
    assert re.search(r'class="message internal".*?Printer is end of life', page, re.S)
    assert re.search(r'class="message from-helpdesk".*?Which tray\?', page, re.S)
    requester = sign_in(REQUESTER)
    portal = html(requester.get(f"/tickets/{number}"))
    assert "Which tray?" in portal and "end of life" not in portal
    assert ticket(api, number)["status"] == "open"  # the first public reply opened it


def test_given_an_agent_taking_a_ticket_then_it_is_theirs_and_the_audit_trail_says_so(
    api: Api, agent: Browser
):
    number = file(api)
    agent.get(f"/agent/tickets/{number}")

    answer = agent.post(f"/agent/tickets/{number}/take", {"version": "1"})
    page = html(agent.get(answer.headers["Location"]))

    assert ticket(api, number)["assignee"] == AGENT
    assert f"Ticket #{number} is nu aan jou toegewezen." in page
    audit = page[page.index('id="audit-heading"') :]
    assert "Eva Bakker" in audit and f"— → {AGENT}" in audit


def test_given_the_change_form_then_only_what_differs_is_changed(api: Api, agent: Browser):
    number = file(api)
    page = html(agent.get(f"/agent/tickets/{number}"))

    answer = agent.post(
        f"/agent/tickets/{number}/change",
        change_form(page, priority="P1", group="network", category="network/vpn"),
    )

    assert answer.status_code == 303, html(answer)
    after = ticket(api, number)
    assert (after["priority"], after["group"], after["category"]) == (
        "P1",
        "network",
        "network/vpn",
    )
    assert after["version"] == 2
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert set(events[-1]["changes"]) == {"priority", "group", "category"}


def test_given_a_stale_form_then_the_conflict_names_who_changed_it_and_nothing_is_lost(
    api: Api, agent: Browser
):
    number = file(api)
    stale = html(agent.get(f"/agent/tickets/{number}"))
    api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_=SUPERVISOR,
        body={"priority": "P2"},
        headers={"If-Match": '"1"'},
    )

    answer = agent.post(f"/agent/tickets/{number}/change", change_form(stale, status="pending"))

    assert answer.status_code == 409
    page = html(answer)
    assert "changed this ticket meanwhile" in page or "heeft dit ticket intussen gewijzigd" in page
    supervisor_name = api.call("GET", "/v1/me", as_=SUPERVISOR).json_body["name"]
    assert supervisor_name in page
    attempted = page[page.index('class="attempted"') :]
    attempted = attempted[: attempted.index("</ul>")]
    # The agent's status, and the priority they saw, differ from the ticket as it is now.
    assert "Wacht op de melder" in attempted and "P3" in attempted
    assert version_on(page) == "2"
    after = ticket(api, number)
    assert (after["status"], after["priority"], after["version"]) == ("new", "P2", 2)


def test_given_a_problem_link_then_only_a_problem_ticket_is_accepted(api: Api, agent: Browser):
    problem = file(api, "Printers keep jamming", type="problem")
    incident = file(api, "Printer jams again")
    page = html(agent.get(f"/agent/tickets/{incident}"))

    refused = agent.post(f"/agent/tickets/{incident}/change", change_form(page, problem="999"))
    not_a_problem = agent.post(
        f"/agent/tickets/{incident}/change", change_form(page, problem=str(incident))
    )
    linked = agent.post(
        f"/agent/tickets/{incident}/change", change_form(page, problem=f"#{problem}")
    )

    # The service refuses; the page shows its reason next to the field, in Dutch.
    assert refused.status_code == 422 and 'id="problem-error"' in html(refused)
    assert "Er is geen melding met dat nummer." in html(refused)
    assert not_a_problem.status_code == 422
    assert "Een ticket kan niet zijn eigen probleem zijn." in html(not_a_problem)
    assert linked.status_code == 303
    assert ticket(api, incident)["problem"] == problem
    listed = api.call("GET", f"/v1/tickets/{problem}/links", as_=AGENT)
    assert [t["number"] for t in listed.json_body["items"]] == [incident]


def test_given_a_question_then_the_page_refuses_a_problem_link(api: Api, agent: Browser):
    problem = file(api, "Printers keep jamming", type="problem")
    question = file(api, "Which printer is mine?", type="question")
    page = html(agent.get(f"/agent/tickets/{question}"))

    refused = agent.post(
        f"/agent/tickets/{question}/change", change_form(page, problem=str(problem))
    )

    assert refused.status_code == 422
    assert "Alleen incidenten kunnen aan een probleem gekoppeld worden." in html(refused)
    assert ticket(api, question)["problem"] is None


def test_given_escalation_and_time_then_both_are_recorded(api: Api, agent: Browser):
    number = file(api)
    agent.get(f"/agent/tickets/{number}")

    escalated = agent.post(
        f"/agent/tickets/{number}/escalate",
        {"tier": "2", "group": "network", "reason": "Needs the network team"},
    )
    agent.get(f"/agent/tickets/{number}")
    logged = agent.post(f"/agent/tickets/{number}/time", {"minutes": "25", "note": "Called"})
    agent.get(f"/agent/tickets/{number}")
    refused = agent.post(f"/agent/tickets/{number}/time", {"minutes": "0"})

    assert escalated.status_code == 303 and logged.status_code == 303
    after = ticket(api, number)
    assert (after["tier"], after["group"], after["time_spent_minutes"]) == (2, "network", 25)
    assert refused.status_code == 422 and 'id="minutes-error"' in html(refused)
    page = html(agent.get(f"/agent/tickets/{number}"))
    assert "Needs the network team" in page and "25 min" in page


def test_given_sla_clocks_then_the_page_shows_their_remaining_time(api: Api, agent: Browser):
    number = file(api, impact="high", urgency="high")

    page = html(agent.get(f"/agent/tickets/{number}?lang=en"))

    clocks = page[page.index('id="sla-heading"') : page.index('id="change-heading"')]
    assert "First response" in clocks and "Resolution" in clocks
    assert re.search(r"\d+ (h|min)( \d+ min)? left", clocks)


def test_given_an_xss_payload_then_the_agent_pages_show_it_as_text(api: Api, agent: Browser):
    subject = "<script>alert('subject')</script>"
    number = file(api, subject)
    agent.get(f"/agent/tickets/{number}")
    agent.post(
        f"/agent/tickets/{number}/message",
        {"body": "<img src=x onerror=alert(1)>", "visibility": "internal"},
    )

    queue = html(agent.get("/agent?queue=open"))
    page = html(agent.get(f"/agent/tickets/{number}"))

    for shown in (queue, page):
        assert "<script>alert" not in shown
        assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in shown
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_given_a_form_without_csrf_token_then_403_and_nothing_changes(api: Api, agent: Browser):
    number = file(api)
    agent.get(f"/agent/tickets/{number}")

    posts = [
        (f"/agent/tickets/{number}/message", {"body": "Forged", "visibility": "public"}),
        (f"/agent/tickets/{number}/take", {"version": "1"}),
        (f"/agent/tickets/{number}/time", {"minutes": "5"}),
        ("/agent/new", {"subject": "Forged"}),
    ]
    for path, form in posts:
        answer = agent.post(path, form, csrf=False)
        assert answer.status_code == 403, path

    after = ticket(api, number)
    assert (after["version"], after["assignee"]) == (1, None)
    assert api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body["items"] == []


def test_given_macros_then_the_reply_box_offers_mine_and_shared_and_fills_one_in(
    api: Api, agent: Browser
):
    number = file(api)
    body = {
        "nl": "Hoi {{requester_name}}, ticket {{ticket_number}} is bekeken.",
        "en": "Hi {{requester_name}}, ticket {{ticket_number}} has been looked at.",
    }
    shared = api.call(
        "POST",
        "/v1/macros",
        as_="supervisor@demo.example.com",
        body={"name": "Looked at", "body": body, "scope": "shared"},
    ).json_body
    api.call("POST", "/v1/macros", as_="agent2@demo.example.com",
             body={"name": "Daan's own", "body": {"en": "Mine"}})  # fmt: skip

    page = html(agent.get(f"/agent/tickets/{number}"))
    assert 'name="template"' in page and "Looked at" in page and "Daan" not in page
    answer = agent.post(
        f"/agent/tickets/{number}/message",
        {"action": "apply_template", "template": shared["id"], "body": ""},
    )

    # The demo requester reads Dutch: the draft is theirs, filled in, and nothing is sent.
    assert answer.status_code == 200
    assert f"Hoi Sanne de Vries, ticket {number} is bekeken." in html(answer)
    assert api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body["items"] == []


# --- phone and chat -------------------------------------------------------------------


def intake(agent: Browser, **fields: str) -> Any:
    page = html(agent.get("/agent/new"))
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce
    form = {
        "nonce": nonce.group(1),
        "channel": "phone",
        "requester_email": "Pat@Example.org",
        "requester_name": "Pat Jansen",
        "subject": "Cannot print",
        "description": "Called at 9:10",
        "type": "incident",
        "impact": "medium",
        "urgency": "high",
        "group": "servicedesk",
        "assignee": "",
        **fields,
    }
    return agent.post("/agent/new", form), form


def test_given_a_phone_call_then_it_is_filed_on_behalf_of_the_requester(api: Api, agent: Browser):
    answer, form = intake(agent)

    assert answer.status_code == 303, html(answer)
    number = int(answer.headers["Location"].rsplit("/", 1)[1])
    filed = ticket(api, number)
    assert filed["channel"] == "phone" and filed["group"] == "servicedesk"
    assert filed["requester"] == {"email": "pat@example.org", "name": "Pat Jansen"}
    assert filed["priority"] == "P2"
    agent.get("/agent/new")
    again = agent.post("/agent/new", form)
    assert again.headers["Location"] == answer.headers["Location"]


def test_given_an_incomplete_intake_then_the_fields_say_what_is_wrong(agent: Browser):
    answer, _ = intake(agent, requester_email="not an address", subject="", channel="fax")

    assert answer.status_code == 422
    page = html(answer)
    for name in ("requester_email", "subject", "channel"):
        assert f'id="{name}-error"' in page


# --- the supervisor -------------------------------------------------------------------


def test_given_open_tickets_then_the_supervisor_sees_live_counts(api: Api, sign_in: SignIn):
    file(api, impact="high", urgency="high")
    file(api)
    done = file(api)
    api.call(
        "PATCH",
        f"/v1/tickets/{done}",
        as_=AGENT,
        body={"status": "resolved"},
        headers={"If-Match": '"1"'},
    )
    supervisor = sign_in(SUPERVISOR)

    page = html(supervisor.get("/agent/supervisor?lang=en"))

    assert re.search(r"<strong>2</strong> open tickets", page)
    assert re.search(r"P1 · Critical</td><td class=\"num\">1<", page)
    assert re.search(r"New</td><td class=\"num\">2<", page)


@pytest.fixture(autouse=True)
def _fresh_page_caches() -> Iterator[None]:
    from chalicelib.web import views

    views.forget_tenant_settings()
    yield
    views.forget_tenant_settings()


# --- knowledge base: insert an article's answer as the draft --------------------------------


def test_given_a_published_article_when_inserting_its_answer_then_the_draft_holds_it_unsent(
    api: Api, agent: Browser
):
    body = "Zet de printer uit, wacht *tien* seconden en zet hem weer aan."
    article = api.call(
        "POST",
        "/v1/kb/articles",
        as_="supervisor@demo.example.com",
        body={
            "title": "Printer loopt vast",
            "body": body,
            "language": "nl",
            "visibility": "agents",
            "status": "published",
        },
    )
    assert article.status_code == 201, article.body
    number = api.create_ticket(
        subject="Printer loopt vast", description="De printer loopt steeds vast"
    )["number"]

    page = html(agent.get(f"/agent/tickets/{number}"))
    # Agents see agents-only articles among the suggestions, each with its own button.
    assert "Voorgestelde artikelen" in page and "Printer loopt vast</strong>" in page
    assert f'name="article" value="{article.json_body["id"]}"' in page
    answer = agent.post(
        f"/agent/tickets/{number}/message",
        {"action": "apply_article", "article": article.json_body["id"], "visibility": "public"},
    )

    assert answer.status_code == 200
    draft = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', html(answer), re.S)
    assert draft and draft.group(1) == body
    assert api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body["items"] == []
    unknown = agent.post(
        f"/agent/tickets/{number}/message", {"action": "apply_article", "article": "../x"}
    )
    assert unknown.status_code == 404
