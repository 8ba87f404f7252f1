"""Classification: only a person may be answered; loops, bounces, auto-replies and bulk never."""

import pytest

from chalicelib.adapters.mail.classify import Kind, Verdict, classify
from chalicelib.adapters.mail.parse import parse
from tests.unit.mail.test_parse import mail

OWN = {"support@demo.example.com", "Support@Acme.example.com"}


def verdict_of(headers: str = "", body: str = "Hallo", *, content_type: str = "") -> Verdict:
    parsed = parse(mail(headers, body, content_type=content_type))
    return classify(parsed, own_addresses=OWN, loop_marker="balie")


def dsn(action: str = "failed", recipient: str = "gone@example.org") -> str:
    return (
        "--b\nContent-Type: text/plain\n\nDelivery failed.\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: 5.1.1\n--b--\n"
    )


def test_given_an_ordinary_mail_then_it_is_human_and_may_be_answered():
    verdict = verdict_of()

    assert verdict == Verdict(Kind.HUMAN, "human")
    assert verdict.may_answer is True


@pytest.mark.parametrize("kind", [Kind.AUTO_REPLY, Kind.BOUNCE, Kind.BULK, Kind.LOOP])
def test_given_any_machine_kind_then_it_may_not_be_answered(kind):
    assert Verdict(kind, "x").may_answer is False


# --- loop --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["balie", "BALIE", "balie@acme.example.com", "other, Balie"])
def test_given_our_x_loop_marker_then_loop(value):
    assert verdict_of(f"X-Loop: {value}") == Verdict(Kind.LOOP, "x-loop")


def test_given_our_marker_in_a_second_x_loop_header_then_loop():
    assert verdict_of("X-Loop: helpdesk@example.org\nX-Loop: balie").kind is Kind.LOOP


def test_given_someone_elses_x_loop_then_not_a_loop():
    assert verdict_of("X-Loop: rt.example.org").kind is Kind.HUMAN


def test_given_an_empty_loop_marker_then_every_x_loop_is_not_ours():
    parsed = parse(mail("X-Loop: anything"))

    assert classify(parsed, own_addresses=OWN, loop_marker=" ").kind is Kind.HUMAN


@pytest.mark.parametrize(
    "sender",
    ["support@acme.example.com", "SUPPORT@ACME.EXAMPLE.COM", "support+t4Hx9Qm2@acme.example.com"],
)
def test_given_mail_from_one_of_our_addresses_then_loop(sender):
    assert verdict_of(f"From: Acme <{sender}>") == Verdict(Kind.LOOP, "own-address")


def test_given_a_sender_that_only_resembles_ours_then_not_a_loop():
    assert verdict_of("From: support@acme.example.com.evil.example").kind is Kind.HUMAN
    assert verdict_of("From: support-team@acme.example.com").kind is Kind.HUMAN


def test_given_our_own_bounce_marker_and_a_dsn_then_loop_wins():
    verdict = verdict_of(
        "X-Loop: balie",
        dsn(),
        content_type='multipart/report; report-type=delivery-status; boundary="b"',
    )

    assert verdict.kind is Kind.LOOP


# --- bounce ------------------------------------------------------------------------------


def test_given_a_delivery_status_report_then_bounce_with_the_failed_recipient():
    verdict = verdict_of(
        "From: MAILER-DAEMON@mx.example.org",
        dsn(recipient="Gone@Example.org"),
        content_type='multipart/report; report-type="delivery-status"; boundary="b"',
    )

    assert verdict == Verdict(Kind.BOUNCE, "dsn", failed_recipients=("gone@example.org",))


def test_given_a_delivery_status_part_in_a_mixed_mail_then_bounce():
    verdict = verdict_of(body=dsn(), content_type='multipart/mixed; boundary="b"')

    assert (verdict.kind, verdict.reason) == (Kind.BOUNCE, "dsn")


def test_given_a_delayed_delivery_report_then_a_temporary_bounce_without_failures():
    verdict = verdict_of(
        body=dsn(action="delayed"),
        content_type='multipart/report; report-type=delivery-status; boundary="b"',
    )

    assert verdict == Verdict(Kind.BOUNCE, "dsn", failed_recipients=(), temporary=True)


def test_given_an_exim_failed_recipients_header_then_bounce():
    verdict = verdict_of("X-Failed-Recipients: h.bos@example.nl", "Mail delivery failed.")

    assert verdict == Verdict(Kind.BOUNCE, "x-failed-recipients", ("h.bos@example.nl",))


@pytest.mark.parametrize(
    "sender",
    [
        "Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        "postmaster@example.nl",
        "MAILER-DAEMON (Mail Delivery System)",
    ],
)
def test_given_a_daemon_sender_without_readable_failures_then_still_a_bounce(sender):
    verdict = verdict_of(f"From: {sender}\nSubject: Hello", "Something about your mail.")

    assert verdict == Verdict(Kind.BOUNCE, "mailer-daemon")


@pytest.mark.parametrize("subject", ["Undeliverable: Offerte", "Onbestelbaar: Offerte"])
def test_given_an_ndr_subject_with_failures_in_the_body_then_bounce(subject):
    body = (
        "Your message did not reach the following recipients:\n\n"
        "      jan@example.nl on Mon, 4 Nov 2024 10:00:00 +0100\n"
        "            The e-mail account does not exist.\n            MSEXCH:IMS:X\n"
    )
    verdict = verdict_of(f"From: Exchange <exchange@example.nl>\nSubject: {subject}", body)

    assert verdict == Verdict(Kind.BOUNCE, "ndr-subject", ("jan@example.nl",))


