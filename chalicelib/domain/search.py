"""Full-text search of the knowledge base without a search cluster: text analysis and BM25.

Pure Python, no AWS. The adapter stores what `index_terms` gives as postings in the table
and the service ranks what it reads back with `rank`. docs/knowledge-base.md explains the
design, what it costs and where it stops scaling.

Analysis, for articles and queries alike: casefold, split into words, strip accents, drop
Dutch and English stop words, stem with Snowball (the article's language; a query, whose
language is unknown, is stemmed both ways and a word matches through either stem).
snowballstemmer is imported on first use, so `import app` does not pay for it.
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

LANGUAGES = ("nl", "en")
# Snowball's Porter-style Dutch stemmer: it keeps plural and singular of compounds together
# (wachtwoord/wachtwoorden), which the newer "dutch" algorithm splits.
_ALGORITHMS = {"nl": "dutch_porter", "en": "english"}

# BM25's usual constants: term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.75
# A word in the title counts as this many in the body (a one-field BM25F).
TITLE_WEIGHT = 3
# Distinct terms indexed per article. Publishing an edit rewrites the postings of the old
# and the new terms in the article's own transaction (at most 100 items): 2 × 48 postings
# plus the article, its version, its counters and the term statistics is exactly 100.
MAX_TERMS = 48
# Words of a query that are looked up, the rarest first: bounds the reads of a long text.
MAX_QUERY_TERMS = 12
# A posting's order in its term's list assumes documents of about this many words; only
# the order depends on it, the score uses the tenant's real average.
REFERENCE_LENGTH = 120
_MIN_WORD, _MAX_WORD = 2, 40

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_ENGLISH_STOP: frozenset[str] = frozenset(
    # English function words, and words every helpdesk text has.
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves get got also can't cannot don't doesn't isn't won't please hi hello thanks
    thank regards dear isn aren wasn weren don doesn didn won hasn haven couldn wouldn
    shouldn""".split()  # noqa: SIM905 - a word list reads better as text
)
_DUTCH_STOP: frozenset[str] = frozenset(
    # Dutch function words, and the politeness of a ticket.
    """aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door
    dus een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun
    iemand iets ik in is ja je jij jou jouw kan kon kunnen maar me meer men met mij mijn moet
    na naar niet niets nog nu of om omdat onder ons ook op over reeds te tegen toch toen tot u
    uit uw van veel voor want waren was wat we wel werd wezen wie wil worden wordt zal ze zelf
    zich zij zijn zo zonder zou hallo hoi dag beste groet groeten bedankt dank alvast graag
    svp aub mvg gr""".split()  # noqa: SIM905
)
STOP_WORDS = _ENGLISH_STOP | _DUTCH_STOP


def normalise(word: str) -> str:
    """Casefolded, without accents: "Één" and "een", "café" and "cafe" are one word."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of `text`, normalised, stop words dropped, not stemmed."""
    found = []
    for match in _WORD.finditer(text):
        word = normalise(match.group())
        if _MIN_WORD <= len(word) <= _MAX_WORD and word not in STOP_WORDS:
            found.append(word)
    return found


@cache
def _stemmer(language: str) -> Any:
    import snowballstemmer  # deferred: only searching and publishing need it

    return snowballstemmer.stemmer(_ALGORITHMS[language])


@cache
def stem(word: str, language: str) -> str:
    return str(_stemmer(language).stemWord(word))


def terms(text: str, language: str) -> list[str]:
    """The index terms of `text` written in `language`, in order, repeats kept."""
    return [stem(w, language) for w in words(text)]


@dataclass(frozen=True)
class Document:
    """What an article contributes to the index: its chosen terms and their weights."""

    length: int  # weighted words of title and body: the BM25 document length
    frequencies: dict[str, int]  # term → weighted frequency, at most MAX_TERMS terms


def index_terms(title: str, body: str, language: str) -> Document:
    """The terms an article is indexed under: every title term, then the body's most
    frequent ones (earliest first on a tie), up to MAX_TERMS."""
    in_title = terms(title, language)
    in_body = terms(body, language)
    weighted: Counter[str] = Counter()
    for term in in_title:
        weighted[term] += TITLE_WEIGHT
    for term in in_body:
        weighted[term] += 1
    first_seen = {t: i for i, t in reversed(list(enumerate(in_title + in_body)))}
    title_set = set(in_title)
    ranked = sorted(weighted, key=lambda t: (t not in title_set, -weighted[t], first_seen[t]))
    chosen = ranked[:MAX_TERMS]
    length = TITLE_WEIGHT * len(in_title) + len(in_body)
    return Document(length=max(length, 1), frequencies={t: weighted[t] for t in chosen})


def impact(frequency: int, length: int) -> float:
    """BM25's term-frequency part at the reference length: the order of a term's postings,
    best first, so that a query can read only the head of a long list."""
    norm = K1 * (1 - B + B * length / REFERENCE_LENGTH)
    return frequency * (K1 + 1) / (frequency + norm)


