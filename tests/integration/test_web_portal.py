"""The requester portal over chalice.test: session, CSRF, forms, tenancy, escaping, headers,
static files and the catalogs."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import time_machine
from chalice.test import Client

from tests.integration.conftest import PASSWORD, Api

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "chalicelib" / "web"
REQUESTER = "requester@demo.example.com"
OTHER_REQUESTER = "requester2@demo.example.com"
ACME_REQUESTER = "requester@acme.example.com"
AGENT = "agent@demo.example.com"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


class Browser:
    """chalice.test's client with what a browser adds: a cookie jar, form posts, and the
    CSRF token of the last page it showed."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.last: Any = None

    def request(self, method: str, path: str, *, body: bytes = b"", **headers: str) -> Any:
        sent = dict(headers)
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = self.client.http.request(method, path, headers=sent, body=body)
        for line in set_cookies(answer):
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        self.last = answer
        return answer

    def get(self, path: str, **headers: str) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, form: dict[str, str], *, csrf: bool = True, **headers: str) -> Any:
        values = dict(form)
        if csrf and "csrf_token" not in values:
            values["csrf_token"] = self.csrf()
        return self.request(
            "POST",
            path,
            body=urlencode(values).encode(),
            **{"Content-Type": "application/x-www-form-urlencoded", **headers},
        )

    def csrf(self) -> str:
        match = _CSRF.search(html(self.last))
        assert match, "the last page has no form"
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        self.get("/login")
        answer = self.post("/login", {"email": email, "password": password})
        assert answer.status_code == 303, html(answer)
        return answer

    def file(self, subject: str = "Printer jams", description: str = "Every job") -> int:
        self.get("/tickets/new")
        answer = self.post("/tickets/new", ticket_form(self, subject, description))
        assert answer.status_code == 303, html(answer)
        return int(answer.headers["Location"].rsplit("/", 1)[1])


def set_cookies(answer: Any) -> list[str]:
    value = answer.headers.get("Set-Cookie") or []
    return value if isinstance(value, list) else [value]


def html(answer: Any) -> str:
    return answer.body.decode("utf-8")


def ticket_form(visitor: Browser, subject: str, description: str) -> dict[str, str]:
    nonce = _NONCE.search(html(visitor.last))
    assert nonce
    return {
        "nonce": nonce.group(1),
        "subject": subject,
        "description": description,
        "impact": "low",
        "urgency": "high",
        "type": "incident",
    }


@pytest.fixture
def client(api: Api) -> Client:
    return api.client


# Not `browser`: pytest-playwright owns that fixture name.
@pytest.fixture
def visitor(client: Client) -> Browser:
    return Browser(client)


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    visitor.sign_in(REQUESTER)
    return visitor


def tickets_of(api: Api, who: str) -> list[dict[str, Any]]:
    return api.call("GET", "/v1/tickets?limit=100", as_=who).json_body["items"]


# --- session --------------------------------------------------------------------------


def test_given_valid_credentials_when_signing_in_then_the_session_cookie_is_httponly_secure_lax(
    visitor: Browser,
):
    answer = visitor.sign_in(REQUESTER)

    assert answer.headers["Location"] == "/"
    session = next(c for c in set_cookies(answer) if c.startswith("balie_session="))
    attributes = {a.strip() for a in session.split(";")[1:]}
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=3600"} <= attributes
    home = visitor.get("/")
    assert home.status_code == 200
    assert "Sanne de Vries" in html(home)


def test_given_a_wrong_password_when_signing_in_then_the_form_says_so_and_no_session_starts(
    visitor: Browser,
):
    visitor.get("/login")
    answer = visitor.post("/login", {"email": REQUESTER, "password": "Wrong-password-1!"})

    assert answer.status_code == 401
    assert "The e-mail address or password is not right." in html(answer)
    assert 'value="requester@demo.example.com"' in html(answer)
    assert "Wrong-password-1!" not in html(answer)
    assert "balie_session" not in visitor.cookies


