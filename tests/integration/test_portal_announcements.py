"""Announcements on the requester portal's home page: in the page's language, escaped, and
only those that are not over."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.integration.conftest import Api
from tests.integration.test_web_portal import REQUESTER, Browser, html

SUPERVISOR = "supervisor@demo.example.com"
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def announce(api: Api, title: dict[str, str], body: dict[str, str], start: timedelta,
             end: timedelta, kind: str = "outage") -> None:  # fmt: skip
    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    answer = api.call("POST", "/v1/announcements", as_=SUPERVISOR, body={
        "title": title, "body": body, "kind": kind,
        "starts_at": stamp(NOON + start), "ends_at": stamp(NOON + end),
    })  # fmt: skip
    assert answer.status_code == 201, answer.body


def test_given_a_current_outage_when_a_requester_opens_home_then_it_shows_in_dutch(api):
    with time_machine.travel(NOON, tick=False):
        announce(
            api,
            {"nl": "Storing e-mail", "en": "E-mail outage"},
            {"nl": "Mail komt <b>vertraagd</b> binnen.", "en": "Mail is delayed."},
            timedelta(hours=-1),
            timedelta(hours=2),
        )
        visitor = Browser(api.client)
        visitor.sign_in(REQUESTER)
        page = html(visitor.get("/"))
    assert "Mededelingen" in page
    assert "Storing: Storing e-mail" in page
    assert "Mail komt &lt;b&gt;vertraagd&lt;/b&gt; binnen." in page
    # The window in the tenant's time zone: 14:00 in Amsterdam.
    assert "Nu, tot 23 nov 2026, 15:00" in page
    assert "E-mail outage" not in page


def test_given_planned_maintenance_in_english_only_then_it_shows_with_its_window(api):
    with time_machine.travel(NOON, tick=False):
        announce(api, {"en": "Router swap"}, {"en": "Short network break."},
                 timedelta(days=1), timedelta(days=1, hours=1), kind="maintenance")  # fmt: skip
        visitor = Browser(api.client)
        visitor.sign_in(REQUESTER)
        page = html(visitor.get("/?lang=en"))
    assert "Maintenance: Router swap" in page
    assert "Planned from Nov 24, 2026, 1:00\u202fPM until Nov 24, 2026, 2:00\u202fPM" in page


def test_given_only_announcements_that_are_over_then_home_has_no_announcement_block(api):
    with time_machine.travel(NOON, tick=False):
        announce(api, {"en": "Old"}, {"en": "Gone"}, timedelta(hours=-2), timedelta(hours=1))
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        api.sign_out_everyone()
        visitor = Browser(api.client)
        visitor.sign_in(REQUESTER)
        page = html(visitor.get("/"))
    assert "Sanne de Vries" in page
    assert "announcements-heading" not in page
