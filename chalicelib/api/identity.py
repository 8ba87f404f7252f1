"""Sign-in, the caller's own principal, and the tenant's API keys."""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response, location, parse_body, query, validate
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.common import PageQuery
from chalicelib.api.schemas.identity import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyPage,
    LoginRequest,
    LoginResponse,
    MeOut,
)
from chalicelib.domain.principal import Role
from chalicelib.services import api_keys, identity
from chalicelib.services.api_keys import ApiKey

identity_bp = Blueprint(__name__)

# Bodies are checked by parse_body so that a wrong type gets a problem document, not
# Chalice's own 415 body.
ANY_BODY = ["*/*"]

OPERATIONS = [
    Operation(
        "POST",
        "/v1/auth/login",
        "Sign in with e-mail address and password",
        responses={200: LoginResponse},
        body=LoginRequest,
        auth=False,
        errors=(400, 401, 415, 422),
        tag="auth",
    ),
    Operation("GET", "/v1/me", "The signed-in principal", responses={200: MeOut}, tag="auth"),
    Operation(
        "GET",
        "/v1/api-keys",
        "List the tenant's API keys",
        responses={200: ApiKeyPage},
        query=PageQuery,
        errors=(403, 422),
        tag="auth",
    ),
    Operation(
        "POST",
        "/v1/api-keys",
        "Create an API key; its secret is in this response only",
        responses={201: ApiKeyCreated},
        body=ApiKeyCreate,
        errors=(400, 403, 415, 422),
        tag="auth",
    ),
    Operation(
        "DELETE",
        "/v1/api-keys/{id}",
        "Revoke an API key",
        responses={204: None},
        errors=(403, 404),
        tag="auth",
    ),
]


@identity_bp.route("/v1/auth/login", methods=["POST"], content_types=ANY_BODY)
@handled
def login() -> Response:
    body = parse_body(identity_bp.current_request, LoginRequest)
    tokens = identity.login(body.email, body.password.get_secret_value())
    return json_response(
        LoginResponse(
            id_token=tokens.id_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
        ),
        # Tokens must not linger in shared or browser caches.
        headers={"Cache-Control": "no-store"},
    )


@identity_bp.route("/v1/me", methods=["GET"], authorizer=bearer)
@handled
def me() -> Response:
    principal = current_principal(identity_bp.current_request)
    return json_response(
        MeOut(
            email=principal.email,
            name=principal.name,
            tenant=principal.tenant,
            roles=[principal.role.value],
            role=principal.role.value,
            locale=principal.locale,
            kind=principal.kind,
        )
    )


@identity_bp.route("/v1/api-keys", methods=["GET"], authorizer=bearer)
@handled
def list_keys() -> Response:
    request = identity_bp.current_request
    principal = current_principal(request)
    api_keys.ensure_can_manage(principal)
    page = validate(PageQuery, query(request))
    keys, next_cursor = api_keys.list_api_keys(principal, limit=page.limit, cursor=page.cursor)
    return json_response(ApiKeyPage(items=[_key_out(k) for k in keys], next_cursor=next_cursor))


@identity_bp.route("/v1/api-keys", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_key() -> Response:
    request = identity_bp.current_request
    principal = current_principal(request)
    # Before the body: a requester is told "not allowed", not how to fix the request.
    api_keys.ensure_can_manage(principal)
    body = parse_body(request, ApiKeyCreate)
    key, secret = api_keys.create_api_key(principal, name=body.name, role=Role(body.role))
    return json_response(
        ApiKeyCreated(
            id=key.id, name=key.name, role=key.role.value, created_at=key.created_at, key=secret
        ),
        status=201,
        headers={
            "Location": location(request, f"/v1/api-keys/{key.id}"),
            "Cache-Control": "no-store",
        },
    )


@identity_bp.route("/v1/api-keys/{id}", methods=["DELETE"], authorizer=bearer)
@handled
def revoke_key(id: str) -> Response:
    principal = current_principal(identity_bp.current_request)
    api_keys.revoke_api_key(principal, id)
    return Response(body="", status_code=204)


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        role=key.role.value,
        created_at=key.created_at,
        created_by=key.created_by,
        last4=key.last4,
    )
