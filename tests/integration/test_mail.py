"""Mail in and out over moto: the intake files and threads, the notifier answers, no loops."""

import contextlib
import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine

from local.mail_intake import deliver
from local.queues import QueuePoller
from tests.integration.test_domain_events import stream_records

DESK = "support@demo.example.com"
OTHER_DESK = "support@acme.example.com"
REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
STRANGER = "pat@customer.example.org"


class Mailroom:
    """Delivers mail as SES would and runs the workers until nothing is left to do."""

    def __init__(self, env: dict[str, str]) -> None:
        from chalicelib.workers.inbound_email import handle_inbound_event
        from chalicelib.workers.notifications import handle_notification_event
        from chalicelib.workers.table_stream import handle_table_stream_event

        self.env = env
        self.inbound = QueuePoller(
            env["BALIE_INBOUND_QUEUE_URL"], env["BALIE_INBOUND_QUEUE_ARN"], handle_inbound_event,
            "inbound",
        )  # fmt: skip
        self.outbound = QueuePoller(
            env["BALIE_NOTIFICATIONS_QUEUE_URL"], env["BALIE_NOTIFICATIONS_QUEUE_ARN"],
            handle_notification_event, "notifications",
        )  # fmt: skip
        self.stream = handle_table_stream_event
        self.seen_stream = 0

    def send(self, raw: bytes, to: str = DESK, **verdicts: str) -> str:
        ses_id = deliver(
            raw, [to], bucket=self.env["BALIE_BUCKET_NAME"],
            queue_url=self.env["BALIE_INBOUND_QUEUE_URL"], verdicts=verdicts or None,
        )  # fmt: skip
        self.settle()
        return ses_id

    def settle(self) -> None:
        for _ in range(5):
            handled = self.inbound.drain()
            records = stream_records(self.env["BALIE_TABLE_STREAM_ARN"])[self.seen_stream :]
            self.seen_stream += len(records)
            if records:
                self.stream({"Records": records})
            handled += self.outbound.drain()
            if not handled and not records:
                return

    def sent(self) -> list[EmailMessage]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
        return [
            email.message_from_bytes(m.raw_data.encode(), policy=policy.default)
            for m in backend.sent_messages
            if hasattr(m, "raw_data")
        ]

    def sent_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.sent() if address in str(m["To"])]


def mail(
    subject: str = "Laptop won't start",
    body: str = "It shows a black screen since this morning.",
    sender: str = STRANGER,
    name: str = "Pat Jansen",
    to: str = DESK,
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = email.utils.make_msgid(domain="customer.example.org")
    for header, value in headers.items():
        message[header.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
def room(api: Any, aws_env: dict[str, str]) -> Mailroom:
    return Mailroom(aws_env)


def tickets_of(api: Any, who: str = AGENT) -> list[dict[str, Any]]:
    return api.call("GET", "/v1/tickets?limit=100", as_=who).json_body["items"]


def conversation(api: Any, number: int, who: str = AGENT) -> list[dict[str, Any]]:
    return api.call("GET", f"/v1/tickets/{number}/messages", as_=who).json_body["items"]


def test_given_a_new_mail_then_a_ticket_is_filed_and_the_sender_gets_its_number(api, room):
    room.send(mail())

    (ticket,) = [t for t in tickets_of(api) if t["channel"] == "email"]
    assert ticket["subject"] == "Laptop won't start"
    assert ticket["requester"] == {"email": STRANGER, "name": "Pat Jansen"}
    (ack,) = room.sent_to(STRANGER)
    assert f"[#{ticket['number']}]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Loop"] == "balie"
    assert ack["Reply-To"].startswith("support+")


def test_given_a_reply_to_our_mail_then_it_joins_the_ticket_by_its_token(api, room):
    room.send(mail())
    (ack,) = room.sent_to(STRANGER)
    number = int(ack["Subject"].split("[#")[1].split("]")[0])

    reply = mail("Re: something else entirely", "It works again, thanks!", to=ack["Reply-To"])
    room.send(reply, to=ack["Reply-To"])

    assert len([t for t in tickets_of(api) if t["channel"] == "email"]) == 1
    assert [m["body"] for m in conversation(api, number)] == ["It works again, thanks!"]


def test_given_a_reply_by_in_reply_to_then_it_joins_and_a_pending_ticket_reopens(api, room):
    room.send(mail())
    (ack,) = room.sent_to(STRANGER)
    number = int(ack["Subject"].split("[#")[1].split("]")[0])
    version = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"]
    answer = api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body={"status": "pending"},
                      headers={"If-Match": f'"{version}"'})  # fmt: skip
    assert answer.status_code == 200, answer.body

    room.send(mail("Re: Laptop", "Here is the serial: 42", In_Reply_To=ack["Message-ID"]))

    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["status"] == "open"


