"""Mail to groups of a tenant's people over moto: every admin hears about a disabled webhook
(the people index), and announcements are mailed to the tenant's requesters."""

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.principal import Role
from tests.integration.test_mail import Mailroom

ADMIN = "admin@demo.example.com"


def add_person(email: str, role: Role, name: str = "Extra", locale: str = "en") -> None:
    from chalicelib.adapters.dynamo.users import UserProfile, put_profile

    put_profile(UserProfile("demo", email, name, role, locale))


def disabled_request(contact: str) -> dict[str, Any]:
    webhook = {"id": "01JWEBHOOK", "url": "https://hooks.example.com/x", "description": "CRM",
               "failures": 5, "disabled_at": "2026-11-23T10:00:00Z"}  # fmt: skip
    return {"id": "webhook-01JWEBHOOK-v3", "type": "webhook.disabled", "tenant": "demo",
            "to": {"address": contact}, "webhook": webhook}  # fmt: skip


def test_given_a_disabled_webhook_then_its_contact_and_every_admin_get_one_mail_each(api, aws_env):
    from chalicelib import wiring

    add_person("second.admin@demo.example.com", Role.ADMIN, "Second Admin")
    add_person("ops@demo.example.com", Role.AGENT, "Ops")
    room = Mailroom(aws_env)
    before = len(room.sent())

    outcomes = wiring.notifications().handle(disabled_request("ops@demo.example.com"))
    again = wiring.notifications().handle(disabled_request("ops@demo.example.com"))

    assert sorted(outcomes) == ["sent", "sent", "sent"]
    assert again == ["duplicate"] * 3
    told = sorted(str(m["To"]) for m in room.sent()[before:])
    assert [t.split("<")[-1].rstrip(">") for t in told] == sorted(
        [ADMIN, "ops@demo.example.com", "second.admin@demo.example.com"]
    )


def test_given_the_contact_is_an_admin_then_they_get_one_mail_not_two(api, aws_env):
    from chalicelib import wiring

    room = Mailroom(aws_env)
    before = len(room.sent())
    assert wiring.notifications().handle(disabled_request(ADMIN)) == ["sent"]
    assert len(room.sent()) == before + 1


# --- announcements mailed to the requesters ---------------------------------------------


def announce(api: Any, *, mail: bool = True, hours: int = 2) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {
        "title": {"nl": "VPN-onderhoud", "en": "VPN maintenance"},
        "body": {"nl": "De VPN is even weg.", "en": "The VPN will be down for a while."},
        "kind": "maintenance",
        "starts_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mail_requesters": mail,
    }
    answer = api.call("POST", "/v1/announcements", as_="supervisor@demo.example.com", body=body)
    assert answer.status_code == 201, answer.body
    return answer.json_body


def mailed(room: Mailroom, before: int) -> dict[str, Any]:
    return {m["To"].addresses[0].addr_spec: m for m in room.sent()[before:]}


def test_given_an_announcement_to_mail_then_each_requester_gets_it_once_as_bulk_mail(
    api, aws_env, monkeypatch
):
    from chalicelib.services import notify

    add_person("late.requester@customer.example.org", Role.REQUESTER, "Late", "en")
    monkeypatch.setattr(notify, "ANNOUNCEMENT_BATCH", 2)  # three requesters: two pages
    room = Mailroom(aws_env)
    before = len(room.sent())

    announce(api)
    room.settle()

    got = mailed(room, before)
    assert sorted(got) == ["late.requester@customer.example.org",
                           "requester2@demo.example.com", "requester@demo.example.com"]  # fmt: skip
    dutch, english = got["requester@demo.example.com"], got["late.requester@customer.example.org"]
    assert dutch["Subject"] == "VPN-onderhoud" and english["Subject"] == "VPN maintenance"
    assert "De VPN is even weg." in dutch.get_body(("plain",)).get_content()
    assert english["Precedence"] == "bulk" and english["Auto-Submitted"] == "auto-generated"

    # A page handed out again (SQS is at least once) mails nobody twice.
    from chalicelib import wiring

    (first,) = [a for a in api.call("GET", "/v1/announcements", as_=ADMIN).json_body["items"]]
    request = {"type": "announcement.mail", "id": f"announcement-{first['id']}",
               "tenant": "demo", "announcement": first["id"], "after": None}  # fmt: skip
    assert set(wiring.notifications().handle(request)) == {"duplicate"}


def test_given_an_announcement_without_mailing_or_withdrawn_then_nobody_is_mailed(api, aws_env):
    room = Mailroom(aws_env)
    before = len(room.sent())
    announce(api, mail=False)
    room.settle()
    assert mailed(room, before) == {}

    withdrawn = announce(api)
    answer = api.call("DELETE", f"/v1/announcements/{withdrawn['id']}", as_=ADMIN)
    assert answer.status_code == 204
    room.settle()
    assert mailed(room, before) == {}


def test_given_old_profiles_and_phone_requesters_then_the_backfill_indexes_them(api, aws_env):
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo import keys
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.adapters.dynamo.users import with_role
    from local.backfill_people import index_profiles, profiles_from_tickets

    table = aws_env["BALIE_TABLE_NAME"]
    client("dynamodb").update_item(
        TableName=table, Key=to_item(keys.user_key("demo", "requester2@demo.example.com")),
        UpdateExpression="REMOVE GSI1PK, GSI1SK",
    )  # fmt: skip
    api.create_ticket(as_="agent@demo.example.com", requester_email="caller@phone.example.com",
                      requester_name="Caller", channel="phone")  # fmt: skip
    emails = lambda: [p["email"] for p in with_role("demo", Role.REQUESTER)[0]]  # noqa: E731
    assert "requester2@demo.example.com" not in emails()
    assert "caller@phone.example.com" not in emails()

    assert index_profiles() == 1
    assert profiles_from_tickets() >= 1
    assert index_profiles() == 0  # a rerun changes nothing
    assert {"requester2@demo.example.com", "caller@phone.example.com"} <= set(emails())
