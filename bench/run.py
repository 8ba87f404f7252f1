"""`make bench`: Balie's performance figures as one JSON document on stdout.

Progress goes to stderr. What each figure means and how it is measured: bench/README.md.
"""

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from pathlib import Path
from typing import Any, TextIO

from bench import calendar_ops, imports, inbound_mail, mototx, pages, sla_sweep
from bench import kb as kb_search
from bench import recurring as recurring_bench
from bench import reports as report_bench
from bench import rules as rules_bench
from bench.recorder import AUTHORIZER, SERVICES, CallRecorder, Window
from bench.seed import Seeded, seed
from local.seed import seed_people

ROOT = Path(__file__).resolve().parents[1]
AGENT = "agent@demo.example.com"
PASSWORD = "Balie-bench-2026!"  # noqa: S105 - an account that only lives in moto
REGION = "eu-west-1"
WARMUP = 3
# Statuses a ticket can still be changed or answered in without a status move.
_ACTIVE = ("new", "open", "pending", "on_hold")
# The list operations whose reads must not depend on the tenant's size.
LIST_OPERATIONS = ("list_page", "list_page_filtered", "list_page_filter_expression")
# What `--only` can pick; without it every section runs.
SECTIONS = ("imports", "package", "tickets", "calendar", "sla", "mail", "pages", "rules",
            "reports", "kb", "recurring")  # fmt: skip

_started = time.perf_counter()


def progress(message: str) -> None:
    print(f"[bench {time.perf_counter() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- what is measured -------------------------------------------------------------------

Request = tuple[str, str, Any, dict[str, str]]


@dataclass
class Operation:
    name: str
    shown_as: str
    # The most calls of each kind the access-pattern table in docs/data-model.md allows.
    documented: dict[str, int]
    documented_as: str
    status: int
    request: Callable[[int], Request]


@dataclass(frozen=True)
class Sample:
    ms: float
    authorizer_ms: float
    window: Window


def operations(seeded: list[Seeded], count: int) -> list[Operation]:
    """The measured requests, reads first so that every list sees only the seeded tickets."""
    rng = random.Random(7)
    wanted = count + WARMUP
    numbers = rng.sample([s.number for s in seeded], wanted)
    active = [s for s in seeded if s.status in _ACTIVE]
    if len(active) < 2 * wanted:
        raise RuntimeError(f"only {len(active)} active tickets to change; seed more")
    changed = rng.sample(active, 2 * wanted)
    to_patch, to_answer = changed[:wanted], changed[wanted:]

    def patch(i: int) -> Request:
        ticket = to_patch[i]
        priority = "P2" if ticket.priority != "P2" else "P3"
        headers = {"If-Match": f'"{ticket.version}"'}
        return "PATCH", f"/v1/tickets/{ticket.number}", {"priority": priority}, headers

    def answer(i: int) -> Request:
        body = {"body": "Thanks, we are looking into it.", "visibility": "public"}
        return "POST", f"/v1/tickets/{to_answer[i].number}/messages", body, {}

    def create(i: int) -> Request:
        body = {
            "subject": f"Bench ticket {i}: docking station not detected",
            "description": "Since this morning the second screen stays black.",
            "impact": "medium",
            "urgency": "high",
        }
        return "POST", "/v1/tickets", body, {}

    one_read = {"GetItem": 1}
    change = {"GetItem": 1, "TransactWriteItems": 1}
    return [
        Operation(
            "get",
            "GET /v1/tickets/{n}",
            one_read,
            "one ticket: GetItem META",
            200,
            lambda i: ("GET", f"/v1/tickets/{numbers[i]}", None, {}),
        ),
        Operation(
            "list_page",
            "GET /v1/tickets?limit=25",
            {"Query": 1},
            "list tickets: one Query on GSI5 (all tickets)",
            200,
            lambda i: ("GET", "/v1/tickets?limit=25", None, {}),
        ),
        Operation(
            "list_page_filtered",
            "GET /v1/tickets?status=open&limit=25",
            {"Query": 1},
            "list tickets: one Query on GSI1 (status)",
            200,
            lambda i: ("GET", "/v1/tickets?status=open&limit=25", None, {}),
        ),
        Operation(
            "list_page_filter_expression",
            "GET /v1/tickets?status=open&priority=P1&limit=25",
            {"Query": 4},
            "list tickets: GSI1 Query + FilterExpression on priority, at most 4 rounds",
            200,
            lambda i: ("GET", "/v1/tickets?status=open&priority=P1&limit=25", None, {}),
        ),
        Operation(
            "create",
            "POST /v1/tickets",
            change,
            "file a ticket: GetItem counter, TransactWriteItems",
            201,
            create,
        ),
        Operation(
            "patch",
            "PATCH /v1/tickets/{n} (If-Match, priority)",
            change,
            "change a ticket: GetItem, TransactWriteItems",
            200,
            patch,
        ),
        Operation(
            "add_message",
            "POST /v1/tickets/{n}/messages (agent, public)",
            change,
            "change a ticket (reply): GetItem, TransactWriteItems",
            201,
            answer,
        ),
    ]


# --- one stack, one size -----------------------------------------------------------------


def _environment(jwks: Path) -> None:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "BALIE_JWKS_URL": jwks.as_uri(),
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_NAMESPACE": "BalieBench",
        }
    )


