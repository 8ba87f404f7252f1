"""Parsing raw MIME: headers, charsets, structure, HTML, attachments, and never an exception."""

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.mail.parse import (
    decode_bytes,
    decode_header_text,
    html_to_text,
    parse,
    sanitise_html,
)

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
SAMPLES = sorted(path.read_bytes() for path in CORPUS.glob("*.eml"))


def mail(headers: str = "", body: str | bytes = "Hallo", *, content_type: str = "") -> bytes:
    """A small raw message: From/To/Subject unless given, plus `headers`, then the body."""
    lines = [line for line in headers.strip("\n").split("\n") if line]
    names = {line.split(":", 1)[0].lower() for line in lines if not line[:1].isspace()}
    defaults = {
        "from": "From: Jan de Vries <jan@example.nl>",
        "to": "To: support@acme.example.com",
        "subject": "Subject: Vraag",
        "mime-version": "MIME-Version: 1.0",
    }
    lines = [value for key, value in defaults.items() if key not in names] + lines
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    head = ("\n".join(lines) + "\n\n").encode("utf-8")
    return head + (body if isinstance(body, bytes) else body.encode("utf-8"))


# --- headers -----------------------------------------------------------------------------


def test_given_q_and_b_encoded_words_then_they_are_decoded_and_joined():
    value = "=?UTF-8?Q?Re:_Pr=C3=BCfung?= =?ISO-8859-1?B?IGb8cg==?= Rechnung"

    assert decode_header_text(value) == "Re: Prüfung für Rechnung"


def test_given_a_character_split_across_two_encoded_words_then_it_is_whole():
    # U+1F4C4 is F0 9F 93 84 in UTF-8; a client put two bytes in each word.
    assert decode_header_text("=?UTF-8?B?8J8=?= =?UTF-8?B?k4Q=?=") == "📄"


def test_given_text_between_encoded_words_then_its_spaces_stay():
    assert decode_header_text("=?UTF-8?Q?caf=C3=A9?= and =?UTF-8?Q?th=C3=A9?=") == "café and thé"


def test_given_a_folded_header_then_it_is_unfolded():
    assert decode_header_text("Factuur\r\n  oktober") == "Factuur  oktober"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?x-bogus?Q?caf=C3=A9?=", "café"),  # unknown charset: sniffed as UTF-8
        ("=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="),  # not an encoded word at all
        ("=?UTF-8?B?Y2Fm?=", "caf"),  # padding missing
        ("=?utf-8*nl?Q?hallo?=", "hallo"),  # RFC 2231 language tag
    ],
)
def test_given_odd_encoded_words_then_they_decode_as_far_as_possible(value, expected):
    assert decode_header_text(value) == expected


def test_given_a_subject_then_it_is_decoded_and_its_whitespace_collapsed():
    parsed = parse(mail("Subject: =?UTF-8?Q?Vraag_over_=C3=A9=C3=A9n?=\n\t  factuur"))

    assert parsed.subject == "Vraag over één factuur"


def test_given_raw_utf8_in_headers_then_it_is_read_as_utf8():
    parsed = parse(mail("From: Zoë Kramer <zoe@example.nl>\nSubject: Één vraag"))

    assert (parsed.from_name, parsed.subject) == ("Zoë Kramer", "Één vraag")


def test_given_raw_latin1_in_headers_then_it_is_read_as_cp1252():
    raw = mail("Subject: caf\xe9-bon").replace("café".encode(), b"caf\xe9")

    assert parse(raw).subject == "café-bon"


def test_given_an_encoded_display_name_with_a_comma_then_the_address_is_still_found():
    parsed = parse(mail("From: =?UTF-8?Q?Vries=2C_Jan_de?= <Jan.de.Vries@Example.NL>"))

    assert (parsed.from_name, parsed.from_address) == ("Vries, Jan de", "jan.de.vries@example.nl")


@pytest.mark.parametrize("value", ["", "undisclosed-recipients:;", "<>", "not an address at all"])
def test_given_no_usable_from_then_the_address_is_empty(value):
    raw = mail(f"From: {value}") if value else mail("From:")

    assert parse(raw).from_address == ""


