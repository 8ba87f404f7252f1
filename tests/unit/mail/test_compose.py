"""Composed mail: survives a parser round trip, threads, says it is automatic, resists injection."""

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
import time_machine

from chalicelib.adapters.mail.compose import MAX_REFERENCES, Outgoing, compose, new_message_id

SUBJECT = "[#1042] Printer op de 3e verdieping: storing ëéïöü – café 🎉"
TEXT = "Beste Jan,\n\nWij hebben uw melding ontvangen. Crème brûlée! 🎉\n\n" + "lang " * 40 + "\n"
HTML = '<p style="margin:0">Beste Jan,</p>\n<p>Crème brûlée &amp; één 🎉</p>\n'


def outgoing(**overrides) -> Outgoing:
    mail = Outgoing(
        from_address="support@demo.example.com",
        from_name="Demo Helpdesk",
        to=("jan@example.com",),
        reply_to="support+1042-abcd@demo.example.com",
        subject=SUBJECT,
        text=TEXT,
        html=HTML,
        message_id="<01jd6v3f8k2q7x9m4n5p6r7s8t@demo.example.com>",
        date=datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        in_reply_to="<original-1@mail.example.com>",
        references=("<root@mail.example.com>", "<original-1@mail.example.com>"),
    )
    return replace(mail, **overrides)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def headers_of(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


def unix(text: str) -> str:
    return text.replace("\r\n", "\n")


# --- round trip ---------------------------------------------------------------------------


def test_given_dutch_diacritics_and_an_emoji_when_parsed_back_then_subject_text_and_html_match():
    raw = compose(outgoing())

    message = parse(raw)
    assert message["Subject"] == SUBJECT
    assert message.get_content_type() == "multipart/alternative"
    assert unix(message.get_body(("plain",)).get_content()) == TEXT
    assert unix(message.get_body(("html",)).get_content()) == HTML
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def test_given_any_mail_then_the_bytes_are_7bit_with_crlf_line_ends():
    raw = compose(outgoing())

    assert raw.isascii()  # quoted-printable bodies, RFC 2047 headers: safe for every relay
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert raw.count(b"MIME-Version: 1.0") == 1


def test_given_the_envelope_fields_then_the_headers_carry_them():
    message = parse(compose(outgoing()))

    assert message["From"] == "Demo Helpdesk <support@demo.example.com>"
    assert message["To"] == "jan@example.com"
    assert message["Reply-To"] == "support+1042-abcd@demo.example.com"
    assert message["Message-ID"] == "<01jd6v3f8k2q7x9m4n5p6r7s8t@demo.example.com>"
    assert message["Date"] == "Mon, 23 Nov 2026 10:00:00 +0100"
    assert message["Date"].datetime == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert message["MIME-Version"] == "1.0"
    assert message["X-Loop"] == "balie"


def test_given_several_recipients_then_all_are_in_to():
    message = parse(compose(outgoing(to=("a@example.com", "b@example.org"))))

    assert [a.addr_spec for a in message["To"].addresses] == ["a@example.com", "b@example.org"]


# --- threading ----------------------------------------------------------------------------


def test_given_a_reply_then_in_reply_to_and_references_thread_it():
    message = parse(compose(outgoing()))

    assert message["In-Reply-To"] == "<original-1@mail.example.com>"
    assert message["References"].split() == [
        "<root@mail.example.com>",
        "<original-1@mail.example.com>",
    ]


def test_given_a_first_message_then_no_threading_headers():
    message = parse(compose(outgoing(in_reply_to=None, references=())))

    assert "In-Reply-To" not in message
    assert "References" not in message


def test_given_a_long_thread_then_references_keep_the_root_and_the_latest_ids():
    ids = tuple(f"<m{i}@mail.example.com>" for i in range(50))

    references = parse(compose(outgoing(references=ids)))["References"].split()

    assert len(references) == MAX_REFERENCES == 20
    assert references[0] == "<m0@mail.example.com>"
    assert references[1:] == list(ids[-19:])


def test_given_malformed_ids_from_inbound_mail_then_they_are_dropped_not_sent():
    message = parse(
        compose(
            outgoing(
                in_reply_to="no-angle-brackets@example.com",
                references=("<ok@example.com>", "<a b@example.com>", "garbage", "<ok@example.com>"),
            )
        )
    )

    assert "In-Reply-To" not in message
    assert message["References"] == "<ok@example.com>"


# --- automatic mail -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["auto-replied", "auto-generated"])
def test_given_automatic_mail_then_it_says_so_and_asks_not_to_be_answered(kind):
    message = parse(compose(outgoing(auto_submitted=kind)))

    assert message["Auto-Submitted"] == kind
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["X-Loop"] == "balie"


def test_given_an_agent_s_own_words_then_no_auto_submitted_headers_but_still_x_loop():
    message = parse(compose(outgoing(auto_submitted=None, loop_marker="balie-demo")))

    assert "Auto-Submitted" not in message
    assert "X-Auto-Response-Suppress" not in message
    assert message["X-Loop"] == "balie-demo"


def test_given_a_made_up_auto_submitted_value_then_value_error():
    with pytest.raises(ValueError, match="Auto-Submitted"):
        compose(outgoing(auto_submitted="yes please"))


def test_given_a_loop_marker_with_a_line_break_then_value_error():
    with pytest.raises(ValueError, match="loop_marker"):
        compose(outgoing(loop_marker="balie\r\nBcc: evil@attacker.example"))


# --- header injection ---------------------------------------------------------------------

INJECTION = "\r\nBcc: evil@attacker.example\r\nX-Evil: 1"


def assert_no_injected_headers(raw: bytes) -> None:
    message = parse(raw)
    assert "Bcc" not in message
    assert "X-Evil" not in message
    assert not re.search(rb"\r\n(Bcc|X-Evil):", raw, flags=re.IGNORECASE)


def test_given_line_breaks_in_the_subject_then_they_become_spaces():
    raw = compose(outgoing(subject=f"[#1042] Hello{INJECTION}"))

    assert_no_injected_headers(raw)
    assert parse(raw)["Subject"] == "[#1042] Hello Bcc: evil@attacker.example X-Evil: 1"


def test_given_line_breaks_in_the_display_name_then_they_become_spaces():
    raw = compose(outgoing(from_name=f"Demo{INJECTION}"))

    assert_no_injected_headers(raw)
    assert parse(raw)["From"].addresses[0].addr_spec == "support@demo.example.com"


@pytest.mark.parametrize(
    "field",
    ["from_address", "reply_to", "to"],
)
def test_given_line_breaks_in_an_address_then_value_error(field):
    bad = f"jan@example.com{INJECTION}"
    value = (bad,) if field == "to" else bad

    with pytest.raises(ValueError):
        compose(outgoing(**{field: value}))


@pytest.mark.parametrize(
    "address",
    ["Jan <jan@example.com>", "jan@example.com, piet@example.com", "not an address", "", "@x"],
)
def test_given_something_other_than_one_plain_address_then_value_error(address):
    with pytest.raises(ValueError):
        compose(outgoing(to=(address,)))


def test_given_line_breaks_in_a_message_id_then_value_error():
    with pytest.raises(ValueError, match="message_id"):
        compose(outgoing(message_id=f"<a@b>{INJECTION}"))


def test_given_a_line_break_inside_a_reference_then_it_is_dropped():
    raw = compose(outgoing(in_reply_to=f"<a@b>{INJECTION}", references=(f"<a@b>{INJECTION}",)))

    assert_no_injected_headers(raw)
    assert "In-Reply-To" not in parse(raw)


# --- encodings ----------------------------------------------------------------------------


def test_given_a_non_ascii_display_name_then_it_is_rfc2047_encoded_and_reads_back():
    raw = compose(outgoing(from_name='IJsselmeer Hulpdienst – Ĳ & Zoë, "Zuid"'))

    assert "=?utf-8?" in headers_of(raw)
    sender = parse(raw)["From"].addresses[0]
    assert sender.display_name == 'IJsselmeer Hulpdienst – Ĳ & Zoë, "Zuid"'
    assert sender.addr_spec == "support@demo.example.com"


def test_given_a_non_ascii_subject_then_the_raw_header_is_encoded():
    headers = headers_of(compose(outgoing()))

    assert "Subject: [#1042] Printer op de 3e verdieping: storing" in headers
    assert "=?utf-8?" in headers


def test_given_a_naive_date_then_value_error():
    with pytest.raises(ValueError, match="aware"):
        compose(outgoing(date=datetime(2026, 11, 23, 10, 0)))


def test_given_no_recipients_then_value_error():
    with pytest.raises(ValueError, match="recipient"):
        compose(outgoing(to=()))


# --- attachments --------------------------------------------------------------------------


def test_given_attachments_then_multipart_mixed_wraps_the_alternative():
    pdf = b"%PDF-1.4\x00\xff binary"
    raw = compose(
        outgoing(
            attachments=(
                ("rapport é.pdf", "application/pdf", pdf),
                ("notes.txt", "text/plain", "één\n".encode()),
                (f"evil{INJECTION}.exe", "not a type", b"MZ"),
            )
        )
    )

    message = parse(raw)
    assert message.get_content_type() == "multipart/mixed"
    first, *attachments = message.iter_parts()
    assert first.get_content_type() == "multipart/alternative"
    assert unix(message.get_body(("plain",)).get_content()) == TEXT
    assert unix(message.get_body(("html",)).get_content()) == HTML
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("rapport é.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
        ("evil Bcc: evil@attacker.example X-Evil: 1.exe", "application/octet-stream"),
    ]
    assert attachments[0].get_content() == pdf
    assert attachments[2].get_content() == b"MZ"
    assert_no_injected_headers(raw)


# --- message ids --------------------------------------------------------------------------


def test_given_a_domain_then_new_message_id_is_a_lower_case_ulid_at_that_domain():
    message_id = new_message_id("demo.example.com")

    assert re.fullmatch(r"<[0-9a-hjkmnp-tv-z]{26}@demo\.example\.com>", message_id)
    assert new_message_id("demo.example.com") != message_id


def test_given_a_frozen_clock_then_message_ids_still_differ_and_sort_by_time():
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tick=False):
        early = new_message_id("demo.example.com")
    with time_machine.travel(datetime(2026, 11, 23, 9, 1, tzinfo=UTC), tick=False):
        late = new_message_id("demo.example.com")

    assert early < late