def _moto_jwks(directory: Path) -> Path:
    """moto signs ID tokens with a bundled key; the app reads its public half from a file."""
    from moto.utilities.utils import load_resource

    path = directory / "jwks.json"
    path.write_text(json.dumps(load_resource("cognitoidp/resources/jwks-public.json")))
    return path


def _reset_app_caches() -> None:
    """Settings, clients and services are cached per process; each stack needs fresh ones."""
    from chalicelib import wiring
    from chalicelib.adapters import aws, tokens
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()
    wiring.ticket_service.cache_clear()
    wiring.sla_settings.cache_clear()
    wiring.sla_sweep.cache_clear()
    wiring.rule_service.cache_clear()
    wiring.kb_service.cache_clear()
    tokens.reset()


@contextmanager
def _authorizer_tagged(recorder: CallRecorder) -> Iterator[None]:
    """Attribute the calls and time of chalice's local authorizer run to the authorizer."""
    from chalice.local import LocalGatewayAuthorizer

    original = LocalGatewayAuthorizer.authorize

    def authorize(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            with recorder.phase_of(AUTHORIZER):
                return original(self, *args, **kwargs)
        finally:
            recorder.add_authorizer_ms((time.perf_counter() - started) * 1000)

    LocalGatewayAuthorizer.authorize = authorize  # type: ignore[method-assign]
    try:
        yield
    finally:
        LocalGatewayAuthorizer.authorize = original  # type: ignore[method-assign]


def _send(client: Any, request: Request, token: str) -> Any:
    method, path, body, headers = request
    sent = {"Authorization": f"Bearer {token}", **headers}
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    return client.http.request(method, path, headers=sent, body=payload)


@contextmanager
def _stack(label: str) -> Iterator[tuple[CallRecorder, float]]:
    """A fresh moto stack from infra/template.yaml with the demo people, and a recorder on
    the app's clients; yields the recorder and how long provisioning took."""
    from moto import mock_aws

    with mock_aws():
        from local.provision import provision

        progress(f"{label}: provisioning infra/template.yaml in moto")
        started = time.perf_counter()
        os.environ.update(provision())
        _reset_app_caches()
        seed_people(PASSWORD)
        provision_s = time.perf_counter() - started

        from chalicelib.adapters import aws

        recorder = CallRecorder()
        for service in SERVICES:
            recorder.attach(aws.client(service))
        yield recorder, provision_s


def measure_size(size: int, count: int, faithful_moto: bool) -> dict[str, Any]:
    from chalice.test import Client

    with _stack(str(size)) as (recorder, provision_s):
        from app import app
        from chalicelib.settings import get_settings

        snapshots = nullcontext(mototx.SnapshotGuard()) if faithful_moto else mototx.install()
        with snapshots as guard, _authorizer_tagged(recorder):
            progress(f"{size}: seeding {size} tickets")
            seeded = seed(size, datetime.now(UTC))
            guard.check("seeding")
            progress(f"{size}: seeded in {seeded.seconds:.1f}s; timing moto's table snapshot")
            snapshot = mototx.snapshot_ms(get_settings().table_name, REGION)
            # The seeded heap is moto's, not the app's: keep the collector from walking it
            # on every measured request.
            gc.collect()
            gc.freeze()
            try:
                with Client(app, project_dir=str(ROOT)) as client:
                    results = _measure_operations(client, recorder, guard, seeded.tickets, count)
            finally:
                gc.unfreeze()
    return {
        "tickets": size,
        "setup": {
            "provision_and_users_s": round(provision_s, 1),
            "seed_s": round(seeded.seconds, 1),
            "seed_items_written": seeded.items_written,
            "seed_method": (
                "newest ticket via DynamoTickets.insert (sets the counter); the rest "
                "BatchWriteItem of ticket_item() + event_item() items"
            ),
            "tickets_by_status": seeded.by_status,
            "tickets_by_priority": seeded.by_priority,
            "moto_transaction_snapshot_ms": round(snapshot, 1),
        },
        "operations": results,
    }


def measure_sla(sizes: tuple[int, ...], sweeps: int, faithful_moto: bool) -> dict[str, Any]:
    """The SLA sweep in its own stack, grown through `sizes` (bench/sla_sweep.py)."""
    with _stack("sla") as (recorder, provision_s):
        snapshots = nullcontext(mototx.SnapshotGuard()) if faithful_moto else mototx.install()
        with snapshots as guard:
            try:
                section = sla_sweep.measure(recorder, progress, sizes, sweeps)
            finally:
                gc.unfreeze()
            guard.check("the SLA sweeps")
    section["setup"] = {"provision_and_users_s": round(provision_s, 1), **section["setup"]}
    return section


def measure_mail(faithful_moto: bool) -> dict[str, Any]:
    """Inbound mail through its worker (bench/inbound_mail.py)."""
    with _stack("mail") as (recorder, _):
        snapshots = nullcontext(mototx.SnapshotGuard()) if faithful_moto else mototx.install()
        with snapshots as guard:
            section = inbound_mail.measure(recorder, progress)
            guard.check("the inbound mail")
    return section


def measure_pages(faithful_moto: bool) -> dict[str, Any]:
    """The portal and agent pages in their own stack (bench/pages.py)."""
    from chalice.test import Client

    with _stack("pages") as (recorder, _):
        from app import app

        snapshots = nullcontext(mototx.SnapshotGuard()) if faithful_moto else mototx.install()
        with snapshots as guard, open(os.devnull, "w") as sink, redirect_stdout(sink):
            with Client(app, project_dir=str(ROOT)) as client:
                section = pages.measure(client, recorder, PASSWORD, progress)
            guard.check("the pages")
    return section


def measure_rules(faithful_moto: bool) -> dict[str, Any]:
    """Routing rules: 50 rules per ticket, pure and through the cached service
    (bench/rules.py)."""
    progress("rules: pure evaluation of 50 rules")
    section: dict[str, Any] = {"pure": rules_bench.measure_pure()}
    with _stack("rules") as (recorder, _):
        snapshots = nullcontext(mototx.SnapshotGuard()) if faithful_moto else mototx.install()
        with snapshots as guard:
            section["service"] = rules_bench.measure_service(recorder, progress)
            guard.check("the rules")
    return section


def measure_reports() -> dict[str, Any]:
    """The report endpoint over a month of counters, one fresh stack per size
    (bench/reports.py)."""
    from chalice.test import Client

    sizes: dict[str, Any] = {}
    for size in report_bench.SIZES:
        with _stack(f"reports {size}") as (recorder, _):
            from app import app
            from chalicelib import wiring

            wiring.reset()  # every service of the previous stack names its table

            with Client(app) as client:
                sizes[str(size)] = report_bench.measure(
                    client, recorder, progress, sla_sweep._write_moto, size
                )
    reads = {s["items_read"] for s in sizes.values()}
    return {
        "sizes": sizes,
        "items_read_flat": len(reads) == 1,
        "range": "2026-11-01..2026-11-30, no filter: all + 6 breakdowns",
    }


def measure_kb(sizes: tuple[int, ...], faithful_moto: bool) -> dict[str, Any]:
    """Knowledge-base search and suggestions (bench/kb.py)."""
    with _stack("kb") as (recorder, _):
        snapshots = nullcontext(mototx.SnapshotGuard()) if faithful_moto else mototx.install()
        with snapshots as guard, open(os.devnull, "w") as sink, redirect_stdout(sink):
            section = kb_search.measure(recorder, progress, sizes)
            guard.check("the knowledge base")
    return section


def measure_recurring() -> dict[str, Any]:
    """The daily recurring-incident step for a tenant with 500 incidents in its window
    (bench/recurring.py)."""
    with (
        _stack("recurring") as (recorder, _),
        open(os.devnull, "w") as sink,
        redirect_stdout(sink),
    ):
        return recurring_bench.measure(recorder, progress)


def _measure_operations(
    client: Any,
    recorder: CallRecorder,
    guard: mototx.SnapshotGuard,
    seeded: list[Seeded],
    count: int,
) -> dict[str, Any]:
    login = client.http.request(
        "POST",
        "/v1/auth/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"email": AGENT, "password": PASSWORD}).encode(),
    )
    if login.status_code != 200:
        raise RuntimeError(f"login failed: {login.status_code} {login.body!r}")
    token = login.json_body["id_token"]
    results: dict[str, Any] = {}
    # Metrics are printed as EMF lines on stdout; stdout belongs to the JSON document.
    with open(os.devnull, "w") as sink, redirect_stdout(sink):
        for operation in operations(seeded, count):
            samples: list[Sample] = []
            for i in range(WARMUP + count):
                request = operation.request(i)
                with recorder.window() as window:
                    started = time.perf_counter()
                    response = _send(client, request, token)
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != operation.status:
                    raise RuntimeError(
                        f"{operation.name}: {request[0]} {request[1]} answered "
                        f"{response.status_code}, not {operation.status}: {response.body[:500]!r}"
                    )
                guard.check(operation.name)
                if i >= WARMUP:
                    samples.append(Sample(elapsed, window.authorizer_ms, window))
            results[operation.name] = summarise(operation, samples)
            progress(
                f"  {operation.name:28} {results[operation.name]['median_ms']:8.2f} ms median, "
                f"{results[operation.name]['dynamodb_calls']}"
            )
    return results


# --- summaries ---------------------------------------------------------------------------


def p90(values: list[float]) -> float:
    """Nearest rank: the smallest value at or above 90 % of the samples."""
    ordered = sorted(values)
    return ordered[max(0, ceil(0.9 * len(ordered)) - 1)]


def _number(values: list[int]) -> int | float:
    middle = statistics.median(values)
    return int(middle) if float(middle).is_integer() else middle


def _within(calls: dict[str, int], allowed: dict[str, int]) -> bool:
    return all(op in allowed and n <= allowed[op] for op, n in calls.items())


def summarise(operation: Operation, samples: list[Sample]) -> dict[str, Any]:
    def variants(calls: list[dict[str, int]]) -> Counter[str]:
        return Counter(json.dumps(c, sort_keys=True) for c in calls)

    all_calls = [s.window.operations("dynamodb") for s in samples]
    by_authorizer = [s.window.operations("dynamodb", AUTHORIZER) for s in samples]
    others = [s.window.other_services() for s in samples]
    common = variants(all_calls).most_common()
    totals = {
        name: [s.window.total(name) for s in samples]
        for name in ("items_read", "items_scanned", "items_written")
    }
    summary: dict[str, Any] = {
        "request": operation.shown_as,
        "requests": len(samples),
        "dynamodb_calls": json.loads(common[0][0]),
        "dynamodb_calls_by_authorizer": json.loads(variants(by_authorizer).most_common(1)[0][0]),
        "other_aws_calls": json.loads(variants(others).most_common(1)[0][0]),
        "items_read": _number(totals["items_read"]),
        "items_scanned": _number(totals["items_scanned"]),
        "items_written": _number(totals["items_written"]),
        "median_ms": round(statistics.median(s.ms for s in samples), 2),
        "p90_ms": round(p90([s.ms for s in samples]), 2),
        "authorizer_median_ms": round(statistics.median(s.authorizer_ms for s in samples), 2),
        "in_aws_calls_median_ms": round(statistics.median(s.window.aws_ms() for s in samples), 2),
        "outside_aws_calls_median_ms": round(
            statistics.median(s.ms - s.window.aws_ms() for s in samples), 2
        ),
        "documented": operation.documented_as,
        "within_documented": all(_within(c, operation.documented) for c in all_calls),
    }
    varies: dict[str, Any] = {}
    if len(common) > 1:
        varies["dynamodb_calls"] = {calls: n for calls, n in common}
    for name, values in totals.items():
        if min(values) != max(values):
            varies[name] = [min(values), max(values)]
    errors = sorted({e for s in samples for e in s.window.errors()})
    if errors:
        varies["errors"] = errors
    if varies:
        summary["varies"] = varies
    return summary


def _list_reads(sizes: dict[str, Any]) -> tuple[dict[str, Any], bool | None]:
    reads = {
        op: {
            size: {
                "items_read": result["operations"][op]["items_read"],
                "items_scanned": result["operations"][op]["items_scanned"],
                "dynamodb_calls": result["operations"][op]["dynamodb_calls"],
            }
            for size, result in sizes.items()
        }
        for op in LIST_OPERATIONS
    }
    if len(sizes) < 2:
        return reads, None
    constant = all(
        len({json.dumps(v, sort_keys=True) for v in per_size.values()}) == 1
        and not any("varies" in r["operations"][op] for r in sizes.values())
        for op, per_size in reads.items()
    )
    return reads, constant


# --- the document ------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "platform": platform.platform(),
    }


