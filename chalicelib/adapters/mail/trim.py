"""Only the new words of a reply: quoted history, signatures and phone footers cut off.

Every reply repeats the thread below it; agents should read what the customer just
wrote. The full text stays next to this (ParsedMail.text), so a missed cut costs some
scrolling while a wrong cut hides what the customer said. Hence only strong markers
cut: an attribution line followed by nothing but quotes, an "Original Message"
separator, a block of at least three mail header lines, the "-- " signature delimiter,
a phone's "Sent from my …" line. Courtesy closings and a lone "From:" in a sentence stay.
"""

import re

# "On Mon, 4 Nov 2024 at 10:12, Jan <jan@example.nl> wrote:", Apple's "Op … heeft … het
# volgende geschreven:", "Le … a écrit :" end in the verb; "Op … schreef Jan <…>:" and
# "Am … schrieb Jan <…>:" put the name between the verb and the colon.
_ATTRIBUTION_END = re.compile(
    r"(?:\b(?:wrote|writes|geschreven|geschrieben|a\s+écrit|escribió|escreveu|ha\s+scritto)\s*"
    r"|\b(?:schreef|schrieb)\b.*):\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^(?:On|Op|Am|Le|El|Il|Em)\s")
_ORIGINAL = re.compile(
    r"^-{2,}\s*(?:original message|oorspronkelijk bericht|origineel bericht|originalnachricht|"
    r"ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}$",
    re.IGNORECASE,
)
# A forwarded mail below its marker is what the sender wants us to read: not history.
_FORWARD = re.compile(
    r"^(?:-{2,}\s*(?:forwarded message|doorgestuurd bericht|weitergeleitete nachricht|"
    r"message transféré)\s*-{2,}|begin forwarded message:|begin doorgestuurd bericht:|"
    r"anfang der weitergeleiteten nachricht:)$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^(?:_{8,}|-{8,})$")
_FROM_KEY = r"from|van|von|de|da"
_DATE_KEY = r"sent|date|verzonden|datum|gesendet|envoyé|inviato|enviado"
_OTHER_KEY = r"to|cc|bcc|subject|aan|onderwerp|an|betreff|à|a|objet|oggetto|asunto|para"
_DATE_OR_SUBJECT = _DATE_KEY + r"|subject|onderwerp|betreff|objet|oggetto|asunto"
_HEADER = re.compile(rf"^\*?(?P<key>{_FROM_KEY}|{_DATE_KEY}|{_OTHER_KEY})\s*:\*?(?:\s|$)", re.I)
_MOBILE_FOOTER = re.compile(
    r"^(?:sent from my .{1,40}|sent from (?:mail|outlook) for .{1,30}|"
    r"sent from yahoo mail .{1,30}|get outlook for (?:ios|android)|"
    r"(?:verzonden|verstuurd) (?:vanaf|met|via|vanuit) mijn .{1,40}|"
    r"(?:verzonden|verstuurd) (?:vanuit|met|via) (?:mail|outlook) voor .{1,30}|"
    r"outlook voor (?:ios|android) downloaden|von meinem .{1,40} gesendet|"
    r"gesendet von meinem .{1,40}|envoyé de mon .{1,40}|envoyé depuis mon .{1,40})"
    r"(?:\s*<[^>\s]+>)?$",
    re.IGNORECASE,
)
# "--" without its trailing space (stripped by a client or an HTML conversion) is a weaker
# marker: it only counts when a signature-sized block follows.
_SHORT_SIGNATURE_LINES = 8


def trim(text: str) -> str:
    """The new content of a mail body, stripped; the whole text stripped if nothing would remain."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = lines[: _first_cut(lines)]
    while True:
        quotes = 0
        while kept and (not kept[-1].strip() or _quoted(kept[-1])):
            quotes += _quoted(kept.pop())
        # An attribution left dangling at the end introduced the quotes just removed. In an
        # inline reply answers follow the quotes, so its attribution is not last and stays.
        start = _attribution_span(kept, len(kept) - 1) if quotes and kept else None
        if start is None:
            break
        del kept[start:]
    result = "\n".join(kept).strip()
    return result or text.strip()


def _first_cut(lines: list[str]) -> int:
    """The index of the first line that starts history, a signature or a footer."""
    forwarded = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _quoted(line) or not stripped:
            continue
        if _FORWARD.match(stripped):
            forwarded = True
        elif forwarded:
            continue  # everything below a forward marker is the forwarded mail itself
        elif _ends_content(lines, index):
            return index
        elif _header_block(lines, index):
            return _after_separator(lines, index)
        elif (start := _attribution_span(lines, index)) is not None and _only_history_after(
            lines, index + 1
        ):
            return start
    return len(lines)


def _ends_content(lines: list[str], index: int) -> bool:
    """A signature delimiter, an "Original Message" separator or a phone footer."""
    line = lines[index]
    stripped = line.strip()
    if line == "-- " or _ORIGINAL.match(stripped) or _MOBILE_FOOTER.match(stripped):
        return True
    return stripped == "--" and _signature_sized(lines, index + 1)


def _quoted(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _is_attribution(line: str) -> bool:
    return len(line) < 300 and _ATTRIBUTION_END.search(line) is not None


def _attribution_span(lines: list[str], end: int) -> int | None:
    """Where an attribution ending on line `end` starts, or None if that line ends none.

    Clients wrap long attributions: "On …, Jan <jan@example.nl>" / "wrote:", or
    "Op … schreef Jan <" / "jan@example.nl>:", so the line before may be its first half.
    """
    line = lines[end].strip()
    previous = lines[end - 1].strip() if end > 0 else ""
    first_half = bool(previous and not _quoted(previous) and _ATTRIBUTION_START.match(previous))
    if _is_attribution(line):
        return end - 1 if first_half and not _ATTRIBUTION_START.match(line) else end
    if first_half and _is_attribution(f"{previous} {line}"):
        return end - 1
    return None


def _only_history_after(lines: list[str], start: int) -> bool:
    """Quotes follow (after blank lines) and no unquoted answer comes after them."""
    seen_quote = False
    for index in range(start, len(lines)):  # no slices: bodies can have many thousand lines
        if not lines[index].strip():
            continue
        if not _quoted(lines[index]):
            return False
        seen_quote = True
    return seen_quote


def _header_block(lines: list[str], index: int) -> bool:
    """At least three header lines from here, among them a sender and a date or subject.

    Outlook, Exchange and web mail put such a block above the quoted mail, in every
    language of the sender's client; one continuation line (a long "To:") may sit between.
    """
    if not _HEADER.match(lines[index].strip()):
        return False
    keys: list[str] = []
    gap = 0
    for line in lines[index : index + 12]:
        match = _HEADER.match(line.strip())
        if match:
            keys.append(match["key"].lower())
            gap = 0
        elif not line.strip() or gap:
            break
        else:
            gap += 1
    if len(keys) < 3:
        return False
    has_from = any(re.fullmatch(_FROM_KEY, key) for key in keys)
    has_date = any(re.fullmatch(_DATE_OR_SUBJECT, key) for key in keys)
    return has_from and has_date


def _after_separator(lines: list[str], index: int) -> int:
    """Cut at the "____" or "-----Original Message-----" line above a header block, if any."""
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0 and _SEPARATOR.match(lines[previous].strip()):
        return previous
    return index


def _signature_sized(lines: list[str], start: int) -> bool:
    count = 0
    for index in range(start, len(lines)):
        if lines[index].strip() and not _quoted(lines[index]):
            count += 1
            if count > _SHORT_SIGNATURE_LINES:
                return False
    return count > 0
