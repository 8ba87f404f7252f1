"""Unsubscribe links over moto: announcement mailings skip who left them (across pages), the
List-Unsubscribe headers are on announcement and watcher mail only, RFC 8058 one-click works
without CSRF, the confirm page works with it, bad links get a friendly 400, and leaving a
watched ticket is audited."""

from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.domain.principal import Role
from tests.integration.conftest import Api, reset_caches
from tests.integration.test_mail import Mailroom
from tests.integration.test_people_mail import add_person, announce, mailed
from tests.integration.test_web_portal import Browser, html

PORTAL = "https://help.example.com"
REQUESTER = "requester@demo.example.com"
REQUESTER2 = "requester2@demo.example.com"
AGENT = "agent@demo.example.com"
ADMIN = "admin@demo.example.com"
ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def room(api: Api, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Mailroom:
    # Links in mail are built from the configured portal address; deployed, that is https.
    monkeypatch.setenv("BALIE_PORTAL_URL", PORTAL)
    reset_caches()
    return Mailroom(aws_env)


def opted_out(email: str) -> bool:
    from chalicelib.adapters.dynamo.users import get_profile

    profile = get_profile("demo", email)
    assert profile is not None
    return profile.announcements_opt_out


def leave_announcements(email: str) -> None:
    from chalicelib.adapters.dynamo.users import set_announcements_opt_out

    assert set_announcements_opt_out("demo", email, True)


def link_of(message: Any) -> str:
    """The path of the List-Unsubscribe URL, as the app is called (chalice.test has no host)."""
    url = message["List-Unsubscribe"].strip().strip("<>")
    assert url.startswith(f"{PORTAL}/unsubscribe/")
    return urlsplit(url).path


def announcement_link(api: Api, room: Mailroom, email: str = REQUESTER) -> str:
    before = len(room.sent())
    announce(api)
    room.settle()
    return link_of(mailed(room, before)[email])


def watch(api: Api, number: int, email: str) -> None:
    answer = api.call("POST", f"/v1/tickets/{number}/watchers", as_=AGENT, body={"email": email})
    assert answer.status_code == 201, answer.body


def reply(api: Api, number: int, body: str = "Try tray 2") -> None:
    answer = api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT,
                      body={"body": body, "visibility": "public"})  # fmt: skip
    assert answer.status_code == 201, answer.body


def one_click(api: Api, path: str, body: bytes = ONE_CLICK.encode(), kind: str = FORM) -> Any:
    # What a mail provider sends: no cookie, no CSRF token, only the URL and this body.
    return api.client.http.request("POST", path, headers={"Content-Type": kind}, body=body)


# --- the mailing ------------------------------------------------------------------------


def test_given_opted_out_requesters_then_the_mailing_skips_them_and_still_pages_to_the_end(
    api, room, monkeypatch
):
    from chalicelib.services import notify

    for name in ("a.one", "b.two", "c.three", "d.four"):
        add_person(f"{name}@customer.example.org", Role.REQUESTER, name)
    # Pages of two, by address: [a.one, b.two] [c.three, d.four] [requester2, requester].
    # The last of page one and the whole of page two left: the mailing must go on past them.
    for name in ("b.two", "c.three", "d.four"):
        leave_announcements(f"{name}@customer.example.org")
    monkeypatch.setattr(notify, "ANNOUNCEMENT_BATCH", 2)
    before = len(room.sent())

    announce(api)
    room.settle()

    got = mailed(room, before)
    assert sorted(got) == ["a.one@customer.example.org", REQUESTER2, REQUESTER]
    assert len(room.sent()) - before == 3  # nobody twice


def test_given_an_admin_rewrites_a_profile_then_the_persons_opt_out_stays(api, room):
    from chalicelib.services.users import ensure_user

    leave_announcements(REQUESTER2)
    ensure_user("demo", email=REQUESTER2, name="Bram Renamed", role=Role.REQUESTER,
                password=None, locale="nl")  # fmt: skip
    assert opted_out(REQUESTER2)


# --- the headers ----------------------------------------------------------------------


