"""Raw mail out through SES, with its failures sorted into "give up" and "try again later".

The notification worker acts on the two exceptions: a permanent failure is recorded and
not retried (the same call would fail the same way); a temporary one goes back to the
queue, whose retries and dead-letter queue keep the mail until SES takes it.

Decided: a paused account or configuration set (AccountSendingPausedException,
ConfigurationSetSendingPausedException) is *temporary*. The mail itself is fine and
sending resumes once someone acts on the pause; failing permanently would drop every
notification of the meantime, while the queue keeps them for a redrive.

Exception texts carry SES's error code and message (which name addresses and identities,
never the mail's content); the raw message is never logged or attached.
"""

from collections.abc import Sequence

from chalicelib.adapters.aws import client


class PermanentSendFailure(Exception):
    """SES refused this mail for a reason a retry will not change."""


class TemporarySendFailure(Exception):
    """SES could not take this mail now; the same call may succeed later."""


PERMANENT_CODES = frozenset(
    {
        "MessageRejected",  # unverified sender or recipient (sandbox), virus, bad content
        "MailFromDomainNotVerified",
        "MailFromDomainNotVerifiedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetDoesNotExistException",
        "InvalidParameterValue",  # a malformed message or address
    }
)
TEMPORARY_CODES = frozenset(
    {
        "Throttling",  # sending rate, and the daily quota, which refills within 24 hours
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
        "AccountSendingPausedException",
        "ConfigurationSetSendingPausedException",
    }
)


def send_raw(
    raw: bytes,
    *,
    source: str,
    destinations: Sequence[str],
    configuration_set: str | None = None,
) -> str:
    """Hand one composed message to SES; returns SES's MessageId for the delivery events."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    request: dict[str, object] = {
        "Source": source,
        "Destinations": list(destinations),
        "RawMessage": {"Data": raw},
    }
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    try:
        response = client("ses").send_raw_email(**request)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        text = f"SES {code}: {error.get('Message', '')}"
        if code in PERMANENT_CODES:
            raise PermanentSendFailure(text) from exc
        if code in TEMPORARY_CODES:
            raise TemporarySendFailure(text) from exc
        raise
    except (ConnectionError, HTTPClientError) as exc:
        # Endpoint unreachable, connect or read timeouts, connections closed mid-call:
        # botocore has already retried these, so the queue's slower retries take over.
        raise TemporarySendFailure(f"SES unreachable: {type(exc).__name__}") from exc
    return str(response["MessageId"])
