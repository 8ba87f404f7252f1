"""Outgoing mail as RFC 5322 bytes: text and HTML alternatives, threading and anti-loop headers.

The headers do three jobs:
- threading: Message-ID (ours, recorded by the caller), In-Reply-To and References let
  the recipient's client and our own inbound matcher place a reply in its ticket;
- anti-loop: `X-Loop` names us, and automatic mail carries `Auto-Submitted` (RFC 3834)
  plus `X-Auto-Response-Suppress: All`, which asks Exchange/Outlook not to answer it with
  out-of-office or delivery notices. An agent's own words are not automatic mail;
- safety: every header value passes through here. Names and subjects lose any line break
  (it would end the header and start an attacker's own); addresses and message ids that
  are not well-formed are refused or dropped, never repaired into something else.

Bodies are quoted-printable UTF-8: 7-bit clean for every relay, still readable raw. A body
travels with CRLF line ends and a final line end (SMTP's form); parse it back and it reads
the same once "\r\n" is read as "\n".
"""

import re
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

# Automatic-mail keywords of RFC 3834 (and RFC 5436's sieve notifications).
AUTO_SUBMITTED_VALUES = frozenset({"auto-generated", "auto-replied", "auto-notified"})
# A thread's References grows with every message; clients need the root and the last few.
MAX_REFERENCES = 20

# "<left@right>" in printable ASCII without spaces or angle brackets: nothing that could end
# the header or the id early, and lenient about the rest, as real mailers are.
_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>")
_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# An http(s) URL of printable ASCII without spaces, angle brackets or commas: nothing that
# could close the <…> early or add a second URI (or a header) of someone else's.
_UNSUBSCRIBE_URL = re.compile(r"https?://[\x21-\x2b\x2d-\x3b\x3d\x3f-\x7e]{1,900}")
# Headers set with set_raw go out exactly as set (they are checked above); every other header
# is an object that folds itself, so this changes nothing else.
_AS_SET = SMTP.clone(refold_source="none")


@dataclass(frozen=True)
class Outgoing:
    from_address: str  # the tenant's verified identity, e.g. "support@demo.example.com"
    from_name: str  # e.g. "Demo Helpdesk"
    to: tuple[str, ...]
    reply_to: str  # the plus-addressed token address, e.g. "support+1042-abcd@…"
    subject: str  # final subject, already tagged by the caller
    text: str
    html: str
    message_id: str  # "<…@…>" made by new_message_id
    date: datetime  # aware
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_submitted: str | None = "auto-replied"  # None for an agent's own words
    loop_marker: str = "balie"
    # Mail to many people at once (an announcement): `Precedence: bulk` beside Auto-Submitted,
    # so autoresponders and mail filters treat it as a list mailing, not a conversation.
    bulk: bool = False
    # The one-click unsubscribe URL of mail nobody asked for (announcements, watcher copies):
    # List-Unsubscribe (RFC 2369) and, for an https URL, List-Unsubscribe-Post (RFC 8058).
    list_unsubscribe: str | None = None
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (filename, content_type, content)


def new_message_id(domain: str) -> str:
    """A globally unique Message-ID under our own domain; ULIDs also sort by time."""
    from ulid import ULID

    if not _DOMAIN.fullmatch(domain):
        raise ValueError("a Message-ID domain must be a plain host name")
    return f"<{str(ULID()).lower()}@{domain}>"


def compose(mail: Outgoing) -> bytes:
    """The message as CRLF-terminated bytes, ready for SES send_raw_email."""
    if mail.date.tzinfo is None or mail.date.utcoffset() is None:
        raise ValueError("the Date header needs an aware datetime")
    if not mail.to:
        raise ValueError("a message needs at least one recipient")
    if not _MSG_ID.fullmatch(mail.message_id):
        raise ValueError("message_id must look like <id@domain> (use new_message_id)")

    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(
        display_name=_one_line(mail.from_name), addr_spec=_address(mail.from_address)
    )
    msg["To"] = [Address(addr_spec=_address(address)) for address in mail.to]
    msg["Reply-To"] = Address(addr_spec=_address(mail.reply_to))
    msg["Subject"] = _one_line(mail.subject)
    msg["Date"] = mail.date
    msg["Message-ID"] = mail.message_id
    in_reply_to = _valid_ids((mail.in_reply_to,) if mail.in_reply_to else ())
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to[0]
    references = _capped(_valid_ids(mail.references))
    if references:
        msg["References"] = " ".join(references)
    if mail.auto_submitted is not None:
        if mail.auto_submitted not in AUTO_SUBMITTED_VALUES:
            raise ValueError(f"unknown Auto-Submitted value {mail.auto_submitted!r}")
        msg["Auto-Submitted"] = mail.auto_submitted
        msg["X-Auto-Response-Suppress"] = "All"
    if not _TOKEN.fullmatch(mail.loop_marker):
        raise ValueError("loop_marker must be a single token")
    msg["X-Loop"] = mail.loop_marker
    if mail.bulk:
        msg["Precedence"] = "bulk"
    if mail.list_unsubscribe is not None:
        if not _UNSUBSCRIBE_URL.fullmatch(mail.list_unsubscribe):
            raise ValueError("list_unsubscribe must be one plain http(s) URL")
        # Raw, so that it is never RFC 2047-encoded nor folded inside the URL (what the
        # email package does to a long unstructured value): providers read it verbatim.
        msg.set_raw("List-Unsubscribe", f"<{mail.list_unsubscribe}>")
        if mail.list_unsubscribe.startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, content_type, content in mail.attachments:
        maintype, subtype = _content_type(content_type)
        # Turns the multipart/alternative into the first part of a multipart/mixed.
        msg.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype,
            filename=_one_line(filename) or "attachment",
        )
    for part in msg.walk():
        # EmailMessage stamps MIME-Version on parts it creates; it belongs on the message only.
        if part is not msg:
            del part["MIME-Version"]
    return msg.as_bytes(policy=_AS_SET)


def _one_line(value: str) -> str:
    """Free text fit for a header: whitespace runs (CR/LF included) become one space."""
    return _CONTROL.sub("", " ".join(value.split()))


def _address(value: str) -> str:
    """An addr-spec exactly as given, or ValueError: a broken address is never guessed at."""
    if _CONTROL.search(value) or not value.strip():
        raise ValueError("an email address may not contain control characters")
    try:
        address = Address(addr_spec=value.strip())  # refuses anything but one addr-spec
    except HeaderParseError as exc:
        raise ValueError(f"not an email address: {exc}") from None
    if not address.username or not address.domain:
        raise ValueError("an email address needs a local part and a domain")
    return address.addr_spec


def _valid_ids(ids: tuple[str, ...]) -> list[str]:
    """Ids copied from inbound mail are the sender's text: keep only well-formed ones."""
    kept: list[str] = []
    for raw in ids:
        candidate = raw.strip()
        if _MSG_ID.fullmatch(candidate) and candidate not in kept:
            kept.append(candidate)
    return kept


def _capped(ids: list[str]) -> list[str]:
    """The thread's root and the most recent ids: what clients use to rebuild the thread."""
    if len(ids) <= MAX_REFERENCES:
        return ids
    return [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def _content_type(value: str) -> tuple[str, str]:
    maintype, _, subtype = value.strip().lower().partition("/")
    subtype = subtype.split(";", 1)[0].strip()
    if _TOKEN.fullmatch(maintype) and re.fullmatch(r"[a-z0-9][a-z0-9.+_-]*", subtype):
        return maintype, subtype
    return "application", "octet-stream"
