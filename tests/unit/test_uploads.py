"""What a file uploaded to a ticket may be (domain/uploads.py)."""

import pytest

from chalicelib.domain.errors import Invalid
from chalicelib.domain.uploads import (
    UploadLimits,
    bucket_key,
    check_upload,
    parse_bucket_key,
    sanitize_filename,
)

LIMITS = UploadLimits(max_bytes=1000, max_per_ticket=3)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\pat\\Desktop\\screen shot.png", "screen shot.png"),
        ("../../etc/passwd", "passwd"),
        ("/var/log/app.log", "app.log"),
        ("..hidden", "hidden"),
        ("a\x00b\r\nc.txt", "a b c.txt"),
        ("tab\there.txt", "tab here.txt"),
        # A right-to-left override that would show "invoice_gpj.exe" as "invoice_exe.jpg".
        ("invoice_\u202egpj.exe", "invoice_ gpj.exe"),
        ('what?:*"<>|.txt', "what_______.txt"),
        ("Cafe\u0301.txt", "Caf\u00e9.txt"),
        ("   ", ""),
    ],
)
def test_given_a_file_name_then_only_a_safe_name_remains(raw, clean):
    assert sanitize_filename(raw) == clean


def test_given_a_very_long_name_then_it_is_cut_keeping_its_extension():
    name = sanitize_filename("x" * 500 + ".docx")
    assert len(name) == 200
    assert name.endswith("x.docx")


def test_given_an_allowed_file_then_its_type_is_normalised():
    request = check_upload("Scan.PDF", " Application/PDF ", 10, LIMITS, already=0)
    assert (request.filename, request.content_type, request.size) == (
        "Scan.PDF",
        "application/pdf",
        10,
    )


@pytest.mark.parametrize(
    ("filename", "content_type", "size", "already", "field"),
    [
        ("a.png", "image/png", 1001, 0, "size"),
        ("a.png", "image/png", 0, 0, "size"),
        ("a.png", "image/png", 10, 3, "ticket"),
        ("tool.exe", "application/octet-stream", 10, 0, "filename"),
        ("run.PS1", "text/plain", 10, 0, "filename"),
        ("page.htm", "text/plain", 10, 0, "filename"),
        ("drawing", "image/svg+xml", 10, 0, "content_type"),
        ("a.txt", "text/html", 10, 0, "content_type"),
        ("a.txt", "text", 10, 0, "content_type"),
        ("a.txt", "text/plain\r\nX-Evil: 1", 10, 0, "content_type"),
        ("/", "text/plain", 10, 0, "filename"),
    ],
)
def test_given_a_file_that_may_not_be_attached_then_the_field_is_named(
    filename, content_type, size, already, field
):
    with pytest.raises(Invalid) as refused:
        check_upload(filename, content_type, size, LIMITS, already)
    assert field in [e["field"] for e in refused.value.errors]


def test_given_an_upload_key_then_it_leads_back_to_its_ticket_and_id():
    key = bucket_key("demo", 1042, "01JABC")
    assert key == "attachments/demo/1042/01JABC"
    assert parse_bucket_key(key) == ("demo", 1042, "01JABC")


@pytest.mark.parametrize(
    "key",
    ["attachments/demo/01MAILBORNE", "raw-mail/abc", "attachments/demo/x/01J",
     "attachments//1/01J", "attachments/demo/1/01J/extra", "attachments/demo/1/"],
)  # fmt: skip
def test_given_a_key_that_is_no_upload_then_it_is_not_parsed(key):
    assert parse_bucket_key(key) is None
