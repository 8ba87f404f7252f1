"""Recurring-incident detection: the daily step for one tenant with 500 incidents in its
14-day window (plus 100 other tickets updated in it, which the index read has to skip).

Incidents come from one fixed random stream: 20 recurring causes, each with a few subject
wordings in Dutch or English and 5–12 incidents, and the rest one-off incidents whose
subjects mix everyday helpdesk words with rarer ones (bench/kb.py's vocabulary). They are written
as the repository's own ticket items (BatchWriteItem), then `RecurringIncidents.detect`
runs as the daily job runs it: the window Query on GSI5, clustering, replacing suggestions.
`python -m bench.recurring` prints the pure clustering alone.
"""

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.recorder import CallRecorder

INCIDENTS = 500
OTHERS = 100  # questions and service requests updated in the window
RUNS = 5
WINDOW_DAYS = 14

_CAUSES = [
    ("nl", ["VPN verbinding valt weg", "Geen VPN verbinding", "VPN verbinding verbroken"]),
    ("en", ["Outlook does not sync mail", "Mail sync stuck in Outlook", "Outlook not syncing"]),
    ("nl", ["Printer derde verdieping storing", "Printer 3e verdieping papierstoring"]),
    ("en", ["Teams calls have no sound", "No audio in Teams meeting", "Teams audio gone"]),
    ("nl", ["Wachtwoord verlopen portal", "Kan niet inloggen portal wachtwoord"]),
    ("en", ["Wifi in meeting room Zuid slow", "Slow wifi meeting room Zuid"]),
    ("nl", ["Beeldscherm flikkert na docken", "Scherm flikkert dockingstation"]),
    ("en", ["SharePoint finance folder access denied", "No access to finance SharePoint"]),
    ("nl", ["Authenticator app code geweigerd", "Authenticator code werkt niet"]),
    ("en", ["Expense portal login error 500", "Error 500 on expense portal login"]),
    ("nl", ["OneDrive synchroniseert niet", "OneDrive sync fout"]),
    ("en", ["Laptop battery drains fast", "Battery drains quickly on laptop"]),
    ("nl", ["Toegangspas werkt niet bij deur", "Deur opent niet met toegangspas"]),
    ("en", ["Certificate expired on intranet", "Intranet certificate expired warning"]),
    ("nl", ["Headset microfoon geen geluid", "Microfoon headset doet het niet"]),
    ("en", ["Scanner sends no email", "Scan to email not arriving"]),
    ("nl", ["Agenda uitnodigingen komen niet aan", "Agenda uitnodiging niet ontvangen"]),
    ("en", ["Bluetooth mouse disconnects", "Mouse bluetooth keeps disconnecting"]),
    ("nl", ["Netwerkschijf traag", "Gedeelde schijf erg traag"]),
    ("en", ["Projector room 2 no signal", "No signal on projector in room 2"]),
]
_DETAILS = {
    "nl": ["sinds vanochtend", "al twee dagen", "bij meerdere collega's", "na de update",
           "thuis en op kantoor", "elke paar minuten", "graag snel hulp"],
    "en": ["since this morning", "for two days now", "colleagues too", "after the update",
           "at home and in the office", "every few minutes", "please help soon"],
}  # fmt: skip


def incidents(rng: random.Random) -> list[tuple[str, str, str | None]]:
    """(subject, description, category) of the window, in a fixed shuffled order."""
    from bench.kb import _HEAD, _vocabulary

    _, tail = _vocabulary(random.Random(7))
    found: list[tuple[str, str, str | None]] = []
    for language, subjects in _CAUSES:
        for _ in range(rng.randint(5, 12)):
            subject = rng.choice(subjects)
            details = rng.sample(_DETAILS[language], 2)
            found.append((subject, f"{subject}, {details[0]}; {details[1]}.", None))
    while len(found) < INCIDENTS:
        language = rng.choice(("nl", "en"))
        # A one-off: a couple of everyday words and a couple of rare ones (product names,
        # codes), as real subjects have.
        words = rng.sample(_HEAD[language], rng.randint(1, 3)) + rng.sample(tail, 2)
        rng.shuffle(words)
        subject = " ".join(words).capitalize()
        details = " ".join(rng.sample(_HEAD[language], 4) + rng.sample(tail, 4))
        found.append((subject, f"{subject}. {details}.", None))
    rng.shuffle(found)
    return found


