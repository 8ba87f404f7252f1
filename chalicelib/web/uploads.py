"""Files on the ticket pages: the steps the pages' script (static/uploads.js) takes to send
a file straight to the bucket, and download links for the signed-in reader.

1. POST /tickets/{n}/uploads (a CSRF-checked form: filename, content_type, size) → JSON
   with the presigned POST (services/attachments.py checks who, what and how many);
2. the script POSTs the file to S3 with those fields;
3. POST /tickets/{n}/uploads/{id}/done → the file is checked in the bucket and listed at
   once, so the page shown next has it. S3's notification does the same a moment later;
   whichever comes second changes nothing.

Refusals come back as JSON with a message in the reader's language, for the script to show.
Pages that offer uploads let scripts reach the bucket's origin (render.allow_uploads).
"""

import json
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict, Invalid, NotFound
from chalicelib.web import i18n, render
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, page
from chalicelib.wiring import attachment_service

uploads_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
FILE_TOO_LARGE = N_("This file is too large: files can be at most %(size)s MB.")
FILE_EMPTY = N_("This file is empty.")
FILE_KIND = N_("Files of this kind cannot be added.")
TOO_MANY_FILES = N_("This ticket cannot take more files.")
TICKET_CLOSED = N_("This ticket is closed; it takes no more files.")
FILE_NOT_ADDED = N_("This file could not be added.")


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No such ticket.")
    return int(raw)


def _json(current: Page, body: dict[str, Any], status: int) -> Response:
    headers = {**render.PAGE_HEADERS, "Content-Type": "application/json"}
    return current.respond(Response(body=json.dumps(body), status_code=status, headers=headers))


def _refusal(current: Page, error: Invalid, size: int) -> str:
    """The first reason, in the reader's language (domain/uploads.py names the field)."""
    fields = [e.get("field") for e in error.errors]
    say = i18n.translations(current.locale).gettext
    if "ticket" in fields:
        return say(TOO_MANY_FILES)
    if "size" in fields:
        if size < 1:
            return say(FILE_EMPTY)
        return say(FILE_TOO_LARGE) % {"size": attachment_service().limits.max_bytes // 1_000_000}
    if "filename" in fields or "content_type" in fields:
        return say(FILE_KIND)
    return say(FILE_NOT_ADDED)


@uploads_bp.route("/tickets/{number}/uploads", methods=["POST"], content_types=ANY_BODY)
@page(uploads_bp)
def start(current: Page, number: str) -> Response:
    values = current.form()
    size = values.get("size", "")
    say = i18n.translations(current.locale).gettext
    if not size.isdigit() or len(size) > 15:
        return _json(current, {"error": say(FILE_NOT_ADDED)}, 422)
    try:
        upload = attachment_service().start_upload(
            current.user,
            _number(number),
            values.get("filename", ""),
            values.get("content_type") or "application/octet-stream",
            int(size),
        )
    except Invalid as refused:
        return _json(current, {"error": _refusal(current, refused, int(size))}, 422)
    except Conflict:
        return _json(current, {"error": say(TICKET_CLOSED)}, 409)
    answer = {"id": upload.attachment.id, "url": upload.url, "fields": upload.fields}
    return _json(current, answer, 201)


@uploads_bp.route(
    "/tickets/{number}/uploads/{attachment_id}/done", methods=["POST"], content_types=ANY_BODY
)
@page(uploads_bp)
def done(current: Page, number: str, attachment_id: str) -> Response:
    current.form()  # the CSRF check: only our page may say a file is sent
    outcome = attachment_service().confirm(current.user, _number(number), attachment_id)
    if outcome in ("stored", "duplicate"):
        return _json(current, {"outcome": outcome}, 200)
    say = i18n.translations(current.locale).gettext
    return _json(current, {"outcome": outcome, "error": say(FILE_NOT_ADDED)}, 422)


@uploads_bp.route("/tickets/{number}/files/{attachment_id}", methods=["GET"])
@page(uploads_bp)
def download(current: Page, number: str, attachment_id: str) -> Response:
    """A file of a ticket the reader may see: a redirect to a link that works five minutes."""
    url = attachment_service().download_url(current.user, _number(number), attachment_id)
    headers = {**render.PAGE_HEADERS, "Location": url}
    return current.respond(Response(body="", status_code=302, headers=headers))
