"""Knowledge-base articles, search, suggestions, votes and deflections (issue 9)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from chalicelib.api.schemas.common import PageQuery, Schema, Strict
from chalicelib.api.schemas.tickets import Slug, Tag
from chalicelib.domain.kb import ArticleStatus, ArticleVisibility, Language

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
ArticleId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Z]+$")]
TenantName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ArticleIn(Strict):
    """A whole article, as PUT replaces it."""

    title: Title
    body: Body = Field(description="Markdown; rendered and sanitised where it is shown")
    language: Language
    category: Slug | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    visibility: ArticleVisibility = ArticleVisibility.REQUESTERS
    status: ArticleStatus = ArticleStatus.DRAFT
    translation_of: ArticleId | None = Field(
        default=None, description="the article (in the other language) this one translates"
    )


class ArticleCreate(Strict):
    """A new article; or, with only `from_ticket` (and optionally language, category and
    visibility), a draft from a resolved ticket's subject and last public agent reply."""

    title: Title | None = None
    body: Body | None = None
    language: Language | None = None
    category: Slug | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    visibility: ArticleVisibility = ArticleVisibility.REQUESTERS
    status: ArticleStatus = ArticleStatus.DRAFT
    translation_of: ArticleId | None = None
    from_ticket: int | None = Field(default=None, ge=1, le=999_999_999_999)

    @model_validator(mode="after")
    def one_way(self) -> "ArticleCreate":
        if self.from_ticket is not None:
            if self.title or self.body or self.tags or self.translation_of:
                raise ValueError("from_ticket takes the title and body from the ticket.")
            if self.status != ArticleStatus.DRAFT:
                raise ValueError("An article from a ticket starts as a draft.")
            return self
        if not (self.title and self.body and self.language):
            raise ValueError("title, body and language are required (or from_ticket).")
        return self


class ArticleOut(Schema):
    id: str
    tenant: str
    version: int
    title: str
    body: str
    language: Language
    category: str | None
    tags: list[str]
    visibility: ArticleVisibility
    status: ArticleStatus
    translation_of: str | None
    from_ticket: int | None = Field(description="the ticket it was drafted from (extension)")
    helpful: int
    not_helpful: int
    views: int
    created_at: datetime
    updated_at: datetime
    score: float | None = Field(
        default=None, description="BM25 relevance, when ranked by a query (extension)"
    )


class ArticleList(Schema):
    items: list[ArticleOut]
    next_cursor: str | None = None


class ArticleQuery(PageQuery):
    q: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="full-text search: ranked by relevance, no cursor"
    )
    language: Language | None = None
    category: Slug | None = None
    status: ArticleStatus | None = Field(
        default=None, description="agents: drafts or archived articles (default published)"
    )
    sort: Literal["recent", "top"] = Field(
        default="recent", description="`top`: most viewed and helpful first (top solutions)"
    )
    tenant: TenantName | None = Field(
        default=None, description="without sign-in: whose public articles to read"
    )


class TenantQuery(Strict):
    tenant: TenantName | None = Field(
        default=None, description="without sign-in: whose public articles to read"
    )


class SuggestIn(Strict):
    subject: Annotated[str, StringConstraints(max_length=200)] = ""
    text: Annotated[str, StringConstraints(max_length=100_000)] = ""


class VoteIn(Strict):
    helpful: bool
    voter: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,64}$")] | None = Field(
        default=None,
        description="without a sign-in: required, an id the client keeps per visitor; one "
        "vote per voter and article, a new vote replaces the old one. Signed in: ignored",
    )


class DeflectionIn(Strict):
    article: ArticleId


class DeflectionOut(Schema):
    id: str
    article: str
    occurred_at: datetime


class VersionOut(Schema):
    version: int
    actor: dict[str, str]
    at: datetime
    status: str
    title: str
    diff: str = Field(description="unified diff against the version before")


class VersionList(Schema):
    items: list[VersionOut]
    next_cursor: str | None = None
