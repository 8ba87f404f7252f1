"""The knowledge base in the agent workspace (/agent/kb): list and search every article of
the tenant (drafts and archived ones too), write and edit them with a preview, publish and
archive, read their version history, and turn a resolved ticket into a draft in one step.

Every page acts as the signed-in principal through the KnowledgeBase service the API uses,
so its role rules hold here too (domain/permissions.py): agents read everything and draft
from tickets, supervisors write, publish and archive. A requester asking for these pages
gets the service's 404 (articles) or 403 (drafting) as a page.

An edit carries the version it was made on; when someone else saved in between, the page
shows the article as it is now, who saved it, and the text that was not saved, instead of
overwriting their work (the ticket page's conflict, for articles).
"""

import re
from dataclasses import replace
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import permissions
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.kb import Article, ArticleStatus, ArticleVisibility, Language
from chalicelib.domain.permissions import Action
from chalicelib.services.kb import ArticleFields
from chalicelib.web import knowledge
from chalicelib.web.agent_forms import NOT_A_SLUG, SLUG
from chalicelib.web.forms import Form
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, page
from chalicelib.wiring import kb_service

agent_kb_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
ARTICLES_PER_PAGE = 25
VERSIONS_PER_PAGE = 10
SEARCH_RESULTS = 25
TITLE_MAX = 200
BODY_MAX = 100_000
TAGS_MAX = 20
TAG_MAX = 50
_ARTICLE_ID = re.compile(r"^[0-9A-Z]{1,40}$")

# What the editor's buttons ask for: the status the article should have after saving.
# "save" keeps the status it has.
_TARGET = {
    "publish": ArticleStatus.PUBLISHED,
    "archive": ArticleStatus.ARCHIVED,
    "to_draft": ArticleStatus.DRAFT,
}
TRANSLATION_REFUSED = N_(
    "Enter the id of an article of this helpdesk in the other language, or leave it empty."
)
MOVE_REFUSED = N_("The article cannot go to that status from where it is now.")
TITLE_TOO_LONG = N_("Keep the title to 200 characters or fewer.")
NOT_AN_ARTICLE_ID = N_("An article id has capital letters and digits only.")


def _article_id(raw: str) -> str:
    value = raw.strip().upper()
    if not _ARTICLE_ID.match(value):
        raise NotFound("No such article.")
    return value


def _member(value: str | None, kind: Any) -> Any:
    return kind(value) if value in kind._value2member_map_ else None


def _words() -> dict[str, Any]:
    return {
        "kb_status": STATUS,
        "kb_visibility": VISIBILITY,
        "kb_short": VISIBILITY_SHORT,
        "kb_field": FIELD,
    }


def _can_write(current: Page) -> bool:
    return permissions.allows(current.user, Action.WRITE_KB)


# --- the list -------------------------------------------------------------------------------


@agent_kb_bp.route("/agent/kb", methods=["GET"])
@page(agent_kb_bp)
def articles(current: Page) -> Response:
    """Newest first per status (one Query of the status index), or with `q` the published
    articles ranked by relevance (search reads postings, which only published ones have)."""
    service = kb_service()
    user = current.user
    status = _member(current.query("status"), ArticleStatus) or ArticleStatus.PUBLISHED
    language = _member(current.query("language"), Language)
    text = (current.query("q") or "").strip()[:200]
    cursor = current.query("cursor") or None
    scores: dict[str, float] = {}
    next_cursor = None
    if not permissions.allows(user, Action.READ_KB_INTERNAL):
        # The list of drafts and archived articles is staff's; a requester reads the portal.
        raise NotFound("The workspace knowledge base is for the helpdesk.")
    if text:
        hits = service.search(user, user.tenant, text, language=language, limit=SEARCH_RESULTS)
        found = [hit.article for hit in hits]
        scores = {hit.article.id: hit.score for hit in hits}
    else:
        listed = service.list_articles(
            user,
            user.tenant,
            status=status,
            language=language,
            limit=ARTICLES_PER_PAGE,
            cursor=cursor,
        )
        found, next_cursor = listed.items, listed.next_cursor
    params = {
        "status": None if text else status.value,
        "language": language.value if language else None,
        "q": text or None,
    }
    return current.render(
        "agent_kb_list.html",
        articles=found,
        scores=scores,
        shown_status=status,
        language=language,
        text=text,
        params=params,
        next_cursor=next_cursor,
        paged=cursor is not None,
        statuses=tuple(ArticleStatus),
        article_languages=tuple(Language),
        can_write=_can_write(current),
        **_words(),
    )


# --- the editor -----------------------------------------------------------------------------


