"""Raw MIME in, one `ParsedMail` out, whatever client wrote it, and never an exception.

Inbound mail comes from hundreds of clients, bounce generators and spam kits. The email
package copes with most of it but trips over some header, charset and structure oddities,
so every step here falls back to a weaker reading instead of failing: a mail we cannot
read is still kept and shown to agents (nothing is dropped silently).
"""

import binascii
import codecs
import contextlib
import email.policy
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import cache, lru_cache
from html.parser import HTMLParser

import nh3

from chalicelib.adapters.mail.trim import trim

# Labels that say nothing about the bytes: sniff instead of trusting them.
_NO_CHARSET = frozenset({"unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined"})
# Labels senders use for a wider encoding than they name (WHATWG decodes them the same way):
# "latin-1" mail is nearly always cp1252 with smart quotes and the euro sign, gb2312 is gbk.
_SUPERSETS = {"iso8859-1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932"}
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SURROGATE = re.compile("[\ud800-\udfff]")
_RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "x-forwarded-to")
_BASIC_HEADERS = ("from", "to", "subject", "date", "message-id")
# Our own walk recurses; real mail nests a handful of levels, hostile mail thousands.
_MAX_DEPTH = 40
# Mail-only types Python's own table does not know.
_EXTENSIONS = {
    "application/ms-tnef": "dat",
    "text/calendar": "ics",
    "text/rfc822-headers": "txt",
    "message/delivery-status": "txt",
    "message/disposition-notification": "txt",
}


@dataclass(frozen=True)
class Attachment:
    """A non-body part. `filename` is decoded, without path parts, never empty; `inline` marks
    an image embedded in the HTML (referenced by `content_id`, stored without <>)."""

    filename: str
    content_type: str
    content: bytes
    inline: bool
    content_id: str | None


@dataclass(frozen=True)
class ParsedMail:
    """One inbound mail as Balie reads it.

    Addresses are lower-case addr-specs, message ids "<…>", `text` is the sender's whole body
    as plain text (HTML converted when there is no plain part), `trimmed` that text without
    quoted history and signature, `html` the HTML part made safe to show to agents.
    `parse_failed` marks a mail that could not be understood; it is still kept.
    """

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    trimmed: str
    html: str | None
    attachments: tuple[Attachment, ...]
    date: datetime | None
    auto_submitted: str | None
    parse_failed: bool
    defects: tuple[str, ...]
    message: Message | None = field(default=None, compare=False, repr=False)

    def header(self, name: str) -> str | None:
        """The first value of a header, decoded and unfolded; None if absent."""
        values = self.headers(name)
        return values[0] if values else None

    def headers(self, name: str) -> tuple[str, ...]:
        """Every value of a header (X-Loop, Delivered-To … may repeat), decoded and unfolded."""
        if self.message is None:
            return ()
        return tuple(decode_header_text(value).strip() for value in _raw(self.message, name))