def _notes(count: int, faithful_moto: bool, sections: set[str]) -> list[str]:
    notes: list[str] = []
    if "imports" in sections:
        notes.append(
            "import_app_ms: median of fresh `python -X importtime -c 'import app'` runs (one "
            "discarded warm-up), cumulative time of the `app` line, Lambda-like environment "
            "(no AWS_ENDPOINT_URL, no moto), .pyc files cached."
        )
    if "package" in sections:
        notes.append(
            "package: `import app` from build/deployment.zip unpacked read-only with "
            "PYTHONDONTWRITEBYTECODE, as on Lambda; with the bytecode `make package` adds "
            "(infra/bytecode.py) and with the sources alone, alternating; medians."
        )
    if "tickets" in sections:
        notes += _ticket_notes(count)
    if "sla" in sections:
        notes += _sla_notes()
    if "pages" in sections:
        notes.append(
            "pages: median wall-clock ms of chalice.test.Client for a page with a session "
            "cookie (moto's work included), after 3 warm-up requests; first_visit_bytes is "
            "the page plus every static file it links, repeat_visit_bytes the page alone "
            "(static files are hashed and cached for a year); bodies uncompressed."
        )
    if "reports" in sections:
        notes.append(
            "reports: GET /v1/reports/summary over 30 days at 10,000 and 100,000 tickets; the "
            "counter items the stream consumer would write are computed with its own "
            "domain.metrics.apply and written straight into moto (bench/reports.py). "
            "items_read and read_units (eventually consistent, per Query page) must not grow "
            "with the ticket count."
        )
    if not {"tickets", "sla"} & sections:
        return notes
    if faithful_moto:
        notes.append(
            "--moto-snapshots: moto deep-copies the table for every item of every "
            "TransactWriteItems, so write latencies here grow with the table."
        )
    else:
        per_copy = " (moto_transaction_snapshot_ms per copy)" if "tickets" in sections else ""
        notes.append(
            "moto deep-copies the whole table once per item of every TransactWriteItems"
            f"{per_copy}; the bench skips that copy so write latencies are the app's, and "
            "aborts if any transaction is cancelled. Use --moto-snapshots to keep it."
        )
    return notes


