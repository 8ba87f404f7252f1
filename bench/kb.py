"""Knowledge-base search: latency and items read per query at 500 and 5,000 articles, and
suggestion latency.

Articles are written through the service's own publishing transaction (article, version,
counters, postings, term statistics), so the index is exactly what production builds. Their
words come from one fixed random stream over a helpdesk vocabulary: a head of real Dutch and
English support words drawn with Zipf-like weights, and a long tail of rarer made-up terms
(product names, codes), so that term frequencies look like a real knowledge base.
"""

import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from math import ceil
from typing import Any

from bench.recorder import CallRecorder

SIZES = (500, 5000)
QUERIES = 20
SUGGESTIONS = 10
WARMUP = 3
TAIL_TERMS = 6000


def _words(text: str) -> list[str]:
    return text.split()


_HEAD = {
    "en": _words("""printer toner paper jam tray error screen monitor laptop dock docking station
    charger battery keyboard mouse headset audio microphone camera teams meeting outlook
    mailbox calendar password account locked reset login sign vpn network wifi cable router
    connection slow internet browser chrome edge update install software licence request
    access folder share drive onedrive sharepoint file permission phone mobile app
    authenticator token certificate expired server backup restore disk storage space
    windows macos linux driver firmware bluetooth usb adapter projector meeting room booking
    invoice purchase order approval manager form ticket incident outage maintenance
    notification email spam phishing attachment signature template print scan copy label
    badge door access card parking desk chair facilities move office home work remote
    """),
    "nl": _words("""printer toner papier storing lade foutcode scherm beeldscherm laptop dock
    dockingstation oplader accu toetsenbord muis headset geluid microfoon camera teams
    vergadering outlook mailbox agenda wachtwoord account geblokkeerd opnieuw inloggen
    aanmelden vpn netwerk wifi kabel router verbinding traag internet browser bijwerken
    installeren software licentie aanvraag toegang map gedeelde schijf onedrive sharepoint
    bestand rechten telefoon mobiel app authenticator certificaat verlopen server back-up
    herstellen opslag ruimte stuurprogramma firmware bluetooth usb adapter beamer
    vergaderruimte reservering factuur bestelling goedkeuring leidinggevende formulier
    melding storing onderhoud notificatie mail phishing bijlage handtekening sjabloon
    afdrukken scannen kopiëren pasje deur toegangspas parkeren bureau stoel facilitair
    verhuizing kantoor thuiswerken werkplek
    """),
}
_FILLER = {
    "en": _words("the a to and if you your is it in on for with then this that not of"),
    "nl": _words("de het een en als je is op in voor met dan dit dat niet van om"),
}
_SYLLABLES = _words("ka lo mi ne ru sa te vi zo bar dex fin gor hal jet kor lum mar nox pel")


def _vocabulary(rng: random.Random) -> tuple[dict[str, list[str]], list[str]]:
    tail = sorted(
        {"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(TAIL_TERMS * 2)}
    )[:TAIL_TERMS]
    return _HEAD, tail


def _article(rng: random.Random, language: str, tail: list[str]) -> tuple[str, str]:
    head = _HEAD[language]

    def word() -> str:
        if rng.random() < 0.75:
            # Zipf-like over the head: a few words are in almost every article.
            return head[min(int(rng.paretovariate(1.1)) - 1, len(head) - 1)]
        return tail[min(int(rng.paretovariate(0.7)) - 1, len(tail) - 1)]

    title = " ".join(word() for _ in range(rng.randint(3, 7)))
    sentences = []
    for _ in range(rng.randint(6, 14)):
        words = [word() if rng.random() < 0.6 else rng.choice(_FILLER[language])
                 for _ in range(rng.randint(6, 16))]  # fmt: skip
        sentences.append(" ".join(words).capitalize() + ".")
    return title.capitalize(), " ".join(sentences)


def _query(rng: random.Random, language: str, tail: list[str]) -> str:
    head = _HEAD[language]
    words = [rng.choice(head[:60]) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        words.append(rng.choice(tail[:500]))
    return " ".join(words)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, ceil(0.9 * len(ordered)) - 1)]


