"""SMTP intake on BALIE_SMTP_PORT: what SES receiving does for a deployed stack.

Every message accepted goes the real path: raw MIME into the bucket, an SES-shaped
notification onto the inbound queue, and from there the queue poller feeds it to
handle_inbound_email. Recipients no tenant claims are refused at RCPT, as SES would.
"""

import logging
from typing import Any

from local.mail_intake import deliver

logger = logging.getLogger("balie.local.smtp")


class Intake:
    def __init__(self, bucket: str, queue_url: str) -> None:
        self.bucket = bucket
        self.queue_url = queue_url

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        from chalicelib.domain.threads import split_plus
        from chalicelib.wiring import tenants

        if tenants().tenant_for_address(split_plus(address)[0]) is None:
            return "550 5.1.1 No helpdesk receives mail at this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        ses_id = deliver(raw, list(envelope.rcpt_tos), bucket=self.bucket,
                         queue_url=self.queue_url)  # fmt: skip
        logger.info("mail accepted as %s for %s", ses_id, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start(port: int, bucket: str, queue_url: str) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(Intake(bucket, queue_url), hostname="127.0.0.1", port=port,
                            data_size_limit=40_000_000)  # fmt: skip
    controller.start()
    return controller
