"""SQS `inbound` → one mail at a time into the intake (services.inbound_mail).

Each SQS record is an SNS notification from SES: either a received mail (its raw MIME is in
the files bucket) or, from the configuration set, a bounce or complaint about mail Balie
sent. A record that fails is reported back (partial batch response) and retried by SQS, then
kept in the dead-letter queue; `make replay-dlq` moves it back.
"""

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from chalicelib.adapters.aws import client
from chalicelib.observability import count, logger
from chalicelib.services.inbound_mail import Delivery
from chalicelib.settings import get_settings
from chalicelib.wiring import inbound_mail, inbound_watch, mail_feedback

processor = BatchProcessor(event_type=EventType.SQS)

# A redelivered mail inside this window is answered from the record; after it, the mail's
# Message-ID on its ticket still makes a redelivery change nothing.
_config = IdempotencyConfig(event_key_jmespath="ses_id", expires_after_seconds=24 * 3600)


@cache
def idempotency_store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=get_settings().table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#inbound-mail",
        expiry_attr="expires_at",
        boto3_client=client("dynamodb"),
    )


def handle_inbound_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if context is not None:
        _config.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )


def handle_record(record: SQSRecord) -> None:
    notice = ses_notice(record.body)
    kind = notice.get("notificationType") or notice.get("eventType")
    if kind == "Received":
        receive(delivery=delivery_of(notice))
    elif kind in ("Bounce", "Complaint"):
        mail_feedback().record(notice)
    else:
        logger.warning("inbound: not a mail notification", extra={"kind": kind})


def receive(delivery: dict[str, Any]) -> dict[str, Any]:
    once = idempotent_function(
        _receive,
        data_keyword_argument="delivery",
        persistence_store=idempotency_store(),
        config=_config,
    )
    return once(delivery=delivery)


def _receive(delivery: dict[str, Any]) -> dict[str, Any]:
    values = {**delivery, "recipients": tuple(delivery["recipients"])}
    outcome = inbound_mail().receive(Delivery(**values))
    logger.info(
        "inbound mail",
        extra={
            "ses_id": delivery["ses_id"],
            "result": outcome.result,
            "tenant": outcome.tenant,
            "ticket": outcome.ticket,
        },
    )
    if outcome.tenant:
        count("MailsIn", outcome.tenant)
        # Inside the idempotent call: a redelivered mail is not noted twice.
        inbound_watch().noted(outcome.tenant, datetime.now(UTC))
    return {"result": outcome.result, "tenant": outcome.tenant, "ticket": outcome.ticket}


def ses_notice(body: str) -> dict[str, Any]:
    """The SES notification, whether SNS wrapped it or raw message delivery is on."""
    message = json.loads(body)
    if message.get("Type") == "Notification" and "Message" in message:
        return json.loads(message["Message"])
    return message


def delivery_of(notice: dict[str, Any]) -> dict[str, Any]:
    receipt = notice["receipt"]
    action = receipt["action"]
    verdicts = {
        name: receipt[f"{name}Verdict"]["status"]
        for name in ("spam", "virus", "spf", "dkim", "dmarc")
        if isinstance(receipt.get(f"{name}Verdict"), dict)
    }
    return {
        "ses_id": notice["mail"]["messageId"],
        "raw_key": action["objectKey"],
        "recipients": list(receipt.get("recipients") or notice["mail"].get("destination", [])),
        "verdicts": verdicts,
    }
