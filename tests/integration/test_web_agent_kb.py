"""The knowledge base in the agent workspace: the list with its filters and paging, the
editor with its preview, publishing and archiving, conflicts between two editors, the
version history, drafting from a resolved ticket, and who may do which."""

import re
from typing import Any

import pytest

from tests.integration.conftest import Api, SignIn
from tests.integration.test_web_portal import CSP, Browser, html

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ACME_AGENT = "agent@acme.example.com"
ARTICLES = "/v1/kb/articles"
_VERSION = re.compile(r'name="version" value="(\d*)"')
XSS_TITLE = '<img src=x onerror="alert(1)">Printer'
XSS_BODY = "Fine **text**.\n\n<script>alert(2)</script>\n\n[bad](javascript:alert(3))"


@pytest.fixture
def agent(sign_in: SignIn) -> Browser:
    return sign_in(AGENT)


@pytest.fixture
def supervisor(sign_in: SignIn) -> Browser:
    return sign_in(SUPERVISOR)


def write(api: Api, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "VPN valt weg",
        "body": "Gebruik de nieuwste client.",
        "language": "nl",
        "visibility": "requesters",
        "status": "draft",
        **fields,
    }
    answer = api.call("POST", ARTICLES, as_=SUPERVISOR, body=body)
    assert answer.status_code == 201, answer.body
    return answer.json_body


def article(api: Api, article_id: str) -> dict[str, Any]:
    return api.call("GET", f"{ARTICLES}/{article_id}", as_=SUPERVISOR).json_body


def editor_form(page: str, **changes: str) -> dict[str, str]:
    """The editor's fields as the page shows them, with some changed (what a browser sends)."""
    values: dict[str, str] = {}
    for name in ("title", "category", "tags", "translation_of"):
        found = re.search(rf'id="{name}" name="{name}"[^>]*value="([^"]*)"', page)
        assert found, name
        values[name] = _unescape(found.group(1))
    body = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert body
    values["body"] = _unescape(body.group(1))
    language = re.search(r'<option value="(nl|en)" selected>', page)
    assert language
    values["language"] = language.group(1)
    visibility = re.search(r'name="visibility" value="(\w+)" checked', page)
    assert visibility
    values["visibility"] = visibility.group(1)
    version = _VERSION.search(page)
    assert version
    values["version"] = version.group(1)
    return {**values, **changes}


def _unescape(text: str) -> str:
    import html as stdlib

    return stdlib.unescape(text)


# --- who gets in ----------------------------------------------------------------------------


def test_given_a_requester_then_the_workspace_knowledge_base_is_refused(api: Api, sign_in: SignIn):
    draft = write(api)["id"]
    published = write(api, status="published")["id"]
    requester = sign_in(REQUESTER)

    for path in ("/agent/kb", f"/agent/kb/{draft}", f"/agent/kb/{published}",
                 f"/agent/kb/{published}/history", "/agent/kb/new"):  # fmt: skip
        answer = requester.get(path)
        assert answer.status_code in (403, 404), path
        assert answer.headers["Content-Security-Policy"] == CSP
        assert "VPN valt weg" not in html(answer)
    requester.get("/")
    refused = requester.post(f"/agent/kb/{published}", {"action": "save", "title": "x"})
    assert refused.status_code in (403, 404)
    assert article(api, published)["version"] == 1


def test_given_another_tenant_then_its_articles_are_not_found(api: Api, sign_in: SignIn):
    draft = write(api)["id"]
    acme = sign_in(ACME_AGENT)

    assert acme.get(f"/agent/kb/{draft}").status_code == 404
    assert "VPN valt weg" not in html(acme.get("/agent/kb?status=draft"))


def test_given_an_agent_then_they_read_drafts_but_the_editor_is_read_only(api: Api, agent: Browser):
    draft = write(api)["id"]

    listed = html(agent.get("/agent/kb?status=draft"))
    page = agent.get(f"/agent/kb/{draft}")

    assert f"/agent/kb/{draft}" in listed
    assert page.status_code == 200
    assert 'name="title"' not in html(page)
    assert agent.get("/agent/kb/new").status_code == 403
    tried = agent.post(f"/agent/kb/{draft}", {**editor_form_values(api, draft), "action": "save"})
    assert tried.status_code == 403
    assert article(api, draft)["version"] == 1


