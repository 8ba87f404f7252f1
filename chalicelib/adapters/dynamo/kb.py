"""Knowledge-base repository: articles, their postings and counters (docs/knowledge-base.md).

An article's partition holds the article (`META`), its counters (`COUNTS`) and its versions
(`VER#…`); its postings are in the partitions of their terms, ordered by impact. Every
change of an article rewrites its postings and the tenant's term
statistics in the article's own transaction.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo import postings as index_postings
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.paging import query_page
from chalicelib.adapters.dynamo.tickets import iso
from chalicelib.adapters.dynamo.transactions import if_version, transact_versioned
from chalicelib.domain import search
from chalicelib.domain.errors import Conflict
from chalicelib.domain.kb import (
    Article,
    ArticleStatus,
    ArticleVersion,
    ArticleVisibility,
    Counts,
    Language,
)
from chalicelib.domain.search import Posting
from chalicelib.services.ports import Page, VersionConflict
from chalicelib.settings import get_settings

_MAX_TRANSACTION = 100
# Term statistics are attributes of one item, named by this prefix and the term.
_DF_PREFIX = "df:"
# A vote re-reads and retries this often when the same voter votes concurrently.
_VOTE_ATTEMPTS = 3


@dataclass(frozen=True)
class Stats:
    documents: int = 0
    total_length: int = 0
    document_frequency: dict[str, int] = field(default_factory=dict)

    @property
    def average_length(self) -> float:
        return self.total_length / self.documents if self.documents else 0.0


class DynamoKnowledgeBase:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    # --- reading articles -------------------------------------------------------------------

    def get(self, tenant: str, article_id: str, *, consistent: bool = False) -> Article | None:
        """The article and its counters: one Query of the two neighbouring items."""
        answer = self._db.query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :counts AND :meta",
            ExpressionAttributeValues=to_item(
                {
                    ":pk": keys.kb_article_pk(tenant, article_id),
                    ":counts": keys.KB_COUNTS_SK,
                    ":meta": keys.KB_ARTICLE_SK,
                }
            ),
            ConsistentRead=consistent,
        )
        found = {v["SK"]: v for v in (from_item(i) for i in answer.get("Items", []))}
        meta = found.get(keys.KB_ARTICLE_SK)
        if meta is None:
            return None
        return article_from_item(meta, found.get(keys.KB_COUNTS_SK))

    def get_many(self, tenant: str, ids: list[str]) -> dict[str, Article]:
        """Several articles with their counters in one BatchGetItem (ids ≤ 50)."""
        if not ids:
            return {}
        wanted = [
            to_item(key)
            for article in dict.fromkeys(ids)
            for key in (keys.kb_article_key(tenant, article), keys.kb_counts_key(tenant, article))
        ]
        rows: list[dict[str, Any]] = []
        request: dict[str, Any] = {self.table: {"Keys": wanted}}
        while request:
            answer = self._db.batch_get_item(RequestItems=request)
            rows += [from_item(i) for i in answer.get("Responses", {}).get(self.table, [])]
            request = answer.get("UnprocessedKeys") or {}
        metas = {r["id"]: r for r in rows if r["SK"] == keys.KB_ARTICLE_SK}
        counts = {r["id"]: r for r in rows if r["SK"] == keys.KB_COUNTS_SK}
        return {i: article_from_item(m, counts.get(i)) for i, m in metas.items()}

    def list_articles(
        self,
        tenant: str,
        status: ArticleStatus,
        category: str | None,
        filters: dict[str, Any],
        limit: int,
        cursor: str | None,
    ) -> Page[Article]:
        """Newest first; a published category has its own index partition, anything else
        (language, visibility) is a filter over at most a few rounds."""
        if category and status == ArticleStatus.PUBLISHED:
            index, partition = keys.GSI_KB_CATEGORY, keys.kb_category_pk(tenant, category)
        else:
            index, partition = keys.GSI_KB_STATUS, keys.kb_status_pk(tenant, status.value)
            if category:
                filters = {**filters, "category": [category]}
        params = _index_partition(self.table, index, partition)
        _add_filters(params, filters)
        rows, next_cursor = query_page(self._db, params, limit, cursor, (f"{index}PK", partition))
        return Page([article_from_item(r, None) for r in rows], next_cursor)

    def top(
        self, tenant: str, category: str | None, filters: dict[str, Any], limit: int
    ) -> list[tuple[str, Counts]]:
        """Published articles with the highest score, from their counters: (id, counts)."""
        index = keys.GSI_KB_TOP_CATEGORY if category else keys.GSI_KB_TOP
        partition = keys.kb_top_pk(tenant, category)
        params = _index_partition(self.table, index, partition)
        _add_filters(params, filters)
        rows, _ = query_page(self._db, params, limit, None, (f"{index}PK", partition))
        return [(r["id"], counts_from_item(r)) for r in rows]

    def versions(
        self, tenant: str, article_id: str, limit: int, cursor: str | None
    ) -> Page[ArticleVersion]:
        pk = keys.kb_article_pk(tenant, article_id)
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": pk, ":prefix": keys.KB_VERSION_PREFIX}),
            "ScanIndexForward": False,
        }
        rows, next_cursor = query_page(self._db, params, limit, cursor, ("PK", pk))
        return Page([version_from_item(r) for r in rows], next_cursor)

    # --- search -----------------------------------------------------------------------------

    def stats(self, tenant: str) -> Stats:
        item = self._db.get_item(TableName=self.table, Key=to_item(keys.kb_stats_key(tenant))).get(
            "Item"
        )
        if not item:
            return Stats()
        values = from_item(item)
        return Stats(
            documents=values.get("documents", 0),
            total_length=values.get("total_length", 0),
            document_frequency={
                name[len(_DF_PREFIX) :]: value
                for name, value in values.items()
                if name.startswith(_DF_PREFIX)
            },
        )

    def postings(self, tenant: str, terms: list[str], limit: int) -> list[Posting]:
        """The `limit` highest-impact postings of each term: one Query per term's partition,
        sent side by side (a search waits for the slowest Query, not for their sum)."""
        partitions = [keys.kb_term_pk(tenant, term) for term in terms]
        rows = index_postings.heads(self._db, self.table, partitions, limit)
        return [posting_from_item(row) for row in rows]

    # --- writing ----------------------------------------------------------------------------

    def write(
        self,
        before: Article | None,
        after: Article,
        version: ArticleVersion,
        old_index: search.Document | None,
        new_index: search.Document | None,
    ) -> None:
        """The new version of an article, its version record, its counters' index keys, its
        postings and the term statistics: all in one transaction, or nothing."""
        tenant = after.tenant
        article_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item(article_item(after, new_index)),
        }
        if before is None:
            article_put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            article_put.update(if_version(before.version))
        items: list[dict[str, Any]] = [
            {"Put": article_put},
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(version_item(tenant, version)),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Update": self._counts_update(after)},
        ]
        items += self._index_changes(tenant, after.id, after, old_index, new_index)
        self._transact(items)

    def delete(self, article: Article, old_index: search.Document | None) -> None:
        """The article, its counters and its postings in one transaction; then its versions."""
        tenant = article.tenant
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": to_item(keys.kb_article_key(tenant, article.id)),
                    **if_version(article.version),
                }
            },
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": to_item(keys.kb_counts_key(tenant, article.id)),
                }
            },
        ]
        items += self._index_changes(tenant, article.id, None, old_index, None)
        self._transact(items)
        # Versions are history, not searchable: removed after the article, in chunks.
        pk = keys.kb_article_pk(tenant, article.id)
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": pk}),
            "ProjectionExpression": "PK, SK",
        }
        while True:
            answer = self._db.query(**params)
            found = answer.get("Items", [])
            for start in range(0, len(found), _MAX_TRANSACTION):
                chunk = found[start : start + _MAX_TRANSACTION]
                self._db.transact_write_items(
                    TransactItems=[
                        {"Delete": {"TableName": self.table, "Key": key}} for key in chunk
                    ]
                )
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def count_view(self, article: Article) -> None:
        """One small write to the counters item (never to the article)."""
        self._bump(article, "views", Counts(
            article.counts.views + 1, article.counts.helpful, article.counts.not_helpful
        ))  # fmt: skip

    def vote(self, article: Article, voter: str, helpful: bool, at: datetime) -> Counts:
        """One vote per voter: the voter's vote item and the counters change in one
        transaction, conditioned on the vote as it was read. A concurrent vote of the same
        voter fails the condition and the loop reads again, so no vote is counted twice
        and no change of mind is lost."""
        key = to_item(keys.kb_vote_key(article.tenant, article.id, voter))
        for _ in range(_VOTE_ATTEMPTS):
            found = self._db.get_item(TableName=self.table, Key=key, ConsistentRead=True)
            before = found.get("Item", {}).get("helpful", {}).get("BOOL")
            if before is helpful:
                return article.counts
            after = _moved(article.counts, before, helpful)
            put: dict[str, Any] = {
                "TableName": self.table,
                "Item": {
                    **key,
                    **to_item({"kind": "kb_vote", "helpful": helpful, "at": iso(at)}),
                },
            }
            if before is None:
                put["ConditionExpression"] = "attribute_not_exists(PK)"
            else:
                put["ConditionExpression"] = "helpful = :before"
                put["ExpressionAttributeValues"] = to_item({":before": before})
            adds = {"helpful" if helpful else "not_helpful": 1}
            if before is not None:
                adds["not_helpful" if helpful else "helpful"] = -1
            try:
                self._transact([{"Put": put}, {"Update": self._bump_update(article, adds, after)}])
            except VersionConflict:
                continue
            return after
        raise Conflict("Your vote changed meanwhile; try again.")

    def _bump(self, article: Article, counter: str, after: Counts) -> None:
        self._db.update_item(**self._bump_update(article, {counter: 1}, after))

    def _bump_update(self, article: Article, adds: dict[str, int], after: Counts) -> dict[str, Any]:
        """ADD keeps the counts exact under concurrency; the top-solutions sort key is set
        from the value this request saw, so it may trail by a concurrent vote or view."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        parts = []
        for n, (counter, delta) in enumerate(adds.items()):
            names[f"#c{n}"] = counter
            values[f":d{n}"] = delta
            parts.append(f"#c{n} :d{n}")
        update = "ADD " + ", ".join(parts)
        if article.searchable:
            top = keys.kb_top_index_keys(article.tenant, article.id, article.category, after.score)
            sets = []
            for n, (name, value) in enumerate(top.items()):
                if name.endswith("SK"):
                    names[f"#k{n}"] = name
                    values[f":k{n}"] = value
                    sets.append(f"#k{n} = :k{n}")
            update += " SET " + ", ".join(sets)
        return {
            "TableName": self.table,
            "Key": to_item(keys.kb_counts_key(article.tenant, article.id)),
            "UpdateExpression": update,
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }

    def record_deflection(
        self, tenant: str, deflection_id: str, article_id: str, at: datetime, expires_at: int
    ) -> None:
        """The contract with reporting: one item of kind "deflection" per confirmation."""
        self._db.put_item(
            TableName=self.table,
            Item=to_item(
                {
                    **keys.deflection_key(tenant, at.strftime("%Y-%m-%d"), deflection_id),
                    "kind": "deflection",
                    "tenant": tenant,
                    "id": deflection_id,
                    "article": article_id,
                    "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "expires_at": expires_at,
                }
            ),
            ConditionExpression="attribute_not_exists(PK)",
        )

    # --- internals --------------------------------------------------------------------------

    def _counts_update(self, article: Article) -> dict[str, Any]:
        """Counters exist from the first version on; while the article is published they
        carry its top-solutions index keys, and its filters."""
        top_names = [
            f"{keys.GSI_KB_TOP}PK",
            f"{keys.GSI_KB_TOP}SK",
            f"{keys.GSI_KB_TOP_CATEGORY}PK",
            f"{keys.GSI_KB_TOP_CATEGORY}SK",
        ]
        names = {f"#n{i}": name for i, name in enumerate(top_names)}
        values: dict[str, Any] = {":zero": 0}
        sets = []
        # Every attribute by placeholder: several of these names are DynamoDB reserved words.
        plain = {
            "kind": "kb_counts",
            "id": article.id,
            "tenant": article.tenant,
            "visibility": article.visibility.value,
            "language": article.language.value,
            "category": article.category,
        }
        for i, (name, value) in enumerate(plain.items()):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            sets.append(f"#a{i} = :a{i}")
        for i, name in enumerate(("views", "helpful", "not_helpful")):
            names[f"#c{i}"] = name
            sets.append(f"#c{i} = if_not_exists(#c{i}, :zero)")
        removes: list[str] = []
        if article.searchable:
            top = keys.kb_top_index_keys(
                article.tenant, article.id, article.category, article.counts.score
            )
            for i, name in enumerate(top_names):
                if name in top:
                    values[f":t{i}"] = top[name]
                    sets.append(f"#n{i} = :t{i}")
                else:
                    removes.append(f"#n{i}")
        else:
            removes = list(names)[:4]
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return {
            "TableName": self.table,
            "Key": to_item(keys.kb_counts_key(article.tenant, article.id)),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }

    def _index_changes(
        self,
        tenant: str,
        article_id: str,
        after: Article | None,
        old: search.Document | None,
        new: search.Document | None,
    ) -> list[dict[str, Any]]:
        """Postings to put and delete, and the statistics update, for old → new index."""
        new_postings: list[dict[str, Any]] = []
        old_keys: list[dict[str, str]] = []
        if new and after is not None:
            for term, frequency in new.frequencies.items():
                new_postings.append(posting_item(after, term, frequency, new.length))
        if old:
            for term, frequency in sorted(old.frequencies.items()):
                rank = search.impact_rank(frequency, old.length)
                old_keys.append(keys.kb_posting_key(tenant, article_id, term, rank))
        stats_key = keys.kb_stats_key(tenant)
        return index_postings.moves(self.table, new_postings, old_keys) + (
            index_postings.statistics_update(self.table, stats_key, old, new, _DF_PREFIX)
        )

    def _transact(self, items: list[dict[str, Any]]) -> None:
        transact_versioned(self._db, items)


