"""Knowledge-base use cases: write and publish articles, read them by role, search and
suggest with BM25 over the postings, count views and votes, record deflections.

Role rules come from domain.permissions. A caller is a Principal, or None for someone who
has not signed in; then `tenant` names whose public articles they read.
"""

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol

from chalicelib.domain import permissions
from chalicelib.domain import search as ranking
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.kb import (
    Article,
    ArticleStatus,
    ArticleVersion,
    ArticleVisibility,
    Counts,
    Language,
    check_move,
    unified_diff,
)
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tickets import Status, Visibility, new_id
from chalicelib.services.ports import Clock, Page, VersionConflict

# Term statistics are read once a minute per container: a new article's words are found at
# once (unknown terms are still looked up), their weights settle within the minute.
_STATS_TTL_SECONDS = 60.0
# The head of each term's postings that a query reads (impact order): rare terms are read
# whole, common ones only where they matter most.
POSTINGS_PER_TERM = 100
# Short queries get typo tolerance (docs/knowledge-base.md).
_SHORT_QUERY = 3
_NEAR_TERMS = 3
DEFLECTION_DAYS = 400
_SUBJECT_WEIGHT = 2.0
# A ticket's text adds at most this many characters to a suggestion query, and a suggestion
# reads the postings of at most this many of its words (the rarest).
_SUGGEST_TEXT = 2000
_SUGGEST_TERMS = 8


@dataclass(frozen=True)
class ArticleFields:
    title: str
    body: str
    language: Language
    category: str | None = None
    tags: tuple[str, ...] = ()
    visibility: ArticleVisibility = ArticleVisibility.REQUESTERS
    status: ArticleStatus = ArticleStatus.DRAFT
    translation_of: str | None = None


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float


class KnowledgeBaseStore(Protocol):
    def get(self, tenant: str, article_id: str, *, consistent: bool = False) -> Article | None: ...

    def get_many(self, tenant: str, ids: list[str]) -> dict[str, Article]: ...

    def list_articles(
        self,
        tenant: str,
        status: ArticleStatus,
        category: str | None,
        filters: dict[str, Any],
        limit: int,
        cursor: str | None,
    ) -> Page[Article]: ...

    def top(
        self, tenant: str, category: str | None, filters: dict[str, Any], limit: int
    ) -> list[tuple[str, Counts]]: ...

    def versions(
        self, tenant: str, article_id: str, limit: int, cursor: str | None
    ) -> Page[ArticleVersion]: ...

    def stats(self, tenant: str) -> Any: ...

    def postings(self, tenant: str, terms: list[str], limit: int) -> list[ranking.Posting]: ...

    def write(
        self,
        before: Article | None,
        after: Article,
        version: ArticleVersion,
        old_index: ranking.Document | None,
        new_index: ranking.Document | None,
    ) -> None: ...

    def delete(self, article: Article, old_index: ranking.Document | None) -> None: ...

    def count_view(self, article: Article) -> None: ...

    def vote(self, article: Article, voter: str, helpful: bool, at: Any) -> Counts: ...

    def record_deflection(
        self, tenant: str, deflection_id: str, article_id: str, at: Any, expires_at: int
    ) -> None: ...


class TicketReader(Protocol):
    """What drafting from a ticket needs of the ticket service."""

    def get(self, principal: Principal, number: int) -> Any: ...

    def messages(
        self, principal: Principal, number: int, limit: int, cursor: str | None
    ) -> Any: ...