def _shown(article: Article) -> dict[str, str]:
    return {
        "title": article.title,
        "body": article.body,
        "language": article.language.value,
        "category": article.category or "",
        "tags": ", ".join(article.tags),
        "visibility": article.visibility.value,
        "translation_of": article.translation_of or "",
        "version": str(article.version),
    }


def _blank(current: Page) -> dict[str, str]:
    return {
        "title": "",
        "body": "",
        "language": "nl" if current.locale == "nl" else "en",
        "category": "",
        "tags": "",
        "visibility": ArticleVisibility.REQUESTERS.value,
        "translation_of": "",
        "version": "",
    }


def article_form(values: dict[str, str]) -> tuple[Form, ArticleFields | None]:
    """The editor's fields; the service checks them again (and the translation link)."""
    names = ("title", "body", "language", "category", "tags", "visibility", "translation_of")
    form = Form({name: values.get(name, "") for name in (*names, "version")})
    v = form.values
    title = form.text("title", max_length=TITLE_MAX, message_too_long=TITLE_TOO_LONG)
    # The body keeps its leading spaces: they mean something in Markdown.
    body = v["body"].rstrip()
    v["body"] = body
    if not body.strip():
        form.errors["body"] = N_("Please fill this in.")
    elif len(body) > BODY_MAX:
        form.errors["body"] = N_("The article is too long.")
    language = form.choice("language", tuple(lang.value for lang in Language))
    visibility = form.choice("visibility", tuple(vis.value for vis in ArticleVisibility))
    v["category"] = v["category"].strip()
    if v["category"] and not SLUG.match(v["category"]):
        form.errors["category"] = NOT_A_SLUG
    tags = tuple(dict.fromkeys(t.strip() for t in v["tags"].split(",") if t.strip()))
    v["tags"] = ", ".join(tags)
    if len(tags) > TAGS_MAX or any(len(t) > TAG_MAX for t in tags):
        form.errors["tags"] = N_("Use at most 20 tags of at most 50 characters each.")
    v["translation_of"] = v["translation_of"].strip().upper()
    if v["translation_of"] and not _ARTICLE_ID.match(v["translation_of"]):
        form.errors["translation_of"] = NOT_AN_ARTICLE_ID
    if not form.ok:
        return form, None
    return form, ArticleFields(
        title=title,
        body=body,
        language=Language(language),
        category=v["category"] or None,
        tags=tags,
        visibility=ArticleVisibility(visibility),
        translation_of=v["translation_of"] or None,
    )


def _editor(
    current: Page,
    form: Form,
    *,
    article: Article | None = None,
    status: int = 200,
    preview: bool = False,
    conflict: dict[str, Any] | None = None,
) -> Response:
    current.return_to = f"/agent/kb/{article.id}" if article else "/agent/kb/new"
    body = form.values.get("body", "")
    return current.render(
        "agent_kb_edit.html",
        status=status,
        article=article,
        form=form,
        # The preview goes through the portal's renderer: what readers will see, sanitised.
        preview=knowledge.render_markdown(body) if preview and body.strip() else None,
        rendered=knowledge.render_markdown(article.body) if article else None,
        conflict=conflict,
        can_write=_can_write(current),
        article_languages=tuple(Language),
        visibilities=tuple(ArticleVisibility),
        saved=current.query("saved") == "1",
        drafted=current.query("drafted") == "1",
        **_words(),
    )


@agent_kb_bp.route("/agent/kb/new", methods=["GET"])
@page(agent_kb_bp)
def new_article(current: Page) -> Response:
    permissions.require(current.user, Action.WRITE_KB)
    return _editor(current, Form(_blank(current)))


@agent_kb_bp.route("/agent/kb/new", methods=["POST"], content_types=ANY_BODY)
@page(agent_kb_bp)
def create_article(current: Page) -> Response:
    values = current.form()
    permissions.require(current.user, Action.WRITE_KB)
    form, fields = article_form(values)
    if values.get("action") == "preview":
        return _editor(current, form, preview=True)
    if fields is None:
        return _editor(current, form, status=422, preview=True)
    try:
        article = kb_service().create(current.user, fields)
    except Invalid:
        form.errors["translation_of"] = TRANSLATION_REFUSED
        return _editor(current, form, status=422)
    return current.redirect(f"/agent/kb/{article.id}", saved="1")


@agent_kb_bp.route("/agent/kb/{article_id}", methods=["GET"])
@page(agent_kb_bp)
def edit_article(current: Page, article_id: str) -> Response:
    article = _staff_read(current, _article_id(article_id))
    return _editor(current, Form(_shown(article)), article=article)


def _staff_read(current: Page, article_id: str) -> Article:
    user = current.user
    if not permissions.allows(user, Action.READ_KB_INTERNAL):
        raise NotFound(f"Article {article_id} does not exist.")
    return kb_service().get(user, user.tenant, article_id, count_view=False)