def test_given_a_subject_tag_from_a_stranger_then_it_does_not_join_that_ticket(api, room):
    number = api.create_ticket(as_=REQUESTER)["number"]

    room.send(mail(f"Re: [#{number}] printer", "let me in", sender="mallory@evil.example.net"))

    assert conversation(api, number) == []
    assert any(t["requester"]["email"] == "mallory@evil.example.net" for t in tickets_of(api))


def test_given_a_subject_tag_from_the_requester_then_it_joins(api, room):
    number = api.create_ticket(as_=REQUESTER)["number"]

    room.send(mail(f"Re: [#{number}] printer", "Still jams.", sender=REQUESTER))

    assert [m["body"] for m in conversation(api, number)] == ["Still jams."]


def test_given_the_same_mail_twice_then_it_is_filed_once(api, room):
    raw = mail()
    room.send(raw)
    room.send(raw)

    assert len([t for t in tickets_of(api) if t["channel"] == "email"]) == 1
    assert len(room.sent_to(STRANGER)) == 1


def test_given_an_out_of_office_reply_then_it_is_an_internal_note_and_nobody_is_mailed(api, room):
    room.send(mail())
    (ack,) = room.sent_to(STRANGER)
    number = int(ack["Subject"].split("[#")[1].split("]")[0])

    room.send(mail("Automatic reply: Laptop", "I am out until Monday.",
                   In_Reply_To=ack["Message-ID"], Auto_Submitted="auto-replied"))  # fmt: skip

    (note,) = conversation(api, number)
    assert note["visibility"] == "internal"
    assert len(room.sent_to(STRANGER)) == 1


def test_given_an_autoresponder_on_the_requester_side_then_no_more_than_the_limit_goes_out(
    api, room
):
    # A requester's robot answers everything, without any auto-reply header, each time as a
    # new mail: every answer files a ticket, and we acknowledge at most the hourly limit.
    # The limit counts per clock hour, so the rounds start at the top of one: on a slow
    # machine they could otherwise straddle two hours and rightly get two allowances.
    next_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(next_hour, tick=True):
        for round_ in range(8):
            room.send(mail(f"Your message {round_}", "Thank you for your mail."))

    assert len(room.sent_to(STRANGER)) == 5


def test_given_two_balie_tenants_mailing_each_other_then_the_loop_stops_at_once(api, room):
    # acme's desk receives demo's acknowledgement: it carries our X-Loop and Auto-Submitted.
    room.send(mail(sender="someone@acme.example.com"))
    (ack,) = room.sent_to("someone@acme.example.com")
    before = len(room.sent())

    room.send(ack.as_bytes(), to=OTHER_DESK)

    assert len(room.sent()) == before


def test_given_a_bounce_then_the_address_is_marked_and_gets_no_more_mail(api, room):
    room.send(mail())
    (ack,) = room.sent_to(STRANGER)
    dsn = _dsn(STRANGER, ack["Message-ID"])
    room.send(dsn)
    number = int(ack["Subject"].split("[#")[1].split("]")[0])

    reply = api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT,
                     body={"body": "Could you restart it?"})  # fmt: skip
    assert reply.status_code == 201
    room.settle()

    assert len(room.sent_to(STRANGER)) == 1  # only the acknowledgement, before the bounce
    notes = [m for m in conversation(api, number) if m["visibility"] == "internal"]
    assert notes, "the bounce is noted on the ticket"


