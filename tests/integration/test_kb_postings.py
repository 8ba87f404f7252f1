"""Property: whatever happens to articles, postings exist only for published articles, are
exactly their indexed terms, and the term statistics count them (no leftovers)."""

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import search
from chalicelib.domain.kb import ArticleStatus, ArticleVisibility, Language
from chalicelib.domain.principal import Principal, Role

WORDS = [
    *("printer", "toner", "lade", "papier", "storing", "vpn", "verbinding", "wachtwoord"),
    *("account", "laptop", "scherm", "dock", "password", "screen", "network", "cable"),
    *("client", "update", "reset", "mailbox", "teams", "audio", "headset"),
]

SUPERVISOR = Principal(
    tenant="demo", role=Role.SUPERVISOR, kind="user", id="supervisor@demo.example.com",
    name="Lotte Smit", email="supervisor@demo.example.com",
)  # fmt: skip

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), texts),
        st.tuples(st.just("status"), st.sampled_from(list(ArticleStatus))),
        st.tuples(st.just("visibility"), st.sampled_from(list(ArticleVisibility))),
        st.tuples(st.just("delete"), st.none()),
    ),
    max_size=4,
)


def table() -> list[dict[str, Any]]:
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import from_item
    from chalicelib.settings import get_settings

    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": get_settings().table_name}
    while True:
        answer = client("dynamodb").scan(**params)
        items += [from_item(i) for i in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return items
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def check_no_leftovers() -> None:
    items = table()
    articles = {i["id"]: i for i in items if i.get("kind") == "kb_article"}
    postings = [i for i in items if i.get("kind") == "kb_posting"]
    by_article: dict[str, set[str]] = {}
    for posting in postings:
        by_article.setdefault(posting["article"], set()).add(posting["term"])
        assert posting["PK"] == f"T#demo#KBTERM#{posting['term']}"
        assert posting["SK"].endswith(f"#{posting['article']}")
    for article_id, terms in by_article.items():
        article = articles.get(article_id)
        assert article is not None, f"postings of deleted article {article_id}"
        assert article["status"] == "published", f"postings of a {article['status']} article"
        expected = search.index_terms(article["title"], article["body"], article["language"])
        assert terms == set(expected.frequencies)
    published = [a for a in articles.values() if a["status"] == "published"]
    assert all(a["id"] in by_article for a in published)
    stats = next((i for i in items if i.get("SK") == "KB#STATS"), {})
    df = {k[3:]: v for k, v in stats.items() if k.startswith("df:") and v}
    assert df == dict(Counter(p["term"] for p in postings))
    assert stats.get("documents", 0) == len(published)


@pytest.mark.usefixtures("tenants")
@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=texts, published=st.booleans(), steps=steps)
def test_given_any_history_of_an_article_then_no_postings_are_left_behind(
    first: str, published: bool, steps: list[tuple[str, Any]]
):
    from chalicelib.domain.errors import Conflict
    from chalicelib.services.kb import ArticleFields
    from chalicelib.wiring import kb_service

    service = kb_service()
    fields = ArticleFields(
        title=first[:40] or "printer",
        body=first,
        language=Language.NL,
        visibility=ArticleVisibility.PUBLIC,
        status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
    )
    article = service.create(SUPERVISOR, fields)
    for kind, value in steps:
        if kind == "delete":
            service.delete(SUPERVISOR, article.id)
            break
        if kind == "edit":
            fields = ArticleFields(**{**fields.__dict__, "body": value})
        elif kind == "status":
            fields = ArticleFields(**{**fields.__dict__, "status": value})
        else:
            fields = ArticleFields(**{**fields.__dict__, "visibility": value})
        try:
            article = service.replace(SUPERVISOR, article.id, fields, article.version)
        except Conflict:
            fields = ArticleFields(**{**fields.__dict__, "status": article.status})
        check_no_leftovers()
    check_no_leftovers()
