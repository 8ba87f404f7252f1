"""Health and the contract."""

from functools import cache
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.errors import handled
from chalicelib.api.http import json_response
from chalicelib.api.openapi import Operation
from chalicelib.api.schemas.common import Health

meta_bp = Blueprint(__name__)


@meta_bp.route("/v1/health", methods=["GET"])
@handled
def health() -> Response:
    return json_response({"status": "ok"})


@meta_bp.route("/v1/openapi.json", methods=["GET"])
@handled
def openapi_document() -> Response:
    return json_response(document())


@cache
def document() -> dict[str, Any]:
    # Imported here: the route modules import this one, and building the document is only
    # needed by the few callers of /v1/openapi.json.
    from chalicelib.api.openapi import build
    from chalicelib.api.routes import all_operations

    return build(all_operations())


OPERATIONS = [
    Operation("GET", "/v1/health", "Readiness", {200: Health}, auth=False, tag="meta"),
    Operation("GET", "/v1/openapi.json", "This document", {200: None}, auth=False, tag="meta"),
]