def test_given_an_agent_reply_then_the_requester_gets_it_and_internal_notes_never(api, room):
    number = api.create_ticket(as_=REQUESTER)["number"]
    room.settle()
    before = len(room.sent_to(REQUESTER))
    for body, visibility in (("Secret: check the fuser", "internal"), ("Try tray 2", "public")):
        answer = api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT,
                          body={"body": body, "visibility": visibility})  # fmt: skip
        assert answer.status_code == 201
    room.settle()

    mails = room.sent_to(REQUESTER)[before:]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()
    assert "Try tray 2" in text and "fuser" not in text
    assert "Auto-Submitted" not in mails[0]


def test_given_a_virus_then_no_ticket_and_spam_is_filed_silently_for_review(api, room):
    room.send(mail("Invoice", "open the attachment"), virus="FAIL")
    room.send(mail("Cheap watches", "buy now", sender="spam@spam.example.net"), spam="FAIL")

    subjects = {t["subject"]: t for t in tickets_of(api)}
    assert "Invoice" not in subjects
    assert "spam" in subjects["Cheap watches"]["tags"]
    assert room.sent_to("spam@spam.example.net") == []


def test_given_large_and_small_attachments_then_small_ones_are_kept_and_the_sender_told(
    api, room, monkeypatch
):
    monkeypatch.setenv("BALIE_MAIL_MAX_FILE_BYTES", "1000")
    from tests.integration.conftest import reset_caches

    reset_caches()
    message = EmailMessage()
    message["From"] = f"Pat <{STRANGER}>"
    message["To"] = DESK
    message["Subject"] = "Screenshots"
    message["Message-ID"] = email.utils.make_msgid()
    message.set_content("See attached.")
    message.add_attachment(b"x" * 500, maintype="image", subtype="png", filename="small.png")
    message.add_attachment(b"y" * 5000, maintype="application", subtype="zip", filename="big.zip")

    room.send(message.as_bytes())

    mails = room.sent_to(STRANGER)
    assert len(mails) == 2  # the acknowledgement and the note about big.zip
    assert any("big.zip" in m.get_body(("plain",)).get_content() for m in mails)


def test_given_an_unreadable_mail_then_a_ticket_still_shows_it(api, room):
    room.send(b"\xff\xfe garbage \x00\x01 without any headers")

    assert any(t["channel"] == "email" for t in tickets_of(api))


def _dsn(recipient: str, original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.customer.example.org\r\n"
        f"To: {DESK}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.customer.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nTo: {recipient}\r\n"
        "--b--\r\n"
    ).encode()


def test_given_a_mail_that_keeps_failing_then_it_waits_in_the_dlq_and_a_replay_files_it(
    api, room, aws_env
):
    import boto3

    from local.mail_intake import ses_notification, sns_envelope
    from local.replay_dlq import replay

    sqs = boto3.client("sqs")
    inbound = aws_env["BALIE_INBOUND_QUEUE_URL"]
    dead_letters = aws_env["BALIE_INBOUND_DEAD_LETTER_QUEUE_URL"]
    # Failed messages come back at once instead of after the visibility timeout.
    sqs.set_queue_attributes(QueueUrl=inbound, Attributes={"VisibilityTimeout": "0"})
    bucket = aws_env["BALIE_BUCKET_NAME"]
    # SES's notification arrives, but the raw mail is not (yet) readable.
    raw = mail("Lost and found", "Nothing is lost.")
    notice = ses_notification("late-1", bucket, "raw-mail/late-1", raw, [DESK])
    sqs.send_message(QueueUrl=inbound, MessageBody=sns_envelope(notice))

    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    for _ in range(6):
        # A batch that failed as a whole raises; SQS hands it out again, up to five times.
        with contextlib.suppress(BatchProcessingError):
            room.inbound.poll_once()
    assert _count(sqs, dead_letters) == 1
    assert not [t for t in tickets_of(api) if t["subject"] == "Lost and found"]

    boto3.client("s3").put_object(Bucket=bucket, Key="raw-mail/late-1", Body=raw)
    assert replay(sqs, dead_letters, inbound) == 1
    room.settle()

    assert [t for t in tickets_of(api) if t["subject"] == "Lost and found"]
    assert _count(sqs, dead_letters) == 0


