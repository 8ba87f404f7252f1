"""The agent workspace in Debian's Chromium against `make run`: picking up a ticket, notes
and replies (and what the requester sees of them), a stale edit, escaping, CSRF, and
screenshots of the workspace pages (tests/e2e/screenshots/, not committed)."""

import re
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.conftest import Stack
from tests.e2e.test_portal_browser import (
    AGENT,
    DESKTOP,
    PASSWORD,
    PHONE,
    REQUESTER,
    Visit,
    _fits,
    api_token,
    shoot,
)

pytestmark = pytest.mark.e2e

SUPERVISOR = "supervisor@demo.example.com"
# The portal's browser fixtures: one Chromium for the module, a tab per call of `visit`.
chromium = portal.chromium
visit = portal.visit


def sign_in_staff(tab: Visit, email: str) -> None:
    tab.page.goto("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    tab.page.locator("main button[type=submit]").click()
    tab.page.wait_for_url(re.compile(r"/agent$"))


def file_as_requester(stack: Stack, subject: str, description: str = "Details") -> int:
    answer = requests.post(
        f"{stack.api}/v1/tickets",
        json={"subject": subject, "description": description},
        headers=api_token(stack, REQUESTER),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["number"])


def test_given_a_new_ticket_when_an_agent_picks_it_up_and_answers_then_the_requester_sees_only_the_reply(  # noqa: E501
    visit: Callable[..., Visit], stack: Stack
):
    number = file_as_requester(stack, "Laptop start niet")
    tab = visit()
    sign_in_staff(tab, AGENT)
    page = tab.page

    page.get_by_role("link", name=re.compile(r"^Niet toegewezen")).click()
    page.get_by_role("link", name="Laptop start niet").first.click()
    expect(page.locator("h1")).to_contain_text(f"#{number}")
    page.get_by_role("button", name="Aan mij toewijzen").click()
    expect(page.locator(".flash")).to_have_text(f"Ticket #{number} is nu aan jou toegewezen.")

    page.get_by_label("Interne notitie: alleen de helpdesk ziet het").check()
    page.get_by_label("Bericht", exact=True).fill("Accu is waarschijnlijk leeg.")
    page.get_by_role("button", name="Aan het gesprek toevoegen").click()
    expect(page.locator(".flash")).to_contain_text("Je interne notitie is toegevoegd")
    page.get_by_label("Openbaar antwoord: de melder ziet het en krijgt een e-mail").check()
    page.get_by_label("Bericht", exact=True).fill("Wil je de lader een uur aansluiten?")
    page.get_by_role("button", name="Aan het gesprek toevoegen").click()
    expect(page.locator(".flash")).to_contain_text("Je antwoord aan de melder is toegevoegd")

    expect(page.locator("article.message.internal .message-body")).to_have_text(
        "Accu is waarschijnlijk leeg."
    )
    expect(page.locator("article.message.internal .tag.internal")).to_have_text("Interne notitie")
    expect(page.locator("article.message.from-helpdesk .message-body")).to_have_text(
        "Wil je de lader een uur aansluiten?"
    )
    shoot(page, "agent-conversation-nl-desktop")

    requester = visit()
    requester.sign_in(REQUESTER)
    requester.page.goto(f"/tickets/{number}")
    expect(requester.page.locator("main")).to_contain_text("Wil je de lader een uur aansluiten?")
    expect(requester.page.locator("main")).not_to_contain_text("Accu is waarschijnlijk leeg.")
    assert tab.dialogs == [] and requester.dialogs == []
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []


def test_given_a_stale_form_when_saving_then_the_conflict_shows_who_changed_it_and_the_fresh_data(
    visit: Callable[..., Visit], stack: Stack
):
    number = file_as_requester(stack, "Printer offline")
    tab = visit()
    sign_in_staff(tab, AGENT)
    page = tab.page
    page.goto(f"/agent/tickets/{number}")
    supervisor = api_token(stack, SUPERVISOR)
    current = requests.get(f"{stack.api}/v1/tickets/{number}", headers=supervisor, timeout=10)
    requests.patch(
        f"{stack.api}/v1/tickets/{number}",
        json={"priority": "P1"},
        headers={**supervisor, "If-Match": f'"{current.json()["version"]}"'},
        timeout=10,
    ).raise_for_status()

    page.get_by_label("Status").select_option("on_hold")
    page.get_by_role("button", name="Wijzigingen opslaan").click()

    notice = page.locator(".notice")
    expect(notice).to_contain_text("heeft dit ticket intussen gewijzigd")
    expect(notice).to_contain_text("In de wacht")
    expect(page.locator("dl.facts")).to_contain_text("P1")
    expect(page.get_by_label("Prioriteit")).to_have_value("P1")
    shoot(page, "agent-conflict-nl-desktop")
    ticket = requests.get(f"{stack.api}/v1/tickets/{number}", headers=supervisor, timeout=10)
    assert ticket.json()["status"] == "new"

    page.get_by_label("Status").select_option("on_hold")
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(page.locator(".flash")).to_have_text(f"Ticket #{number} is gewijzigd.")


def test_given_an_xss_payload_then_the_agent_pages_render_it_inert(
    visit: Callable[..., Visit], stack: Stack
):
    subject = "<img src=x onerror=alert('subject')>"
    body = "<script>alert('body')</script><svg onload=alert(2)>"
    number = file_as_requester(stack, subject, body)
    tab = visit()
    sign_in_staff(tab, AGENT)

    tab.page.goto("/agent?queue=open")
    expect(tab.page.locator("table.tickets")).to_contain_text(subject)
    tab.page.goto(f"/agent/tickets/{number}")
    expect(tab.page.locator("h1")).to_contain_text(subject)
    expect(tab.page.locator(".message-body").first).to_have_text(body)

    assert tab.page.locator("main img, main script, main svg").count() == 0
    assert tab.dialogs == []


def test_given_a_post_without_csrf_token_then_it_is_refused_and_nothing_changes(
    visit: Callable[..., Visit], stack: Stack
):
    number = file_as_requester(stack, "Geen CSRF")
    tab = visit()
    sign_in_staff(tab, AGENT)

    # The browser's own cookies, but no token: what a forged cross-site form would send.
    answer = tab.page.request.post(
        f"/agent/tickets/{number}/take", form={"version": "1"}, max_redirects=0
    )

    assert answer.status == 403
    ticket = requests.get(
        f"{stack.api}/v1/tickets/{number}", headers=api_token(stack, AGENT), timeout=10
    ).json()
    assert ticket["assignee"] is None and ticket["version"] == 1


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_given_the_workspace_pages_then_they_fit_the_screen_and_are_saved_as_screenshots(
    visit: Callable[..., Visit], stack: Stack, viewport: dict[str, int], language: str
):
    number = file_as_requester(stack, "Scherm flikkert" if language == "nl" else "Screen flickers")
    tab = visit(viewport=viewport)
    page = tab.page
    size = "desktop" if viewport == DESKTOP else "360"
    sign_in_staff(tab, SUPERVISOR)
    page.goto(f"/language?lang={language}&next=/agent")
    fits = {}
    pages = (
        ("agent-queues", "/agent?queue=open"),
        ("agent-ticket", f"/agent/tickets/{number}"),
        ("agent-new", "/agent/new"),
        ("agent-supervisor", "/agent/supervisor"),
    )
    for name, path in pages:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        fits[name] = _fits(page)
        shoot(page, f"{name}-{language}-{size}")
    page.goto("/agent/new")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#requester_email")).to_have_attribute("aria-invalid", "true")
    fits["agent-new-errors"] = _fits(page)
    shoot(page, f"agent-new-errors-{language}-{size}")

    assert fits == dict.fromkeys(fits, True)
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []


def test_given_the_queue_page_then_htmx_refreshes_it_without_a_reload_or_losing_focus(
    visit: Callable[..., Visit], stack: Stack
):
    tab = visit()
    page = tab.page
    # Playwright's clock drives the page's timers, so the 30 s poll runs when told to.
    page.clock.install()
    sign_in_staff(tab, AGENT)
    page.goto("/agent?queue=open")
    page.evaluate("window.__notReloaded = true")
    subject = "Nieuw terwijl je keek"
    file_as_requester(stack, subject)
    # A keyboard user is on a queue link when the refresh comes: they must stay there.
    page.locator("nav.queues a").first.focus()
    focused_before = page.evaluate("document.activeElement.getAttribute('href')")

    with page.expect_response(re.compile(r"/agent\?queue=open")) as refreshed:
        page.clock.run_for(31_000)
    assert refreshed.value.status == 200
    expect(page.locator("table.tickets")).to_contain_text(subject)
    assert page.evaluate("window.__notReloaded") is True
    assert page.evaluate("document.activeElement.closest('#queue') !== null") is True
    assert page.evaluate("document.activeElement.getAttribute('href')") == focused_before