def test_given_a_person_writing_undeliverable_in_a_subject_then_human():
    verdict = verdict_of("Subject: Undeliverable: why did my mail to you bounce?", "Help?")

    assert verdict.kind is Kind.HUMAN


def test_given_a_forwarded_bounce_inside_a_persons_mail_then_human():
    inner = 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n' + dsn()
    body = (
        "--outer\nContent-Type: text/plain\n\nWhy did this bounce?\n"
        f"--outer\nContent-Type: message/rfc822\n\nFrom: mailer-daemon@x.example\n{inner}\n"
        "--outer--\n"
    )

    assert (
        verdict_of(body=body, content_type='multipart/mixed; boundary="outer"').kind is Kind.HUMAN
    )


def test_given_flufl_crashes_on_a_bounce_then_it_is_still_a_bounce(monkeypatch):
    import flufl.bounce

    def explode(message):
        raise ValueError("detector bug")

    monkeypatch.setattr(flufl.bounce, "all_failures", explode)
    verdict = verdict_of(
        body=dsn(), content_type='multipart/report; report-type=delivery-status; boundary="b"'
    )

    assert verdict == Verdict(Kind.BOUNCE, "dsn")


def test_given_a_bounce_and_auto_submitted_then_bounce_wins():
    verdict = verdict_of("Auto-Submitted: auto-replied\nFrom: postmaster@example.nl")

    assert verdict.kind is Kind.BOUNCE


# --- auto-reply --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied", "auto-submitted:auto-replied"),
        ("Auto-Submitted: Auto-Generated", "auto-submitted:auto-generated"),
        ("Auto-Submitted: auto-replied (zimbra; vacation)", "auto-submitted:auto-replied"),
        ("Auto-Submitted: yes-please", "auto-submitted:other"),
        ("X-Autoreply: yes", "x-autoreply"),
        ("X-Autorespond: Out of office", "x-autorespond"),
        ("X-Auto-Response-Suppress: All", "x-auto-response-suppress"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply", "x-auto-response-suppress"),
        ("Precedence: auto_reply", "precedence:auto_reply"),
        ("X-Autogenerated: Reply", "x-autogenerated:reply"),
    ],
)
def test_given_an_auto_reply_header_then_auto_reply(headers, reason):
    assert verdict_of(headers) == Verdict(Kind.AUTO_REPLY, reason)


@pytest.mark.parametrize(
    "headers",
    ["Auto-Submitted: no", "Auto-Submitted: No (sent by a person)", "X-Auto-Response-Suppress:"],
)
def test_given_auto_headers_that_say_no_then_human(headers):
    assert verdict_of(headers).kind is Kind.HUMAN


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Offerte",
        "Out of the office until Monday",
        "Automatic reply: Offerte",
        "Automatisch antwoord: Offerte",
        "Afwezig: Offerte",
        "Autoreply: Offerte",
        "Auto-Reply: Offerte",
        "Abwesenheitsnotiz: Angebot",
        "Automatische Antwort: Angebot",
        "Réponse automatique : Devis",
    ],
)
def test_given_an_out_of_office_subject_then_auto_reply(subject):
    assert verdict_of(f"Subject: {subject}") == Verdict(Kind.AUTO_REPLY, "subject")


@pytest.mark.parametrize(
    "subject",
    ["Re: My out of office did not work", "Absence of the invoice", "Automation question"],
)
def test_given_a_subject_that_only_mentions_absence_then_human(subject):
    assert verdict_of(f"Subject: {subject}").kind is Kind.HUMAN


def test_given_a_read_receipt_then_auto_reply():
    body = (
        "--b\nContent-Type: text/plain\n\nYour message was read.\n"
        "--b\nContent-Type: message/disposition-notification\n\n"
        "Final-Recipient: rfc822;jan@example.nl\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n"
        "--b--\n"
    )
    verdict = verdict_of(
        body=body,
        content_type='multipart/report; report-type=disposition-notification; boundary="b"',
    )

    assert verdict == Verdict(Kind.AUTO_REPLY, "mdn")


# --- bulk --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Precedence: bulk", "precedence:bulk"),
        ("Precedence: JUNK", "precedence:junk"),
        ("Precedence: list", "precedence:list"),
        ("List-Id: Users <users.lists.example.org>", "list-id"),
        ("List-Unsubscribe: <mailto:leave@lists.example.org>", "list-unsubscribe"),
    ],
)
def test_given_list_or_bulk_headers_then_bulk(headers, reason):
    assert verdict_of(headers) == Verdict(Kind.BULK, reason)


def test_given_an_auto_reply_from_a_list_then_auto_reply_wins():
    assert verdict_of("Precedence: bulk\nAuto-Submitted: auto-replied").kind is Kind.AUTO_REPLY


# --- robustness --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"\x00\xff", b"Content-Type: multipart/report\n\n--\n"])
def test_given_unreadable_mail_then_classify_still_answers(raw):
    verdict = classify(parse(raw), own_addresses=OWN, loop_marker="balie")

    assert isinstance(verdict.kind, Kind)
