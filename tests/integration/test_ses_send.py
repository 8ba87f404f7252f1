"""Raw mail out through SES (moto): accepted when the sender is verified, failures sorted."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.adapters import aws
from chalicelib.adapters.mail import ses
from chalicelib.adapters.mail.compose import Outgoing, compose, new_message_id
from chalicelib.adapters.mail.ses import PermanentSendFailure, TemporarySendFailure, send_raw
from chalicelib.settings import get_settings

REGION = "eu-west-1"
DOMAIN = "demo.example.com"
SOURCE = f"Demo Helpdesk <support@{DOMAIN}>"
SECRET_BODY = "Het wachtwoord van de printer is hunter2"


@pytest.fixture
def mocked_ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """SES alone under moto: the full stack of the other integration tests is not needed."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    aws.reset_clients()
    with mock_aws():
        yield aws.client("ses")
    aws.reset_clients()
    get_settings.cache_clear()


def raw_mail(to: str = "jan@example.com") -> tuple[bytes, str]:
    message_id = new_message_id(DOMAIN)
    mail = Outgoing(
        from_address=f"support@{DOMAIN}",
        from_name="Demo Helpdesk",
        to=(to,),
        reply_to=f"support+1042-abcd@{DOMAIN}",
        subject="[#1042] Wij hebben uw melding ontvangen",
        text=f"Beste Jan,\n\n{SECRET_BODY}\n",
        html=f"<p>Beste Jan,</p><p>{SECRET_BODY}</p>\n",
        message_id=message_id,
        date=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )
    return compose(mail), message_id


def sent_messages() -> list[Any]:
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


# --- moto ---------------------------------------------------------------------------------


def test_given_a_verified_domain_when_sending_then_ses_takes_the_raw_message(mocked_ses):
    mocked_ses.verify_domain_identity(Domain=DOMAIN)
    raw, message_id = raw_mail()

    ses_id = send_raw(raw, source=SOURCE, destinations=("jan@example.com",))

    assert ses_id
    (sent,) = sent_messages()
    assert sent.id == ses_id
    assert sent.source == SOURCE
    assert "jan@example.com" in sent.destinations
    assert f"Message-ID: {message_id}" in sent.raw_data
    assert "Auto-Submitted: auto-replied" in sent.raw_data


def test_given_an_unverified_source_when_sending_then_permanent_failure(mocked_ses):
    raw, _ = raw_mail()

    with pytest.raises(PermanentSendFailure) as failure:
        send_raw(raw, source=SOURCE, destinations=["jan@example.com"])

    assert "MessageRejected" in str(failure.value)
    assert SECRET_BODY not in str(failure.value)
    assert sent_messages() == []


def test_given_an_invalid_destination_when_sending_then_permanent_failure(mocked_ses):
    mocked_ses.verify_domain_identity(Domain=DOMAIN)
    raw, _ = raw_mail()

    with pytest.raises(PermanentSendFailure, match="InvalidParameterValue"):
        send_raw(raw, source=SOURCE, destinations=["not-an-address"])


# --- stubbed answers SES gives but moto does not ------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("Throttling", TemporarySendFailure),
        ("ThrottlingException", TemporarySendFailure),
        ("ServiceUnavailable", TemporarySendFailure),
        ("InternalFailure", TemporarySendFailure),
        ("RequestTimeout", TemporarySendFailure),
        ("AccountSendingPausedException", TemporarySendFailure),
        ("ConfigurationSetSendingPausedException", TemporarySendFailure),
        ("MessageRejected", PermanentSendFailure),
        ("MailFromDomainNotVerifiedException", PermanentSendFailure),
        ("ConfigurationSetDoesNotExist", PermanentSendFailure),
        ("InvalidParameterValue", PermanentSendFailure),
    ],
)
def test_given_an_ses_error_code_when_sending_then_it_maps_to_retry_or_give_up(
    mocked_ses, code, expected
):
    raw, _ = raw_mail()
    with Stubber(mocked_ses) as stub:
        stub.add_client_error(
            "send_raw_email",
            service_error_code=code,
            service_message="Maximum sending rate exceeded.",
            http_status_code=400,
        )

        with pytest.raises(expected) as failure:
            send_raw(raw, source=SOURCE, destinations=["jan@example.com"])

    assert str(failure.value) == f"SES {code}: Maximum sending rate exceeded."
    assert isinstance(failure.value.__cause__, ClientError)


def test_given_an_error_code_nobody_expected_then_the_client_error_propagates(mocked_ses):
    raw, _ = raw_mail()
    with Stubber(mocked_ses) as stub:
        stub.add_client_error("send_raw_email", service_error_code="SomethingNew")

        with pytest.raises(ClientError):
            send_raw(raw, source=SOURCE, destinations=["jan@example.com"])


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://email.eu-west-1.amazonaws.com/"),
        ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com/"),
    ],
)
def test_given_ses_unreachable_when_sending_then_temporary_failure(mocked_ses, monkeypatch, error):
    def unreachable(**_: Any) -> None:
        raise error

    monkeypatch.setattr(mocked_ses, "send_raw_email", unreachable)
    raw, _ = raw_mail()

    with pytest.raises(TemporarySendFailure, match=type(error).__name__):
        send_raw(raw, source=SOURCE, destinations=["jan@example.com"])


def test_given_a_configuration_set_then_it_is_named_in_the_call(mocked_ses):
    raw, _ = raw_mail()
    with Stubber(mocked_ses) as stub:
        stub.add_response(
            "send_raw_email",
            {"MessageId": "ses-1"},
            expected_params={
                "Source": SOURCE,
                "Destinations": ["jan@example.com", "piet@example.com"],
                "RawMessage": {"Data": raw},
                "ConfigurationSetName": "balie-events",
            },
        )
        stub.add_response(
            "send_raw_email",
            {"MessageId": "ses-2"},
            expected_params={
                "Source": SOURCE,
                "Destinations": ["jan@example.com"],
                "RawMessage": {"Data": raw},
            },
        )

        first = send_raw(
            raw,
            source=SOURCE,
            destinations=("jan@example.com", "piet@example.com"),
            configuration_set="balie-events",
        )
        second = send_raw(raw, source=SOURCE, destinations=["jan@example.com"])

        stub.assert_no_pending_responses()
    assert (first, second) == ("ses-1", "ses-2")


def test_given_the_code_lists_then_no_code_is_both_permanent_and_temporary():
    assert not ses.PERMANENT_CODES & ses.TEMPORARY_CODES