def _index_partition(table: str, index: str, partition: str) -> dict[str, Any]:
    """A Query of one partition of a KB index, highest sort key (newest, best) first."""
    return {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": f"{index}PK"},
        "ExpressionAttributeValues": to_item({":pk": partition}),
        "ScanIndexForward": False,
    }


def _add_filters(params: dict[str, Any], filters: dict[str, Any]) -> None:
    """`{attribute: [allowed values]}` as a FilterExpression."""
    clauses = []
    for n, (name, allowed) in enumerate(sorted(filters.items())):
        if allowed is None:
            continue
        params["ExpressionAttributeNames"][f"#f{n}"] = name
        options = []
        for m, value in enumerate(allowed):
            params["ExpressionAttributeValues"][f":f{n}_{m}"] = {"S": value}
            options.append(f":f{n}_{m}")
        clauses.append(f"#f{n} IN ({', '.join(options)})")
    if clauses:
        params["FilterExpression"] = " AND ".join(clauses)


# --- item mapping -----------------------------------------------------------------------------


def article_item(a: Article, index: search.Document | None) -> dict[str, Any]:
    return {
        **keys.kb_article_key(a.tenant, a.id),
        **keys.kb_article_index_keys(
            a.tenant, a.id, status=a.status.value, category=a.category, updated_at=iso(a.updated_at)
        ),
        "kind": "kb_article",
        "tenant": a.tenant,
        "id": a.id,
        "version": a.version,
        "title": a.title,
        "body": a.body,
        "language": a.language.value,
        "category": a.category,
        "tags": list(a.tags),
        "visibility": a.visibility.value,
        "status": a.status.value,
        "translation_of": a.translation_of,
        "from_ticket": a.from_ticket,
        "created_at": iso(a.created_at),
        "updated_at": iso(a.updated_at),
        "created_by": a.created_by,
        "updated_by": a.updated_by,
        # What the postings were built from, so the next change knows what to remove.
        "indexed": dict(index.frequencies) if index else None,
        "indexed_length": index.length if index else None,
    }