def parse(raw: bytes) -> ParsedMail:
    """Read raw MIME; anything unexpected yields a mail marked `parse_failed`, never an error."""
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
    except Exception:  # the parser is lenient; this is a last line of defence
        return _unreadable(raw, None)
    try:
        return _read(message)
    except Exception:  # an email-package bug on hostile input must not lose the mail
        return _unreadable(raw, message)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared, missing or wrong charset; undecodable bytes become U+FFFD."""
    codec = _codec(charset)
    text = None
    for attempt in (codec, "utf-8"):
        if attempt is not None and text is None:
            # Mislabelled, or not this encoding: try the next reading.
            with contextlib.suppress(UnicodeError, ValueError):
                text = data.decode(attempt)
    if text is None:
        # A real multi-byte label with one broken byte keeps the rest readable in that label;
        # anything else is most likely cp1252, the commonest unlabelled 8-bit text.
        fallback = codec if codec is not None and codec != "utf-8" else "cp1252"
        try:
            text = data.decode(fallback, errors="replace")
        except (UnicodeError, ValueError):
            text = data.decode("cp1252", errors="replace")
    # utf-7 and friends can yield lone surrogates, which nothing downstream can encode.
    return text.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(text) else text


def decode_header_text(value: str) -> str:
    """An unfolded header value with RFC 2047 encoded words decoded.

    Adjacent words in one charset are joined before decoding because clients split a
    multi-byte character across them; whitespace between encoded words is dropped (RFC 2047 6.2).
    """
    value = _FOLD.sub("", _unescape(value)).replace("\r", "").replace("\n", "")
    out: list[str] = []
    run: list[bytes] = []
    run_charset = ""
    end = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[end : match.start()]
        charset = match[1].split("*")[0].lower()  # "utf-8*nl": an RFC 2231 language tag
        between_words = bool(run) and not gap.strip()
        if not between_words or charset != run_charset:
            out.append(decode_bytes(b"".join(run), run_charset))
            run = []
        if not between_words:
            out.append(gap)
        run.append(_decode_word(match[2], match[3]))
        run_charset = charset
        end = match.end()
    out.append(decode_bytes(b"".join(run), run_charset))
    out.append(value[end:])
    return "".join(out)


def _read(message: Message) -> ParsedMail:
    body = _Body()
    _walk(message, body, depth=0, in_related=False)
    # Separate MIME parts are separate blocks of text (Apple Mail splits text around images).
    texts = (_segment_text(kind, part).strip("\r\n") for kind, part in body.segments)
    text = _normalise("\n\n".join(part for part in texts if part.strip()))
    html = "\n".join(body.html)
    from_name, from_address = _first_address(_raw(message, "from"))
    recipients = [
        addr for name in _RECIPIENT_HEADERS for _, addr in _addresses(_raw(message, name))
    ]
    auto_submitted = _first(message, "auto-submitted")
    return ParsedMail(
        message_id=_message_id(_first(message, "message-id")),
        in_reply_to=_message_ids(_first(message, "in-reply-to")),
        references=_message_ids(" ".join(_raw(message, "references"))),
        from_address=from_address,
        from_name=from_name,
        recipients=tuple(dict.fromkeys(addr for addr in recipients if addr)),
        subject=" ".join((_first(message, "subject") or "").split()),
        text=text,
        trimmed=trim(text) or text,
        html=sanitise_html(html) if body.html else None,
        attachments=tuple(body.attachments),
        date=_date(_first(message, "date")),
        auto_submitted=auto_submitted.lower() if auto_submitted else None,
        parse_failed=not any(_raw(message, name) for name in _BASIC_HEADERS),
        defects=_defects(message),
        message=message,
    )


def _unreadable(raw: bytes, message: Message | None) -> ParsedMail:
    """What a mail we could not take apart still offers: its body bytes, best-effort decoded."""
    _, separator, rest = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    text = _normalise(decode_bytes(rest if separator else raw))
    return ParsedMail(
        message_id=None,
        in_reply_to=(),
        references=(),
        from_address="",
        from_name="",
        recipients=(),
        subject="",
        text=text,
        trimmed=text,
        html=None,
        attachments=(),
        date=None,
        auto_submitted=None,
        parse_failed=True,
        defects=(),
        message=message,
    )


# --- headers ---------------------------------------------------------------------------


def _raw(message: Message, name: str) -> list[str]:
    """Header values as received: the policy's parsed header objects raise on some input."""
    name = name.lower()
    try:
        return [str(value) for key, value in message.raw_items() if key.lower() == name]
    except Exception:
        return []


def _first(message: Message, name: str) -> str | None:
    values = _raw(message, name)
    return decode_header_text(values[0]).strip() if values else None