class KnowledgeBase:
    def __init__(
        self,
        store: KnowledgeBaseStore,
        tickets: TicketReader,
        tenant_exists: Callable[[str], bool],
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.tickets = tickets
        self.tenant_exists = tenant_exists
        self.clock = clock
        self.monotonic = monotonic
        self._stats: dict[str, tuple[float, Any]] = {}

    # --- who reads which tenant -------------------------------------------------------------

    def tenant_of(self, principal: Principal | None, named: str | None) -> str:
        """A signed-in caller reads their own tenant; anyone else names one that exists."""
        if principal is not None:
            return principal.tenant
        if not named or not self.tenant_exists(named):
            raise NotFound("Name the tenant whose public articles you read (?tenant=).")
        return named

    # --- writing ----------------------------------------------------------------------------

    def create(self, principal: Principal, fields: ArticleFields) -> Article:
        permissions.require(principal, Action.WRITE_KB)
        return self._create(principal, fields, None)

    def draft_from_ticket(
        self,
        principal: Principal,
        number: int,
        *,
        language: Language | None = None,
        category: str | None = None,
        visibility: ArticleVisibility = ArticleVisibility.REQUESTERS,
    ) -> Article:
        """A resolved ticket's subject and last public agent reply as a draft article."""
        permissions.require(principal, Action.DRAFT_FROM_TICKET)
        ticket = self.tickets.get(principal, number)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            raise Conflict(f"Ticket {number} is not resolved; draft from a solved ticket.")
        answer = self._last_agent_answer(principal, number)
        if answer is None:
            raise Conflict(f"Ticket {number} has no public answer of an agent to draft from.")
        fields = ArticleFields(
            title=ticket.subject[:200],
            body=answer,
            language=language or _language_of(principal),
            category=category if category is not None else ticket.category,
            visibility=visibility,
        )
        return self._create(principal, fields, number)

    def _last_agent_answer(self, principal: Principal, number: int) -> str | None:
        answer: str | None = None
        cursor: str | None = None
        while True:
            page = self.tickets.messages(principal, number, 100, cursor)
            for message in page.items:
                role = message.author.get("role", "")
                if (
                    message.visibility == Visibility.PUBLIC
                    and role in Role._value2member_map_
                    and Role(role).at_least(Role.AGENT)
                ):
                    answer = message.body
            cursor = page.next_cursor
            if not cursor:
                return answer

    def _create(self, principal: Principal, fields: ArticleFields, ticket: int | None) -> Article:
        self._check_translation(principal.tenant, fields)
        now = self.clock()
        article = Article(
            tenant=principal.tenant,
            id=new_id(),
            version=1,
            title=fields.title,
            body=fields.body,
            language=fields.language,
            category=fields.category,
            tags=fields.tags,
            visibility=fields.visibility,
            status=fields.status,
            translation_of=fields.translation_of,
            created_at=now,
            updated_at=now,
            created_by=principal.id,
            updated_by=principal.id,
            from_ticket=ticket,
        )
        self._save(principal, None, article)
        return article

    def replace(
        self, principal: Principal, article_id: str, fields: ArticleFields, expected: int
    ) -> Article:
        permissions.require(principal, Action.WRITE_KB)
        before = self._own(principal.tenant, article_id, consistent=True)
        if before.version != expected:
            raise PreconditionFailed(
                f"Article {article_id} is at version {before.version}, not {expected}."
            )
        check_move(before.status, fields.status)
        self._check_translation(principal.tenant, fields, article_id)
        after = replace(
            before,
            version=before.version + 1,
            title=fields.title,
            body=fields.body,
            language=fields.language,
            category=fields.category,
            tags=fields.tags,
            visibility=fields.visibility,
            status=fields.status,
            translation_of=fields.translation_of,
            updated_at=self.clock(),
            updated_by=principal.id,
        )
        self._save(principal, before, after)
        return after

    def delete(self, principal: Principal, article_id: str, expected: int | None = None) -> None:
        permissions.require(principal, Action.WRITE_KB)
        article = self._own(principal.tenant, article_id, consistent=True)
        if expected is not None and article.version != expected:
            raise PreconditionFailed(
                f"Article {article_id} is at version {article.version}, not {expected}."
            )
        try:
            self.store.delete(article, self._index_of(article))
        except VersionConflict as exc:
            raise PreconditionFailed(f"Article {article_id} changed meanwhile.") from exc
        self._stats.pop(principal.tenant, None)

    def _save(self, principal: Principal, before: Article | None, after: Article) -> None:
        version = ArticleVersion(
            article=after.id,
            version=after.version,
            actor=principal.actor(),
            at=after.updated_at,
            status=after.status.value,
            title=after.title,
            diff=unified_diff(before, after),
        )
        old_index = self._index_of(before) if before else None
        new_index = self._index_of(after)
        try:
            self.store.write(before, after, version, old_index, new_index)
        except VersionConflict as exc:
            raise PreconditionFailed(f"Article {after.id} changed meanwhile.") from exc
        self._stats.pop(after.tenant, None)

    @staticmethod
    def _index_of(article: Article) -> ranking.Document | None:
        if not article.searchable:
            return None
        return ranking.index_terms(article.title, article.body, article.language.value)

    def _check_translation(
        self, tenant: str, fields: ArticleFields, article_id: str | None = None
    ) -> None:
        if fields.translation_of is None:
            return
        original = self.store.get(tenant, fields.translation_of)
        problem = None
        if original is None or fields.translation_of == article_id:
            problem = "No such article of this tenant."
        elif original.language == fields.language:
            problem = "A translation is in another language than its original."
        if problem:
            raise Invalid(
                "The translation link is not valid.",
                errors=[{"field": "translation_of", "message": problem}],
            )

    def _own(self, tenant: str, article_id: str, *, consistent: bool = False) -> Article:
        article = self.store.get(tenant, article_id, consistent=consistent)
        if article is None or article.tenant != tenant:
            raise NotFound(f"Article {article_id} does not exist.")
        return article

    # --- reading ----------------------------------------------------------------------------

    def get(
        self, principal: Principal | None, tenant: str, article_id: str, *, count_view: bool
    ) -> Article:
        """One article the caller may read; a requester's or a visitor's read is a view."""
        article = self._own(tenant, article_id)
        permissions.check_can_read_article(principal, tenant, article)
        if count_view and article.searchable and not _staff(principal):
            self.store.count_view(article)
            c = article.counts
            article = replace(article, counts=Counts(c.views + 1, c.helpful, c.not_helpful))
        return article

    def versions(
        self, principal: Principal, article_id: str, limit: int, cursor: str | None
    ) -> Page[ArticleVersion]:
        permissions.require(principal, Action.READ_KB_INTERNAL)
        self._own(principal.tenant, article_id)
        return self.store.versions(principal.tenant, article_id, limit, cursor)

    def list_articles(
        self,
        principal: Principal | None,
        tenant: str,
        *,
        status: ArticleStatus = ArticleStatus.PUBLISHED,
        language: Language | None = None,
        category: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[Article]:
        if status != ArticleStatus.PUBLISHED and not _staff(principal):
            raise NotFound("Only published articles are listed for you.")
        filters = self._filters(principal, language)
        return self.store.list_articles(tenant, status, category, filters, limit, cursor)

    def top(
        self,
        principal: Principal | None,
        tenant: str,
        *,
        category: str | None = None,
        language: Language | None = None,
        limit: int = 10,
    ) -> list[Article]:
        """ "Top solutions": the most viewed and helpful published articles the caller reads."""
        ranked = self.store.top(tenant, category, self._filters(principal, language), limit)
        found = self.store.get_many(tenant, [i for i, _ in ranked])
        return [found[i] for i, _ in ranked if i in found and found[i].searchable]

    def _filters(self, principal: Principal | None, language: Language | None) -> dict[str, Any]:
        levels = permissions.readable_articles(principal)
        filters: dict[str, Any] = {}
        if levels != frozenset(ArticleVisibility):
            filters["visibility"] = sorted(v.value for v in levels)
        if language is not None:
            filters["language"] = [language.value]
        return filters

    # --- search -----------------------------------------------------------------------------

    def search(
        self,
        principal: Principal | None,
        tenant: str,
        text: str,
        *,
        language: Language | None = None,
        category: str | None = None,
        limit: int = 10,
    ) -> list[Hit]:
        return self._ranked(
            principal, tenant, ranking.parse_query(text[:500]), language, category, limit
        )

    def suggest(
        self,
        principal: Principal | None,
        tenant: str,
        subject: str,
        text: str = "",
        *,
        limit: int = 5,
    ) -> list[Hit]:
        """Articles for a ticket being written: its subject weighs double its text. A text
        long enough to tell its language is stemmed in that language only, which halves the
        term Queries."""
        text = text[:_SUGGEST_TEXT]
        language = ranking.guess_language(f"{subject} {text}")
        query = ranking.merge(
            ranking.parse_query(subject[:200], weight=_SUBJECT_WEIGHT, language=language),
            ranking.parse_query(text, language=language),
        )
        return self._ranked(principal, tenant, query, None, None, limit, _SUGGEST_TERMS)

    def _ranked(
        self,
        principal: Principal | None,
        tenant: str,
        query: list[ranking.QueryWord],
        language: Language | None,
        category: str | None,
        limit: int,
        words: int = ranking.MAX_QUERY_TERMS,
    ) -> list[Hit]:
        if not query:
            return []
        stats = self._stats_of(tenant)
        df = stats.document_frequency
        if len(query) <= _SHORT_QUERY:
            query = [self._tolerant(w, n == len(query) - 1, df) for n, w in enumerate(query)]
        chosen = ranking.choose_terms(query, df, words)
        levels = {v.value for v in permissions.readable_articles(principal)}
        terms = list(dict.fromkeys(v for word in chosen for v in word.variants))
        postings = [
            p
            for p in self.store.postings(tenant, terms, POSTINGS_PER_TERM)
            if p.visibility in levels
            and (language is None or p.language == language.value)
            and (category is None or p.category == category)
        ]
        ranked = ranking.rank(
            chosen,
            postings,
            documents=stats.documents,
            average_length=stats.average_length,
            document_frequency=df,
        )[:limit]
        found = self.store.get_many(tenant, [article for article, _ in ranked])
        return [
            Hit(found[a], score)
            for a, score in ranked
            if a in found and found[a].searchable and found[a].visibility.value in levels
        ]

    @staticmethod
    def _tolerant(word: ranking.QueryWord, last: bool, df: dict[str, int]) -> ranking.QueryWord:
        """A word of a short query that matches no indexed term borrows the nearest ones."""
        if any(df.get(v, 0) > 0 for v in word.variants):
            return word
        indexed = (t for t, n in df.items() if n > 0)
        near = ranking.near_terms(word.word, indexed, last=last)
        if not near:
            return word
        near.sort(key=lambda t: -df.get(t, 0))
        return ranking.QueryWord(word.word, word.weight, tuple(near[:_NEAR_TERMS]))

    def _stats_of(self, tenant: str) -> Any:
        now = self.monotonic()
        kept = self._stats.get(tenant)
        if kept and now - kept[0] < _STATS_TTL_SECONDS:
            return kept[1]
        stats = self.store.stats(tenant)
        self._stats[tenant] = (now, stats)
        return stats

    # --- feedback ---------------------------------------------------------------------------

    def vote(
        self,
        principal: Principal | None,
        tenant: str,
        article_id: str,
        helpful: bool,
        *,
        voter: str | None = None,
    ) -> Article:
        """Helpful or not: one vote per voter per article, a second vote replaces the first
        (see voter_digest for who a voter is)."""
        article = self._own(tenant, article_id)
        permissions.check_can_read_article(principal, tenant, article)
        if not article.searchable:
            raise Conflict("Only published articles take votes.")
        digest = voter_digest(principal, voter)
        return replace(article, counts=self.store.vote(article, digest, helpful, self.clock()))

    def deflect(self, principal: Principal, article_id: str) -> dict[str, Any]:
        """A requester confirmed that a suggested article solved it: one deflection."""
        article = self._own(principal.tenant, article_id)
        permissions.check_can_read_article(principal, principal.tenant, article)
        now = self.clock()
        deflection_id = new_id()
        expires_at = int((now + timedelta(days=DEFLECTION_DAYS)).timestamp())
        self.store.record_deflection(principal.tenant, deflection_id, article.id, now, expires_at)
        return {"id": deflection_id, "article": article.id, "occurred_at": now}


VOTER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def voter_digest(principal: Principal | None, voter: str | None) -> str:
    """Who a vote belongs to, as a one-way digest (no address or id is stored with votes):

    - a signed-in person: their user id; any `voter` they send is ignored;
    - an API key: the key, narrowed by the `voter` the integration names (its own user),
      or the key itself when it names none;
    - nobody signed in: the `voter` the caller names, required. The portal names a value
      derived from its per-browser secret cookie (web/kb_pages.py); an API client keeps a
      random id of its own per visitor.
    """
    if voter is not None and not VOTER_PATTERN.match(voter):
        raise Invalid(
            "The voter is not valid.",
            errors=[{"field": "voter", "message": "16 to 64 letters, digits, - or _."}],
        )
    if principal is not None and principal.kind == "user":
        name = f"user:{principal.id.lower()}"
    elif principal is not None:
        name = f"key:{principal.id}:{voter or ''}"
    elif voter is None:
        raise Invalid(
            "Without a sign-in, a vote names its voter.",
            errors=[{"field": "voter", "message": "Required without a sign-in."}],
        )
    else:
        name = f"anonymous:{voter}"
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]


def _staff(principal: Principal | None) -> bool:
    return principal is not None and permissions.allows(principal, Action.READ_KB_INTERNAL)


def _language_of(principal: Principal) -> Language:
    return Language.NL if principal.locale == "nl" else Language.EN
