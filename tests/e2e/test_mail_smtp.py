"""Mail over real SMTP into the `make run` stack, and the acknowledgement it sends back."""

import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import requests

from tests.e2e.conftest import Stack
from tests.e2e.test_api_journey import sign_in

pytestmark = pytest.mark.e2e

# The pollers hand a message on within about a second; this only bounds a broken stack.
WAIT_SECONDS = 30.0


def eventually(check, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {WAIT_SECONDS}s")


def smtp_send(stack: Stack, message: EmailMessage, to: str) -> None:
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=[to])


def test_given_a_mail_over_smtp_then_a_ticket_appears_and_its_acknowledgement_is_sent(stack):
    subject = f"VPN drops every 10 minutes {make_msgid()}"
    message = EmailMessage()
    message["From"] = "Kim Bakker <kim@customer.example.org>"
    message["To"] = "support@demo.example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="customer.example.org")
    message.set_content("Since the update my VPN drops every ten minutes.")
    smtp_send(stack, message, "support@demo.example.com")

    agent = sign_in(stack, "agent@demo.example.com")

    def filed():
        items = agent.get("/v1/tickets", params={"limit": 100}).json()["items"]
        return next((t for t in items if t["subject"] == subject), None)

    ticket = eventually(filed, "the ticket")
    assert ticket["channel"] == "email"
    assert ticket["requester"]["email"] == "kim@customer.example.org"

    def acknowledged():
        sent = requests.get(f"{stack.moto}/moto-api/data.json", timeout=30).json()
        messages = sent.get("ses", {}).get("RawMessage", [])
        return [m for m in messages if "kim@customer.example.org" in str(m.get("destinations"))]

    (ack,) = eventually(acknowledged, "the acknowledgement")
    assert f"[#{ticket['number']}]" in ack["raw_data"]
    # Locally every mail is also kept as an .eml file beside the stack file.
    outbox = stack.stack_file.parent / "outbox"
    assert any(f"[#{ticket['number']}]" in p.read_text() for p in outbox.glob("*.eml"))


def test_given_an_address_no_tenant_receives_then_smtp_refuses_it(stack):
    message = EmailMessage()
    message["From"] = "kim@customer.example.org"
    message["To"] = "nobody@nowhere.example.com"
    message["Subject"] = "hello"
    message.set_content("hi")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp_send(stack, message, "nobody@nowhere.example.com")
