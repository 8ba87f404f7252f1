"""Files on the ticket pages: the steps of the pages' script, and download links
(web/uploads.py, static/uploads.js; the browser itself in tests/e2e)."""

import json
import re

import pytest
import requests

from chalicelib.workers.uploads import handle_upload_event
from local.queues import QueuePoller
from tests.integration.conftest import SignIn
from tests.integration.test_web_portal import (
    CSP,
    OTHER_REQUESTER,
    REQUESTER,
    Browser,
    html,
    ticket_form,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
SCRIPT = re.compile(r'src="/static/uploads\.[0-9a-f]{8}\.js"')


@pytest.fixture
def signed_in(sign_in: SignIn) -> Browser:
    return sign_in(REQUESTER)


def on_ticket_page(browser: Browser, number: int) -> str:
    """Open the ticket page, as the script runs there; returns its form token."""
    browser.get(f"/tickets/{number}")
    return browser.csrf()


def confirm(browser: Browser, number: int, attachment: str, token: str):
    path = f"/tickets/{number}/uploads/{attachment}/done"
    return browser.post(path, {"csrf_token": token})


def granted(browser: Browser, number: int, token: str, **fields: str):
    form = {"filename": "screen.png", "content_type": "image/png", "size": str(len(PNG)),
            "csrf_token": token, **fields}  # fmt: skip
    return browser.post(f"/tickets/{number}/uploads", form)


def send(answer, content=PNG):
    form = json.loads(answer.body)
    sent = requests.post(form["url"], data=form["fields"], timeout=10,
                         files={"file": ("screen.png", content, "image/png")})  # fmt: skip
    assert sent.status_code == 204
    return form["id"]


def test_given_the_script_files_a_ticket_then_it_gets_the_number_and_where_to_send_files(
    signed_in: Browser,
):
    signed_in.get("/tickets/new")
    form = ticket_form(signed_in, "Scanner broken", "See the photo")

    answer = signed_in.post("/tickets/new", form, **{"X-Balie-Uploads": "1"})

    assert answer.status_code == 201
    body = json.loads(answer.body)
    assert body["location"] == f"/tickets/{body['number']}"
    assert body["uploads"] == f"/tickets/{body['number']}/uploads"
    # The flash of the filing waits for the ticket page.
    assert "balie_flash" in signed_in.cookies


def test_given_a_file_sent_and_confirmed_then_the_ticket_page_lists_it_with_a_link(
    signed_in: Browser,
):
    number = signed_in.file()
    page = signed_in.get(f"/tickets/{number}")
    token = signed_in.csrf()
    assert SCRIPT.search(html(page))
    assert page.headers["Content-Security-Policy"].startswith(f"{CSP}; connect-src 'self' ")

    attachment = send(granted(signed_in, number, token))
    assert "screen.png" not in html(signed_in.get(f"/tickets/{number}"))  # pending: not shown
    done = confirm(signed_in, number, attachment, token)

    assert json.loads(done.body) == {"outcome": "stored"}
    page = html(signed_in.get(f"/tickets/{number}"))
    link = f'href="/tickets/{number}/files/{attachment}"'
    assert link in page and "screen.png" in page
    download = signed_in.get(f"/tickets/{number}/files/{attachment}")
    assert download.status_code == 302
    assert requests.get(download.headers["Location"], timeout=10).content == PNG


def test_given_the_notification_after_the_confirm_then_nothing_changes_twice(
    signed_in: Browser, aws_env, api
):
    number = signed_in.file()
    token = on_ticket_page(signed_in, number)
    attachment = send(granted(signed_in, number, token))
    assert confirm(signed_in, number, attachment, token).status_code == 200
    uploads = QueuePoller(aws_env["BALIE_UPLOADS_QUEUE_URL"], aws_env["BALIE_UPLOADS_QUEUE_ARN"],
                          handle_upload_event, "uploads")  # fmt: skip

    assert uploads.drain() >= 1

    events = api.call("GET", f"/v1/tickets/{number}/events", as_="agent@demo.example.com")
    added = [e for e in events.json_body["items"] if e["type"] == "attachment.added"]
    assert len(added) == 1


def test_given_a_file_too_large_then_the_script_gets_a_message_in_the_readers_language(
    signed_in: Browser,
):
    number = signed_in.file()
    token = on_ticket_page(signed_in, number)

    answer = granted(signed_in, number, token, size="20000001")

    assert answer.status_code == 422
    assert json.loads(answer.body) == {
        "error": "Dit bestand is te groot: een bestand mag hoogstens 20 MB zijn."
    }


def test_given_an_upload_without_the_forms_token_then_403_and_nothing_is_granted(
    signed_in: Browser,
):
    number = signed_in.file()
    form = {"filename": "a.png", "content_type": "image/png", "size": "3", "csrf_token": "x"}

    answer = signed_in.post(f"/tickets/{number}/uploads", form)

    assert answer.status_code == 403


def test_given_another_requesters_file_link_then_not_found(signed_in: Browser, sign_in: SignIn):
    number = signed_in.file()
    token = on_ticket_page(signed_in, number)
    attachment = send(granted(signed_in, number, token))
    assert confirm(signed_in, number, attachment, token).status_code == 200
    other = sign_in(OTHER_REQUESTER)

    assert other.get(f"/tickets/{number}/files/{attachment}").status_code == 404
    other.get("/")
    assert granted(other, number, other.csrf()).status_code == 404


def test_given_the_new_ticket_page_then_the_file_field_waits_for_the_script(
    signed_in: Browser,
):
    page = html(signed_in.get("/tickets/new"))

    assert re.search(r"<div data-upload-field hidden>", page)
    assert "data-upload-fallback" in page


def test_given_a_stored_file_then_the_agent_ticket_page_lists_it_and_offers_uploads(
    signed_in: Browser, sign_in: SignIn
):
    number = signed_in.file()
    token = on_ticket_page(signed_in, number)
    attachment = send(granted(signed_in, number, token))
    assert confirm(signed_in, number, attachment, token).status_code == 200
    agent = sign_in("agent@demo.example.com")

    answer = agent.get(f"/agent/tickets/{number}")

    page = html(answer)
    assert f'href="/tickets/{number}/files/{attachment}"' in page
    assert f'data-uploads="/tickets/{number}/uploads"' in page and SCRIPT.search(page)
    assert answer.headers["Content-Security-Policy"].startswith(f"{CSP}; connect-src 'self' ")
    assert agent.get(f"/tickets/{number}/files/{attachment}").status_code == 302
