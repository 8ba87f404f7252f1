"""Request parsing and response building shared by every blueprint."""

import json
from typing import Any, TypeVar

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.errors import invalid_from_pydantic
from chalicelib.domain.errors import (
    BadRequest,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    UnsupportedMediaType,
)
from chalicelib.settings import get_settings

M = TypeVar("M", bound=BaseModel)

JSON_TYPES = ("application/json", "application/merge-patch+json")


def parse_body(request: Request, model: type[M]) -> M:
    """Validate a JSON body against `model`; every way it can be wrong is a clear 4xx."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES:
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.raw_body or b""
    if len(raw) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"The body may be at most {get_settings().max_body_bytes} bytes.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return validate(model, data)


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc) from exc


def query(request: Request) -> dict[str, str]:
    return dict(request.query_params or {})


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, BaseModel):
        text = body.model_dump_json(exclude_none=False)
    else:
        text = json.dumps(body, default=str)
    return Response(
        body=text,
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request: Request) -> int:
    """The version the client last saw, from If-Match; required on every PATCH/PUT."""
    header = request.headers.get("if-match")
    if not header:
        raise PreconditionRequired("Send If-Match with the ETag of the version you changed.")
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed("If-Match does not name a version of this resource.")
    return int(value)


def location(request: Request, path: str) -> str:
    """`path` as the client reaches it: behind API Gateway with the stage prefix (`/api`).

    The route template (`/v1/tickets/{number}`) and the path the client called
    (`/api/v1/tickets/1042`) have the same segments but for that prefix.
    """
    called = str((request.context or {}).get("path") or request.path).strip("/").split("/")
    template = request.path.strip("/").split("/")
    prefix = called[: max(len(called) - len(template), 0)]
    return "/" + "/".join([*prefix, path.strip("/")])
