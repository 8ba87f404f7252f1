"""Recurring incidents: which of a tenant's recent incidents look like one cause.

Pure Python, no AWS. The daily job reads the window's incidents and calls `cluster`; the
workspace shows each cluster as a suggestion "create a problem from these N incidents".

The method is meant to be explained to the agent who reads its result:

1. Every incident becomes a set of terms, made by the search machinery (domain.search:
   casefold, strip accents, drop Dutch and English stop words) and stemmed in *both*
   languages, keeping the shorter stem. A tenant's incidents come in both languages, often
   mixed in one text, and a guess per incident would split "verbinding" into two stems on
   the day the guess flips; the shorter of two Snowball stems is the same whatever the
   language of the sentence.
2. Terms are weighted tf-idf over the window (a subject word counts double, a word that
   every incident has weighs little), and two incidents are similar when the cosine of
   their weights reaches SIMILARITY, and their categories agree when both have one.
3. Star clustering, greedy and deterministic: seeds are tried from the most connected
   incident down (ties: the lowest number). A seed's core is its terms that most (60 %) of
   its similar neighbours share, at most two; its cluster is the seed and the neighbours
   that have every core term. With fewer than `min_size` the seed is skipped (it may still
   join a later seed's cluster); otherwise the members are taken out.
4. A cluster's label is the terms that more than half of its members share (the core
   first), in the order the seed incident uses them, shown as the word people wrote most
   often.

Cost: pairs are only compared when they share a term that at most half of the incidents
(or 50) have (an inverted index), so a window of 500 incidents costs well under a second (bench/).
"""

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.domain import search

# Cosine similarity at which two incidents are "about the same thing". Tuned on the fixed
# set of tests/unit/test_recurring.py, written before it: there the pairs of one cause
# score 0.21 and more, unrelated pairs at most 0.11 (sharing "laptop" or "printer" among
# many other words); the threshold sits in that gap.
SIMILARITY = 0.16
# A subject word weighs as much as three of the description: the subject names the fault,
# the description adds circumstances that differ from person to person.
SUBJECT_WEIGHT = 3
# Characters of a description that count: the first lines say what is wrong, long pasted
# logs and signatures only add noise (and time).
DESCRIPTION_CHARS = 1000
# A term only proposes pairs while at most this many incidents, or half the window, have it:
# this bounds the pairs compared in a large window; it never hides a small one's cluster.
COMMON_FLOOR = 50
# A seed's core: its terms that at least this share of its similar incidents have, at most
# this many. Every member of its cluster has them all.
CORE_SHARE = 0.6
CORE_TERMS = 2
# Words of a label shown.
LABEL_TERMS = 4


@dataclass(frozen=True)
class Incident:
    number: int
    subject: str
    description: str = ""
    category: str | None = None


@dataclass(frozen=True)
class Cluster:
    id: str  # the same members give the same id, run after run
    members: tuple[int, ...]  # numbers, ascending; at most `max_size` (the most similar)
    size: int  # all incidents in the cluster, also those beyond `max_size`
    terms: tuple[str, ...]  # the shared stems
    label: tuple[str, ...]  # the shared words, as people wrote them
    category: str | None


@dataclass(frozen=True)
class _Features:
    weights: dict[str, float]  # term → raw weight (subject words count double)
    order: dict[str, int]  # term → first position in subject + description
    words: dict[str, Counter[str]]  # term → the words that gave it


def term_of(word: str) -> str:
    """One stem for a word, whatever the language of the sentence around it."""
    return min(search.stem(word, "nl"), search.stem(word, "en"), key=lambda s: (len(s), s))


def _features(incident: Incident) -> _Features:
    weights: dict[str, float] = {}
    order: dict[str, int] = {}
    words: dict[str, Counter[str]] = {}
    parts = (
        (incident.subject, SUBJECT_WEIGHT),
        (incident.description[:DESCRIPTION_CHARS], 1),
    )
    for text, weight in parts:
        for word in search.words(text):
            if word.isdigit():
                continue  # error codes and floor numbers say little on their own
            term = term_of(word)
            weights[term] = weights.get(term, 0) + weight
            order.setdefault(term, len(order))
            words.setdefault(term, Counter())[word] += 1
    return _Features(weights, order, words)


