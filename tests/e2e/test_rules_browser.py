"""The supervisor's rules page in Debian's Chromium against `make run`: reached from the
workspace, a rule made with the form is listed, and the page fits a phone; screenshots at
both sizes (tests/e2e/screenshots/, not committed)."""

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.conftest import Stack
from tests.e2e.test_agent_browser import SUPERVISOR, sign_in_staff
from tests.e2e.test_portal_browser import DESKTOP, PHONE, Visit, _fits, shoot

pytestmark = pytest.mark.e2e

chromium = portal.chromium
visit = portal.visit


def test_given_a_supervisor_then_a_rule_made_with_the_form_is_listed_and_the_page_fits(
    visit: Callable[..., Visit], stack: Stack
):
    tab = visit(viewport=DESKTOP)
    page = tab.page
    sign_in_staff(tab, SUPERVISOR)
    page.goto("/language?lang=nl&next=/agent")
    page.get_by_role("button", name="Regels").click()
    expect(page.locator("h1")).to_have_text("Routeringsregels")
    page.get_by_role("button", name="Nieuwe regel").click()
    page.wait_for_url("**/agent/rules/new")
    expect(page.locator("h1")).to_have_text("Nieuwe regel")
    page.get_by_label("Naam", exact=True).fill("VPN naar netwerk")
    page.get_by_label("Onderwerp of omschrijving bevat een van").fill("vpn, remote access")
    page.get_by_label("Groep instellen").select_option("network")
    page.get_by_label("Labels toevoegen").fill("vpn")
    page.get_by_role("button", name="Regel opslaan").click()
    expect(page.locator("table.rules")).to_contain_text("VPN naar netwerk")
    assert tab.console_errors == []

    fits = {}
    for size, viewport in (("desktop", DESKTOP), ("360", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/agent/rules")
        fits[size] = _fits(page)
        shoot(page, f"agent-rules-nl-{size}")
        page.goto(page.locator("table.rules a").first.get_attribute("href") or "")
        shoot(page, f"agent-rule-form-nl-{size}")
    assert fits == dict.fromkeys(fits, True)