def _unescape(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; read them as UTF-8 or cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


def _decode_word(encoding: str, text: str) -> bytes:
    data = text.encode("utf-8")
    try:
        if encoding in "bB":
            return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return data  # show the word as written rather than nothing


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-case addr-spec) pairs; names decoded after parsing, not before,
    because a decoded name may contain the commas and brackets that separate addresses."""
    pairs = getaddresses([_FOLD.sub("", _unescape(value)) for value in values])
    return [
        (" ".join(decode_header_text(name).split()), addr.strip().lower())
        for name, addr in pairs
        if "@" in addr and not any(ch.isspace() for ch in addr.strip())
    ]


def _first_address(values: list[str]) -> tuple[str, str]:
    pairs = _addresses(values[:1])
    return pairs[0] if pairs else ("", "")


def _message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    ids = _MESSAGE_ID.findall(value) or [token for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(f"<{mid.strip('<>')}>" for mid in ids if mid.strip("<>")))


def _message_id(value: str | None) -> str | None:
    ids = _message_ids(value)
    if ids:
        return ids[0]
    bare = "".join((value or "").split()).strip("<>")
    return f"<{bare}>" if bare else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:  # ValueError mostly; older releases raised TypeError/IndexError too
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _defects(message: Message) -> tuple[str, ...]:
    names: dict[str, None] = {}
    with contextlib.suppress(Exception):  # defects are for logs only
        for part in message.walk():
            names.update((type(defect).__name__, None) for defect in part.defects)
    return tuple(names)


# --- body --------------------------------------------------------------------------------


@dataclass
class _Body:
    numbered: int = 0  # attachments numbered before this body (for fallback names)
    segments: list[tuple[str, str]] = field(default_factory=list)  # ("plain" | "html", text)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def _walk(part: Message, body: _Body, *, depth: int, in_related: bool) -> None:
    """Body text in document order; everything else, nested messages included, attached.

    Not `Message.walk()`: that descends into a forwarded message/rfc822, whose text is
    the forwarded mail's and not this sender's words.
    """
    ctype = _content_type(part)
    if ctype.startswith("multipart/") and depth < _MAX_DEPTH:
        children = part.get_payload()
        if not isinstance(children, list):  # declared multipart, but no boundary was found
            body.segments.append(("plain", decode_bytes(_payload(part), _charset(part))))
        elif ctype == "multipart/alternative":
            _alternative(children, body, depth)
        else:
            for child in children:
                _walk(child, body, depth=depth + 1, in_related=ctype == "multipart/related")
    elif ctype in ("text/plain", "text/html") and not _is_attachment(part):
        content = _payload(part)
        if ctype == "text/html":
            body.segments.append(("html", decode_bytes(content, _html_charset(part, content))))
            body.html.append(body.segments[-1][1])
        else:
            text = decode_bytes(content, _charset(part))
            if _param(part, "format").lower() == "flowed":
                text = _unflow(text, delsp=_param(part, "delsp").lower() == "yes")
            body.segments.append(("plain", text))
    elif not ctype.startswith("multipart/"):
        number = body.numbered + len(body.attachments) + 1
        body.attachments.append(_attachment(part, number, in_related))


def _alternative(children: list[Message], body: _Body, depth: int) -> None:
    """One rendering for the text (plain unless it is empty), the richest for the HTML."""
    branches: list[_Body] = []
    for child in children:
        numbered = body.numbered + len(body.attachments)
        branch = _Body(numbered=numbered + sum(len(b.attachments) for b in branches))
        _walk(child, branch, depth=depth + 1, in_related=False)
        branches.append(branch)
    plain = [b for b in branches if any(k == "plain" and c.strip() for k, c in b.segments)]
    rich = [b for b in branches if b.html]
    chosen = plain[0] if plain else (rich[-1] if rich else None)
    if chosen is not None:
        body.segments.extend(chosen.segments)
    if rich:
        body.html.extend(rich[-1].html)
    for branch in branches:
        body.attachments.extend(branch.attachments)


def _attachment(part: Message, number: int, in_related: bool) -> Attachment:
    ctype = _content_type(part)
    disposition = _disposition(part)
    content_id = "".join((_first(part, "content-id") or "").split()).strip("<>") or None
    return Attachment(
        filename=_filename(part, ctype, number),
        content_type=ctype,
        content=_payload(part),
        # Only a referenced image is "embedded"; a Content-ID alone (Apple sets one on
        # everything) or a related part explicitly marked as an attachment is not.
        inline=content_id is not None
        and (disposition == "inline" or (disposition == "" and in_related)),
        content_id=content_id,
    )


def _filename(part: Message, ctype: str, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name and ctype in ("message/rfc822", "message/global"):
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            name = " ".join((_first(inner[0], "subject") or "").split()).replace("/", "-")
            name = f"{name}.eml" if name else ""
    name = decode_header_text(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        ext = _EXTENSIONS.get(ctype) or (_mime_types().guess_extension(ctype) or ".bin")[1:]
        name = f"attachment-{number}.{ext}"
    return name


@cache
def _mime_types() -> mimetypes.MimeTypes:
    """Python's own extension table, not the host's /etc/mime.types: the same names everywhere."""
    return mimetypes.MimeTypes()


def _payload(part: Message) -> bytes:
    """The decoded bytes of a leaf; a nested message or report block serialised again."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return b"".join(_serialise(sub) for sub in payload if isinstance(sub, Message))
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _serialise(message: Message) -> bytes:
    for policy in (email.policy.default, email.policy.compat32):
        # The stricter generator can choke on broken headers; compat32 writes them as they came.
        with contextlib.suppress(Exception):
            return message.as_bytes(policy=policy)
    return b""


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return part.get_default_type()


def _param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value or "").strip()


def _charset(part: Message) -> str | None:
    return _param(part, "charset") or None


def _html_charset(part: Message, content: bytes) -> str | None:
    """HTML may name its charset only in a <meta> tag."""
    declared = _charset(part)
    if declared:
        return declared
    match = _META_CHARSET.search(content[:4096])
    return match[1].decode("ascii", "replace") if match else None


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _is_attachment(part: Message) -> bool:
    return _disposition(part) == "attachment" or bool(
        _param(part, "filename", "content-disposition") or _param(part, "name")
    )


