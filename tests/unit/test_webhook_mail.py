"""The mail that tells an admin a webhook was disabled: who gets it, once, in their language."""

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.mail.render import LOCALES, render
from chalicelib.services.notify import Notifications

WEBHOOK = {
    "id": "01JWEBHOOK0000000000000000",
    "url": "https://hooks.example.com/in",
    "description": "CRM <sync>",
    "failures": 5,
    "disabled_at": "2026-11-23T09:30:00Z",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_given_a_disabled_webhook_then_the_mail_names_it_and_how_to_enable_it(locale):
    context = {"tenant_name": "Demo", "signature": None, "recipient_name": "Ruben",
               "ticket": None, "webhook": WEBHOOK}  # fmt: skip
    rendered = render("webhook_disabled", locale, context)
    assert "CRM <sync>" in rendered.subject
    for text in (rendered.text, rendered.html):
        assert "https://hooks.example.com/in" in text
        assert f"PATCH /v1/webhooks/{WEBHOOK['id']}" in text
        assert "5" in text
    assert "CRM &lt;sync&gt;" in rendered.html and "<sync>" not in rendered.html
    assert ("uitgeschakeld" in rendered.subject) == (locale == "nl")


class Profile:
    name = "Ruben Mulder"
    locale = "nl"


class People:
    def profile(self, tenant: str, email: str) -> Any:
        return Profile() if email == "admin@demo.example.com" else None

    def bouncing(self, tenant: str, email: str) -> None:
        return None


class Log:
    def __init__(self) -> None:
        self.sent_to: set[tuple[str, str]] = set()

    def was_sent(self, tenant: str, event_id: str, address: str) -> bool:
        return (event_id, address) in self.sent_to

    def sent(self, tenant: str, event_id: str, address: str, message_id: str, now: Any) -> None:
        self.sent_to.add((event_id, address))

    def count_automatic(self, tenant: str, address: str, now: Any) -> int:
        raise AssertionError("mail to staff is not rate-limited as automatic requester mail")


class Mailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], Any]] = []

    def send(self, template: str, locale: str, context: dict[str, Any], envelope: Any) -> str:
        self.sent.append((template, locale, context, envelope))
        return f"<{len(self.sent)}@balie>"


class Tenants:
    def get(self, tenant: str) -> dict[str, Any]:
        return {"tenant": tenant, "name": "Demo", "locale": "en",
                "inbound_addresses": ["support@demo.example.com"]}  # fmt: skip


def test_given_a_webhook_disabled_request_then_its_contact_gets_one_mail_in_their_language():
    mailer = Mailer()
    service = Notifications(
        tickets=None,  # type: ignore[arg-type] - no ticket is read for this kind
        tenants=Tenants(), people=People(), mailer=mailer, log=Log(),
        clock=lambda: datetime(2026, 11, 23, tzinfo=UTC), portal_url="https://x",
        automatic_per_hour=5, attachment_limits=(1, 2), permanent_failure=RuntimeError,
    )  # fmt: skip
    request = {"id": "webhook-01J-v2", "type": "webhook.disabled", "tenant": "demo",
               "to": {"address": "admin@demo.example.com"}, "webhook": WEBHOOK}  # fmt: skip

    assert service.handle(request) == ["sent"]
    assert service.handle(request) == ["duplicate"]
    ((template, locale, context, envelope),) = mailer.sent
    assert (template, locale, envelope.to) == ("webhook_disabled", "nl", "admin@demo.example.com")
    assert context["webhook"] == WEBHOOK and context["recipient_name"] == "Ruben Mulder"
    assert envelope.automatic == "auto-generated" and envelope.number is None
