"""The requester portal in Debian's Chromium against `make run`: signing in, filing,
following and answering a ticket, languages, tenancy, escaping, conflicts, the keyboard,
and screenshots of the main pages (tests/e2e/screenshots/, not committed)."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import REPO_ROOT, Stack

pytestmark = pytest.mark.e2e

PASSWORD = "Balie-demo-2026!"
REQUESTER = "requester@demo.example.com"
ACME_REQUESTER = "requester@acme.example.com"
AGENT = "agent@demo.example.com"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = REPO_ROOT / "tests" / "e2e" / "screenshots"


@dataclass
class Visit:
    """A browser tab plus what it noticed: dialogs (an XSS that ran) and CSP violations."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def sign_in(self, email: str) -> None:
        self.page.goto("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_url(re.compile(r"/$"))

    def file(self, subject: str, description: str) -> int:
        self.page.goto("/tickets/new")
        self.page.fill("#subject", subject)
        self.page.fill("#description", description)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_url(re.compile(r"/tickets/\d+$"))
        return int(self.page.url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Driven directly rather than through pytest-playwright's fixtures: one browser for the
    # module, pointed at Debian's Chromium, next to the session's `make run` stack.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def visit(chromium: Browser, stack: Stack) -> Iterator[Callable[..., Visit]]:
    contexts = []

    def open_tab(viewport: dict[str, int] = DESKTOP, accept_language: str = "nl-NL") -> Visit:
        context = chromium.new_context(
            base_url=stack.api, viewport=viewport, locale=accept_language
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        seen = Visit(page)

        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            seen.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on(
            "console",
            lambda message: (
                seen.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        return seen

    yield open_tab
    for context in contexts:
        context.close()


def api_token(stack: Stack, email: str) -> dict[str, str]:
    answer = requests.post(
        f"{stack.api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['id_token']}"}


def resolve_as_agent(stack: Stack, number: int) -> None:
    agent = api_token(stack, AGENT)
    ticket = requests.get(f"{stack.api}/v1/tickets/{number}", headers=agent, timeout=10).json()
    answer = requests.patch(
        f"{stack.api}/v1/tickets/{number}",
        json={"status": "resolved"},
        headers={**agent, "If-Match": f'"{ticket["version"]}"'},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_given_a_requester_when_filing_and_following_a_ticket_then_the_portal_carries_it(
    visit: Callable[..., Visit],
):
    tab = visit()
    tab.sign_in(REQUESTER)
    page = tab.page
    expect(page.locator("h1")).to_have_text("Hallo, Sanne de Vries")

    page.get_by_role("button", name="Nieuw ticket").click()
    page.fill("#subject", "Beeldscherm flikkert")
    with page.expect_response(re.compile(r"/kb/suggest-fragment$")) as suggestion:
        page.locator("#subject").press("End")
        page.keyboard.type(" sterk")
    assert suggestion.value.status == 200  # htmx runs under the CSP and sends the token
    page.fill("#description", "Sinds vanochtend\nflikkert mijn tweede scherm.")
    page.get_by_label("Ik kan niet werken").check()
    page.get_by_label("Alleen ik").check()
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    number = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".flash")).to_have_text(f"Ticket #{number} is aangemaakt.")
    expect(page.locator("h1")).to_contain_text("Beeldscherm flikkert sterk")

    page.get_by_role("link", name="Terug naar mijn tickets").click()
    row = page.locator("table.tickets tr", has_text=f"#{number}")
    expect(row).to_contain_text("Beeldscherm flikkert sterk")
    expect(row).to_contain_text("Nieuw")
    expect(row.locator(".badge")).to_be_visible()

    row.get_by_role("link").click()
    page.get_by_label("Je bericht").fill("Het is het scherm links.")
    page.get_by_role("button", name="Antwoord versturen").click()
    expect(page.locator(".flash")).to_contain_text("Je antwoord is toegevoegd")
    expect(page.locator(".message-body").last).to_have_text("Het is het scherm links.")
    expect(page.locator(".message-body").first).to_have_text(
        "Sinds vanochtend\nflikkert mijn tweede scherm."
    )
    assert tab.dialogs == []
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []


def test_given_the_language_switch_then_pages_turn_english_and_back(
    visit: Callable[..., Visit],
):
    tab = visit()
    tab.sign_in(REQUESTER)
    page = tab.page

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h2#tickets-heading")).to_have_text("My tickets")
    page.goto("/tickets/new")
    expect(page.locator("h1")).to_have_text("New ticket")

    page.get_by_role("link", name="Nederlands").click()
    expect(page).to_have_url(re.compile(r"/tickets/new$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("h1")).to_have_text("Nieuw ticket")


def test_given_another_tenants_requester_then_the_ticket_url_is_a_404_page(
    visit: Callable[..., Visit],
):
    owner = visit()
    owner.sign_in(REQUESTER)
    number = owner.file("Alleen voor Demo", "Niet voor Acme")
    outsider = visit(accept_language="en-GB")
    outsider.sign_in(ACME_REQUESTER)

    answer = outsider.page.goto(f"/tickets/{number}")

    assert answer is not None and answer.status == 404
    expect(outsider.page.locator("h1")).to_have_text("Not found")
    expect(outsider.page.locator("main")).not_to_contain_text("Alleen voor Demo")
    shoot(outsider.page, "not-found-en-desktop")


def test_given_an_xss_payload_in_subject_and_body_then_it_renders_as_inert_text(
    visit: Callable[..., Visit],
):
    tab = visit()
    tab.sign_in(REQUESTER)
    subject = "<img src=x onerror=alert('subject')>"
    body = "<script>alert('body')</script><b onmouseover=alert(3)>bold?</b>"

    number = tab.file(subject, body)
    tab.page.get_by_label("Je bericht").fill("<svg onload=alert('reply')>")
    tab.page.get_by_role("button", name="Antwoord versturen").click()
    tab.page.goto("/")
    tab.page.goto(f"/tickets/{number}")

    expect(tab.page.locator("h1")).to_contain_text(subject)
    expect(tab.page.locator(".message-body").first).to_have_text(body)
    expect(tab.page.locator(".message-body").last).to_have_text("<svg onload=alert('reply')>")
    assert tab.page.locator("main img, main script, main svg, main b").count() == 0
    assert tab.dialogs == []


def test_given_a_stale_page_when_closing_the_ticket_then_the_conflict_is_shown_with_fresh_data(
    visit: Callable[..., Visit], stack: Stack
):
    tab = visit()
    tab.sign_in(REQUESTER)
    number = tab.file("Muis werkt niet", "De muis reageert niet.")
    resolve_as_agent(stack, number)
    tab.page.goto(f"/tickets/{number}")
    expect(tab.page.locator("dl.facts")).to_contain_text("Opgelost")
    requests.post(
        f"{stack.api}/v1/tickets/{number}/messages",
        json={"body": "Batterij vervangen."},
        headers=api_token(stack, AGENT),
        timeout=10,
    ).raise_for_status()

    tab.page.get_by_role("button", name="Ja, sluit het ticket").click()

    expect(tab.page.locator(".notice")).to_contain_text("Dit ticket is intussen gewijzigd.")
    expect(tab.page.locator("main")).to_contain_text("Batterij vervangen.")
    shoot(tab.page, "ticket-conflict-nl-desktop")
    tab.page.get_by_role("button", name="Ja, sluit het ticket").click()
    expect(tab.page.locator(".flash")).to_contain_text(f"Ticket #{number} is gesloten.")


def test_given_only_a_keyboard_then_the_login_form_is_filled_and_sent(
    visit: Callable[..., Visit],
):
    page = visit().page
    page.goto("/login")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(REQUESTER)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text("Hallo, Sanne de Vries")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_given_the_main_pages_then_they_fit_the_screen_and_are_saved_as_screenshots(
    visit: Callable[..., Visit], stack: Stack, viewport: dict[str, int], language: str
):
    tab = visit(viewport=viewport)
    page = tab.page
    size = "desktop" if viewport == DESKTOP else "360"
    page.goto(f"/login?lang={language}")
    fits = {"login": _fits(page)}
    shoot(page, f"login-{language}-{size}")

    tab.sign_in(REQUESTER)
    page.goto(f"/language?lang={language}&next=/")
    number = tab.file("Scherm flikkert" if language == "nl" else "Screen flickers", "Details")
    resolve_as_agent(stack, number)
    pages = (("home", "/"), ("new-ticket", "/tickets/new"), ("ticket", f"/tickets/{number}"))
    for name, path in pages:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        fits[name] = _fits(page)
        shoot(page, f"{name}-{language}-{size}")
    page.goto("/tickets/new")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#subject")).to_have_attribute("aria-invalid", "true")
    fits["new-ticket-errors"] = _fits(page)
    shoot(page, f"new-ticket-errors-{language}-{size}")

    assert fits == dict.fromkeys(fits, True)
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def _fits(page: Page) -> bool:
    """Nothing sticks out sideways: no horizontal scrolling at this width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
