"""The OpenAPI 3.1 document, generated from the pydantic models the handlers validate with.

Each blueprint module declares its operations next to its routes; a test checks that the
declared operations and the registered routes are the same set.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.schemas.common import Problem


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    responses: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    auth: bool = True
    errors: tuple[int, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # request header name → description
    tag: str = "tickets"


# Every authenticated route can answer these.
_AUTH_ERRORS = (401, 429)
_ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "Role does not allow this",
    404: "Unknown, or not yours",
    409: "Conflicts with the current state",
    412: "Version mismatch (stale If-Match)",
    413: "Body too large",
    415: "Unsupported content type",
    422: "Validation failed",
    428: "If-Match required",
    429: "Throttled",
}


def build(operations: list[Operation]) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for op in operations:
        models.update(m for m in op.responses.values() if m is not None)
        if op.body:
            models.add(op.body)
    _, defs = models_json_schema(
        [(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Balie API",
            "version": "1.0.0",
            "description": "Helpdesk tickets, messages and their audit trail. "
            "Errors are RFC 9457 problem documents.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Cognito ID token (POST /v1/auth/login) or API key bk_…",
                }
            },
        },
    }


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(op: Operation) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(name)}
        for name in _path_names(op.path)
    ]
    if op.query:
        schema = op.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            prop = {k: v for k, v in prop.items() if k != "title"}
            parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
    for name, description in op.headers.items():
        required = name == "If-Match"
        parameters.append(
            {
                "name": name,
                "in": "header",
                "required": required,
                "description": description,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        entry: dict[str, Any] = {"description": "OK" if status < 300 else "Redirect"}
        if model is not None:
            entry["content"] = {"application/json": {"schema": _ref(model)}}
        responses[str(status)] = entry
    codes = set(op.errors) | (set(_AUTH_ERRORS) if op.auth else set())
    for status in sorted(codes):
        responses[str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": {"application/problem+json": {"schema": _ref(Problem)}},
        }
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method.lower()}_{_slug(op.path)}",
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
        "security": [{"bearer": []}] if op.auth else [],
    }
    if op.body:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    return result


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _path_schema(name: str) -> dict[str, Any]:
    if name == "number":
        return {"type": "integer", "minimum": 1}
    return {"type": "string", "minLength": 1, "maxLength": 128}


def _slug(path: str) -> str:
    return "_".join(p.strip("{}") for p in path.split("/") if p and p != "v1") or "root"