def test_given_an_empty_form_when_signing_in_then_each_field_says_what_is_missing(
    visitor: Browser,
):
    visitor.get("/login")
    answer = visitor.post("/login", {"email": "not-an-address", "password": ""})

    assert answer.status_code == 422
    page = html(answer)
    assert 'id="email-error"' in page and 'id="password-error"' in page
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize("path", ["/", "/tickets/new", "/tickets/1", "/kb/search?q=vpn"])
def test_given_no_session_when_opening_a_page_then_it_redirects_to_sign_in(
    visitor: Browser, path: str
):
    answer = visitor.get(path)

    assert answer.status_code == 303
    assert answer.headers["Content-Security-Policy"] == CSP
    target = urlparse(answer.headers["Location"])
    assert target.path == "/login"
    if path != "/":
        assert parse_qs(target.query)["next"] == [path.split("?")[0]]


def test_given_no_session_when_htmx_asks_for_a_fragment_then_it_is_told_to_load_sign_in(
    visitor: Browser,
):
    answer = visitor.post(
        "/kb/suggest-fragment", {"subject": "vpn"}, csrf=False, **{"HX-Request": "true"}
    )

    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"] == "/login"
    assert html(answer) == ""


def test_given_a_session_that_expired_when_opening_a_page_then_sign_in_says_so(
    visitor: Browser,
):
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        visitor.sign_in(REQUESTER)
        traveller.shift(timedelta(hours=2))
        answer = visitor.get("/")

    assert answer.status_code == 303
    assert "reason=expired" in answer.headers["Location"]
    assert "balie_session" not in visitor.cookies
    login = visitor.get(answer.headers["Location"])
    assert "Your session has ended" in html(login)


def test_given_a_forged_session_cookie_then_pages_treat_it_as_expired(visitor: Browser):
    visitor.cookies["balie_session"] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."

    answer = visitor.get("/")

    assert answer.status_code == 303
    assert "reason=expired" in answer.headers["Location"]


def test_given_a_session_when_signing_out_then_the_cookie_is_cleared_and_pages_need_sign_in(
    signed_in: Browser,
):
    signed_in.get("/")
    answer = signed_in.post("/logout", {})

    assert answer.status_code == 303
    assert any(c.startswith("balie_session=;") and "Max-Age=0" in c for c in set_cookies(answer))
    assert signed_in.get("/").status_code == 303


def test_given_a_next_page_elsewhere_when_signing_in_then_it_stays_on_this_site(
    visitor: Browser,
):
    visitor.get("/login?next=//evil.example/steal")
    answer = visitor.post(
        "/login", {"email": REQUESTER, "password": PASSWORD, "next": "//evil.example/steal"}
    )

    assert answer.headers["Location"] == "/"


def test_given_a_staff_member_on_the_portal_home_then_it_links_to_the_workspace(
    visitor: Browser,
):
    visitor.sign_in(AGENT)

    page = html(visitor.get("/"))

    assert '<a href="/agent">Naar de werkplek voor medewerkers</a>' in page


# --- CSRF -----------------------------------------------------------------------------


def test_given_a_form_without_csrf_token_when_posted_then_403_and_nothing_is_filed(
    api: Api, signed_in: Browser
):
    signed_in.get("/tickets/new")
    form = ticket_form(signed_in, "Forged", "From another site")

    answer = signed_in.post("/tickets/new", form, csrf=False)

    assert answer.status_code == 403
    assert "This form has expired" in html(answer) or "Dit formulier is verlopen" in html(answer)
    assert tickets_of(api, REQUESTER) == []


def test_given_another_sessions_csrf_token_when_posted_then_403_and_nothing_changes(
    api: Api, client: Client
):
    mallory = Browser(client)
    mallory.sign_in(OTHER_REQUESTER)
    mallory.get("/tickets/new")
    foreign_token = mallory.csrf()
    victim = Browser(client)
    victim.sign_in(REQUESTER)
    victim.get("/tickets/new")
    form = ticket_form(victim, "Forged", "With a token of another session")

    answer = victim.post("/tickets/new", {**form, "csrf_token": foreign_token})

    assert answer.status_code == 403
    assert tickets_of(api, REQUESTER) == []