def indexed_document(item: dict[str, Any]) -> search.Document | None:
    if not item.get("indexed"):
        return None
    return search.Document(length=item["indexed_length"], frequencies=dict(item["indexed"]))


def counts_from_item(v: dict[str, Any] | None) -> Counts:
    if not v:
        return Counts()
    return Counts(v.get("views", 0), v.get("helpful", 0), v.get("not_helpful", 0))


def article_from_item(v: dict[str, Any], counts: dict[str, Any] | None) -> Article:
    return Article(
        tenant=v["tenant"],
        id=v["id"],
        version=v["version"],
        title=v["title"],
        body=v["body"],
        language=Language(v["language"]),
        category=v.get("category"),
        tags=tuple(v.get("tags", [])),
        visibility=ArticleVisibility(v["visibility"]),
        status=ArticleStatus(v["status"]),
        translation_of=v.get("translation_of"),
        from_ticket=v.get("from_ticket"),
        created_at=datetime.fromisoformat(v["created_at"]),
        updated_at=datetime.fromisoformat(v["updated_at"]),
        created_by=v["created_by"],
        updated_by=v["updated_by"],
        counts=counts_from_item(counts),
    )


def posting_item(a: Article, term: str, frequency: int, length: int) -> dict[str, Any]:
    return {
        **keys.kb_posting_key(a.tenant, a.id, term, search.impact_rank(frequency, length)),
        "kind": "kb_posting",
        "term": term,
        "article": a.id,
        "tf": frequency,
        "dl": length,
        "visibility": a.visibility.value,
        "language": a.language.value,
        "category": a.category,
    }


