"""What a file uploaded to a ticket may be: its name, its type, its size, how many.

Pure rules, no AWS. The upload itself goes straight from the browser (or integration) to the
files bucket with a presigned POST whose conditions repeat these limits (services/attachments.py).

Content types: a deny-list, not an allow-list. Requesters send screenshots, logs, PDFs,
office documents, archives of anything; an allow-list would refuse real files every week.
What is refused is what a browser or a desktop runs when opened: markup with script (HTML,
SVG, XHTML), scripts and executables, by type and by file-name extension (a `.exe` declared as
`application/octet-stream` is still an executable). Downloads are always served as
`Content-Disposition: attachment` from the bucket's own origin, never rendered in ours.
"""

import re
import unicodedata
from dataclasses import dataclass

from chalicelib.domain.errors import Invalid

# Types a browser renders with script, and program types.
DENIED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/ecmascript",
        "application/x-javascript",
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-ms-installer",
        "application/x-msi",
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-sh",
        "application/x-csh",
        "application/x-bat",
        "application/hta",
        "application/java-archive",
        "application/x-java-archive",
    }
)
# Extensions Windows, macOS or a browser run or render on a double click.
DENIED_EXTENSIONS = frozenset(
    {
        "exe", "com", "bat", "cmd", "scr", "pif", "cpl", "msi", "msp", "dll", "hta", "lnk",
        "js", "jse", "mjs", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "sh", "jar", "app",
        "html", "htm", "xhtml", "shtml", "svg", "svgz",
    }
)  # fmt: skip

_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_MAX_NAME = 200
# Characters that mean something to a file system or a header.
_UNSAFE = re.compile(r'[\\/:*?"<>|;]')


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_per_ticket: int


@dataclass(frozen=True)
class UploadRequest:
    """A checked request to upload one file: clean name, normalised type, size in bytes."""

    filename: str
    content_type: str
    size: int


def sanitize_filename(raw: str) -> str:
    """A name that is only a name: no folders, no control characters, no leading dots,
    normalised (NFC) and at most 200 characters with its extension kept."""
    text = unicodedata.normalize("NFC", raw or "")
    # A path from any OS: keep what follows the last separator.
    text = re.split(r"[\\/]", text)[-1]
    # Control, format (bidi overrides that disguise `exe.pdf`) and separator characters.
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if len(text) > _MAX_NAME:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            text = stem[: _MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:_MAX_NAME].rstrip()
    return text


def check_upload(
    filename: str, content_type: str, size: int, limits: UploadLimits, already: int
) -> UploadRequest:
    """The request made safe, or Invalid (422) naming every field that is wrong;
    `already` is how many files the ticket holds or is receiving."""
    errors: list[dict[str, str]] = []
    name = sanitize_filename(filename)
    ctype = (content_type or "").strip().lower()
    if not name:
        errors.append({"field": "filename", "message": "The file needs a name."})
    elif name.rpartition(".")[2].lower() in DENIED_EXTENSIONS and "." in name:
        errors.append({"field": "filename", "message": "Files of this kind cannot be attached."})
    if not _TYPE.match(ctype):
        errors.append({"field": "content_type", "message": "Not a media type (type/subtype)."})
    elif ctype in DENIED_TYPES:
        errors.append(
            {"field": "content_type", "message": "Files of this type cannot be attached."}
        )
    if size < 1:
        errors.append({"field": "size", "message": "An empty file cannot be attached."})
    elif size > limits.max_bytes:
        errors.append({"field": "size", "message": f"Files are at most {limits.max_bytes} bytes."})
    if already >= limits.max_per_ticket:
        errors.append(
            {"field": "ticket", "message": f"A ticket holds at most {limits.max_per_ticket} files."}
        )
    if errors:
        raise Invalid("The file cannot be attached.", errors=errors)
    return UploadRequest(filename=name, content_type=ctype, size=size)


def bucket_key(tenant: str, number: int, attachment_id: str) -> str:
    """Where an uploaded file lives. The ticket number is in it, so the notification that
    the file arrived leads straight to its item; mail-borne files (`attachments/<t>/<id>`,
    written in the filing transaction) have one segment less and are no uploads."""
    return f"attachments/{tenant}/{number}/{attachment_id}"


def parse_bucket_key(key: str) -> tuple[str, int, str] | None:
    """(tenant, ticket number, attachment id) of an upload's key; None for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "attachments" or not parts[2].isdigit():
        return None
    if not parts[1] or not parts[3] or len(parts[2]) > 12:
        return None
    return parts[1], int(parts[2]), parts[3]
