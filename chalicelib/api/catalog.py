"""The service catalog: requesters read it, admins define it (`/v1/services`).

(Named catalog because `chalicelib.services` is the package of use cases.)
"""

from dataclasses import asdict

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import (
    etag,
    if_match_version,
    json_response,
    location,
    parse_body,
    query,
    validate,
)
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.catalog import (
    ServiceCreate,
    ServiceFields,
    ServiceList,
    ServiceOut,
    ServiceQuery,
)
from chalicelib.domain.catalog import CatalogItem
from chalicelib.domain.errors import NotFound
from chalicelib.wiring import catalog

catalog_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-/")


def _service_id(raw: str) -> str:
    if not raw or len(raw) > 64 or not set(raw) <= _ID_CHARS:
        raise NotFound("This service does not exist.")
    return raw


def render(item: CatalogItem) -> ServiceOut:
    return ServiceOut(
        id=item.id,
        version=item.version,
        name=item.name,
        description=item.description,
        category=item.category,
        fields=[
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind.value,
                "required": f.required,
                "options": list(f.options),
                "min": f.min,
                "max": f.max,
            }
            for f in item.fields
        ],
        default_group=item.default_group,
        default_priority=item.default_priority,
        sla_targets=list(item.sla_targets),
        approval=asdict(item.approval) if item.approval else None,
        active=item.active,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _answer(item: CatalogItem, status: int = 200, headers: dict[str, str] | None = None):
    return json_response(
        render(item), status=status, headers={"ETag": etag(item.version), **(headers or {})}
    )


@catalog_bp.route("/v1/services", methods=["GET"], authorizer=bearer)
@handled
def list_services() -> Response:
    request = catalog_bp.current_request
    principal = current_principal(request)
    params = validate(ServiceQuery, query(request))
    items = catalog().list(principal, params.include_retired)
    return json_response(ServiceList(items=[render(i) for i in items], next_cursor=None))


@catalog_bp.route("/v1/services", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_service() -> Response:
    request = catalog_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, ServiceCreate)
    draft = body.model_dump(mode="json", exclude={"id"})
    item = catalog().create(principal, body.id, draft)
    return _answer(item, 201, {"Location": location(request, f"/v1/services/{item.id}")})


@catalog_bp.route("/v1/services/{service_id}", methods=["GET"], authorizer=bearer)
@handled
def get_service(service_id: str) -> Response:
    principal = current_principal(catalog_bp.current_request)
    return _answer(catalog().get(principal, _service_id(service_id)))


@catalog_bp.route(
    "/v1/services/{service_id}", methods=["PUT"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def put_service(service_id: str) -> Response:
    request = catalog_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, ServiceFields)
    expected = if_match_version(request)
    item = catalog().replace(
        principal, _service_id(service_id), body.model_dump(mode="json"), expected
    )
    return _answer(item)


@catalog_bp.route("/v1/services/{service_id}", methods=["DELETE"], authorizer=bearer)
@handled
def retire_service(service_id: str) -> Response:
    request = catalog_bp.current_request
    principal = current_principal(request)
    expected = if_match_version(request)
    item = catalog().retire(principal, _service_id(service_id), expected)
    return _answer(item)


_WRITE_ERRORS = (400, 403, 404, 412, 413, 415, 422, 428)
_IF_MATCH = {"If-Match": "the ETag of the version you change"}

OPERATIONS = [
    Operation("GET", "/v1/services", "The service catalog (active request types)",
              {200: ServiceList}, query=ServiceQuery, errors=(400, 403, 422), tag="catalog"),
    Operation("POST", "/v1/services", "Add a request type to the catalog",
              {201: ServiceOut}, body=ServiceCreate, errors=(400, 403, 409, 413, 415, 422),
              tag="catalog"),
    Operation("GET", "/v1/services/{service_id}", "One request type", {200: ServiceOut},
              errors=(403, 404), tag="catalog"),
    Operation("PUT", "/v1/services/{service_id}", "Replace a request type", {200: ServiceOut},
              body=ServiceFields, errors=_WRITE_ERRORS, headers=_IF_MATCH, tag="catalog"),
    Operation("DELETE", "/v1/services/{service_id}",
              "Retire a request type: no longer offered; its tickets keep it",
              {200: ServiceOut}, errors=(403, 404, 412, 428), headers=_IF_MATCH, tag="catalog"),
]  # fmt: skip
