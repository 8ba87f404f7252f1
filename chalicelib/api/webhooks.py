"""Webhooks of the tenant, for its admins: register, list, read with the delivery log,
change (re-enable), delete, redeliver. docs/webhooks.md."""

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
from chalicelib.api.schemas.common import PageQuery
from chalicelib.api.schemas.webhooks import (
    DeliveryOut,
    RedeliverRequest,
    WebhookCreate,
    WebhookCreated,
    WebhookDetail,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)
from chalicelib.domain import permissions
from chalicelib.domain.permissions import Action
from chalicelib.domain.webhooks import Delivery, Webhook
from chalicelib.wiring import webhook_service

webhooks_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


@webhooks_bp.route("/v1/webhooks", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_webhook() -> Response:
    request = webhooks_bp.current_request
    principal = current_principal(request)
    # Before the body: a non-admin is told "not allowed", not how to fix the request.
    permissions.require(principal, Action.MANAGE_WEBHOOKS)
    body = parse_body(request, WebhookCreate)
    webhook, secret = webhook_service().register(
        principal,
        url=body.url,
        events=body.events,
        description=body.description,
        contact_email=body.contact_email,
    )
    return json_response(
        WebhookCreated(**_out(webhook).model_dump(), secret=secret),
        status=201,
        headers={
            "Location": location(request, f"/v1/webhooks/{webhook.id}"),
            "ETag": etag(webhook.version),
            "Cache-Control": "no-store",
        },
    )


@webhooks_bp.route("/v1/webhooks", methods=["GET"], authorizer=bearer)
@handled
def list_webhooks() -> Response:
    request = webhooks_bp.current_request
    principal = current_principal(request)
    permissions.require(principal, Action.MANAGE_WEBHOOKS)
    page = validate(PageQuery, query(request))
    found, next_cursor = webhook_service().page(principal, page.limit, page.cursor)
    return json_response(WebhookPage(items=[_out(w) for w in found], next_cursor=next_cursor))


@webhooks_bp.route("/v1/webhooks/{id}", methods=["GET"], authorizer=bearer)
@handled
def get_webhook(id: str) -> Response:
    principal = current_principal(webhooks_bp.current_request)
    webhook, deliveries = webhook_service().get(principal, id)
    detail = WebhookDetail(**_out(webhook).model_dump(),
                           deliveries=[_delivery_out(d) for d in deliveries])  # fmt: skip
    return json_response(detail, headers={"ETag": etag(webhook.version)})


@webhooks_bp.route(
    "/v1/webhooks/{id}", methods=["PATCH"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def patch_webhook(id: str) -> Response:
    request = webhooks_bp.current_request
    principal = current_principal(request)
    permissions.require(principal, Action.MANAGE_WEBHOOKS)
    body = parse_body(request, WebhookPatch)
    expected = if_match_version(request)
    changed = webhook_service().update(
        principal, id, expected, body.model_dump(exclude_unset=True, exclude_none=True)
    )
    return json_response(_out(changed), headers={"ETag": etag(changed.version)})


@webhooks_bp.route("/v1/webhooks/{id}", methods=["DELETE"], authorizer=bearer)
@handled
def delete_webhook(id: str) -> Response:
    principal = current_principal(webhooks_bp.current_request)
    webhook_service().delete(principal, id)
    return Response(body="", status_code=204)


@webhooks_bp.route(
    "/v1/webhooks/{id}/redeliver", methods=["POST"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def redeliver(id: str) -> Response:
    request = webhooks_bp.current_request
    principal = current_principal(request)
    permissions.require(principal, Action.MANAGE_WEBHOOKS)
    body = parse_body(request, RedeliverRequest)
    again = webhook_service().redeliver(principal, id, body.delivery)
    return json_response(_delivery_out(again), status=202)


def _out(webhook: Webhook) -> WebhookOut:
    values = asdict(webhook)
    values["events"] = list(webhook.events)
    return WebhookOut.model_validate(
        {k: v for k, v in values.items() if k in WebhookOut.model_fields}
    )


def _delivery_out(delivery: Delivery) -> DeliveryOut:
    values = asdict(delivery)
    return DeliveryOut.model_validate(
        {k: v for k, v in values.items() if k in DeliveryOut.model_fields}
    )


_WRITE_ERRORS = (400, 403, 413, 415, 422)

OPERATIONS = [
    Operation("GET", "/v1/webhooks", "List the tenant's webhooks", {200: WebhookPage},
              query=PageQuery, errors=(403, 422), tag="webhooks"),
    Operation("POST", "/v1/webhooks", "Register a webhook; its signing secret is in this "
              "response only", {201: WebhookCreated}, body=WebhookCreate,
              errors=(*_WRITE_ERRORS, 409), tag="webhooks"),
    Operation("GET", "/v1/webhooks/{id}", "A webhook with its newest deliveries",
              {200: WebhookDetail}, errors=(403, 404), tag="webhooks"),
    Operation("PATCH", "/v1/webhooks/{id}", "Re-enable or disable a webhook, or change its "
              "events or description", {200: WebhookOut}, body=WebhookPatch,
              errors=(*_WRITE_ERRORS, 404, 412, 428),
              headers={"If-Match": "the ETag of the version you changed"}, tag="webhooks"),
    Operation("DELETE", "/v1/webhooks/{id}", "Delete a webhook", {204: None},
              errors=(403, 404), tag="webhooks"),
    Operation("POST", "/v1/webhooks/{id}/redeliver", "Send a logged delivery again",
              {202: DeliveryOut}, body=RedeliverRequest, errors=(*_WRITE_ERRORS, 404, 409),
              tag="webhooks"),
]  # fmt: skip