def _vectors(features: dict[int, _Features]) -> dict[int, dict[str, float]]:
    """tf-idf weights, normalised to length 1 (so a dot product is the cosine)."""
    df: Counter[str] = Counter()
    for f in features.values():
        df.update(f.weights.keys())
    total = len(features)
    vectors: dict[int, dict[str, float]] = {}
    for number, f in features.items():
        vector = {t: (1 + math.log(w)) * math.log(1 + total / df[t]) for t, w in f.weights.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors[number] = {t: v / norm for t, v in vector.items()}
    return vectors


def _neighbours(
    vectors: dict[int, dict[str, float]], categories: dict[int, str | None]
) -> dict[int, dict[int, float]]:
    """Similar pairs, found through the terms they share (never all pairs)."""
    postings: dict[str, list[int]] = {}
    for number in sorted(vectors):
        for term in vectors[number]:
            postings.setdefault(term, []).append(number)
    common = max(COMMON_FLOOR, len(vectors) // 2)
    candidates: set[tuple[int, int]] = set()
    for numbers in postings.values():
        if len(numbers) > common:
            continue  # a word most of a large window has cannot make a cluster on its own
        for i, a in enumerate(numbers):
            for b in numbers[i + 1 :]:
                candidates.add((a, b))
    found: dict[int, dict[int, float]] = {n: {} for n in vectors}
    for a, b in candidates:
        ca, cb = categories[a], categories[b]
        if ca and cb and ca != cb:
            continue
        va, vb = vectors[a], vectors[b]
        if len(vb) < len(va):
            va, vb = vb, va
        similarity = sum(v * vb.get(t, 0.0) for t, v in va.items())
        if similarity >= SIMILARITY:
            found[a][b] = similarity
            found[b][a] = similarity
    return found


def cluster(
    incidents: Iterable[Incident], *, min_size: int = 3, max_size: int = 30
) -> list[Cluster]:
    """Clusters of at least `min_size` similar incidents, largest first (then by number)."""
    by_number = {i.number: i for i in incidents}
    features = {n: _features(i) for n, i in by_number.items()}
    features = {n: f for n, f in features.items() if f.weights}
    if len(features) < min_size:
        return []
    vectors = _vectors(features)
    neighbours = _neighbours(vectors, {n: by_number[n].category for n in features})
    # Seeds in a fixed order: the most connected first, then the lowest number.
    seeds = sorted(features, key=lambda n: (-len(neighbours[n]), n))
    taken: set[int] = set()
    clusters: list[Cluster] = []
    for seed in seeds:
        if seed in taken:
            continue
        near = [m for m in neighbours[seed] if m not in taken]
        if len(near) + 1 < min_size:
            continue
        core = _core_terms(seed, near, features)
        # Only incidents that have every core term belong: the label is then true of each
        # member, and a hub incident similar to many unrelated ones makes no cluster.
        members = [m for m in near if core <= features[m].weights.keys()]
        if not core or len(members) + 1 < min_size:
            continue
        members.sort(key=lambda m: (-neighbours[seed][m], m))
        everyone = [seed, *members]
        taken.update(everyone)
        clusters.append(_described(everyone, max_size, features, by_number[seed].category))
    return sorted(clusters, key=lambda c: (-c.size, c.members[0]))


def _core_terms(seed: int, near: list[int], features: dict[int, _Features]) -> set[str]:
    """The seed's terms that most of its similar incidents share (at most CORE_TERMS, the
    most shared first)."""
    counts: Counter[str] = Counter()
    for m in near:
        counts.update(t for t in features[m].weights if t in features[seed].weights)
    shared = [t for t, c in counts.items() if c >= CORE_SHARE * len(near)]
    shared.sort(key=lambda t: (-counts[t], features[seed].order[t], t))
    return set(shared[:CORE_TERMS])


def _described(
    everyone: list[int], max_size: int, features: dict[int, _Features], category: str | None
) -> Cluster:
    seed = features[everyone[0]]
    counts: Counter[str] = Counter()
    for n in everyone:
        counts.update(features[n].weights.keys())
    shared = [t for t, c in counts.items() if 2 * c > len(everyone)]
    shared.sort(key=lambda t: (-counts[t], seed.order.get(t, len(seed.order)), t))
    terms = tuple(shared[:LABEL_TERMS])
    label = tuple(_spelling(t, [features[n] for n in everyone]) for t in terms)
    members = tuple(sorted(everyone[:max_size]))
    digest = hashlib.sha256(",".join(map(str, sorted(everyone))).encode()).hexdigest()
    return Cluster(
        id=digest[:16],
        members=members,
        size=len(everyone),
        terms=terms,
        label=label,
        category=category,
    )


def _spelling(term: str, features: list[_Features]) -> str:
    """The word people used most for a stem (ties: alphabetical)."""
    spelled: Counter[str] = Counter()
    for f in features:
        spelled.update(f.words.get(term, {}))
    return min(spelled, key=lambda w: (-spelled[w], w)) if spelled else term