def _sla_notes() -> list[str]:
    return [
        "sla_sweep: one moto stack grown through the sizes; tickets are domain Tickets whose "
        "clocks come from open_clocks/advance with the demo tenant's calendars, stored as "
        "ticket_item() builds them (GSI6 keys included). The same 5 are due at `now`; every "
        "other running clock's next moment is at least 15 minutes later; about 30 % of the "
        "tickets run no clock (pending, on hold, resolved).",
        "sla_sweep: the first 1,000 tickets are written with BatchWriteItem, the rest straight "
        "into moto's table object (bench fixture only: moto builds an item far too slowly "
        "for 100,000). Before every sweep the 5 due tickets are put back as seeded and the "
        "settings cache is cleared, so every sweep acts on the same 5 and reads the settings "
        "as a tick a minute after the last one does.",
        "sla_sweep: figures are per call of wiring.sla_sweep().run(now), after one unmeasured "
        "sweep. moto answers each GSI6 Query by sorting and walking the whole table and "
        "sizing every entry of the shard, so in_aws_calls_median_ms grows with the table "
        "here; DynamoDB reads only the matching key range. items_read and dynamodb_calls are "
        "what the app asks for, and sla_sweep_items_read_flat says they do not grow.",
    ]


def _ticket_notes(count: int) -> list[str]:
    return [
        f"Per operation: {WARMUP} unmeasured warm-up requests, then {count} measured ones, "
        "in-process through chalice.test.Client (authorizer included) against moto "
        "(mock_aws), as agent@demo.example.com with a Cognito ID token.",
        "dynamodb_calls: calls per request by operation name, counted by botocore after-call "
        "hooks on the app's cached client; they include the authorizer's calls, which are "
        "also shown alone as dynamodb_calls_by_authorizer (an ID token needs none). On AWS "
        "the authorizer's result is cached per token for 60 s.",
        "items_read: items returned (Query Count, 1 per GetItem that found an item); "
        "items_scanned: items DynamoDB read to return them (Query ScannedCount, which is what "
        "a FilterExpression costs); items_written: Put/Update/Delete items sent.",
        "Medians and p90 (nearest rank) are wall-clock ms of chalice.test.Client.request; "
        "they include moto's own work. in_aws_calls_median_ms is the part spent inside AWS "
        "calls (botocore before-call to after-call: moto's work and response parsing); "
        "outside_aws_calls_median_ms is the rest (chalice.test, authorizer, app). moto "
        "answers a GSI Query by walking every item of the table and serializes each returned "
        "item slowly, so list latency here says little about DynamoDB.",
        "The seeded tickets are generated newest first from one fixed random stream, so the "
        "newest tickets are the same at every size and list reads are comparable.",
        "list_page_items_read_constant: every list operation returns, scans and calls the "
        "same at every size.",
        "Reads run before writes, so the list pages see only seeded tickets.",
        "The garbage collector is frozen after seeding so that moto's heap is not walked "
        "during measured requests.",
    ]


