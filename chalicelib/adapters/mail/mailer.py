"""Send one notification: render the template, compose the MIME, hand it to SES.

Locally (settings.outbox_dir) every mail is also written as an .eml file, so that a person
trying Balie out can open what it sent.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.adapters.mail import ses
from chalicelib.adapters.mail.compose import Outgoing, compose, new_message_id
from chalicelib.adapters.mail.render import render
from chalicelib.domain.threads import LOOP_MARKER, tag_subject
from chalicelib.settings import get_settings

PermanentSendFailure = ses.PermanentSendFailure
TemporarySendFailure = ses.TemporarySendFailure


@dataclass(frozen=True)
class Envelope:
    from_address: str
    from_name: str
    to: str
    reply_to: str
    number: int | None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # "auto-replied" / "auto-generated" for mail Balie writes itself; None for an agent's words.
    automatic: str | None = "auto-replied"
    bulk: bool = False  # an announcement to many: Precedence: bulk
    # Mail the recipient did not ask for (announcements, watcher copies): its unsubscribe URL.
    unsubscribe_url: str | None = None


class SesMailer:
    def send(self, template: str, locale: str, context: dict[str, Any], envelope: Envelope) -> str:
        """Returns the Message-ID the mail went out with."""
        rendered = render(template, locale, context)
        subject = rendered.subject
        if envelope.number is not None:
            subject = tag_subject(envelope.number, subject)
        message_id = new_message_id(envelope.from_address.rsplit("@", 1)[-1])
        raw = compose(
            Outgoing(
                from_address=envelope.from_address,
                from_name=envelope.from_name,
                to=(envelope.to,),
                reply_to=envelope.reply_to,
                subject=subject,
                text=rendered.text,
                html=rendered.html,
                message_id=message_id,
                date=datetime.now(UTC),
                in_reply_to=envelope.in_reply_to,
                references=envelope.references,
                auto_submitted=envelope.automatic,
                bulk=envelope.bulk,
                list_unsubscribe=envelope.unsubscribe_url,
                loop_marker=LOOP_MARKER,
            )
        )
        settings = get_settings()
        ses.send_raw(
            raw,
            source=envelope.from_address,
            destinations=[envelope.to],
            configuration_set=settings.ses_configuration_set,
        )
        if settings.outbox_dir:
            _keep(Path(settings.outbox_dir), message_id, raw)
        return message_id


def _keep(folder: Path, message_id: str, raw: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = message_id.strip("<>").split("@")[0]
    (folder / f"{name}.eml").write_bytes(raw)