def test_given_a_body_that_is_not_a_form_when_posted_then_403_and_nothing_is_filed(
    api: Api, signed_in: Browser
):
    signed_in.get("/tickets/new")
    form = ticket_form(signed_in, "Forged", "As text/plain")
    form["csrf_token"] = signed_in.csrf()

    answer = signed_in.request(
        "POST", "/tickets/new", body=json.dumps(form).encode(), **{"Content-Type": "text/plain"}
    )

    assert answer.status_code == 403
    assert tickets_of(api, REQUESTER) == []


def test_given_no_pre_session_cookie_when_signing_in_then_403(visitor: Browser):
    visitor.get("/login")
    token = visitor.csrf()
    visitor.cookies.clear()

    answer = visitor.post("/login", {"email": REQUESTER, "password": PASSWORD, "csrf_token": token})

    assert answer.status_code == 403
    assert "balie_session" not in visitor.cookies


def test_given_a_reply_without_csrf_token_then_403_and_no_message_is_added(
    api: Api, signed_in: Browser
):
    number = signed_in.file()
    signed_in.get(f"/tickets/{number}")

    answer = signed_in.post(f"/tickets/{number}/reply", {"body": "forged"}, csrf=False)

    assert answer.status_code == 403
    messages = api.call("GET", f"/v1/tickets/{number}/messages", as_=REQUESTER).json_body
    assert messages["items"] == []


# --- filing ---------------------------------------------------------------------------


def test_given_missing_fields_when_filing_then_errors_sit_next_to_them_and_values_stay(
    api: Api, signed_in: Browser
):
    signed_in.get("/tickets/new")
    form = ticket_form(signed_in, "   ", "It has been broken since Monday")
    form["impact"] = "galaxy"

    answer = signed_in.post("/tickets/new", form)

    assert answer.status_code == 422
    page = html(answer)
    assert re.search(r'id="subject"[^>]*aria-invalid="true"', page, re.S)
    assert 'id="subject-error"' in page and 'id="impact-error"' in page
    assert "It has been broken since Monday" in page
    assert f'name="nonce" value="{form["nonce"]}"' in page
    assert tickets_of(api, REQUESTER) == []


def test_given_a_double_submit_of_one_form_then_exactly_one_ticket_is_filed(
    api: Api, signed_in: Browser
):
    signed_in.get("/tickets/new")
    form = ticket_form(signed_in, "VPN drops", "Every 10 minutes")
    token = signed_in.csrf()

    first = signed_in.post("/tickets/new", {**form, "csrf_token": token})
    second = signed_in.post("/tickets/new", {**form, "csrf_token": token})

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    filed = tickets_of(api, REQUESTER)
    assert len(filed) == 1
    assert filed[0]["channel"] == "portal"
    assert (filed[0]["impact"], filed[0]["urgency"], filed[0]["priority"]) == ("low", "high", "P3")
    page = signed_in.get(first.headers["Location"])
    assert f"Ticket #{filed[0]['number']} is aangemaakt." in html(page)


def test_given_filed_tickets_then_home_lists_only_my_own_with_status_and_sla_badge(
    api: Api, client: Client, signed_in: Browser
):
    mine = signed_in.file("Mine", "mine")
    api.create_ticket(as_=OTHER_REQUESTER, subject="Not mine")

    page = html(signed_in.get("/"))

    assert f"#{mine}" in page and "Mine" in page
    assert "Not mine" not in page
    assert "Nieuw" in page  # status in words
    assert 'class="badge on_track"' in page
    assert "P3 · Normaal" in page or "P2 · Hoog" in page or "P4 · Laag" in page