def _seed(count: int, already: int, rng: random.Random, tail: list[str], df: Counter) -> float:
    """Articles as the publishing transaction writes them, sent with BatchWriteItem (one
    transaction per article is far too slow on moto for 5,000); the term statistics item is
    then written once with the summed counts. The last article of each size goes through
    KnowledgeBase.create itself, the real transaction."""
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo import keys
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.adapters.dynamo.kb import article_item, posting_item, version_item
    from chalicelib.domain import search
    from chalicelib.domain.kb import (
        Article,
        ArticleStatus,
        ArticleVersion,
        ArticleVisibility,
        Language,
    )
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.domain.tickets import new_id
    from chalicelib.services.kb import ArticleFields
    from chalicelib.settings import get_settings
    from chalicelib.wiring import kb_service

    supervisor = Principal("demo", Role.SUPERVISOR, "user", "supervisor@demo.example.com",
                           "Lotte Smit", "supervisor@demo.example.com", "nl")  # fmt: skip
    table = get_settings().table_name
    db = client("dynamodb")
    visibilities = list(ArticleVisibility)
    categories = ["accounts", "network", "workplace", "software", None]
    now = datetime.now(UTC)
    started = time.perf_counter()
    pending: list[dict[str, Any]] = []

    def flush(force: bool = False) -> None:
        while len(pending) >= 25 or (force and pending):
            chunk = [{"PutRequest": {"Item": to_item(i)}} for i in pending[:25]]
            del pending[:25]
            request: dict[str, Any] = {table: chunk}
            while request:
                request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    length = 0
    for _ in range(count - already - 1):
        language = rng.choice(["nl", "en"])
        title, body = _article(rng, language, tail)
        article = Article(
            tenant="demo", id=new_id(), version=1, title=title, body=body,
            language=Language(language), category=rng.choice(categories), tags=(),
            visibility=rng.choice(visibilities), status=ArticleStatus.PUBLISHED,
            translation_of=None, created_at=now, updated_at=now,
            created_by=supervisor.id, updated_by=supervisor.id,
        )  # fmt: skip
        index = search.index_terms(title, body, language)
        length += index.length
        df.update(index.frequencies.keys())
        pending.append(article_item(article, index))
        pending.append(version_item("demo", ArticleVersion(
            article.id, 1, supervisor.actor(), now, "published", title, "")))  # fmt: skip
        pending.append({
            **keys.kb_counts_key("demo", article.id),
            **keys.kb_top_index_keys("demo", article.id, article.category, 0),
            "kind": "kb_counts", "id": article.id, "tenant": "demo",
            "visibility": article.visibility.value, "language": language,
            "category": article.category, "views": 0, "helpful": 0, "not_helpful": 0,
        })  # fmt: skip
        for term, frequency in index.frequencies.items():
            pending.append(posting_item(article, term, frequency, index.length))
        flush()
    flush(force=True)
    stats = db.get_item(TableName=table, Key=to_item(keys.kb_stats_key("demo"))).get("Item")
    documents = int(stats["documents"]["N"]) if stats else 0
    total = int(stats["total_length"]["N"]) if stats else 0
    written = count - already - 1
    db.put_item(TableName=table, Item=to_item({
        **keys.kb_stats_key("demo"),
        "documents": documents + written,
        "total_length": total + length,
        **{f"df:{term}": n for term, n in df.items()},
    }))  # fmt: skip
    language = rng.choice(["nl", "en"])
    title, body = _article(rng, language, tail)
    created = kb_service().create(supervisor, ArticleFields(
        title=title, body=body, language=Language(language), category="network",
        visibility=ArticleVisibility.PUBLIC, status=ArticleStatus.PUBLISHED,
    ))  # fmt: skip
    df.update(search.index_terms(created.title, created.body, language).frequencies.keys())
    return time.perf_counter() - started


def _stats_item_bytes() -> int:
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo import keys
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.settings import get_settings

    item = client("dynamodb").get_item(
        TableName=get_settings().table_name, Key=to_item(keys.kb_stats_key("demo"))
    )["Item"]
    # DynamoDB's item size: attribute names plus values (numbers ~ their digits).
    return sum(len(name) + len(json.dumps(value)) - 8 for name, value in item.items())


def _timed(
    client: Any, recorder: CallRecorder, requests: list[tuple[str, str, Any]], token: str
) -> dict[str, Any]:
    samples: list[float] = []
    items: list[int] = []
    calls: list[int] = []
    results: list[int] = []
    for n, (method, path, body) in enumerate(requests):
        headers = {"Authorization": f"Bearer {token}"}
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        with recorder.window() as window:
            started = time.perf_counter()
            answer = client.http.request(method, path, headers=headers, body=payload)
            elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.body[:300]!r}")
        if n < WARMUP:
            continue
        samples.append(elapsed)
        items.append(window.total("items_read"))
        calls.append(sum(window.operations("dynamodb").values()))
        results.append(len(answer.json_body["items"]))
    return {
        "requests": len(samples),
        "median_ms": round(statistics.median(samples), 2),
        "p90_ms": round(p90(samples), 2),
        "items_read_median": statistics.median(items),
        "items_read_p90": p90([float(i) for i in items]),
        "items_read_max": max(items),
        "dynamodb_calls_median": statistics.median(calls),
        "results_median": statistics.median(results),
    }


