"""Files on a ticket: the list, a redirect to a short-lived download link, and uploads
(a presigned POST straight to the bucket; services/attachments.py)."""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response, parse_body
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.tickets import (
    AttachmentConfirmed,
    AttachmentList,
    AttachmentOut,
    AttachmentUploadCreate,
    AttachmentUploadOut,
    PresignedPost,
)
from chalicelib.api.tickets import parse_number
from chalicelib.domain.errors import Conflict, Invalid
from chalicelib.domain.tickets import Attachment
from chalicelib.wiring import attachment_service

attachments_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


@attachments_bp.route("/v1/tickets/{number}/attachments", methods=["GET"], authorizer=bearer)
@handled
def list_attachments(number: str) -> Response:
    principal = current_principal(attachments_bp.current_request)
    found = attachment_service().list(principal, parse_number(number))
    return json_response(AttachmentList(items=[render_attachment(a) for a in found]))


@attachments_bp.route("/v1/tickets/{number}/attachments", methods=["POST"], authorizer=bearer)
@handled
def start_upload(number: str) -> Response:
    request = attachments_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, AttachmentUploadCreate)
    upload = attachment_service().start_upload(
        principal, parse_number(number), body.filename, body.content_type, body.size
    )
    answer = AttachmentUploadOut(
        id=upload.attachment.id,
        upload=PresignedPost(url=upload.url, fields=upload.fields),
        expires_at=upload.expires_at,
    )
    # The form is a credential for one upload: no cache may keep it.
    return json_response(answer, status=201, headers={"Cache-Control": "no-store"})


@attachments_bp.route(
    "/v1/tickets/{number}/attachments/{attachment_id}", methods=["GET"], authorizer=bearer
)
@handled
def download_attachment(number: str, attachment_id: str) -> Response:
    principal = current_principal(attachments_bp.current_request)
    url = attachment_service().download_url(principal, parse_number(number), attachment_id)
    # Not cached: the link expires in minutes and is the caller's alone.
    headers = {"Location": url, "Cache-Control": "no-store"}
    return Response(body="", status_code=302, headers=headers)


@attachments_bp.route(
    "/v1/tickets/{number}/attachments/{attachment_id}/confirm",
    methods=["POST"],
    authorizer=bearer,
    content_types=ANY_BODY,
)
@handled
def confirm_upload(number: str, attachment_id: str) -> Response:
    """The client says its file is sent: settle it now, not when S3's notification comes."""
    principal = current_principal(attachments_bp.current_request)
    outcome = attachment_service().confirm(principal, parse_number(number), attachment_id)
    if outcome == "missing":
        raise Conflict(
            "The file has not reached the bucket: send it with the upload form, then confirm."
        )
    if outcome == "refused":
        raise Invalid(
            "The file sent does not match the upload it was granted for (its size or content "
            "type), so it was removed. Ask for a new upload."
        )
    return json_response(AttachmentConfirmed(id=attachment_id, outcome=outcome))


def render_attachment(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        ticket=attachment.ticket,
        message=attachment.message or None,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        created_at=attachment.created_at,
    )


OPERATIONS = [
    Operation("GET", "/v1/tickets/{number}/attachments", "The ticket's files you may see",
              {200: AttachmentList}, errors=(404,)),
    Operation("POST", "/v1/tickets/{number}/attachments",
              "Upload a file: a presigned S3 POST for exactly this file, valid ten minutes. "
              "The file is listed once S3 has it",
              {201: AttachmentUploadOut}, body=AttachmentUploadCreate,
              errors=(400, 403, 404, 409, 413, 415, 422)),
    Operation("POST", "/v1/tickets/{number}/attachments/{attachment_id}/confirm",
              "Say an upload is sent: it is checked and listed now, not when S3's notification "
              "arrives (409 while the file has not arrived, 422 when it does not match)",
              {200: AttachmentConfirmed}, errors=(403, 404, 409, 422)),
    Operation("GET", "/v1/tickets/{number}/attachments/{attachment_id}",
              "Download a file: a redirect to a link that works for five minutes",
              {302: None}, errors=(404,)),
]  # fmt: skip