@agent_kb_bp.route("/agent/kb/{article_id}", methods=["POST"], content_types=ANY_BODY)
@page(agent_kb_bp)
def save_article(current: Page, article_id: str) -> Response:
    values = current.form()
    article = _staff_read(current, _article_id(article_id))
    action = values.get("action", "save")
    form, fields = article_form(values)
    if action == "preview":
        return _editor(current, form, article=article, preview=True)
    permissions.require(current.user, Action.WRITE_KB)
    version = values.get("version", "")
    if fields is None or not version.isdigit() or len(version) > 12:
        return _editor(current, form, article=article, status=422, preview=True)
    target = _TARGET.get(action, article.status)
    try:
        saved = kb_service().replace(
            current.user,
            article.id,
            replace(fields, status=target),
            int(version),
        )
    except PreconditionFailed:
        return _conflict(current, article.id, form)
    except Conflict:
        form.errors["form"] = MOVE_REFUSED
        return _editor(current, form, article=article, status=409)
    except Invalid:
        form.errors["translation_of"] = TRANSLATION_REFUSED
        return _editor(current, form, article=article, status=422)
    return current.redirect(f"/agent/kb/{saved.id}", saved="1")


def _conflict(current: Page, article_id: str, attempted: Form) -> Response:
    """Someone else saved first: the article as it is now in the form (with its version,
    so saving again is a deliberate choice), who saved it, and what this edit said."""
    service = kb_service()
    fresh = service.get(current.user, current.user.tenant, article_id, count_view=False)
    latest = service.versions(current.user, article_id, 1, None).items
    changed = {
        name: attempted.values.get(name, "")
        for name, now in _shown(fresh).items()
        if name != "version" and attempted.values.get(name, "") != now
    }
    return _editor(
        current,
        Form(_shown(fresh)),
        article=fresh,
        status=409,
        conflict={
            "by": latest[0].actor.get("name") if latest else fresh.updated_by,
            "at": latest[0].at if latest else fresh.updated_at,
            "attempted": changed,
        },
    )


# --- history --------------------------------------------------------------------------------


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """A stored unified diff as (kind, text) lines for the page, which escapes the text:
    kind is "add", "remove", "hunk", "file" or "same"."""
    shown = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "remove"
        else:
            kind = "same"
        shown.append((kind, line))
    return shown


@agent_kb_bp.route("/agent/kb/{article_id}/history", methods=["GET"])
@page(agent_kb_bp)
def history(current: Page, article_id: str) -> Response:
    article = _staff_read(current, _article_id(article_id))
    cursor = current.query("cursor") or None
    versions = kb_service().versions(current.user, article.id, VERSIONS_PER_PAGE, cursor)
    return current.render(
        "agent_kb_history.html",
        article=article,
        versions=[(v, diff_lines(v.diff)) for v in versions.items],
        next_cursor=versions.next_cursor,
        paged=cursor is not None,
        **_words(),
    )


# --- from a resolved ticket -----------------------------------------------------------------


@agent_kb_bp.route("/agent/tickets/{number}/kb-draft", methods=["POST"], content_types=ANY_BODY)
@page(agent_kb_bp)
def draft_from_ticket(current: Page, number: str) -> Response:
    """The ticket's subject and last public answer of the helpdesk as a new draft, opened
    in the editor. A ticket that is not solved, or has no such answer, is a 409 page."""
    current.form()
    if not number.isdigit() or len(number) > 12:
        raise NotFound("No such ticket.")
    article = kb_service().draft_from_ticket(current.user, int(number))
    return current.redirect(f"/agent/kb/{article.id}", drafted="1")


# --- words on the pages ---------------------------------------------------------------------

STATUS = {
    ArticleStatus.DRAFT: N_("Draft"),
    ArticleStatus.PUBLISHED: N_("Published"),
    ArticleStatus.ARCHIVED: N_("Archived"),
}
VISIBILITY = {
    ArticleVisibility.PUBLIC: N_("Public: anyone, also without signing in"),
    ArticleVisibility.REQUESTERS: N_("Requesters: people of this organisation who sign in"),
    ArticleVisibility.AGENTS: N_("Helpdesk only"),
}
VISIBILITY_SHORT = {
    ArticleVisibility.PUBLIC: N_("public"),
    ArticleVisibility.REQUESTERS: N_("requesters"),
    ArticleVisibility.AGENTS: N_("helpdesk only"),
}
FIELD = {
    "title": N_("Title"),
    "body": N_("Text"),
    "language": N_("Language"),
    "category": N_("Category"),
    "tags": N_("Tags"),
    "visibility": N_("Who may read it"),
    "translation_of": N_("Translation of (article id)"),
}
