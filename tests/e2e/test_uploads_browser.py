"""Files in Debian's Chromium against `make run`: a requester files a ticket with a file,
adds another on the ticket page, and downloads it. The script sends each file straight to
the bucket (moto) under the page's CSP; moto's S3 notification reaches the uploads poller."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_portal_browser import (  # noqa: F401 - fixtures
    REQUESTER,
    SCREENSHOTS,
    Visit,
    chromium,
    visit,
)

pytestmark = pytest.mark.e2e

# A real (1×1 pixel) PNG, so the download can be compared byte for byte.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


def test_given_a_requester_when_filing_a_ticket_with_a_file_then_the_ticket_lists_it(
    visit: Callable[..., Visit],  # noqa: F811
    tmp_path: Path,
):
    screenshot = tmp_path / "schermafdruk.png"
    screenshot.write_bytes(PNG)
    log = tmp_path / "logboek.txt"
    log.write_text("12:01 opstarten mislukt\n", encoding="utf-8")
    tab = visit()
    tab.sign_in(REQUESTER)
    page = tab.page

    page.goto("/tickets/new")
    expect(page.locator("[data-upload-fallback]")).to_be_hidden()  # the script runs
    page.fill("#subject", "Foutmelding bij opstarten")
    page.fill("#description", "Zie de schermafdruk.")
    page.set_input_files("#files", str(screenshot))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "portal-new-ticket-files.png", full_page=True)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))

    link = page.get_by_role("link", name="schermafdruk.png")
    expect(link).to_be_visible()
    expect(page.locator(".flash")).to_be_visible()
    downloaded = page.request.get(link.get_attribute("href") or "")
    assert downloaded.ok and downloaded.body() == PNG

    # And one more on the ticket page itself.
    page.set_input_files("#files", str(log))
    page.get_by_role("button", name="Bestanden toevoegen").click()
    expect(page.get_by_role("link", name="logboek.txt")).to_be_visible()

    page.screenshot(path=SCREENSHOTS / "portal-ticket-files.png", full_page=True)
    assert tab.dialogs == []
    assert tab.console_errors == []  # no CSP violation, no failed upload
