"""Announcements: parse → call the announcement service → render.

`GET /v1/announcements` is also the public portal's: it has no authorizer, so a visitor
without credentials can name the tenant (`?tenant=demo`). A caller who sends credentials is
authenticated here as the authorizer would (a bad token is a 401, never a silent downgrade
to the public view).
"""

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response, location, parse_body, query, validate
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.announcements import (
    AnnouncementIn,
    AnnouncementList,
    AnnouncementOut,
    AnnouncementQuery,
)
from chalicelib.domain.announcements import Announcement
from chalicelib.domain.errors import Invalid, NotFound
from chalicelib.services import identity
from chalicelib.services.announcements import AnnouncementFields
from chalicelib.wiring import announcement_service, utc_now

announcements_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


def render_announcement(announcement: Announcement, *, staff: bool) -> AnnouncementOut:
    return AnnouncementOut(
        id=announcement.id,
        title=announcement.title,
        body=announcement.body,
        kind=announcement.kind,
        starts_at=announcement.starts_at,
        ends_at=announcement.ends_at,
        state=announcement.state(utc_now()),
        mail_requesters=announcement.mail_requesters if staff else None,
        created_by=announcement.created_by if staff else None,
        created_at=announcement.created_at,
    )


@announcements_bp.route("/v1/announcements", methods=["GET"])
@handled
def list_announcements() -> Response:
    request = announcements_bp.current_request
    params = validate(AnnouncementQuery, query(request))
    service = announcement_service()
    authorization = request.headers.get("authorization")
    if authorization:
        principal = identity.authenticate(authorization)
        if params.tenant is not None and params.tenant != principal.tenant:
            raise NotFound("No such tenant.")
        page = service.list_for(
            principal,
            include_past=params.include == "past",
            limit=params.limit,
            cursor=params.cursor,
        )
        staff = principal.is_staff
    else:
        if params.tenant is None:
            raise Invalid(
                "Sign in, or name the tenant whose announcements you want.",
                errors=[{"field": "tenant", "message": "Required without sign-in."}],
            )
        if params.include is not None:
            raise Invalid(
                "Only signed-in supervisors see announcements that are over.",
                errors=[{"field": "include", "message": "Requires sign-in."}],
            )
        page = service.list_public(params.tenant, limit=params.limit, cursor=params.cursor)
        staff = False
    items = [render_announcement(a, staff=staff) for a in page.items]
    return json_response(AnnouncementList(items=items, next_cursor=page.next_cursor))


@announcements_bp.route("/v1/announcements", methods=["POST"], authorizer=bearer,
                        content_types=ANY_BODY)  # fmt: skip
@handled
def create_announcement() -> Response:
    request = announcements_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, AnnouncementIn)
    fields = AnnouncementFields(
        title=body.titles(),
        body=body.bodies(),
        kind=body.kind,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        mail_requesters=body.mail_requesters,
    )
    made = announcement_service().create(principal, fields)
    return json_response(
        render_announcement(made, staff=True),
        status=201,
        headers={"Location": location(request, f"/v1/announcements/{made.id}")},
    )


@announcements_bp.route("/v1/announcements/{announcement_id}", methods=["DELETE"],
                        authorizer=bearer)  # fmt: skip
@handled
def delete_announcement(announcement_id: str) -> Response:
    request = announcements_bp.current_request
    announcement_service().delete(current_principal(request), announcement_id)
    return Response(body="", status_code=204)


OPERATIONS = [
    Operation("GET", "/v1/announcements",
              "Current and upcoming announcements (without sign-in: name the tenant)",
              {200: AnnouncementList}, query=AnnouncementQuery, auth=False,
              errors=(400, 401, 403, 404, 422), tag="announcements"),
    Operation("POST", "/v1/announcements", "Announce maintenance or an outage (supervisor+)",
              {201: AnnouncementOut}, body=AnnouncementIn, errors=(400, 403, 413, 415, 422),
              tag="announcements"),
    Operation("DELETE", "/v1/announcements/{announcement_id}", "Withdraw an announcement",
              {204: None}, errors=(403, 404), tag="announcements"),
]  # fmt: skip