def _count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_given_a_requester_who_mailed_then_erasure_removes_their_mail_and_files(api, room, aws_env):
    import boto3

    message = EmailMessage()
    message["From"] = f"Pat Jansen <{STRANGER}>"
    message["To"] = DESK
    message["Subject"] = "Laptop"
    message["Message-ID"] = email.utils.make_msgid()
    message.set_content("Black screen.\n\n> old quoted text\n\n-- \nPat Jansen, 06-12345678")
    message.add_attachment(b"png", maintype="image", subtype="png", filename="pat.png")
    room.send(message.as_bytes())
    (ack,) = room.sent_to(STRANGER)
    reply = mail(
        "Re: Laptop", "Still black.\n\n-- \nPat, 06-12345678", In_Reply_To=ack["Message-ID"]
    )
    room.send(reply)
    admin = "admin@demo.example.com"
    exported = api.call("GET", f"/v1/requesters/{STRANGER}/export", as_=admin).json_body
    assert [a["filename"] for a in exported["tickets"][0]["attachments"]] == ["pat.png"]
    s3 = boto3.client("s3")
    bucket = aws_env["BALIE_BUCKET_NAME"]
    assert len(s3.list_objects_v2(Bucket=bucket).get("Contents", [])) == 3  # 2 raw, 1 file

    assert api.call("DELETE", f"/v1/requesters/{STRANGER}", as_=admin).status_code == 204

    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []
    table = boto3.client("dynamodb")
    items = table.scan(TableName=aws_env["BALIE_TABLE_NAME"])["Items"]
    # What still names them are bookkeeping records keyed by the address, which expire by
    # TTL: the idempotency claim (24 h), the hourly mail count (2 h), mail sent (7 days).
    left = [i for i in items if "06-12345678" in str(i) or STRANGER in str(i)]
    assert "06-12345678" not in str(left)
    assert {i["PK"]["S"].split("#")[2] for i in left} <= {"IDEMPOTENCY", "MAILRATE", "SENT"}
    assert all("expires_at" in i for i in left)


def test_given_mailed_files_then_both_sides_list_them_and_get_a_short_lived_link(api, room):
    message = EmailMessage()
    message["From"] = f"Requester <{REQUESTER}>"
    message["To"] = DESK
    message["Subject"] = "Scan of the form"
    message["Message-ID"] = email.utils.make_msgid()
    message.set_content("Form attached.\n\n> earlier text we quoted")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="form.pdf")
    room.send(message.as_bytes())
    (ticket,) = [t for t in tickets_of(api, REQUESTER) if t["subject"] == "Scan of the form"]
    number = ticket["number"]
    (ack,) = [m for m in room.sent_to(REQUESTER) if f"[#{number}]" in m["Subject"]]
    colleague = mail("Re: form", "I have it too", sender="colleague@demo-customer.example.org",
                     In_Reply_To=ack["Message-ID"])  # fmt: skip
    room.send(colleague)

    for who in (REQUESTER, AGENT):
        listed = api.call("GET", f"/v1/tickets/{number}/attachments", as_=who).json_body["items"]
        assert [a["filename"] for a in listed] == ["form.pdf"]
        answer = api.call("GET", f"/v1/tickets/{number}/attachments/{listed[0]['id']}", as_=who)
        assert answer.status_code == 302
        link = answer.headers["Location"]
        assert "Expires=" in link and "attachment%3B" in link  # expires; downloads, never renders
    assert api.call("GET", f"/v1/tickets/{number}/attachments/nope", as_=AGENT).status_code == 404
    assert (
        api.call(
            "GET", f"/v1/tickets/{number}/attachments", as_="requester2@demo.example.com"
        ).status_code
        == 404
    )

    (note,) = conversation(api, number)
    assert note["visibility"] == "internal" and note["mail"]["sender"].startswith("colleague@")
    assert conversation(api, number, who=REQUESTER) == []
