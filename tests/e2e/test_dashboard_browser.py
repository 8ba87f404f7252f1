"""The supervisor's report dashboard in Debian's Chromium against `make run`: the chart is
drawn from the page's data block under the CSP, the page fits a phone, and screenshots in
both languages at both sizes (tests/e2e/screenshots/, not committed)."""

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.conftest import Stack
from tests.e2e.test_agent_browser import SUPERVISOR, file_as_requester, sign_in_staff
from tests.e2e.test_portal_browser import DESKTOP, PHONE, Visit, _fits, shoot

pytestmark = pytest.mark.e2e

chromium = portal.chromium
visit = portal.visit


def test_given_the_dashboard_then_the_chart_is_drawn_and_it_fits_in_both_languages(
    visit: Callable[..., Visit], stack: Stack
):
    file_as_requester(stack, "Printer geeft papierstoring")
    fits = {}
    for language in ("nl", "en"):
        for size, viewport in (("desktop", DESKTOP), ("360", PHONE)):
            tab = visit(viewport=viewport)
            page = tab.page
            sign_in_staff(tab, SUPERVISOR)
            page.goto(f"/language?lang={language}&next=/agent")
            page.get_by_role(
                "button", name="Rapportages" if language == "nl" else "Reports"
            ).click()

            expect(page.locator("html")).to_have_attribute("lang", language)
            canvas = page.locator("#report-chart canvas")
            expect(canvas).to_be_visible()
            box = canvas.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
            # Three series and the x axis: uPlot's legend names them from the data block.
            expect(page.locator("#report-chart .u-legend .u-series")).to_have_count(4)
            expect(page.locator("[data-figure=created] .figure")).not_to_have_text("")
            fits[f"{language}-{size}"] = _fits(page)
            shoot(page, f"agent-reports-{language}-{size}")
            assert [e for e in tab.console_errors if "Content Security Policy" in e] == []
            assert tab.console_errors == []

    assert fits == dict.fromkeys(fits, True)