class _Replay:
    """The repository's answers, recorded once and then replayed: timing the service over it
    leaves only the app's own work (analysis, typo tolerance, BM25, filtering)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.memo: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            key = repr((name, args, sorted(kwargs.items())))
            if key not in self.memo:
                self.memo[key] = method(*args, **kwargs)
            return self.memo[key]

        return call


def _compute(searches: list[str], suggestions: list[dict[str, str]]) -> dict[str, Any]:
    from chalicelib.adapters.dynamo.kb import DynamoKnowledgeBase
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.services.kb import KnowledgeBase
    from chalicelib.wiring import ticket_service, utc_now

    service = KnowledgeBase(_Replay(DynamoKnowledgeBase()), ticket_service(),
                            tenant_exists=lambda _: True, clock=utc_now)  # fmt: skip
    requester = Principal("demo", Role.REQUESTER, "user", "requester@demo.example.com",
                          "Sanne de Vries", "requester@demo.example.com", "nl")  # fmt: skip
    jobs = {
        "search": [lambda q=q: service.search(requester, "demo", q, limit=25) for q in searches],
        "suggest": [
            lambda b=b: service.suggest(requester, "demo", b["subject"], b["text"])
            for b in suggestions
        ],
    }
    figures: dict[str, Any] = {}
    for name, calls in jobs.items():
        for job in calls:
            job()  # records the repository's answers
        samples = []
        for job in calls:
            started = time.perf_counter()
            job()
            samples.append((time.perf_counter() - started) * 1000)
        figures[f"{name}_median_ms"] = round(statistics.median(samples), 2)
        figures[f"{name}_p90_ms"] = round(p90(samples), 2)
    return figures


def measure(recorder: CallRecorder, progress: Callable[[str], None], sizes=SIZES) -> dict[str, Any]:
    from chalice.test import Client

    from app import app

    rng = random.Random(11)
    _, tail = _vocabulary(rng)
    query_rng = random.Random(5)
    searches = [
        ("GET", f"/v1/kb/articles?q={_query(query_rng, lang, tail).replace(' ', '%20')}", None)
        for lang in ["nl", "en"] * ((QUERIES + WARMUP) // 2 + 1)
    ][: QUERIES + WARMUP]
    suggestions = [
        ("POST", "/v1/kb/suggest", {
            "subject": _query(query_rng, lang, tail),
            "text": _article(query_rng, lang, tail)[1][:600],
        })
        for lang in ["nl", "en"] * ((SUGGESTIONS + WARMUP) // 2 + 1)
    ][: SUGGESTIONS + WARMUP]  # fmt: skip
    section: dict[str, Any] = {"sizes": {}}
    written = 0
    df: Counter[str] = Counter()
    with Client(app) as client:
        login = client.http.request(
            "POST", "/v1/auth/login", headers={"Content-Type": "application/json"},
            body=json.dumps({"email": "requester@demo.example.com",
                             "password": "Balie-bench-2026!"}).encode(),
        )  # fmt: skip
        token = login.json_body["id_token"]
        for size in sizes:
            progress(f"kb: publishing articles up to {size}")
            seconds = _seed(size, written, rng, tail, df)
            written = size
            progress(f"kb: {size} articles in {seconds:.0f}s; searching")
            search = _timed(client, recorder, searches, token)
            suggest = _timed(client, recorder, suggestions, token)
            progress(
                f"kb {size}: search {search['median_ms']} ms, "
                f"{search['items_read_median']} items; suggest {suggest['median_ms']} ms"
            )
            texts = [path.split("q=", 1)[1].replace("%20", " ") for _, path, _ in searches]
            section["sizes"][str(size)] = {
                "articles": size,
                "publish_s": round(seconds, 1),
                "stats_item_bytes": _stats_item_bytes(),
                "search": search,
                "suggest": suggest,
                "app_compute": _compute(texts, [b for _, _, b in suggestions]),
            }
    section["notes"] = [
        "Articles are the items the publishing transaction writes (article_item, "
        "version_item, counters, posting_item: up to 48 postings each), sent with "
        "BatchWriteItem because one transaction per article is too slow on moto at 5,000; the "
        "term statistics item is written once with the summed counts, and the last article "
        "of each size goes through KnowledgeBase.create. nl and en, all visibilities; "
        "words Zipf-drawn from a head of real support words and a tail of "
        f"{TAIL_TERMS} made-up terms.",
        "Searches are 1–3 common words, 30 % with a rarer term, as a requester (who reads "
        "public and requester articles); suggest sends a subject and a 600-character text. "
        f"{WARMUP} unmeasured warm-up requests first, so the term statistics are cached "
        "(60 s per container, as deployed).",
        "median_ms/p90_ms are wall clock through chalice.test.Client, moto and the authorizer "
        "included; the term Queries run on 8 threads, which in-process moto serialises on "
        "the GIL. app_compute times KnowledgeBase.search/suggest over the repository's "
        "recorded answers: the app's own work (analysis, typo tolerance, BM25, filtering) "
        "without any AWS call.",
        "items_read counts postings returned by the term Queries plus the BatchGetItem of the "
        "result page (2 items per article: the article and its counters); the authorizer's "
        "profile read is included.",
    ]
    return section