def editor_form_values(api: Api, article_id: str) -> dict[str, str]:
    found = article(api, article_id)
    return {
        "title": "Changed by an agent",
        "body": found["body"],
        "language": found["language"],
        "category": "",
        "tags": "",
        "visibility": found["visibility"],
        "translation_of": "",
        "version": str(found["version"]),
    }


# --- the list -------------------------------------------------------------------------------


def test_given_articles_then_the_list_filters_by_status_and_language_and_pages(
    api: Api, agent: Browser
):
    drafts = [write(api, title=f"Concept {n}")["id"] for n in range(27)]
    english = write(api, title="English draft", language="en")["id"]
    published = write(api, title="Gepubliceerd stuk", status="published")["id"]

    first = html(agent.get("/agent/kb?status=draft&language=nl"))
    assert published not in first and english not in first
    assert first.count('href="/agent/kb/') - first.count('href="/agent/kb/new') >= 25
    cursor = re.search(r'href="/agent/kb\?cursor=([^"&]+)[^"]*"', first)
    assert cursor, "a next page link"
    second = html(agent.get(f"/agent/kb?cursor={cursor.group(1)}&status=draft&language=nl"))
    shown = {d for d in drafts if f'/agent/kb/{d}"' in first + second}
    assert shown == set(drafts)
    assert english in html(agent.get("/agent/kb?status=draft&language=en"))
    assert published in html(agent.get("/agent/kb?status=published"))
    found = html(agent.get("/agent/kb?q=gepubliceerd"))
    assert published in found and drafts[0] not in found


# --- the editor -----------------------------------------------------------------------------


def test_given_a_supervisor_then_they_write_preview_publish_and_archive(
    api: Api, supervisor: Browser
):
    supervisor.get("/agent/kb/new")
    fields = {
        "title": "Wachtwoord vergeten",
        "body": "Kies **Wachtwoord vergeten** op de inlogpagina.",
        "language": "nl",
        "category": "accounts",
        "tags": "wachtwoord, inloggen",
        "visibility": "public",
        "translation_of": "",
        "version": "",
    }
    preview = supervisor.post("/agent/kb/new", {**fields, "action": "preview"})
    assert preview.status_code == 200
    assert "<strong>Wachtwoord vergeten</strong>" in html(preview)

    created = supervisor.post("/agent/kb/new", {**fields, "action": "save"})
    assert created.status_code == 303, html(created)
    path = created.headers["Location"].split("?")[0]
    article_id = path.rsplit("/", 1)[1]
    stored = article(api, article_id)
    assert (stored["status"], stored["tags"], stored["visibility"]) == (
        "draft", ["wachtwoord", "inloggen"], "public",
    )  # fmt: skip

    page = html(supervisor.get(path))
    published = supervisor.post(path, editor_form(page, action="publish"))
    assert published.status_code == 303
    assert article(api, article_id)["status"] == "published"
    page = html(supervisor.get(path))
    archived = supervisor.post(path, editor_form(page, action="archive"))
    assert archived.status_code == 303
    assert article(api, article_id)["status"] == "archived"
    assert article_id in html(supervisor.get("/agent/kb?status=archived"))