def measure_pure() -> dict[str, Any]:
    """Clustering alone, on the same 500 incidents."""
    from chalicelib.domain.recurring import Incident, cluster

    texts = incidents(random.Random(20261125))
    window = [Incident(1001 + i, s, d, c) for i, (s, d, c) in enumerate(texts)]
    cluster(window)  # warm the stemmers' caches, as a container's second run would
    samples = []
    found: list[Any] = []
    for _ in range(RUNS):
        started = time.perf_counter()
        found = cluster(window)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "incidents": len(window),
        "clusters": len(found),
        "clustered_incidents": sum(c.size for c in found),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def _seed(now: datetime) -> int:
    """The window's tickets as ticket items (through bench/seed.py's generator for everything
    but the texts, type, problem and moments)."""
    from bench.seed import BATCH, generate, write_batch
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.adapters.dynamo.tickets import ticket_item
    from chalicelib.domain.tickets import TicketType
    from chalicelib.settings import get_settings

    rng = random.Random(20261125)
    texts = incidents(rng)
    table = get_settings().table_name
    db = client("dynamodb")
    pending: list[dict[str, Any]] = []
    written = 0
    for i, (ticket, _) in enumerate(generate(INCIDENTS + OTHERS, now)):
        moment = now - timedelta(minutes=rng.randint(5, (WINDOW_DAYS - 1) * 24 * 60))
        if i < INCIDENTS:
            subject, description, category = texts[i]
            kind = TicketType.INCIDENT
        else:
            subject, description, category = ticket.subject, ticket.description, None
            kind = rng.choice((TicketType.QUESTION, TicketType.SERVICE_REQUEST))
        ticket = replace(
            ticket,
            subject=subject,
            description=description,
            category=category,
            type=kind,
            problem=None,
            created_at=moment,
            updated_at=moment,
        )
        pending.append({"PutRequest": {"Item": to_item(ticket_item(ticket))}})
        if len(pending) == BATCH:
            written += write_batch(db, table, pending)
            pending = []
    if pending:
        written += write_batch(db, table, pending)
    return written


def measure(recorder: CallRecorder, progress: Callable[[str], None]) -> dict[str, Any]:
    from chalicelib.wiring import recurring_incidents

    now = datetime.now(UTC)
    progress(f"recurring: seeding {INCIDENTS} incidents and {OTHERS} other tickets")
    written = _seed(now)
    service = recurring_incidents()
    samples, clustering, reads, calls = [], [], [], []
    result: Any = None
    for _ in range(RUNS):
        with recorder.window() as window:
            started = time.perf_counter()
            result = service.detect({"tenant": "demo"}, now + timedelta(minutes=1))
            samples.append((time.perf_counter() - started) * 1000)
        clustering.append(result.seconds * 1000)
        reads.append(window.total("items_scanned"))
        calls.append(window.operations("dynamodb"))
    progress(
        f"recurring: detect {statistics.median(samples):.0f} ms median, "
        f"{reads[-1]} items read, {result.suggestions} suggestions"
    )
    return {
        "tickets_in_window": written,
        "incidents_in_window": result.incidents,
        "suggestions": result.suggestions,
        "truncated": result.truncated,
        "detect_median_ms": round(statistics.median(samples), 1),
        "clustering_median_ms": round(statistics.median(clustering), 1),
        "items_read": reads[-1],
        "dynamodb_calls": calls[-1],
        "pure": measure_pure(),
        "note": (
            "items_read counts every ticket the window Query evaluated (also the other types "
            "it filters out); on DynamoDB that is ~0.5 RCU per 4 KB ticket item, eventually "
            "consistent, once a day per tenant. detect_median_ms is on moto."
        ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure_pure(), indent=2))
