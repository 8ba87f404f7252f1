"""The service catalog in Debian's Chromium against `make run`: a requester opens a tile of
the seeded catalog, fills in its form (with one mistake first) and follows the request,
which waits for the supervisor's approval; the supervisor approves it in the workspace.
Screenshots in both languages, desktop and 360 px (tests/e2e/screenshots/, not committed)."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.test_agent_browser import SUPERVISOR, sign_in_staff
from tests.e2e.test_portal_browser import DESKTOP, PHONE, REQUESTER, Visit, _fits, shoot

pytestmark = pytest.mark.e2e

# The portal's browser fixtures: one Chromium for the module, a tab per call of `visit`.
chromium = portal.chromium
visit = portal.visit


def test_given_the_seeded_catalog_when_a_requester_files_a_request_then_it_waits_for_approval(
    visit: Callable[..., Visit],
):
    tab = visit()
    tab.sign_in(REQUESTER)
    page = tab.page
    catalog = page.locator("section", has=page.locator("#catalog-heading"))
    expect(catalog.locator("h2")).to_have_text("Iets aanvragen")
    expect(catalog.locator("a.tile")).to_have_count(3)
    shoot(page, "catalog-home-nl-desktop")

    catalog.get_by_role("link", name=re.compile("Nieuwe laptop")).click()
    expect(page).to_have_url(re.compile(r"/services/new-laptop/request$"))
    expect(page.locator("h1")).to_have_text("Nieuwe laptop")
    expect(page.get_by_label("Onderwerp")).to_have_value("Nieuwe laptop")
    page.get_by_label("Model").select_option("developer")
    page.get_by_label("Voor wie").fill("geen adres")
    page.get_by_label("Nodig op").fill("2026-12-01")
    page.get_by_role("button", name="Aanvraag versturen").click()

    # The server's answer: the address is refused next to its field, the rest is kept.
    expect(page.locator("#field-for_user-error")).to_have_text(
        "Vul een e-mailadres in, zoals naam@voorbeeld.nl."
    )
    expect(page.get_by_label("Model")).to_have_value("developer")
    expect(page.get_by_label("Nodig op")).to_have_value("2026-12-01")
    shoot(page, "catalog-form-errors-nl-desktop")
    page.get_by_label("Voor wie").fill("fatma@demo.example.com")
    page.get_by_label("Moeten we nog iets weten? (niet verplicht)").fill("Start 1 december.")
    page.get_by_role("button", name="Aanvraag versturen").click()

    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    number = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".flash")).to_have_text(f"Ticket #{number} is aangemaakt.")
    expect(page.locator(".approval-state")).to_have_text(
        "Wacht op goedkeuring door supervisor@demo.example.com."
    )
    request = page.locator("section", has=page.locator("#request-heading"))
    expect(request).to_contain_text("fatma@demo.example.com")
    expect(request).to_contain_text("2026-12-01")
    shoot(page, "catalog-ticket-nl-desktop")
    page.set_viewport_size(PHONE)
    assert _fits(page)
    shoot(page, "catalog-ticket-nl-360")
    assert tab.dialogs == []
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []

    # The approver sees it waiting in the workspace and approves it.
    boss = visit()
    sign_in_staff(boss, SUPERVISOR)
    boss.page.goto(f"/agent/tickets/{number}")
    box = boss.page.locator("section.approval-box")
    expect(box).to_contain_text("Wacht op besluit")
    shoot(boss.page, "catalog-approval-nl-desktop")
    boss.page.set_viewport_size(PHONE)
    assert _fits(boss.page)
    shoot(boss.page, "catalog-approval-nl-360")
    box.get_by_role("button", name="Goedkeuren").click()
    expect(boss.page.locator(".flash")).to_contain_text(f"Aanvraag #{number} is goedgekeurd")
    expect(box).to_contain_text("Goedgekeurd")

    page.reload()
    expect(page.locator(".approval-state")).to_have_text(
        "Goedgekeurd door supervisor@demo.example.com."
    )


@pytest.mark.parametrize(("language", "lang"), [("nl-NL", "nl"), ("en-GB", "en")])
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "360")])
def test_given_a_language_and_a_width_then_tiles_and_form_fit_and_are_shot(
    visit: Callable[..., Visit], language: str, lang: str, viewport: dict, size: str
):
    tab = visit(viewport=viewport, accept_language=language)
    tab.sign_in(REQUESTER)
    page = tab.page
    # The requester's profile says Dutch; the language switch overrides it (a cookie).
    page.goto(f"/language?lang={lang}&next=/")
    tiles = page.locator("a.tile")
    expect(tiles.first).to_be_visible()
    expect(page.locator("#catalog-heading")).to_have_text(
        "Iets aanvragen" if lang == "nl" else "Request something"
    )
    assert _fits(page)
    shoot(page, f"catalog-home-{lang}-{size}")

    page.goto("/services/new-employee/request")
    expect(page.locator("h1")).to_have_text("Nieuwe medewerker" if lang == "nl" else "New employee")
    page.locator("main button[type=submit]").click()
    expect(page.locator("#field-full_name-error")).to_be_visible()
    assert _fits(page)
    shoot(page, f"catalog-form-{lang}-{size}")