def test_given_recipients_in_several_headers_then_they_are_lower_cased_deduplicated_in_order():
    parsed = parse(
        mail(
            "To: Support <Support@Acme.example.com>, b@example.nl\n"
            "Cc: c@example.nl, B@example.nl\n"
            "Delivered-To: support@acme.example.com\n"
            "X-Original-To: support+abc@acme.example.com\n"
            "X-Forwarded-To: fw@example.org"
        )
    )

    assert parsed.recipients == (
        "support@acme.example.com",
        "b@example.nl",
        "c@example.nl",
        "support+abc@acme.example.com",
        "fw@example.org",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@host.example>", "<abc@host.example>"),
        ("  <abc@host.example>  ", "<abc@host.example>"),
        ("abc@host.example", "<abc@host.example>"),
        ("<abc@host.example> (added by relay)", "<abc@host.example>"),
        ("", None),
    ],
)
def test_given_a_message_id_then_it_is_normalised(value, expected):
    assert parse(mail(f"Message-ID: {value}")).message_id == expected


def test_given_references_then_every_id_is_kept_in_order_once():
    parsed = parse(
        mail(
            "In-Reply-To: <b@x.example> (Jan's message of Mon)\n"
            "References: <a@x.example>\n <b@x.example>\tjunk <a@x.example>"
        )
    )

    assert parsed.in_reply_to == ("<b@x.example>",)
    assert parsed.references == ("<a@x.example>", "<b@x.example>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "Mon, 4 Nov 2024 10:31:09 +0100",
            datetime(2024, 11, 4, 10, 31, 9, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("Mon, 4 Nov 2024 10:31:09 -0000", datetime(2024, 11, 4, 10, 31, 9, tzinfo=UTC)),
        ("gisteren", None),
        ("Mon, 31 Feb 2024 10:00:00 +0000", None),
    ],
)
def test_given_a_date_then_it_is_aware_or_none(value, expected):
    date = parse(mail(f"Date: {value}")).date

    assert date == expected
    assert date is None or date.tzinfo is not None


def test_given_repeated_headers_then_header_gives_the_first_and_headers_all():
    parsed = parse(mail("X-Loop: first\nX-Loop: =?UTF-8?Q?tw=C3=A9e?="))

    assert parsed.header("x-loop") == "first"
    assert parsed.headers("X-LOOP") == ("first", "twée")
    assert parsed.header("x-absent") is None


def test_given_auto_submitted_then_it_is_exposed_lower_cased():
    assert parse(mail("Auto-Submitted: Auto-Replied")).auto_submitted == "auto-replied"
    assert parse(mail()).auto_submitted is None


# --- charsets and bodies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("één".encode(), "utf-8", "één"),
        ("één".encode(), None, "één"),
        ("één".encode(), "x-unknown-legacy", "één"),
        ("één".encode(), "us-ascii", "één"),  # 8-bit under an ASCII label
        ("“één”".encode("cp1252"), "iso-8859-1", "“één”"),  # latin-1 label, cp1252 bytes
        ("“één”".encode("cp1252"), "utf-8", "“één”"),  # mislabelled as UTF-8
        ("één".encode(), "base64", "één"),  # a codec, but not a text encoding
        ("Не могу".encode("koi8_r"), "KOI8-R", "Не могу"),
        ("請求書".encode("shift_jis"), "Shift_JIS", "請求書"),
        ("請求書".encode("iso2022_jp"), '"ISO-2022-JP"', "請求書"),
    ],
)
def test_given_bytes_and_a_charset_label_then_the_text_is_recovered(data, charset, expected):
    assert decode_bytes(data, charset) == expected


@pytest.mark.parametrize("charset", ["unicode-escape", "utf-7", "undefined", "utf-16"])
def test_given_a_hostile_charset_then_the_result_is_encodable_text(charset):
    text = decode_bytes(b"\\ud800 +2AA- \xff\xfe\x00\xd8", charset)

    text.encode("utf-8")  # no lone surrogates


def test_given_quoted_printable_then_soft_breaks_and_escapes_are_decoded():
    body = (
        "Het pakket is nog niet bezorgd. Kunnen jullie het na=\ngaan? Het gaat om =E9=E9n order.\n"
    )
    parsed = parse(
        mail(
            "Content-Transfer-Encoding: quoted-printable",
            body,
            content_type="text/plain; charset=iso-8859-1",
        )
    )

    assert parsed.text.endswith("Kunnen jullie het nagaan? Het gaat om één order.")


def test_given_format_flowed_then_soft_breaks_are_joined_and_quotes_kept_apart():
    body = (
        "Dit is een lange regel die \nverder gaat.\n"
        "> Een citaat dat ook \n> doorloopt.\n"
        "Los.\n-- \nHandtekening\n"
    )
    parsed = parse(mail(body=body, content_type="text/plain; charset=utf-8; format=flowed"))

    assert parsed.text == (
        "Dit is een lange regel die verder gaat.\n"
        "> Een citaat dat ook doorloopt.\nLos.\n-- \nHandtekening"
    )


