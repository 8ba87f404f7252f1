"""The knowledge base in the agent workspace in Chromium against `make run`: a supervisor
lists, previews and publishes an article, an agent turns a solved ticket into a draft in
one step, and screenshots of the list, the editor and the history (desktop and 360 px)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.conftest import Stack
from tests.e2e.test_agent_browser import SUPERVISOR, file_as_requester, sign_in_staff
from tests.e2e.test_portal_browser import (
    AGENT,
    DESKTOP,
    PHONE,
    Visit,
    _fits,
    api_token,
    resolve_as_agent,
    shoot,
)

pytestmark = pytest.mark.e2e

chromium = portal.chromium
visit = portal.visit


def write(stack: Stack, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Printer in de gang drukt niet af",
        "body": "1. Zet de printer **uit en aan**.\n2. Kies *Printer toevoegen* opnieuw.\n\n"
        "Lukt het niet? Meld het dan bij de servicedesk.",
        "language": "nl",
        "category": "printers",
        "tags": ["printer", "afdrukken"],
        "visibility": "requesters",
        "status": "draft",
        **fields,
    }
    answer = requests.post(
        f"{stack.api}/v1/kb/articles",
        json=body,
        headers=api_token(stack, SUPERVISOR),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_given_articles_then_list_editor_and_history_fit_and_are_saved_as_screenshots(
    visit: Callable[..., Visit], stack: Stack, viewport: dict[str, int]
):
    size = "desktop" if viewport == DESKTOP else "360"
    draft = write(stack, title=f"Printer in de gang drukt niet af ({size})")
    write(stack, title="VPN-verbinding valt steeds weg", visibility="public", category="netwerk")
    write(stack, title="Reset your password", language="en", visibility="agents", category=None)
    tab = visit(viewport=viewport)
    page = tab.page
    sign_in_staff(tab, SUPERVISOR)
    fits = {}

    # A link that looks like a button, as the other workspace actions.
    page.get_by_role("button", name="Kennisbank").click()
    page.get_by_role("link", name="Concept", exact=True).click()
    expect(page.locator("h1")).to_have_text("Kennisbank")
    expect(page.get_by_role("link", name=draft["title"])).to_be_visible()
    fits["list"] = _fits(page)
    shoot(page, f"agent-kb-list-nl-{size}")

    page.get_by_role("link", name=draft["title"]).click()
    page.get_by_label("Tekst (Markdown)").fill(
        "1. Zet de printer **uit en aan**.\n2. Kies *Printer toevoegen* opnieuw.\n\n"
        "<script>alert('x')</script>"
    )
    page.get_by_role("button", name="Voorbeeld").click()
    expect(page.locator(".kb-preview strong")).to_have_text("uit en aan")
    fits["editor"] = _fits(page)
    shoot(page, f"agent-kb-editor-nl-{size}")

    page.get_by_role("button", name="Opslaan en publiceren").click()
    expect(page.locator(".flash")).to_have_text("Het artikel is opgeslagen.")
    expect(page.locator(".kb-meta .tag")).to_have_text("Gepubliceerd")
    page.get_by_role("link", name="Versiegeschiedenis").click()
    expect(page.locator("pre.kb-diff ins").first).to_be_visible()
    fits["history"] = _fits(page)
    shoot(page, f"agent-kb-history-nl-{size}")

    page.goto("/agent/kb/new")
    fits["new"] = _fits(page)
    shoot(page, f"agent-kb-new-nl-{size}")

    assert fits == dict.fromkeys(fits, True)
    assert tab.dialogs == []
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []


def test_given_a_solved_ticket_then_an_agent_makes_a_draft_article_in_one_step(
    visit: Callable[..., Visit], stack: Stack
):
    number = file_as_requester(stack, "Teams-camera zwart beeld")
    reply = {"body": "Sluit andere apps die de camera gebruiken.", "visibility": "public"}
    answered = requests.post(
        f"{stack.api}/v1/tickets/{number}/messages",
        json=reply,
        headers=api_token(stack, AGENT),
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    resolve_as_agent(stack, number)
    tab = visit()
    page = tab.page
    sign_in_staff(tab, AGENT)

    page.goto(f"/agent/tickets/{number}")
    page.get_by_role("button", name="Maak een kennisbankartikel").click()

    page.wait_for_url(re.compile(r"/agent/kb/[0-9A-Z]+\?drafted=1$"))
    expect(page.locator(".flash")).to_contain_text(f"#{number}")
    expect(page.locator("h1")).to_have_text("Teams-camera zwart beeld")
    expect(page.locator(".kb-body")).to_contain_text("Sluit andere apps die de camera gebruiken.")
    shoot(page, "agent-kb-drafted-nl-desktop")
