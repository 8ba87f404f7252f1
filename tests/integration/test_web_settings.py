"""The admin's settings page over chalice.test: the form shows the tenant's settings, a
wrong value is refused next to its field with what was entered kept, a stale form is a
friendly 409, and only admins see the page and its link."""

import re
from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.integration.test_web_portal import Browser, html

ADMIN = "admin@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"


@pytest.fixture
def admin(api: Api) -> Browser:
    visitor = Browser(api.client)
    visitor.sign_in(ADMIN)
    return visitor


def settings(api: Api) -> dict[str, Any]:
    return api.call("GET", "/v1/tenant", as_=ADMIN).json_body


def form_of(page: str) -> dict[str, str]:
    """The fields of the settings form as the page shows them."""
    values = dict(re.findall(r'<input id="s-[a-z_]+" name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    values["version"] = re.search(r'name="version" value="(\d+)"', page).group(1)
    values["locale"] = re.search(r'<option value="(\w+)"[^>]* selected', page).group(1)
    values["signature"] = re.search(r"<textarea[^>]*>([^<]*)</textarea>", page).group(1)
    if re.search(r'name="external_watchers" checked', page):
        values["external_watchers"] = "on"
    return values


def test_given_an_admin_when_saving_the_form_then_the_api_shows_the_change(api, admin):
    page = html(admin.get("/agent/settings"))
    values = form_of(page)
    assert values["auto_close_days"] == str(settings(api)["auto_close_days"])
    assert "Europe/Amsterdam" in page  # the time zone is shown, not editable
    assert 'name="timezone"' not in page
    values.update(auto_close_days="10", signature="Groet,\nDe servicedesk",
                  external_watchers="on")  # fmt: skip
    answer = admin.post("/agent/settings", values)
    assert answer.status_code == 303, html(answer)
    now = settings(api)
    assert now["auto_close_days"] == 10 and now["external_watchers"] is True
    assert now["signature"] == "Groet,\nDe servicedesk"
    shown = html(admin.get(answer.headers["Location"]))
    assert 'role="status"' in shown and 'value="10"' in shown
    # The change is in the page's history, by name.
    assert "Recente wijzigingen" in shown or "Recent changes" in shown
    assert re.search(r"<li><strong>[^<]+</strong> · [^<:]+: [^<]+</li>", shown)


def test_given_wrong_values_then_422_with_errors_next_to_the_fields_and_entries_kept(api, admin):
    before = settings(api)
    values = form_of(html(admin.get("/agent/settings")))
    values.update(auto_close_days="0", reopen_days="twee", retention_months="121",
                  name="", signature="x" * 2001)  # fmt: skip
    answer = admin.post("/agent/settings", values)
    assert answer.status_code == 422
    page = html(answer)
    for name in ("auto_close_days", "reopen_days", "retention_months", "name", "signature"):
        assert f'id="{name}-error"' in page, name
    assert 'value="twee"' in page and 'value="121"' in page  # kept as entered
    assert "365" in page  # the range, from the shared checks
    assert settings(api) == before


def test_given_a_form_based_on_an_old_version_then_409_shows_the_settings_now(api, admin):
    values = form_of(html(admin.get("/agent/settings")))
    # Someone else changes the name meanwhile (over the API).
    changed = api.call("PATCH", "/v1/tenant", as_=ADMIN, body={"name": "Demo Groep"},
                       headers={"If-Match": f'"{values["version"]}"'})  # fmt: skip
    assert changed.status_code == 200
    values["reopen_days"] = "3"
    answer = admin.post("/agent/settings", values)
    assert answer.status_code == 409
    page = html(answer)
    assert 'role="alert"' in page and 'value="Demo Groep"' in page
    # The header had the old name cached a minute; the change dropped it at once.
    assert 'class="brand" href="/">Demo Groep</a>' in page
    assert "<dd><strong>3</strong></dd>" in page  # what was not saved
    assert settings(api)["reopen_days"] != 3


def test_given_a_supervisor_then_the_page_is_forbidden_and_not_linked(api):
    supervisor = Browser(api.client)
    supervisor.sign_in(SUPERVISOR)
    assert "/agent/settings" not in html(supervisor.get("/agent"))
    assert supervisor.get("/agent/settings").status_code == 403


def test_given_an_admin_then_the_workspace_links_the_settings(admin):
    assert re.search(r'href="/agent/settings"', html(admin.get("/agent")))


def test_given_a_post_without_the_csrf_token_then_nothing_changes(api, admin):
    before = settings(api)
    values = form_of(html(admin.get("/agent/settings")))
    values["name"] = "Forged"
    answer = admin.post("/agent/settings", values, csrf=False)
    assert answer.status_code == 403
    assert settings(api) == before