def test_given_more_tickets_than_a_page_then_home_links_to_the_next_page(
    api: Api, signed_in: Browser
):
    from chalicelib.web import portal

    for n in range(portal.TICKETS_PER_PAGE + 1):
        api.create_ticket(as_=REQUESTER, subject=f"Ticket {n}")

    first = html(signed_in.get("/"))
    cursor = re.search(r'href="/\?cursor=([^"]+)"', first)
    assert cursor
    second = html(signed_in.get(f"/?cursor={cursor.group(1)}"))

    assert first.count('data-label="Nummer"') == portal.TICKETS_PER_PAGE
    assert second.count('data-label="Nummer"') == 1
    assert "Eerste pagina" in second


def test_given_a_subject_being_typed_then_the_suggestion_hook_answers_an_empty_fragment(
    signed_in: Browser,
):
    signed_in.get("/tickets/new")
    page = html(signed_in.last)
    assert 'hx-post="/kb/suggest-fragment"' in page
    assert 'hx-trigger="keyup changed delay:400ms"' in page

    answer = signed_in.post("/kb/suggest-fragment", {"subject": "vpn"}, **{"HX-Request": "true"})

    assert answer.status_code == 200
    assert html(answer).strip() == ""


def test_given_a_search_without_matches_then_the_page_says_so(signed_in: Browser):
    answer = signed_in.get("/kb/search?q=vpn")

    assert answer.status_code == 200
    assert "Geen artikelen gevonden" in html(answer)
    assert 'value="vpn"' in html(answer)


# --- the ticket page ------------------------------------------------------------------


def test_given_another_tenants_ticket_then_404_page_and_replies_change_nothing(
    api: Api, client: Client, signed_in: Browser
):
    number = signed_in.file()
    outsider = Browser(client)
    outsider.sign_in(ACME_REQUESTER)

    page = outsider.get(f"/tickets/{number}")
    outsider.get("/")
    reply = outsider.post(f"/tickets/{number}/reply", {"body": "mine now"})

    assert page.status_code == 404
    assert "Not found" in html(page)
    assert "Printer jams" not in html(page)
    assert reply.status_code == 404
    messages = api.call("GET", f"/v1/tickets/{number}/messages", as_=REQUESTER).json_body
    assert messages["items"] == []


def test_given_another_requesters_ticket_in_the_same_tenant_then_404(
    api: Api, client: Client, signed_in: Browser
):
    number = signed_in.file()
    colleague = Browser(client)
    colleague.sign_in(OTHER_REQUESTER)

    assert colleague.get(f"/tickets/{number}").status_code == 404
    assert colleague.get("/tickets/999999").status_code == 404
    assert colleague.get("/tickets/abc").status_code == 404


def test_given_an_xss_payload_in_subject_and_body_then_it_is_shown_as_text(
    api: Api, signed_in: Browser
):
    subject = "<script>alert('subject')</script>"
    body = '<img src=x onerror="alert(1)">\nsecond line'
    number = signed_in.file(subject, body)
    signed_in.get(f"/tickets/{number}")
    signed_in.post(f"/tickets/{number}/reply", {"body": "<svg onload=alert(2)>"})

    ticket_page = html(signed_in.get(f"/tickets/{number}"))
    home = html(signed_in.get("/"))

    for page in (ticket_page, home):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in ticket_page and "<svg onload" not in ticket_page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;\nsecond line" in ticket_page
    assert "&lt;svg onload=alert(2)&gt;" in ticket_page


def test_given_a_reply_then_it_joins_the_public_conversation_and_internal_notes_stay_hidden(
    api: Api, signed_in: Browser
):
    number = signed_in.file()
    api.call(
        "POST",
        f"/v1/tickets/{number}/messages",
        as_=AGENT,
        body={"body": "Internal: printer is end of life", "visibility": "internal"},
    )
    api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body={"body": "Which tray?"})
    signed_in.get(f"/tickets/{number}")

    answer = signed_in.post(f"/tickets/{number}/reply", {"body": "Tray 2\nevery time"})
    page = html(signed_in.get(answer.headers["Location"]))

    assert answer.status_code == 303
    assert "Which tray?" in page and "Tray 2\nevery time" in page
    assert "end of life" not in page
    assert f"Je antwoord is toegevoegd aan ticket #{number}." in page
    messages = api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body["items"]
    assert messages[-1]["channel"] == "portal" and messages[-1]["visibility"] == "public"


