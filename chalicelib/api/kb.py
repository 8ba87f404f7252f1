"""Knowledge-base routes: parse → call one service method → render.

Reading, searching, suggesting and voting work with or without a sign-in: a caller without
one names the tenant (`?tenant=demo`) and sees its public articles only. Those routes take
no authorizer and authenticate an Authorization header themselves when one is sent.
"""

from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

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
from chalicelib.api.schemas.kb import (
    ArticleCreate,
    ArticleIn,
    ArticleList,
    ArticleOut,
    ArticleQuery,
    DeflectionIn,
    DeflectionOut,
    SuggestIn,
    TenantQuery,
    VersionList,
    VersionOut,
    VoteIn,
)
from chalicelib.domain.errors import NotFound
from chalicelib.domain.kb import Article, ArticleStatus
from chalicelib.domain.principal import Principal
from chalicelib.services import identity
from chalicelib.services.kb import ArticleFields
from chalicelib.wiring import kb_service

kb_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


def optional_principal(request: Request) -> Principal | None:
    """The caller when they sent credentials (wrong ones are a 401); None without any."""
    header = (request.headers or {}).get("authorization")
    return identity.authenticate(header) if header else None


def _article_id(raw: str) -> str:
    if not raw.isalnum() or len(raw) > 40:
        raise NotFound(f"Article {raw[:40]} does not exist.")
    return raw.upper()


def _fields(body: ArticleIn | ArticleCreate) -> ArticleFields:
    assert body.title and body.body and body.language
    return ArticleFields(
        title=body.title,
        body=body.body,
        language=body.language,
        category=body.category,
        tags=tuple(body.tags),
        visibility=body.visibility,
        status=body.status,
        translation_of=body.translation_of,
    )


@kb_bp.route("/v1/kb/articles", methods=["GET"])
@handled
def list_articles() -> Response:
    request = kb_bp.current_request
    principal = optional_principal(request)
    params = validate(ArticleQuery, query(request))
    service = kb_service()
    tenant = service.tenant_of(principal, params.tenant)
    if params.q and params.q.strip():
        hits = service.search(
            principal,
            tenant,
            params.q,
            language=params.language,
            category=params.category,
            limit=params.limit,
        )
        items = [render_article(h.article, score=round(h.score, 4)) for h in hits]
        return json_response(ArticleList(items=items, next_cursor=None))
    if params.sort == "top":
        found = service.top(
            principal, tenant, category=params.category, language=params.language,
            limit=params.limit,
        )  # fmt: skip
        return json_response(ArticleList(items=[render_article(a) for a in found]))
    page = service.list_articles(
        principal,
        tenant,
        status=params.status or ArticleStatus.PUBLISHED,
        language=params.language,
        category=params.category,
        limit=params.limit,
        cursor=params.cursor,
    )
    items = [render_article(a) for a in page.items]
    return json_response(ArticleList(items=items, next_cursor=page.next_cursor))


@kb_bp.route("/v1/kb/articles", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def create_article() -> Response:
    request = kb_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, ArticleCreate)
    service = kb_service()
    if body.from_ticket is not None:
        article = service.draft_from_ticket(
            principal,
            body.from_ticket,
            language=body.language,
            category=body.category,
            visibility=body.visibility,
        )
    else:
        article = service.create(principal, _fields(body))
    return json_response(
        render_article(article),
        status=201,
        headers={
            "Location": location(request, f"/v1/kb/articles/{article.id}"),
            "ETag": etag(article.version),
        },
    )


@kb_bp.route("/v1/kb/articles/{article_id}", methods=["GET"])
@handled
def get_article(article_id: str) -> Response:
    request = kb_bp.current_request
    principal = optional_principal(request)
    params = validate(TenantQuery, query(request))
    service = kb_service()
    tenant = service.tenant_of(principal, params.tenant)
    article = service.get(principal, tenant, _article_id(article_id), count_view=True)
    return json_response(render_article(article), headers={"ETag": etag(article.version)})


@kb_bp.route(
    "/v1/kb/articles/{article_id}", methods=["PUT"], authorizer=bearer, content_types=ANY_BODY
)
@handled
def replace_article(article_id: str) -> Response:
    request = kb_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, ArticleIn)
    expected = if_match_version(request)
    article = kb_service().replace(principal, _article_id(article_id), _fields(body), expected)
    return json_response(render_article(article), headers={"ETag": etag(article.version)})


@kb_bp.route("/v1/kb/articles/{article_id}", methods=["DELETE"], authorizer=bearer)
@handled
def delete_article(article_id: str) -> Response:
    request = kb_bp.current_request
    principal = current_principal(request)
    expected = if_match_version(request) if request.headers.get("if-match") else None
    kb_service().delete(principal, _article_id(article_id), expected)
    return Response(body="", status_code=204)


