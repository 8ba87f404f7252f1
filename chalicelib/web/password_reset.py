"""Cognito's forgot-password flow, for the pages' own forms: ask for a code, then set a
new password with it.

Asking never tells whether an address has an account (the user pool client prevents user
existence errors too): every refusal that is about the address reads as "if there is an
account, a code is on its way". Neither addresses nor codes are logged.
"""

from enum import StrEnum
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import username
from chalicelib.observability import logger
from chalicelib.settings import get_settings

# Refusals about the address itself: answered like a success.
_SILENT = {"UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"}


class Refusal(StrEnum):
    CODE = "code"  # wrong or expired code
    PASSWORD = "password"  # noqa: S105 - a refusal's name: the policy was not met
    LIMIT = "limit"  # too many attempts for now


class ResetRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


_CONFIRM_REFUSALS = {
    "CodeMismatchException": Refusal.CODE,
    "ExpiredCodeException": Refusal.CODE,
    # Also an unknown address: one answer for both, so nothing is told about accounts.
    "UserNotFoundException": Refusal.CODE,
    "NotAuthorizedException": Refusal.CODE,
    # moto's answer for an unknown address (Cognito's is CodeMismatchException). A wrong
    # client id cannot hide behind it: asking for the code fails on that first.
    "ResourceNotFoundException": Refusal.CODE,
    "InvalidPasswordException": Refusal.PASSWORD,
    "InvalidParameterException": Refusal.PASSWORD,
    "LimitExceededException": Refusal.LIMIT,
    "TooManyFailedAttemptsException": Refusal.LIMIT,
    "TooManyRequestsException": Refusal.LIMIT,
}


def _code(error: Exception) -> str:
    response: dict[str, Any] = getattr(error, "response", {})
    return str(response.get("Error", {}).get("Code", ""))


def request_code(email: str) -> None:
    """Have Cognito mail a reset code to `email`, if it has an account."""
    cognito = client("cognito-idp")
    try:
        cognito.forgot_password(
            ClientId=get_settings().user_pool_client_id, Username=username(email)
        )
    except cognito.exceptions.ClientError as exc:
        code = _code(exc)
        if code in ("LimitExceededException", "TooManyRequestsException"):
            raise ResetRefused(Refusal.LIMIT) from None
        if code not in _SILENT:
            raise
        logger.info("Password reset not sent", extra={"reason": code})


def confirm(email: str, code: str, new_password: str) -> None:
    """Set a new password with the mailed code; ResetRefused says why it was not."""
    cognito = client("cognito-idp")
    try:
        cognito.confirm_forgot_password(
            ClientId=get_settings().user_pool_client_id,
            Username=username(email),
            ConfirmationCode=code,
            Password=new_password,
        )
    except cognito.exceptions.ClientError as exc:
        reason = _CONFIRM_REFUSALS.get(_code(exc))
        if reason is None:
            raise
        logger.info("Password reset refused", extra={"reason": _code(exc)})
        raise ResetRefused(reason) from None