@contextmanager
def _stdout_for_json() -> Iterator[TextIO]:
    """The real stdout for the document; anything else written to fd 1 goes to stderr."""
    sys.stdout.flush()
    document = os.fdopen(os.dup(1), "w")
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield document
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        document.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="tickets per run, comma separated")
    parser.add_argument("--requests", type=int, default=50, help="measured requests per operation")
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument(
        "--moto-snapshots",
        action="store_true",
        help="keep moto's whole-table copy per transaction item (slow at 10,000 tickets)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"sections to run, comma separated, of {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--sla-sizes",
        default=",".join(str(s) for s in sla_sweep.SIZES),
        help="open tickets at which the SLA sweep is measured, comma separated",
    )
    parser.add_argument(
        "--sla-sweeps", type=int, default=sla_sweep.SWEEPS, help="measured sweeps per size"
    )
    parser.add_argument(
        "--kb-sizes",
        default=",".join(str(s) for s in kb_search.SIZES),
        help="published articles at which knowledge-base search is measured, comma separated",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    sla_sizes = tuple(int(s) for s in args.sla_sizes.split(",") if s.strip())
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    if not sections or sections - set(SECTIONS):
        parser.error(f"--only takes sections of {', '.join(SECTIONS)}")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    with _stdout_for_json() as out, tempfile.TemporaryDirectory() as scratch:
        document: dict[str, Any] = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": _machine(),
        }
        if "imports" in sections:
            progress(f"import app: {args.import_runs} fresh interpreters")
            cold = imports.measure(args.import_runs)
            progress(f"import app: {cold['import_app_ms']} ms median")
            document.update(cold)
        if "package" in sections:
            progress(f"import app from build/deployment.zip: {args.import_runs} runs each way")
            document["package"] = imports.measure_package(args.import_runs)
        _environment(_moto_jwks(Path(scratch)))
        if "tickets" in sections:
            results = {
                str(size): measure_size(size, args.requests, args.moto_snapshots) for size in sizes
            }
            reads, constant = _list_reads(results)
            document.update(
                {
                    "sizes": results,
                    "list_page_items_read_constant": constant,
                    "list_page_reads": reads,
                }
            )
        if "calendar" in sections:
            progress("calendar arithmetic")
            document["calendar_ops"] = calendar_ops.measure()
        if "sla" in sections:
            started = time.perf_counter()
            section = measure_sla(sla_sizes, args.sla_sweeps, args.moto_snapshots)
            document["sla_sweep_items_read_flat"] = section.pop("items_read_flat")
            section["section_seconds"] = round(time.perf_counter() - started, 1)
            document["sla_sweep"] = section
        if "mail" in sections:
            document["inbound_mail"] = measure_mail(args.moto_snapshots)
        if "pages" in sections:
            document["pages"] = measure_pages(args.moto_snapshots)
        if "rules" in sections:
            document["rules"] = measure_rules(args.moto_snapshots)
        if "reports" in sections:
            started = time.perf_counter()
            section = measure_reports()
            document["reports_items_read_flat"] = section.pop("items_read_flat")
            section["section_seconds"] = round(time.perf_counter() - started, 1)
            document["reports"] = section
        if "kb" in sections:
            started = time.perf_counter()
            kb_sizes = tuple(int(s) for s in args.kb_sizes.split(",") if s.strip())
            document["kb"] = measure_kb(kb_sizes, args.moto_snapshots)
            document["kb"]["section_seconds"] = round(time.perf_counter() - started, 1)
        if "recurring" in sections:
            started = time.perf_counter()
            document["recurring_incidents"] = measure_recurring()
            document["recurring_incidents"]["section_seconds"] = round(
                time.perf_counter() - started, 1
            )
        document["bench_seconds"] = round(time.perf_counter() - _started, 1)
        document["notes"] = _notes(args.requests, args.moto_snapshots, sections)
        json.dump(document, out, indent=2)
        out.write("\n")
        progress(f"done in {document['bench_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
