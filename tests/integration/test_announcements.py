"""Announcements over the API: who writes and reads, the current/upcoming/over windows, the
anonymous portal read that names the tenant, and tenancy."""

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from tests.integration.conftest import Api

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"
ACME_REQUESTER = "requester@acme.example.com"

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def announce(api: Api, who: str = SUPERVISOR, *, start: timedelta, end: timedelta,
             title: str = "VPN maintenance", **fields: Any) -> Any:  # fmt: skip
    body = {
        "title": {"nl": f"{title} (nl)", "en": title},
        "body": {"nl": "De VPN is even weg.", "en": "The VPN will be down for a while."},
        "kind": "maintenance",
        "starts_at": stamp(NOON + start),
        "ends_at": stamp(NOON + end),
        **fields,
    }
    return api.call("POST", "/v1/announcements", as_=who, body=body)


def titles(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.body
    return [a["title"]["en"] for a in answer.json_body["items"]]


def test_given_a_supervisor_when_announcing_then_201_and_staff_see_who_made_it(api):
    with at(NOON):
        made = announce(api, start=timedelta(hours=-1), end=timedelta(hours=2))
        assert made.status_code == 201, made.body
        out = made.json_body
        assert out["state"] == "current" and out["created_by"] == SUPERVISOR
        assert out["mail_requesters"] is False
        assert made.headers["Location"].endswith(f"/v1/announcements/{out['id']}")
        seen = api.call("GET", "/v1/announcements", as_=REQUESTER).json_body["items"]
        assert [a["id"] for a in seen] == [out["id"]]
        assert seen[0]["created_by"] is None and seen[0]["mail_requesters"] is None
        assert seen[0]["title"] == {"nl": "VPN maintenance (nl)", "en": "VPN maintenance"}


def test_given_an_agent_or_requester_when_announcing_or_withdrawing_then_403(api):
    with at(NOON):
        assert announce(api, AGENT, start=timedelta(0), end=timedelta(hours=1)).status_code == 403
        assert announce(api, REQUESTER, start=timedelta(0), end=timedelta(hours=1)
                        ).status_code == 403  # fmt: skip
        made = announce(api, start=timedelta(0), end=timedelta(hours=1)).json_body
        path = f"/v1/announcements/{made['id']}"
        assert api.call("DELETE", path, as_=AGENT).status_code == 403
        assert api.call("DELETE", path, as_=SUPERVISOR).status_code == 204
        assert api.call("DELETE", path, as_=SUPERVISOR).status_code == 404
        assert titles(api.call("GET", "/v1/announcements", as_=AGENT)) == []


def test_given_windows_then_readers_see_current_and_upcoming_by_end_and_never_what_is_over(api):
    with at(NOON):
        announce(api, start=timedelta(days=1), end=timedelta(days=1, hours=4), title="upcoming")
        announce(api, start=timedelta(hours=-2), end=timedelta(hours=1), title="short")
        announce(api, start=timedelta(hours=-1), end=timedelta(hours=5), title="long")
        listed = api.call("GET", "/v1/announcements", as_=REQUESTER)
        assert titles(listed) == ["short", "long", "upcoming"]
        assert [a["state"] for a in listed.json_body["items"]] == ["current", "current", "upcoming"]
    with at(NOON + timedelta(hours=1)):
        api.sign_out_everyone()
        # "short" ends exactly now: it is over.
        assert titles(api.call("GET", "/v1/announcements", as_=REQUESTER)) == ["long", "upcoming"]
        past = api.call("GET", "/v1/announcements?include=past", as_=SUPERVISOR)
        assert titles(past) == ["short", "long", "upcoming"]
        assert past.json_body["items"][0]["state"] == "past"
        assert api.call("GET", "/v1/announcements?include=past", as_=AGENT).status_code == 403


def test_given_no_sign_in_when_naming_the_tenant_then_its_current_and_upcoming_ones(api):
    with at(NOON):
        announce(api, start=timedelta(hours=-1), end=timedelta(hours=1), title="demo outage")
        announce(api, ACME_ADMIN, start=timedelta(hours=-1), end=timedelta(hours=1),
                 title="acme outage")  # fmt: skip
        public = api.call("GET", "/v1/announcements?tenant=demo")
        assert titles(public) == ["demo outage"]
        assert public.json_body["items"][0]["created_by"] is None
        assert titles(api.call("GET", "/v1/announcements?tenant=acme")) == ["acme outage"]
        assert api.call("GET", "/v1/announcements?tenant=nope").status_code == 404
        assert api.call("GET", "/v1/announcements?tenant=..%2Fx").status_code == 404
        assert api.call("GET", "/v1/announcements").status_code == 422
        assert api.call("GET", "/v1/announcements?tenant=demo&include=past").status_code == 422


def test_given_bad_credentials_on_the_public_read_then_401_not_the_public_view(api):
    answer = api.call(
        "GET", "/v1/announcements?tenant=demo", headers={"Authorization": "Bearer nonsense"}
    )
    assert answer.status_code == 401


def test_given_another_tenant_then_its_announcements_are_not_listed_or_deletable(api):
    with at(NOON):
        made = announce(api, start=timedelta(0), end=timedelta(hours=1)).json_body
        assert titles(api.call("GET", "/v1/announcements", as_=ACME_REQUESTER)) == []
        assert api.call("GET", "/v1/announcements?tenant=demo", as_=ACME_REQUESTER
                        ).status_code == 404  # fmt: skip
        path = f"/v1/announcements/{made['id']}"
        assert api.call("DELETE", path, as_=ACME_ADMIN).status_code == 404
        assert titles(api.call("GET", "/v1/announcements", as_=REQUESTER)) == ["VPN maintenance"]


def test_given_bad_windows_or_languages_when_announcing_then_422(api):
    with at(NOON):
        backwards = announce(api, start=timedelta(hours=2), end=timedelta(hours=1))
        assert backwards.status_code == 422
        assert backwards.json_body["errors"][0]["field"] == "ends_at"
        over = announce(api, start=timedelta(hours=-3), end=timedelta(hours=-1))
        assert over.status_code == 422
        half = announce(api, start=timedelta(0), end=timedelta(hours=1),
                        body={"en": "Only English body"})  # fmt: skip
        assert half.status_code == 422
        naive = announce(api, start=timedelta(0), end=timedelta(hours=1),
                         starts_at="2026-11-23T12:00:00")  # fmt: skip
        assert naive.status_code == 422
        assert announce(api, start=timedelta(0), end=timedelta(hours=1), kind="party"
                        ).status_code == 422  # fmt: skip


def test_given_many_announcements_when_paging_then_each_comes_once(api):
    with at(NOON):
        for i in range(5):
            announce(api, start=timedelta(0), end=timedelta(hours=i + 1), title=f"a{i}")
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            path = "/v1/announcements?limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = api.call("GET", path, as_=REQUESTER)
            seen += titles(page)
            cursor = page.json_body["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"a{i}" for i in range(5)]
        bad = api.call("GET", "/v1/announcements?cursor=abc", as_=REQUESTER)
        assert bad.status_code == 422


def test_given_mail_requesters_when_announcing_then_201_and_it_is_kept_for_staff(api):
    # The mailing itself: tests/integration/test_people_mail.py.
    with at(NOON):
        answer = announce(api, start=timedelta(0), end=timedelta(hours=1), mail_requesters=True)
        assert answer.status_code == 201, answer.body
        assert answer.json_body["mail_requesters"] is True
        assert titles(api.call("GET", "/v1/announcements", as_=REQUESTER)) == ["VPN maintenance"]


def test_given_announcements_that_are_over_then_a_reader_query_never_reads_them(api):
    from chalicelib.adapters.aws import client

    with at(NOON):
        for i in range(4):
            announce(api, start=timedelta(0), end=timedelta(minutes=10 + i), title=f"old {i}")
    with at(NOON + timedelta(hours=1)):
        api.sign_out_everyone()
        announce(api, start=timedelta(0), end=timedelta(hours=2), title="now")
        scanned: list[int] = []

        def note(http_response, parsed, model, **_):
            if model.name == "Query":
                scanned.append(parsed.get("ScannedCount", 0))

        db = client("dynamodb")
        db.meta.events.register("after-call.dynamodb.Query", note)
        try:
            assert titles(api.call("GET", "/v1/announcements?tenant=demo")) == ["now"]
        finally:
            db.meta.events.unregister("after-call.dynamodb.Query", note)
        assert scanned == [1]


def test_given_the_mailing_cannot_be_queued_then_the_announcement_is_not_kept(api, monkeypatch):
    from chalicelib import wiring

    def queue_down(message: dict[str, Any]) -> None:
        raise ConnectionError("the notifications queue is unreachable")

    monkeypatch.setattr(wiring.announcement_service(), "mailings", queue_down)
    with at(NOON):
        answer = announce(api, start=timedelta(0), end=timedelta(hours=1), mail_requesters=True)
        assert answer.status_code == 500
        assert titles(api.call("GET", "/v1/announcements", as_=REQUESTER)) == []
