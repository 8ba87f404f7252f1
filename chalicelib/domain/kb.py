"""Knowledge-base articles: their states, who may read them, and their version history."""

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.errors import Conflict


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleVisibility(StrEnum):
    PUBLIC = "public"  # anyone, without signing in, on the tenant's portal
    REQUESTERS = "requesters"  # signed-in people of the tenant
    AGENTS = "agents"  # staff only


class Language(StrEnum):
    NL = "nl"
    EN = "en"


# draft → published → archived; an archived article comes back as a draft to be reworked,
# and a published one can be taken back to draft.
_MOVES = {
    (ArticleStatus.DRAFT, ArticleStatus.PUBLISHED),
    (ArticleStatus.DRAFT, ArticleStatus.ARCHIVED),
    (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED),
    (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT),
    (ArticleStatus.ARCHIVED, ArticleStatus.DRAFT),
}


def check_move(current: ArticleStatus, target: ArticleStatus) -> None:
    if current != target and (current, target) not in _MOVES:
        raise Conflict(f"An article cannot go from {current.value} to {target.value}.")


@dataclass(frozen=True)
class Counts:
    """Counted apart from the article, in a small item of their own: a view costs one small
    write, not a rewrite of the article."""

    views: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @property
    def score(self) -> int:
        """ "Top solutions" order: a helpful vote weighs as ten views."""
        return self.views + 10 * self.helpful - 5 * self.not_helpful


@dataclass(frozen=True)
class Article:
    tenant: str
    id: str
    version: int
    title: str
    body: str  # Markdown, as written; rendered and sanitised where it is shown
    language: Language
    category: str | None
    tags: tuple[str, ...]
    visibility: ArticleVisibility
    status: ArticleStatus
    translation_of: str | None
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    from_ticket: int | None = None
    counts: Counts = field(default_factory=Counts)

    @property
    def searchable(self) -> bool:
        """Only published articles have postings."""
        return self.status == ArticleStatus.PUBLISHED


@dataclass(frozen=True)
class ArticleVersion:
    """One saved version: who, when, and what changed against the one before."""

    article: str
    version: int
    actor: dict[str, str]
    at: datetime
    status: str
    title: str
    diff: str


def text_of(article: Article | None) -> list[str]:
    if article is None:
        return []
    header = [
        f"title: {article.title}",
        f"language: {article.language.value}",
        f"category: {article.category or ''}",
        f"tags: {', '.join(article.tags)}",
        f"visibility: {article.visibility.value}",
        f"status: {article.status.value}",
        "",
    ]
    return header + article.body.splitlines()


def unified_diff(before: Article | None, after: Article) -> str:
    """The change as a unified diff of the article's fields and body lines."""
    old_name = f"v{before.version}" if before else "empty"
    lines = difflib.unified_diff(
        text_of(before), text_of(after), fromfile=old_name, tofile=f"v{after.version}", lineterm=""
    )
    return "\n".join(lines)