@kb_bp.route("/v1/kb/articles/{article_id}/versions", methods=["GET"], authorizer=bearer)
@handled
def list_versions(article_id: str) -> Response:
    request = kb_bp.current_request
    principal = current_principal(request)
    params = validate(PageQuery, query(request))
    page = kb_service().versions(principal, _article_id(article_id), params.limit, params.cursor)
    items = [
        VersionOut(
            version=v.version, actor=v.actor, at=v.at, status=v.status, title=v.title,
            diff=v.diff,
        )
        for v in page.items
    ]  # fmt: skip
    return json_response(VersionList(items=items, next_cursor=page.next_cursor))


@kb_bp.route("/v1/kb/articles/{article_id}/votes", methods=["POST"], content_types=ANY_BODY)
@handled
def vote(article_id: str) -> Response:
    request = kb_bp.current_request
    principal = optional_principal(request)
    params = validate(TenantQuery, query(request))
    body = parse_body(request, VoteIn)
    service = kb_service()
    tenant = service.tenant_of(principal, params.tenant)
    article = service.vote(
        principal, tenant, _article_id(article_id), body.helpful, voter=body.voter
    )
    return json_response(render_article(article))


@kb_bp.route("/v1/kb/suggest", methods=["POST"], content_types=ANY_BODY)
@handled
def suggest() -> Response:
    request = kb_bp.current_request
    principal = optional_principal(request)
    params = validate(TenantQuery, query(request))
    body = parse_body(request, SuggestIn)
    service = kb_service()
    tenant = service.tenant_of(principal, params.tenant)
    hits = service.suggest(principal, tenant, body.subject, body.text)
    items = [render_article(h.article, score=round(h.score, 4)) for h in hits]
    return json_response(ArticleList(items=items, next_cursor=None))


@kb_bp.route("/v1/kb/deflections", methods=["POST"], authorizer=bearer, content_types=ANY_BODY)
@handled
def deflect() -> Response:
    request = kb_bp.current_request
    principal = current_principal(request)
    body = parse_body(request, DeflectionIn)
    recorded = kb_service().deflect(principal, body.article)
    return json_response(DeflectionOut(**recorded), status=201)


def render_article(article: Article, *, score: float | None = None) -> dict[str, Any]:
    return ArticleOut(
        id=article.id,
        tenant=article.tenant,
        version=article.version,
        title=article.title,
        body=article.body,
        language=article.language,
        category=article.category,
        tags=list(article.tags),
        visibility=article.visibility,
        status=article.status,
        translation_of=article.translation_of,
        from_ticket=article.from_ticket,
        helpful=article.counts.helpful,
        not_helpful=article.counts.not_helpful,
        views=article.counts.views,
        created_at=article.created_at,
        updated_at=article.updated_at,
        score=score,
    ).model_dump(mode="json")


_WRITE_ERRORS = (400, 403, 404, 409, 413, 415, 422)
_TENANT_NOTE = "without sign-in, name the tenant with ?tenant="

OPERATIONS = [
    Operation("GET", "/v1/kb/articles", "Articles: search (q), top solutions, or newest first",
              {200: ArticleList}, query=ArticleQuery, auth=False, errors=(400, 401, 404, 422),
              tag="kb"),
    Operation("POST", "/v1/kb/articles", "Write an article, or draft one from a ticket",
              {201: ArticleOut}, body=ArticleCreate, errors=_WRITE_ERRORS, tag="kb"),
    Operation("GET", "/v1/kb/articles/{article_id}", "One article (counts a view)",
              {200: ArticleOut}, query=TenantQuery, auth=False, errors=(401, 404, 422),
              tag="kb"),
    Operation("PUT", "/v1/kb/articles/{article_id}", "Replace an article (publish, archive)",
              {200: ArticleOut}, body=ArticleIn, errors=(*_WRITE_ERRORS, 412, 428),
              headers={"If-Match": "the ETag of the version you replace"}, tag="kb"),
    Operation("DELETE", "/v1/kb/articles/{article_id}", "Delete an article and its history",
              {204: None}, errors=(403, 404, 412), tag="kb"),
    Operation("GET", "/v1/kb/articles/{article_id}/versions",
              "Version history: who, when, unified diff (extension)", {200: VersionList},
              query=PageQuery, errors=(400, 403, 404, 422), tag="kb"),
    Operation("POST", "/v1/kb/articles/{article_id}/votes",
              "Helpful or not helpful (extension)", {200: ArticleOut}, body=VoteIn,
              query=TenantQuery, auth=False, errors=(400, 401, 404, 409, 413, 415, 422),
              tag="kb"),
    Operation("POST", "/v1/kb/suggest", "Articles for a ticket being written", {200: ArticleList},
              body=SuggestIn, query=TenantQuery, auth=False,
              errors=(400, 401, 404, 413, 415, 422), tag="kb"),
    Operation("POST", "/v1/kb/deflections",
              "A suggested article solved it: no ticket needed (extension)",
              {201: DeflectionOut}, body=DeflectionIn, errors=(400, 404, 413, 415, 422),
              tag="kb"),
]  # fmt: skip