def test_given_an_edit_on_a_stale_version_then_a_conflict_shows_who_and_the_fresh_article(
    api: Api, supervisor: Browser
):
    article_id = write(api)["id"]
    stale_page = html(supervisor.get(f"/agent/kb/{article_id}"))
    stale = editor_form(stale_page, title="Mijn titel", action="save")
    fresh = article(api, article_id)
    newer = {k: fresh[k] for k in ("title", "body", "language", "visibility", "status")}
    changed = api.call(
        "PUT", f"{ARTICLES}/{article_id}", as_=SUPERVISOR,
        body={**newer, "body": "Nieuwere tekst van een collega."},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert changed.status_code == 200

    answer = supervisor.post(f"/agent/kb/{article_id}", stale)

    assert answer.status_code == 409
    page = html(answer)
    assert "Lotte Smit" in page
    assert "Nieuwere tekst van een collega." in page  # the fresh text, in the form
    assert "Mijn titel" in page  # what was not saved, to apply again
    assert editor_form(page)["version"] == "2"
    stored = article(api, article_id)
    assert (stored["version"], stored["title"]) == (2, "VPN valt weg")


def test_given_markup_in_title_and_body_then_editor_preview_and_history_keep_it_inert(
    api: Api, supervisor: Browser
):
    article_id = write(api, title=XSS_TITLE, body=XSS_BODY)["id"]
    api.call(
        "PUT", f"{ARTICLES}/{article_id}", as_=SUPERVISOR,
        body={"title": XSS_TITLE + "2", "body": XSS_BODY + "\n<b>x</b>", "language": "nl"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip

    page = html(supervisor.get(f"/agent/kb/{article_id}"))
    preview = html(
        supervisor.post(
            f"/agent/kb/{article_id}", editor_form(page, action="preview", body=XSS_BODY)
        )
    )
    history = html(supervisor.get(f"/agent/kb/{article_id}/history"))

    for shown in (page, preview, history):
        assert "<script>alert" not in shown
        assert "<img src=x" not in shown
        assert 'href="javascript:' not in shown
        assert "&lt;img src=x" in shown
    assert "<strong>text</strong>" in preview
    assert "&lt;script&gt;alert(2)" in history  # the diff, escaped
    assert "Lotte Smit" in history


def test_given_versions_then_history_shows_who_when_and_the_diff(api: Api, agent: Browser):
    article_id = write(api, body="Regel een.")["id"]
    api.call(
        "PUT", f"{ARTICLES}/{article_id}", as_=SUPERVISOR,
        body={"title": "VPN valt weg", "body": "Regel twee.", "language": "nl",
              "visibility": "requesters", "status": "published"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip

    page = html(agent.get(f"/agent/kb/{article_id}/history"))

    assert page.index("<del>-Regel een.</del>") > 0
    assert "<ins>+Regel twee.</ins>" in page
    assert "<ins>+status: published</ins>" in page
    assert page.count("Lotte Smit") == 2
    assert "<time datetime=" in page


# --- from a resolved ticket -----------------------------------------------------------------


def resolved_ticket(api: Api, *, answered: bool = True) -> int:
    number = api.create_ticket(subject="Outlook vraagt steeds om wachtwoord")["number"]
    if answered:
        reply = {"body": "Verwijder de oude referenties.", "visibility": "public"}
        api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body=reply)
    version = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"]
    api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body={"status": "resolved"},
             headers={"If-Match": f'"{version}"'})  # fmt: skip
    return number


def test_given_a_resolved_ticket_then_an_agent_makes_a_draft_in_one_step(api: Api, agent: Browser):
    number = resolved_ticket(api)
    open_one = api.create_ticket(subject="Nog open")["number"]

    page = html(agent.get(f"/agent/tickets/{number}"))
    assert f'action="/agent/tickets/{number}/kb-draft"' in page
    assert "/kb-draft" not in html(agent.get(f"/agent/tickets/{open_one}"))
    agent.get(f"/agent/tickets/{number}")
    made = agent.post(f"/agent/tickets/{number}/kb-draft", {})

    assert made.status_code == 303
    location = made.headers["Location"]
    assert location.startswith("/agent/kb/") and location.endswith("?drafted=1")
    editor = html(agent.get(location))
    assert "Outlook vraagt steeds om wachtwoord" in editor
    assert "Verwijder de oude referenties." in editor
    assert f"#{number}" in editor
    draft_id = location.split("?")[0].rsplit("/", 1)[1]
    assert (article(api, draft_id)["status"], article(api, draft_id)["from_ticket"]) == (
        "draft", number,
    )  # fmt: skip


def test_given_a_ticket_without_an_answer_or_no_token_then_no_draft(api: Api, agent: Browser):
    number = resolved_ticket(api, answered=False)
    agent.get(f"/agent/tickets/{number}")

    without_answer = agent.post(f"/agent/tickets/{number}/kb-draft", {})
    forged = agent.post(f"/agent/tickets/{number}/kb-draft", {}, csrf=False)

    assert without_answer.status_code == 409
    assert forged.status_code == 403
    drafts = api.call("GET", f"{ARTICLES}?status=draft", as_=SUPERVISOR).json_body["items"]
    assert drafts == []


def test_given_the_workspace_then_it_links_to_the_knowledge_base(agent: Browser):
    assert 'href="/agent/kb"' in html(agent.get("/agent"))
