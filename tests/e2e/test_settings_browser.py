"""The admin's settings page in Debian's Chromium against `make run`: reached from the
workspace, a wrong number is refused next to its field, a right one is saved, and the page
fits a phone; screenshots at both sizes in Dutch (tests/e2e/screenshots/, not committed)."""

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.conftest import Stack
from tests.e2e.test_agent_browser import sign_in_staff
from tests.e2e.test_portal_browser import DESKTOP, PHONE, Visit, _fits, shoot

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.example.com"
chromium = portal.chromium
visit = portal.visit


def test_given_an_admin_then_the_settings_form_refuses_saves_and_fits(
    visit: Callable[..., Visit], stack: Stack
):
    tab = visit(viewport=DESKTOP)
    page = tab.page
    sign_in_staff(tab, ADMIN)
    page.goto("/language?lang=nl&next=/agent")
    page.get_by_role("button", name="Instellingen van de helpdesk").click()
    expect(page.locator("h1")).to_have_text("Instellingen van de helpdesk")

    days = page.get_by_label("Opgeloste meldingen sluiten na (dagen)")
    days.fill("400")
    page.get_by_role("button", name="Instellingen opslaan").click()
    expect(page.locator("#auto_close_days-error")).to_contain_text("1 tot en met 365")
    expect(days).to_have_value("400")
    shoot(page, "agent-settings-refused-nl-desktop")
    # The browser logs the refusal's 422 status itself; nothing else may be logged.
    assert [e for e in tab.console_errors if "422" not in e] == []
    tab.console_errors.clear()

    days.fill("10")
    page.get_by_label("Ondertekening onder gemailde antwoorden").fill("Groet,\nDe servicedesk")
    page.get_by_role("button", name="Instellingen opslaan").click()
    expect(page.locator("p.flash")).to_have_text("De instellingen zijn opgeslagen.")
    expect(days).to_have_value("10")
    assert tab.console_errors == []

    fits = {}
    for size, viewport in (("desktop", DESKTOP), ("360", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/agent/settings")
        fits[size] = _fits(page)
        shoot(page, f"agent-settings-nl-{size}")
    assert fits == dict.fromkeys(fits, True)