def test_given_format_flowed_with_delsp_then_the_break_space_is_removed():
    body = "Een heel lang woord: donau \ndampfschiff.\n"
    parsed = parse(mail(body=body, content_type="text/plain; format=flowed; delsp=yes"))

    assert parsed.text == "Een heel lang woord: donaudampfschiff."


def test_given_a_space_stuffed_flowed_line_then_the_stuffing_goes():
    parsed = parse(mail(body=" From here on.\n", content_type="text/plain; format=flowed"))

    assert parsed.text == "From here on."


@pytest.mark.parametrize("body", ["", "   \n\n\t\n", "\r\n\r\n"])
def test_given_a_whitespace_only_body_then_the_text_is_empty(body):
    parsed = parse(mail(body=body))

    assert (parsed.text, parsed.trimmed) == ("", "")


def test_given_alternative_parts_then_plain_text_is_preferred_and_html_sanitised():
    raw = mail(
        body=(
            "--b\nContent-Type: text/plain; charset=utf-8\n\nPlatte tekst.\n"
            "--b\nContent-Type: text/html; charset=utf-8\n\n"
            "<p onclick='x()'>HTML <b>tekst</b></p><script>alert(1)</script>\n--b--\n"
        ),
        content_type='multipart/alternative; boundary="b"',
    )
    parsed = parse(raw)

    assert parsed.text == "Platte tekst."
    assert parsed.html == "<p>HTML <b>tekst</b></p>"


def test_given_an_empty_plain_alternative_then_the_html_is_the_text():
    raw = mail(
        body=(
            "--b\nContent-Type: text/plain; charset=utf-8\n\n \n"
            "--b\nContent-Type: text/html; charset=utf-8\n\n<p>Alleen HTML</p>\n--b--\n"
        ),
        content_type='multipart/alternative; boundary="b"',
    )

    assert parse(raw).text == "Alleen HTML"


def test_given_html_with_a_meta_charset_only_then_that_charset_is_used():
    html = '<html><head><meta charset="windows-1252"></head><body>“Pro”</body></html>'
    raw = mail(body=html.encode("cp1252"), content_type="text/html")

    assert parse(raw).text == "“Pro”"


def test_given_a_multipart_whose_boundary_never_appears_then_the_body_is_the_text():
    raw = mail(body="Gewoon tekst.\n", content_type='multipart/mixed; boundary="nergens"')
    parsed = parse(raw)

    assert parsed.text == "Gewoon tekst."
    assert not parsed.parse_failed


def test_given_a_multipart_without_boundary_parameter_then_it_does_not_fail():
    parsed = parse(mail(body="Tekst\n", content_type="multipart/mixed"))

    assert "Tekst" in parsed.text
    assert parsed.defects


def test_given_text_parts_around_an_image_then_both_texts_are_kept_in_order():
    raw = mail(
        body=(
            "--b\nContent-Type: text/plain\n\nBoven.\n"
            "--b\nContent-Type: image/png\nContent-Disposition: inline; filename=a.png\n\nxx\n"
            "--b\nContent-Type: text/plain\n\nOnder.\n--b--\n"
        ),
        content_type='multipart/mixed; boundary="b"',
    )
    parsed = parse(raw)

    assert parsed.text == "Boven.\n\nOnder."
    assert [a.filename for a in parsed.attachments] == ["a.png"]


# --- attachments -------------------------------------------------------------------------


def attachment_mail(part_headers: str, content: str = "eHg=", wrapper: str = "mixed") -> bytes:
    return mail(
        body=(
            "--b\nContent-Type: text/plain\n\nZie bijlage.\n"
            f"--b\n{part_headers}\nContent-Transfer-Encoding: base64\n\n{content}\n--b--\n"
        ),
        content_type=f'multipart/{wrapper}; boundary="b"',
    )


PDF_ATTACHMENT = "Content-Type: application/pdf\nContent-Disposition: attachment"


