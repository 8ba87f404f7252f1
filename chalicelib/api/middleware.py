"""HTTP middleware: a request id on every response and in every log line."""

from collections.abc import Callable

from chalice.app import Chalice, Request, Response
from ulid import ULID

from chalicelib.observability import logger


def register(app: Chalice) -> None:
    app.register_middleware(handle_request, "http")


def handle_request(request: Request, get_response: Callable[[Request], Response]) -> Response:
    request_id = (request.context or {}).get("requestId") or str(ULID())
    authorizer = (request.context or {}).get("authorizer") or {}
    logger.append_keys(request_id=request_id, tenant=authorizer.get("tenant"))
    try:
        response = get_response(request)
    finally:
        logger.remove_keys(["request_id", "tenant"])
    response.headers["X-Request-Id"] = request_id
    return response