@pytest.mark.parametrize("domain", ["", "demo.example.com>\r\nBcc: x", "a b.example", "<x>"])
def test_given_a_bad_domain_then_new_message_id_refuses(domain):
    with pytest.raises(ValueError):
        new_message_id(domain)


def test_given_a_new_message_id_then_compose_accepts_it():
    message_id = new_message_id("demo.example.com")

    assert parse(compose(outgoing(message_id=message_id)))["Message-ID"] == message_id


# --- unsubscribe (announcements, watcher copies) -------------------------------------------

UNSUBSCRIBE = "https://help.example.com/unsubscribe/1.eyJ0IjoiZGVtbyJ9.c2lnbmF0dXJl"


def test_given_an_unsubscribe_link_then_list_unsubscribe_and_one_click_headers_carry_it():
    message = parse(compose(outgoing(list_unsubscribe=UNSUBSCRIBE)))
    # A long URL goes on a folded line of its own, never broken inside.
    assert message["List-Unsubscribe"].strip() == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_given_no_unsubscribe_link_then_neither_header_is_there():
    message = parse(compose(outgoing()))
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_given_a_plain_http_link_then_no_one_click_promise():
    # RFC 8058 one-click is for HTTPS URIs only; a local portal still gets the link itself.
    message = parse(compose(outgoing(list_unsubscribe="http://127.0.0.1:8077/unsubscribe/1.a.b")))
    assert message["List-Unsubscribe"].strip() == "<http://127.0.0.1:8077/unsubscribe/1.a.b>"
    assert message["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://help.example.com/unsubscribe/x\r\nBcc: victim@example.com",
        "https://help.example.com/unsubscribe/x>, <mailto:a@b",
        "javascript:alert(1)",
        "https://help.example.com/un subscribe",
    ],
)
def test_given_a_malformed_unsubscribe_link_then_value_error(url):
    with pytest.raises(ValueError):
        compose(outgoing(list_unsubscribe=url))


def test_given_a_long_unsubscribe_link_then_it_goes_out_verbatim_on_one_line():
    url = "https://help.example.com/unsubscribe/1." + "a" * 150 + ".signature"
    headers = headers_of(compose(outgoing(list_unsubscribe=url)))
    assert f"\r\nList-Unsubscribe: <{url}>\r\n" in headers
    assert "=?utf-8?" not in headers.split("List-Unsubscribe:", 1)[1].split("\r\n", 1)[0]
