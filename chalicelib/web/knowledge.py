"""The knowledge base as the portal sees it: search results, subject suggestions, top
solutions and article bodies rendered from Markdown.

The one place the pages call the knowledge-base service. A visitor who has not signed in
(principal None) reads the public articles of the tenant the page names (`?tenant=`).
Markdown is rendered with markdown-it-py (CommonMark, raw HTML off) and the HTML that comes
out is sanitised with nh3 again: both are imported on the first article shown.
"""

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.kb import Article as Stored
from chalicelib.domain.kb import Language
from chalicelib.domain.principal import Principal
from chalicelib.wiring import kb_service

_SUMMARY = 180
_MARKUP = re.compile(r"[#*_`>\[\]()!|~-]+")
_SPACE = re.compile(r"\s+")
_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    summary: str
    category: str | None = None
    language: str = "en"


def _brief(article: Stored) -> Article:
    plain = _SPACE.sub(" ", _MARKUP.sub(" ", article.body)).strip()
    summary = plain if len(plain) <= _SUMMARY else plain[: _SUMMARY - 1].rsplit(" ", 1)[0] + "…"
    return Article(article.id, article.title, summary, article.category, article.language.value)


def tenant_for(principal: Principal | None, named: str | None) -> str:
    return kb_service().tenant_of(principal, named)


def find_articles(
    principal: Principal | None, text: str, *, limit: int = 10, tenant: str | None = None
) -> list[Article]:
    """Articles the caller may read that match `text`, best first."""
    service = kb_service()
    hits = service.search(principal, service.tenant_of(principal, tenant), text, limit=limit)
    return [_brief(h.article) for h in hits]


def suggest(principal: Principal, subject: str, text: str = "", *, limit: int = 5) -> list[Article]:
    hits = kb_service().suggest(principal, principal.tenant, subject, text, limit=limit)
    return [_brief(h.article) for h in hits]


def top_solutions(
    principal: Principal | None, tenant: str, locale: str, *, limit: int = 9
) -> list[tuple[str | None, list[Article]]]:
    """The most viewed and helpful articles in the reader's language (any language when
    there are none in theirs), grouped by category (best category first)."""
    service = kb_service()
    articles = service.top(principal, tenant, language=Language(locale), limit=limit)
    if not articles:
        articles = service.top(principal, tenant, limit=limit)
    grouped: dict[str | None, list[Article]] = {}
    for article in articles:
        grouped.setdefault(article.category, []).append(_brief(article))
    return list(grouped.items())


def read(
    principal: Principal | None, tenant: str, article_id: str, *, count_view: bool = True
) -> Stored:
    """One article; reading it counts as a view unless staff read it."""
    return kb_service().get(principal, tenant, article_id, count_view=count_view)


def vote(
    principal: Principal | None,
    tenant: str,
    article_id: str,
    helpful: bool,
    voter: str | None = None,
) -> None:
    """One vote per person (signed in) or per browser (anonymous, `voter`); voting again
    replaces the earlier vote."""
    kb_service().vote(principal, tenant, article_id, helpful, voter=voter)


def solved(principal: Principal, article_id: str) -> None:
    kb_service().deflect(principal, article_id)


def render_markdown(body: str) -> Any:
    """The article body as safe HTML (a Markup, so templates do not escape it again)."""
    import nh3
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    html = MarkdownIt("commonmark", {"html": False, "linkify": False}).render(body)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