@pytest.mark.parametrize(
    ("part_headers", "filename"),
    [
        (f'{PDF_ATTACHMENT}; filename="C:\\\\Users\\\\jan\\\\offerte.pdf"', "offerte.pdf"),
        ('Content-Type: application/pdf; name="../../etc/passwd"', "passwd"),
        (f"{PDF_ATTACHMENT}; filename*=UTF-8''offerte-%C3%BC.pdf", "offerte-ü.pdf"),
        (f'{PDF_ATTACHMENT}; filename="=?UTF-8?Q?offerte-=C3=BC.pdf?="', "offerte-ü.pdf"),
        (PDF_ATTACHMENT, "attachment-1.pdf"),
        (
            'Content-Type: image/jpeg\nContent-Disposition: attachment; filename=".."',
            "attachment-1.jpg",
        ),
        (
            "Content-Type: application/x-made-up\nContent-Disposition: attachment",
            "attachment-1.bin",
        ),
        ("Content-Type: text/calendar; method=REQUEST", "attachment-1.ics"),
    ],
)
def test_given_an_attachment_then_its_filename_is_decoded_safe_and_never_empty(
    part_headers, filename
):
    (attachment,) = parse(attachment_mail(part_headers)).attachments

    assert attachment.filename == filename
    assert attachment.content == b"xx"


def test_given_unnamed_attachments_in_both_alternatives_then_their_fallback_names_differ():
    raw = mail(
        body=(
            '--a\nContent-Type: multipart/mixed; boundary="m"\n\n'
            "--m\nContent-Type: text/plain\n\nTekst.\n"
            "--m\nContent-Type: image/png\nContent-Disposition: attachment\n\nxx\n--m--\n"
            '--a\nContent-Type: multipart/related; boundary="r"\n\n'
            "--r\nContent-Type: text/html\n\n<p>Tekst.</p>\n"
            "--r\nContent-Type: image/png\nContent-ID: <i@x>\n\nxx\n--r--\n--a--\n"
        ),
        content_type='multipart/alternative; boundary="a"',
    )

    names = [a.filename for a in parse(raw).attachments]

    assert names == ["attachment-1.png", "attachment-2.png"]


def test_given_a_content_type_in_capitals_then_it_is_lower_cased():
    (attachment,) = parse(attachment_mail("Content-Type: Application/PDF")).attachments

    assert attachment.content_type == "application/pdf"


def test_given_a_related_image_without_disposition_then_it_is_inline():
    raw = attachment_mail("Content-Type: image/png\nContent-ID: <img1@x>", wrapper="related")
    (image,) = parse(raw).attachments

    assert (image.inline, image.content_id) == (True, "img1@x")


def test_given_an_image_with_content_id_but_attachment_disposition_then_it_is_not_inline():
    raw = attachment_mail(
        "Content-Type: image/png\nContent-ID: <img1@x>\n"
        "Content-Disposition: attachment; filename=a.png",
        wrapper="related",
    )
    (image,) = parse(raw).attachments

    assert (image.inline, image.content_id) == (False, "img1@x")


def test_given_a_text_part_marked_as_attachment_then_it_is_not_body_text():
    raw = attachment_mail(
        "Content-Type: text/plain\nContent-Disposition: attachment; filename=log.txt", "Zm91dCE="
    )
    parsed = parse(raw)

    assert parsed.text == "Zie bijlage."
    assert [(a.filename, a.content) for a in parsed.attachments] == [("log.txt", b"fout!")]


def test_given_a_forwarded_message_then_its_text_is_an_eml_attachment_not_the_body():
    inner = "From: Karel <karel@example.org>\nSubject: Klacht / levering\n\nIncompleet.\n"
    raw = mail(
        body=(
            "--b\nContent-Type: text/plain\n\nZie hieronder.\n"
            f"--b\nContent-Type: message/rfc822\n\n{inner}\n--b--\n"
        ),
        content_type='multipart/mixed; boundary="b"',
    )
    parsed = parse(raw)
    (forwarded,) = parsed.attachments

    assert parsed.text == "Zie hieronder."
    assert forwarded.filename == "Klacht - levering.eml"
    assert parse(forwarded.content).text == "Incompleet."


# --- HTML --------------------------------------------------------------------------------


def test_given_html_then_paragraphs_breaks_lists_and_entities_survive():
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<p>Hallo&nbsp;Jan,</p><div>regel 1<br>regel 2</div>"
        "<ul><li>een</li><li>twee<ol><li>a</li><li>b</li></ol></li></ul>"
        "<p>Prijs: &euro;&#160;5 &amp; meer</p><script>var x = '<p>nee</p>';</script></body></html>"
    )

    assert html_to_text(html) == (
        "Hallo Jan,\n\nregel 1\nregel 2\n\n- een\n- twee\n  1. a\n  2. b\n\nPrijs: € 5 & meer"
    )


