"""Who wrote this mail: a person we may answer, or a machine we must never answer.

Answering a machine starts a mail loop (our acknowledgement to an out-of-office, which
answers again) or mails a bounce generator, so every doubt falls on the machine side:
a false "auto reply" only skips an acknowledgement, while the message itself is still
stored and shown to agents. The checks run in a fixed order, first match wins: our own
mail, bounces, auto-replies, bulk mail, and only then a person.
"""

import contextlib
import logging
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum

from chalicelib.adapters.mail.parse import ParsedMail

_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_DAEMON_NAME = re.compile(r"^<?(?:mailer-daemon|postmaster)\b", re.IGNORECASE)
_NDR_SUBJECT = re.compile(
    r"^(?:undeliverable|undelivered mail|onbestelbaar|non remis|unzustellbar|nicht zustellbar|"
    r"mail delivery failed|delivery status notification|delivery failure|returned mail|"
    r"failure notice|mail system error|delivery has failed|message not delivered|"
    r"warning: could not send|delayed mail)",
    re.IGNORECASE,
)
_OOF_SUBJECT = re.compile(
    r"^(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto:|"
    r"automatisch antwoord|automatische antwoord|afwezig|abwesenheitsnotiz|"
    r"automatische antwort|r[ée]ponse automatique)",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
# RFC 3834 keywords; anything else a sender writes is reported as "other" (reasons end up
# in logs and metrics, so their values must stay few).
_AUTO_SUBMITTED = frozenset({"auto-generated", "auto-replied", "auto-notified"})
# Header → reason for vendor auto-responder flags that carry no useful value.
_AUTO_FLAGS = {"x-autoreply": "x-autoreply", "x-autorespond": "x-autorespond"}


class Kind(StrEnum):
    """Who sent a mail; only HUMAN may get an automatic answer."""

    HUMAN = "human"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    BULK = "bulk"
    LOOP = "loop"


@dataclass(frozen=True)
class Verdict:
    """A kind and the rule that decided it (a short, loggable `reason`); for a bounce, the
    permanently failed recipients and whether the failures were only temporary."""

    kind: Kind
    reason: str
    failed_recipients: tuple[str, ...] = ()
    temporary: bool = False

    @property
    def may_answer(self) -> bool:
        """Only a person gets an automatic answer."""
        return self.kind is Kind.HUMAN


def classify(mail: ParsedMail, *, own_addresses: Collection[str], loop_marker: str) -> Verdict:
    """The kind of sender, with the first rule that decided it."""
    return (
        _loop(mail, own_addresses, loop_marker)
        or _bounce(mail)
        or _auto_reply(mail)
        or _bulk(mail)
        or Verdict(Kind.HUMAN, "human")
    )


def _loop(mail: ParsedMail, own_addresses: Collection[str], marker: str) -> Verdict | None:
    marker = marker.strip().lower()
    if marker and any(marker in value.lower() for value in mail.headers("x-loop")):
        return Verdict(Kind.LOOP, "x-loop")
    own = {_canonical(address) for address in own_addresses}
    if mail.from_address and _canonical(mail.from_address) in own:
        return Verdict(Kind.LOOP, "own-address")
    return None


def _canonical(address: str) -> str:
    """support+1042-token@x and Support@X are the same mailbox."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return domain
    return f"{local.split('+', 1)[0]}@{domain}"


def _bounce(mail: ParsedMail) -> Verdict | None:
    report = _report_type(mail)
    if report == "delivery-status" or "message/delivery-status" in _part_types(mail):
        return _bounce_verdict(mail, "dsn")
    if mail.header("x-failed-recipients"):
        return _bounce_verdict(mail, "x-failed-recipients")
    if _from_daemon(mail):
        # A daemon's mail is never answered, whether or not we can read its failures.
        return _bounce_verdict(mail, "mailer-daemon")
    if _NDR_SUBJECT.match(mail.subject):
        verdict = _bounce_verdict(mail, "ndr-subject")
        # A person may write "Undeliverable" too: the subject alone needs failures to back it.
        if verdict.failed_recipients or verdict.temporary:
            return verdict
    return None


def _from_daemon(mail: ParsedMail) -> bool:
    if mail.from_address:
        return mail.from_address.partition("@")[0] in _DAEMONS
    # "From: MAILER-DAEMON (Mail Delivery System)": a local sender without a domain.
    return _DAEMON_NAME.match((mail.header("from") or "").strip()) is not None


def _bounce_verdict(mail: ParsedMail, reason: str) -> Verdict:
    temporary, permanent = _failures(mail.message)
    return Verdict(
        Kind.BOUNCE,
        reason,
        failed_recipients=permanent,
        temporary=bool(temporary) and not permanent,
    )


def _failures(message: Message | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(temporary, permanent) failed addresses as flufl.bounce reads them, lower-case, sorted."""
    if message is None:
        return (), ()
    from flufl.bounce import all_failures  # deferred: only bounces pay for its 17 detectors

    # Its detectors were written for compat32 messages and can raise on odd input, logging
    # the traceback (with a piece of the mail in the exception text) first: we keep mail
    # content out of logs, and a bounce we cannot read is still a bounce.
    logging.getLogger("flufl.bounce").disabled = True
    try:
        temporary, permanent = all_failures(message)
    except Exception:
        return (), ()
    return _addresses(temporary), _addresses(permanent)


def _addresses(found: Collection[bytes]) -> tuple[str, ...]:
    decoded = (raw.decode("utf-8", "replace").strip().strip("<>").lower() for raw in found)
    return tuple(sorted({address for address in decoded if "@" in address}))


def _auto_reply(mail: ParsedMail) -> Verdict | None:
    if _report_type(mail) == "disposition-notification" or (
        "message/disposition-notification" in _part_types(mail)
    ):
        return Verdict(Kind.AUTO_REPLY, "mdn")
    auto_submitted = _token(mail.auto_submitted)
    if auto_submitted and auto_submitted != "no":
        keyword = auto_submitted if auto_submitted in _AUTO_SUBMITTED else "other"
        return Verdict(Kind.AUTO_REPLY, f"auto-submitted:{keyword}")
    for header, reason in _AUTO_FLAGS.items():
        if mail.header(header) is not None:
            return Verdict(Kind.AUTO_REPLY, reason)
    if mail.header("x-auto-response-suppress"):
        # Exchange marks the mail it generates (OOF, receipts, rule replies) with it; people's
        # mail carries it rarely, and wrongly skipping an acknowledgement is the cheap error.
        return Verdict(Kind.AUTO_REPLY, "x-auto-response-suppress")
    precedence = _token(mail.header("precedence") or mail.header("x-precedence"))
    if precedence == "auto_reply":
        return Verdict(Kind.AUTO_REPLY, "precedence:auto_reply")
    if _token(mail.header("x-autogenerated")) == "reply":
        return Verdict(Kind.AUTO_REPLY, "x-autogenerated:reply")
    if _OOF_SUBJECT.match(mail.subject):
        return Verdict(Kind.AUTO_REPLY, "subject")
    return None


def _bulk(mail: ParsedMail) -> Verdict | None:
    precedence = _token(mail.header("precedence") or mail.header("x-precedence"))
    if precedence in _BULK_PRECEDENCE:
        return Verdict(Kind.BULK, f"precedence:{precedence}")
    if mail.header("list-id") is not None:
        return Verdict(Kind.BULK, "list-id")
    if mail.header("list-unsubscribe") is not None:
        return Verdict(Kind.BULK, "list-unsubscribe")
    return None


def _token(value: str | None) -> str:
    """The keyword of a header value: "auto-replied (zimbra; vacation)" → "auto-replied"."""
    return re.split(r"[\s;(]", (value or "").strip().lower(), maxsplit=1)[0]


def _report_type(mail: ParsedMail) -> str:
    if mail.message is None:
        return ""
    with contextlib.suppress(Exception):
        if mail.message.get_content_type() == "multipart/report":
            return str(mail.message.get_param("report-type") or "").strip().lower()
    return ""


def _part_types(mail: ParsedMail) -> set[str]:
    """Content types of the mail's own parts, not those inside an attached (forwarded) mail."""
    return set(_walk(mail.message, depth=0))


def _walk(part: Message | None, *, depth: int) -> Iterator[str]:
    if part is None or depth > 40:
        return
    try:
        content_type = part.get_content_type()
        children = part.get_payload() if content_type.startswith("multipart/") else None
    except Exception:
        return
    yield content_type
    if isinstance(children, list):
        for child in children:
            if isinstance(child, Message):
                yield from _walk(child, depth=depth + 1)