def test_given_an_empty_reply_then_the_field_says_so(signed_in: Browser):
    number = signed_in.file()
    signed_in.get(f"/tickets/{number}")

    answer = signed_in.post(f"/tickets/{number}/reply", {"body": "  "})

    assert answer.status_code == 422
    assert 'id="body-error"' in html(answer)
    # The language switch comes back to the ticket, not to the address the form posted to.
    assert f'/language?lang=en&amp;next=%2Ftickets%2F{number}"' in html(answer)


def resolve(api: Api, number: int) -> None:
    version = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"]
    answer = api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_=AGENT,
        body={"status": "resolved"},
        headers={"If-Match": f'"{version}"'},
    )
    assert answer.status_code == 200, answer.body


def test_given_an_open_ticket_then_the_requester_is_offered_no_status_change(
    signed_in: Browser,
):
    number = signed_in.file()

    page = html(signed_in.get(f"/tickets/{number}"))

    assert f'action="/tickets/{number}/status"' not in page


def test_given_a_solved_ticket_when_the_requester_closes_it_then_it_is_closed(
    api: Api, signed_in: Browser
):
    number = signed_in.file()
    resolve(api, number)
    page = html(signed_in.get(f"/tickets/{number}"))
    version = _VERSION.search(page)
    assert version

    answer = signed_in.post(
        f"/tickets/{number}/status", {"status": "closed", "version": version.group(1)}
    )

    assert answer.status_code == 303
    assert api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body["status"] == "closed"
    closed = html(signed_in.get(f"/tickets/{number}"))
    assert f"Ticket #{number} is gesloten." in closed
    assert f'action="/tickets/{number}/reply"' not in closed


def test_given_a_stale_version_when_reopening_then_the_page_shows_the_conflict_and_fresh_data(
    api: Api, signed_in: Browser
):
    number = signed_in.file()
    resolve(api, number)
    stale = _VERSION.search(html(signed_in.get(f"/tickets/{number}")))
    assert stale
    api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body={"body": "Also fixed X"})

    answer = signed_in.post(f"/tickets/{number}/status", {"status": "open", "version": stale[1]})

    assert answer.status_code == 409
    page = html(answer)
    assert "Dit ticket is intussen gewijzigd." in page
    assert "Also fixed X" in page
    assert _VERSION.search(page)[1] == str(int(stale[1]) + 1)  # type: ignore[index]
    assert api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body["status"] == "resolved"


def test_given_a_requester_forging_a_move_the_rules_forbid_then_nothing_changes(
    api: Api, signed_in: Browser
):
    number = signed_in.file()
    signed_in.get(f"/tickets/{number}")

    forged = signed_in.post(f"/tickets/{number}/status", {"status": "resolved", "version": "1"})
    early = signed_in.post(f"/tickets/{number}/status", {"status": "closed", "version": "1"})

    assert forged.status_code == 400
    assert early.status_code == 403
    assert api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body["status"] == "new"


def test_given_a_failure_inside_a_page_then_500_page_without_details(
    signed_in: Browser, monkeypatch: pytest.MonkeyPatch
):
    from chalicelib.wiring import ticket_service

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals at line 42")

    monkeypatch.setattr(ticket_service(), "list_tickets", broken)

    answer = signed_in.get("/")

    assert answer.status_code == 500
    assert "Er ging iets mis" in html(answer)
    assert "secret internals" not in html(answer) and "Traceback" not in html(answer)
    assert answer.headers["Content-Security-Policy"] == CSP


# --- password reset -------------------------------------------------------------------