def test_given_an_announcement_mail_then_it_carries_one_click_headers_and_a_footer_link(api, room):
    before = len(room.sent())
    announce(api)
    room.settle()
    got = mailed(room, before)

    for address, message in got.items():
        url = message["List-Unsubscribe"].strip().strip("<>")
        assert url.startswith(f"{PORTAL}/unsubscribe/"), address
        assert message["List-Unsubscribe-Post"] == ONE_CLICK
        assert url in message.get_body(("plain",)).get_content()
        assert url in message.get_body(("html",)).get_content()
    # Each address its own link, naming it and announcements.
    from chalicelib.domain import unsubscribe

    token = link_of(got[REQUESTER]).rsplit("/", 1)[1]
    assert unsubscribe.tenant_of(token) == "demo"
    dutch = got[REQUESTER].get_body(("plain",)).get_content()
    assert "Wilt u geen mededelingen van" in dutch


def test_given_a_watcher_copy_then_it_has_the_headers_and_the_requesters_reply_has_none(api, room):
    number = api.create_ticket(as_=REQUESTER)["number"]
    watch(api, number, REQUESTER2)
    room.settle()
    before = len(room.sent())

    reply(api, number)
    room.settle()

    copy = room.sent_to(REQUESTER2)[-1]
    assert copy["List-Unsubscribe-Post"] == ONE_CLICK
    path = link_of(copy)
    assert f"{PORTAL}{path}" in copy.get_body(("plain",)).get_content()
    # The requester's mail about their own ticket is not bulk: no header, no footer link.
    (own,) = [m for m in room.sent()[before:] if REQUESTER in str(m["To"])]
    assert own["List-Unsubscribe"] is None and own["List-Unsubscribe-Post"] is None
    assert "/unsubscribe/" not in own.get_body(("plain",)).get_content()


# --- one click (RFC 8058) -----------------------------------------------------------------


def test_given_the_one_click_post_without_csrf_then_the_requester_leaves_the_mailings(api, room):
    path = announcement_link(api, room)
    assert not opted_out(REQUESTER)

    answer = one_click(api, path)

    assert answer.status_code == 200, html(answer)
    assert opted_out(REQUESTER)
    # The next announcement is not mailed to them; the others still get it.
    before = len(room.sent())
    announce(api)
    room.settle()
    assert sorted(mailed(room, before)) == [REQUESTER2]
    assert one_click(api, path).status_code == 200  # a provider retrying: still fine


def test_given_a_multipart_one_click_post_then_it_counts_as_well(api, room):
    path = announcement_link(api, room)
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        b"One-Click\r\n--XyZ--\r\n"
    )
    answer = one_click(api, path, body, "multipart/form-data; boundary=XyZ")
    assert answer.status_code == 200, html(answer)
    assert opted_out(REQUESTER)


def test_given_a_post_that_is_neither_one_click_nor_our_form_then_nothing_changes(api, room):
    path = announcement_link(api, room)
    for body in (b"List-Unsubscribe=Two-Clicks", b"action=leave", b""):
        assert one_click(api, path, body).status_code == 403
    assert one_click(api, path, ONE_CLICK.encode(), "text/plain").status_code == 403
    assert not opted_out(REQUESTER)


# --- the confirmation page ----------------------------------------------------------------


def test_given_the_link_opened_then_nothing_changes_until_the_csrf_form_is_sent(api, room):
    path = announcement_link(api, room)
    visitor = Browser(api.client)

    page = html(visitor.get(path + "?lang=nl", **{"Accept-Language": "nl"}))
    assert visitor.last.status_code == 200
    assert "Geen mededelingen meer per e-mail?" in page and REQUESTER in page
    assert not opted_out(REQUESTER)

    refused = visitor.post(path, {"action": "leave"}, csrf=False)
    assert refused.status_code == 403
    assert not opted_out(REQUESTER)

    visitor.get(path)
    done = visitor.post(path, {"action": "leave"})
    assert done.status_code == 200, html(done)
    assert "Je bent afgemeld" in html(done)
    assert "next=%2Funsubscribe%2F" in html(done)  # the language switch comes back here
    assert opted_out(REQUESTER)

    # Undo from the same page.
    again = visitor.post(path, {"action": "rejoin"})
    assert again.status_code == 200
    assert "Je krijgt weer mededelingen" in html(again)
    assert not opted_out(REQUESTER)