def test_given_html_blockquotes_then_they_become_quoted_lines():
    html = "<p>Ja.</p><div>On Mon, Jan wrote:</div><blockquote><p>Vraag?</p><p>Jan</p></blockquote>"

    assert html_to_text(html) == "Ja.\n\nOn Mon, Jan wrote:\n\n> Vraag?\n>\n> Jan"


def test_given_html_pre_then_its_whitespace_is_kept():
    assert html_to_text("<p>Code:</p><pre>  a  b\n    c</pre>") == "Code:\n\n  a  b\n    c"


def test_given_table_cells_then_they_are_separated():
    assert html_to_text("<table><tr><td>Order</td><td>55120</td></tr></table>") == "Order  55120"


def test_given_broken_html_then_text_still_comes_out():
    assert "tekst" in html_to_text("<p><b>tekst<</p><![if !x]><div")


def test_given_html_for_agents_then_scripts_handlers_and_remote_images_go():
    html = (
        '<p onmouseover="steal()">Hoi <img src="https://tracker.example.com/p.gif">'
        '<img src="cid:logo@x" alt="logo"><a href="javascript:alert(1)">klik</a>'
        '<a href="https://acme.example.com/">site</a></p><script>alert(1)</script>'
    )

    assert sanitise_html(html) == (
        '<p>Hoi <img><img src="cid:logo@x" alt="logo"><a rel="noopener noreferrer">klik</a>'
        '<a href="https://acme.example.com/" rel="noopener noreferrer">site</a></p>'
    )


# --- never raises ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe",
        b"no headers at all, just words",
        b"From: \xff\xfe\n\n\xff",
        b"Content-Type: multipart/mixed; boundary=\n\n--\n--\n",
        b'Content-Type: text/plain; charset="\\"\n\nx',
        b"Content-Type: message/rfc822\n\nnot a message",
        b"Content-Type: multipart/alternative; boundary=a\n\n--a\n\n--a--",
        b"Subject: =?utf-8?b?====?= =?x?q?=ZZ?=\n\n",
        b"Date: Mon, 99 Foo 99999 99:99:99 +9999\nMessage-ID: <<>>\n\nx",
        b"Content-Type: multipart/mixed; boundary=x\n\n"
        + b"--x\nContent-Type: multipart/mixed; boundary=x\n\n" * 300,
    ],
)
def test_given_malformed_input_then_parse_returns_a_mail(raw):
    parsed = parse(raw)

    assert isinstance(parsed.text, str)
    assert isinstance(parsed.attachments, tuple)


def test_given_bytes_without_any_header_then_the_mail_is_marked_unreadable_but_kept():
    parsed = parse(b"\x00\xffjust some bytes")

    assert parsed.parse_failed is True
    assert "just some bytes" in parsed.text


def test_given_an_email_package_failure_then_the_body_is_still_returned(monkeypatch):
    from chalicelib.adapters.mail import parse as module

    def explode(message):
        raise RuntimeError("bug in the email package")

    monkeypatch.setattr(module, "_read", explode)
    parsed = parse(b"From: a@example.nl\r\nSubject: x\r\n\r\nDe tekst.\r\n")

    assert parsed.parse_failed is True
    assert parsed.text == "De tekst."
    assert parsed.message is not None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_property_parse_never_raises_on_arbitrary_bytes(raw):
    parsed = parse(raw)

    assert isinstance(parsed.text, str) and isinstance(parsed.trimmed, str)
    parsed.text.encode("utf-8")


@st.composite
def mutated_corpus_message(draw):
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 12))):
        operation = rng.choice(("flip", "insert", "delete", "truncate", "duplicate"))
        position = rng.randrange(len(data) or 1)
        if operation == "flip" and data:
            data[position] = rng.randrange(256)
        elif operation == "insert":
            data[position:position] = rng.choice(
                [b"\n", b"\r\n", b"--", b"=?utf-8?b?", b"?=", b"=\n", b"\x00", b"\xff", b"<", b">"]
            )
        elif operation == "delete":
            del data[position : position + rng.randrange(1, 64)]
        elif operation == "truncate":
            del data[position:]
        elif operation == "duplicate":
            data[position:position] = data[position : position + rng.randrange(1, 256)]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_corpus_message())
def test_property_parse_never_raises_on_mutated_corpus_messages(raw):
    parsed = parse(raw)

    assert isinstance(parsed.text, str) and isinstance(parsed.trimmed, str)
    parsed.text.encode("utf-8")
    assert all(a.filename for a in parsed.attachments)