def test_given_the_forgot_password_flow_then_a_new_password_signs_in(visitor: Browser):
    visitor.get("/forgot-password")
    asked = visitor.post("/forgot-password", {"step": "request", "email": REQUESTER})
    assert asked.status_code == 200
    assert "If there is an account for this address" in html(asked)
    new_password = "Nieuw-wachtwoord-2026!"

    # moto accepts any code that is not one of its own "moto-confirmation-code:" ones.
    done = visitor.post(
        "/forgot-password",
        {"step": "confirm", "email": REQUESTER, "code": "123456", "password": new_password},
    )

    assert done.status_code == 303
    assert done.headers["Location"] == "/login?reason=password_reset"
    assert "Your password has been changed" in html(visitor.get(done.headers["Location"]))
    visitor.sign_in(REQUESTER, new_password)


def test_given_an_unknown_address_then_the_reset_answer_is_the_same(visitor: Browser):
    visitor.get("/forgot-password")

    answer = visitor.post("/forgot-password", {"step": "request", "email": "nobody@example.com"})

    assert answer.status_code == 200
    assert "If there is an account for this address" in html(answer)


def test_given_a_wrong_code_then_the_code_field_says_so(visitor: Browser):
    visitor.get("/forgot-password")
    visitor.post("/forgot-password", {"step": "request", "email": REQUESTER})

    answer = visitor.post(
        "/forgot-password",
        {
            "step": "confirm",
            "email": REQUESTER,
            "code": "moto-confirmation-code:000000",
            "password": "Nieuw-wachtwoord-2026!",
        },
    )

    assert answer.status_code == 422
    assert 'id="code-error"' in html(answer)
    assert "Nieuw-wachtwoord-2026!" not in html(answer)


# --- headers and static files ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/forgot-password", "/", "/tickets/new", "/tickets/7"])
def test_given_any_page_then_it_carries_the_security_headers(signed_in: Browser, path: str):
    answer = signed_in.get(path)

    assert answer.status_code in (200, 303, 404)
    policy = answer.headers["Content-Security-Policy"]
    if path == "/tickets/new":
        # Its script sends files to the bucket's origin, and only there (web/uploads.py).
        assert policy.startswith(f"{CSP}; connect-src 'self' https://")
    else:
        assert policy == CSP
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"


def test_given_a_page_then_its_static_files_have_hashed_urls_and_a_year_of_cache(
    visitor: Browser,
):
    page = html(visitor.get("/login"))
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(urls) == 3

    for url in urls:
        assert re.fullmatch(r"/static/[a-z.]+\.[0-9a-f]{8}\.(css|js)", url)
        answer = visitor.get(url)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["Content-Type"].startswith(("text/css", "text/javascript"))
    assert visitor.get("/static/pico.min.00000000.css").status_code == 404
    assert visitor.get("/static/VENDORED.md").status_code == 404


# --- languages ------------------------------------------------------------------------


def test_given_the_language_choices_then_the_most_explicit_wins(visitor: Browser):
    assert 'lang="en"' in html(visitor.get("/login"))
    assert 'lang="nl"' in html(visitor.get("/login", **{"Accept-Language": "nl-NL,en;q=0.5"}))
    assert ">Sign in<" in html(visitor.get("/login?lang=en", **{"Accept-Language": "nl"}))

    switch = visitor.get("/language?lang=nl&next=/login%3Fnext%3D/tickets/3")

    assert switch.status_code == 303
    assert switch.headers["Location"] == "/login?next=/tickets/3"
    assert visitor.cookies["balie_lang"] == "nl"
    assert ">Inloggen<" in html(visitor.get("/login"))


def test_given_a_dutch_profile_then_pages_are_dutch_until_the_switch_says_english(
    signed_in: Browser,
):
    assert "Mijn tickets" in html(signed_in.get("/"))

    signed_in.get("/language?lang=en&next=/")

    page = html(signed_in.get("/"))
    assert "My tickets" in page and 'lang="en"' in page


def test_given_a_moment_then_it_is_written_in_the_locale_and_the_tenants_time_zone():
    from chalicelib.web.i18n import format_moment

    moment = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

    assert format_moment(moment, "nl", "Europe/Amsterdam") == "23 nov 2026, 10:30"
    assert format_moment(moment, "en", "Europe/London") == "Nov 23, 2026, 9:30\u202fAM"