def test_given_an_english_visitor_who_already_left_then_the_page_says_so_and_offers_undo(api, room):
    path = announcement_link(api, room)
    leave_announcements(REQUESTER)
    visitor = Browser(api.client)
    page = html(visitor.get(path + "?lang=en"))
    assert "You are unsubscribed" in page and "Mail me announcements again" in page


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_given_a_bad_or_forged_link_then_a_friendly_400_page(api, room, method):
    from chalicelib.domain import unsubscribe

    genuine = announcement_link(api, room).rsplit("/", 1)[1]
    acme = unsubscribe.token_for({1: "not-demos-key"}, "demo", REQUESTER, "announcements")
    nowhere = unsubscribe.token_for({1: "k"}, "no-such-tenant", REQUESTER, "announcements")
    for token in ("nonsense", genuine[:-3] + "AAA", acme, nowhere, "1.%00.x", "x" * 700):
        if method == "GET":
            answer = api.client.http.request("GET", f"/unsubscribe/{token}")
        else:
            answer = one_click(api, f"/unsubscribe/{token}")
        assert answer.status_code == 400, (token, answer.status_code)
        assert "This link does not work" in html(answer) or "Deze link werkt niet" in html(answer)
    assert not opted_out(REQUESTER)


# --- leaving a watched ticket -------------------------------------------------------------


def test_given_a_watcher_who_unsubscribes_then_the_watch_ends_and_is_audited(api, room):
    number = api.create_ticket(as_=REQUESTER)["number"]
    watch(api, number, REQUESTER2)
    reply(api, number)
    room.settle()
    path = link_of(room.sent_to(REQUESTER2)[-1])
    visitor = Browser(api.client)
    assert f"#{number}" in html(visitor.get(path + "?lang=en"))
    token = visitor.csrf()

    done = visitor.post(path, {"action": "leave"})

    assert done.status_code == 200, html(done)
    assert f"Je volgt melding #{number} niet meer" in html(done)  # the tenant speaks Dutch
    watchers = api.call("GET", f"/v1/tickets/{number}/watchers", as_=AGENT).json_body["items"]
    assert watchers == []
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    (removed,) = [e for e in events if e["type"] == "watcher.removed"]
    assert removed["actor"]["id"] == REQUESTER2
    assert removed["data"] == {"watcher": REQUESTER2, "via": "unsubscribe link"}
    # No more copies; a second click is harmless; the link does not bring the watch back.
    before = len(room.sent_to(REQUESTER2))
    reply(api, number, "Another reply")
    room.settle()
    assert len(room.sent_to(REQUESTER2)) == before
    assert one_click(api, path).status_code == 200
    refused = visitor.post(path, {"action": "rejoin", "csrf_token": token})
    assert refused.status_code == 409
    assert api.call("GET", f"/v1/tickets/{number}/watchers", as_=AGENT).json_body["items"] == []
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert len([e for e in events if e["type"] == "watcher.removed"]) == 1


# --- GDPR ---------------------------------------------------------------------------------


def test_given_an_opted_out_requester_then_export_shows_it_and_erasure_removes_it(api, room):
    from chalicelib.adapters.dynamo.users import get_profile

    api.create_ticket(as_=REQUESTER2)
    assert api.call("GET", f"/v1/requesters/{REQUESTER2}/export", as_=ADMIN
                    ).json_body["announcements_opt_out"] is False  # fmt: skip
    leave_announcements(REQUESTER2)
    export = api.call("GET", f"/v1/requesters/{REQUESTER2}/export", as_=ADMIN)
    assert export.status_code == 200 and export.json_body["announcements_opt_out"] is True

    assert api.call("DELETE", f"/v1/requesters/{REQUESTER2}", as_=ADMIN).status_code == 204
    assert get_profile("demo", REQUESTER2) is None
