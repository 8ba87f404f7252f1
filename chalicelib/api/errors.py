"""The single map from errors to RFC 9457 problem responses."""

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice.app import Response
from pydantic import ValidationError

from chalicelib.domain import errors
from chalicelib.domain.errors import BalieError
from chalicelib.observability import logger

PROBLEM_TYPE = "application/problem+json"

_STATUS: dict[type[errors.BalieError], int] = {
    errors.BadRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.Invalid: 422,
    errors.PreconditionRequired: 428,
}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    field_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field_errors:
        body["errors"] = field_errors
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={"Content-Type": PROBLEM_TYPE, **(headers or {})},
    )


def from_domain(error: errors.BalieError) -> Response:
    status = next(code for cls, code in _STATUS.items() if isinstance(error, cls))
    extra = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, error.title, error.detail, field_errors=error.errors, headers=extra)


def from_validation(error: ValidationError) -> Response:
    return from_domain(invalid_from_pydantic(error))


def invalid_from_pydantic(error: ValidationError) -> errors.Invalid:
    """Field errors in the problem's `errors` list; input values are never echoed back."""
    items = [
        {
            "field": ".".join(str(part) for part in e["loc"]) or "body",
            "message": _message(e),
        }
        for e in error.errors(include_url=False, include_input=False)
    ]
    return errors.Invalid("The request has invalid fields.", errors=items)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "Unknown field."
    return str(error["msg"])


def internal_error() -> Response:
    return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")


def handled(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a view so that every error leaves it as a problem document.

    Chalice turns exceptions raised in a view into its own `{"Code", "Message"}` bodies before
    any middleware sees them, so the mapping has to sit on the view itself.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except BalieError as error:
            return from_domain(error)
        except Exception:
            # Never a stack trace in a body; the log has it, under the request id.
            logger.exception("unhandled error")
            return internal_error()

    return wrapper