def extracted_messages() -> dict[str, str]:
    from babel.messages.extract import extract_from_dir

    found: dict[str, str] = {}
    for filename, lineno, message, _, _ in extract_from_dir(
        str(WEB),
        [("**/templates/**.html", "jinja2"), ("**.py", "python")],
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}},
        keywords={"_": None, "N_": None, "gettext": None},
    ):
        assert isinstance(message, str), f"{filename}:{lineno} uses plural forms"
        found.setdefault(message, f"{filename}:{lineno}")
    return found


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_given_the_catalogs_then_every_message_in_templates_and_code_is_translated(locale: str):
    from babel.messages.pofile import read_po

    with (WEB / "locale" / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=locale)
    used = extracted_messages()
    translated = {m.id: m.string for m in catalog if m.id}

    assert len(used) > 100
    missing = {m: where for m, where in used.items() if not translated.get(m)}
    assert missing == {}
    for message in used:
        assert re.findall(r"%\(\w+\)s", translated[message]) == re.findall(r"%\(\w+\)s", message)


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_given_the_catalogs_then_no_message_is_defined_twice(locale: str):
    # Babel quietly keeps the last of two definitions and gettext's msgfmt refuses the file;
    # branches that each append their messages are how a second one creeps in.
    text = (WEB / "locale" / locale / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    ids = []
    for entry in text.split("\n\n"):
        lines = [line for line in entry.splitlines() if not line.startswith("#")]
        msgid, inside = [], False
        for line in lines:
            if line.startswith("msgid "):
                inside, msgid = True, [line[len("msgid ") :]]
            elif line.startswith("msgstr") or line.startswith("msgid_plural"):
                inside = False
            elif inside and line.startswith('"'):
                msgid.append(line)
        if msgid:
            ids.append("".join(msgid))

    assert [i for i in set(ids) if ids.count(i) > 1] == []
    assert len(ids) > 100


# --- the SLA badge --------------------------------------------------------------------


def clock(state: str, remaining: int, target: int = 60, breached: bool = False) -> dict[str, Any]:
    return {
        "state": state,
        "remaining_minutes": remaining,
        "target_minutes": target,
        "breached": breached,
    }


@pytest.mark.parametrize(
    ("status", "clocks", "badge"),
    [
        ("open", {"first_response": clock("running", 50)}, "on_track"),
        ("open", {"first_response": clock("running", 10)}, "at_risk"),
        ("open", {"first_response": clock("breached", -5, breached=True)}, "overdue"),
        ("pending", {"resolution": clock("paused", 100)}, "paused"),
        (
            "open",
            {"first_response": clock("met", 30), "resolution": clock("running", 400, 480)},
            "on_track",
        ),
        ("resolved", {"resolution": clock("met", 30)}, None),
        ("open", {"first_response": clock("met", 30)}, None),
    ],
)
def test_given_sla_clocks_then_the_badge_is_one_word(
    status: str, clocks: dict[str, Any], badge: str | None
):
    from chalicelib.domain.tickets import Status
    from chalicelib.web.labels import sla_badge

    assert sla_badge(Status(status), {"policy": "P2", "policy_version": 1, **clocks}) == badge


# --- cold start -----------------------------------------------------------------------


def test_given_a_lambda_cold_start_then_import_app_loads_no_template_or_locale_library():
    from bench.imports import lambda_environment

    probe = (
        "import json, sys\nimport app\n"
        "print(json.dumps(sorted(m for m in ('jinja2', 'babel', 'markupsafe') "
        "if m in sys.modules)))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=lambda_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


@pytest.fixture(autouse=True)
def _fresh_page_caches() -> Iterator[None]:
    """Tenant settings are kept a minute per container; every test provisions anew."""
    from chalicelib.web import views

    views.forget_tenant_settings()
    yield
    views.forget_tenant_settings()