def impact_rank(frequency: int, length: int) -> str:
    """A sort key that puts the highest impact first (ascending order)."""
    return f"{100_000 - round(impact(frequency, length) * 10_000):06d}"


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryWord:
    """One word of a query and the terms it matches: its Dutch and English stems, or for
    a misspelt word the indexed terms one edit away."""

    word: str
    weight: float
    variants: tuple[str, ...]


def guess_language(text: str) -> str | None:
    """The language of a longer text by its function words ("de het een" or "the a to"),
    or None when it is too short or too mixed to tell."""
    found = [normalise(m.group()) for m in _WORD.finditer(text[:5000])]
    dutch = sum(1 for w in found if w in _DUTCH_STOP and w not in _ENGLISH_STOP)
    english = sum(1 for w in found if w in _ENGLISH_STOP and w not in _DUTCH_STOP)
    if dutch >= 3 and dutch >= 2 * english:
        return "nl"
    if english >= 3 and english >= 2 * dutch:
        return "en"
    return None


def parse_query(text: str, *, weight: float = 1.0, language: str | None = None) -> list[QueryWord]:
    """The words of a query with the stems they match: in `language` when it is known,
    else in both languages."""
    languages = (language,) if language in LANGUAGES else LANGUAGES
    seen: dict[str, QueryWord] = {}
    for word in words(text):
        if word in seen:
            continue
        variants = tuple(dict.fromkeys(stem(word, lang) for lang in languages))
        seen[word] = QueryWord(word, weight, variants)
    return list(seen.values())


def merge(*parts: list[QueryWord]) -> list[QueryWord]:
    """Words of several fields (a subject and a text): a word keeps its highest weight."""
    merged: dict[str, QueryWord] = {}
    for part in parts:
        for word in part:
            known = merged.get(word.word)
            if known is None or word.weight > known.weight:
                merged[word.word] = word
    return list(merged.values())


def idf(documents: int, frequency: int) -> float:
    """BM25's inverse document frequency (the +1 keeps it positive for common terms)."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def choose_terms(
    query: list[QueryWord], document_frequency: Mapping[str, int], limit: int = MAX_QUERY_TERMS
) -> list[QueryWord]:
    """The query's words worth reading postings for, rarest first, at most `limit`.

    A word none of whose variants is indexed is dropped, unless `document_frequency` does not
    know it at all (a term indexed after the statistics were read): its postings are read
    anyway, which costs one empty Query when it really is absent.
    """

    def rarity(word: QueryWord) -> int:
        counted = [document_frequency.get(v, 0) for v in word.variants]
        return min((f for f in counted if f > 0), default=0)

    useful = [w for w in query if any(document_frequency.get(v, 1) > 0 for v in w.variants)]
    return sorted(useful, key=lambda w: (rarity(w), -w.weight, w.word))[:limit]


def near_terms(word: str, vocabulary: Iterable[str], *, last: bool = False) -> list[str]:
    """Indexed terms a misspelt or unfinished word may mean.

    Words of 4 letters or more match terms one edit (insert, delete, replace, swap) away;
    the last word of a query, still being typed, also matches terms it begins (3+ letters).
    """
    prefix = last and len(word) >= 3
    typo = len(word) >= 4
    return [
        term
        for term in vocabulary
        if (prefix and term.startswith(word) and term != word)
        or (typo and abs(len(term) - len(word)) <= 1 and _one_edit(word, term))
    ]


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return False
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differ) == 1:
            return True
        i, j = differ[0], differ[-1]
        return len(differ) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@dataclass(frozen=True)
class Posting:
    """An article under one term: all that ranking and filtering need, so that a query
    never reads an article it will not return."""

    term: str
    article: str
    frequency: int
    length: int
    visibility: str
    language: str
    category: str | None


def rank(
    query: list[QueryWord],
    postings: Iterable[Posting],
    *,
    documents: int,
    average_length: float,
    document_frequency: Mapping[str, int],
) -> list[tuple[str, float]]:
    """(article id, BM25 score) best first. A word adds the best score of its variants."""
    by_term: dict[str, list[Posting]] = {}
    for posting in postings:
        by_term.setdefault(posting.term, []).append(posting)
    average = average_length if average_length > 0 else float(REFERENCE_LENGTH)
    total = max(documents, 1)
    scores: dict[str, float] = {}
    for word in query:
        best: dict[str, float] = {}
        for term in word.variants:
            found = by_term.get(term, [])
            frequency = max(document_frequency.get(term) or 0, len(found))
            weight = idf(max(total, frequency), frequency) * word.weight
            for p in found:
                norm = K1 * (1 - B + B * p.length / average)
                score = weight * p.frequency * (K1 + 1) / (p.frequency + norm)
                if score > best.get(p.article, 0.0):
                    best[p.article] = score
        for article, score in best.items():
            scores[article] = scores.get(article, 0.0) + score
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