@lru_cache(maxsize=256)  # bounded: labels come from senders, hostile ones included
def _codec(label: str | None) -> str | None:
    """A text codec for a charset label, None when the label is missing, bogus or not text."""
    name = (label or "").strip().strip("\"'").lower()
    if not name or name in _NO_CHARSET:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # "base64", "rot13", "zlib" … are codecs too, but not text encodings.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return _SUPERSETS.get(info.name, info.name)


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed: rejoin soft-broken lines so quotes and paragraphs read whole."""
    lines: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        if pending is not None and depth != pending_depth:
            lines.append(_quoted(pending_depth, pending))
            pending = None
        joined = (pending or "") + content
        if content.endswith(" ") and content != "-- ":
            pending = joined[:-1] if delsp else joined
            pending_depth = depth
            continue
        lines.append(_quoted(depth, joined))
        pending = None
    if pending is not None:
        lines.append(_quoted(pending_depth, pending))
    return "\n".join(lines)


def _quoted(depth: int, content: str) -> str:
    return ">" * depth + (" " if depth and content else "") + content


def _segment_text(kind: str, content: str) -> str:
    return html_to_text(content) if kind == "html" else content


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip() if text.strip() else ""


# --- HTML --------------------------------------------------------------------------------

_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset"}
    | {"figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li"}
    | {"main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul"}
)
_PARAGRAPHS = frozenset(
    {"blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
)
_INVISIBLE = frozenset({"head", "script", "style", "template", "title", "noscript", "object"})


class _TextWriter(HTMLParser):
    """HTML to readable text: paragraphs, line breaks, list bullets and "> " quotes survive."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._quote = 0
        self._lists: list[int | None] = []  # None for <ul>, the next number for <ol>
        # A paragraph's blank line is written only when more text follows, at the shallower
        # quote depth of the two blocks it separates: no trailing or doubled blank lines.
        self._blank: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag == "br":
            self._flush(force=True)
        elif tag in ("td", "th") and self._line:
            self._line.append("  ")
        elif tag in _BLOCKS:
            self._block(tag, nested=tag in ("ul", "ol") and bool(self._lists))
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1
            elif tag in ("ul", "ol"):
                self._lists.append(1 if tag == "ol" else None)
            elif tag == "li":
                self._bullet()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._flush(force=True)
        elif tag == "hr":
            self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._block(tag, nested=tag in ("ul", "ol") and len(self._lists) > 1)
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
            elif tag in ("ul", "ol") and self._lists:
                self._lists.pop()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._line.append(first)
            for line in rest:
                self._flush(force=True)
                self._line.append(line)
            return
        text = re.sub(r"\s+", " ", data)
        if not self._line or "".join(self._line).endswith(" "):
            text = text.lstrip()
        if text:
            self._line.append(text)

    def _bullet(self) -> None:
        marker = "-"
        if self._lists and self._lists[-1] is not None:
            marker = f"{self._lists[-1]}."
            self._lists[-1] += 1
        self._line.append("  " * max(0, len(self._lists) - 1) + marker + " ")

    def _block(self, tag: str, *, nested: bool = False) -> None:
        self._flush()
        # A list inside a list item continues that list; it is not a new paragraph.
        if tag in _PARAGRAPHS and not nested and self.lines:
            self._blank = min(self._quote, self._quote if self._blank is None else self._blank)

    def _flush(self, *, force: bool = False) -> None:
        line = "".join(self._line).rstrip()
        self._line = []
        if not line.strip() and not force:
            return
        if self._blank is not None and self.lines and self.lines[-1].strip(">").strip():
            self.lines.append(">" * self._blank)
        self._blank = None
        self.lines.append(_quoted(self._quote, line))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; tag-stripping as the fallback for HTML the parser rejects."""
    writer = _TextWriter()
    try:
        writer.feed(html)
        writer.close()
        writer._flush()
        text = "\n".join(writer.lines)
    except Exception:
        text = re.sub(r"<[^>]*>", " ", html)
    text = "\n".join(line.rstrip() for line in text.replace("\xa0", " ").split("\n"))
    return re.sub(r"\n(?:>*\n){2,}", "\n\n", text).strip()


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        clean_content_tags={"script", "style", "title"},
        url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"},
        attribute_filter=_drop_remote_images,
    )


def _drop_remote_images(tag: str, attribute: str, value: str) -> str | None:
    """Embedded (cid:) images only: a remote image is a read receipt the sender controls."""
    if tag == "img" and attribute in ("src", "srcset") and not value.lower().startswith("cid:"):
        return None
    return value


def sanitise_html(html: str) -> str:
    """HTML safe to show to agents: no scripts, no event handlers, no remote images."""
    try:
        return _cleaner().clean(html)
    except Exception:  # nh3 is Rust: a panic surfaces as an exception; show the source inert
        return nh3.escape(html)