def posting_from_item(v: dict[str, Any]) -> Posting:
    return Posting(
        term=v["term"],
        article=v["article"],
        frequency=v["tf"],
        length=v["dl"],
        visibility=v["visibility"],
        language=v["language"],
        category=v.get("category"),
    )


def version_item(tenant: str, v: ArticleVersion) -> dict[str, Any]:
    return {
        **keys.kb_version_key(tenant, v.article, v.version),
        "kind": "kb_version",
        "tenant": tenant,
        "article": v.article,
        "version": v.version,
        "actor": v.actor,
        "at": iso(v.at),
        "status": v.status,
        "title": v.title,
        "diff": v.diff,
    }


def version_from_item(v: dict[str, Any]) -> ArticleVersion:
    return ArticleVersion(
        article=v["article"],
        version=v["version"],
        actor=v["actor"],
        at=datetime.fromisoformat(v["at"]),
        status=v["status"],
        title=v["title"],
        diff=v["diff"],
    )


def _moved(counts: Counts, before: bool | None, helpful: bool) -> Counts:
    """The counts after a voter's vote moves from `before` (None: no vote yet)."""
    up, down = counts.helpful, counts.not_helpful
    if helpful:
        up += 1
        down -= 1 if before is False else 0
    else:
        down += 1
        up -= 1 if before is True else 0
    return Counts(counts.views, up, down)
