"""Pages: median server time of the portal home, the agent queue page and the agent ticket
page, the DynamoDB calls each one makes, and the bytes a browser transfers on a first and a
repeat visit.

In-process through chalice.test.Client on moto, like the ticket operations: a page is one
request with a session cookie, signed in through the sign-in form as a browser does. The
tenant holds `TICKETS` seeded tickets (bench/seed.py), a realistic open backlog for the
queue counts (they read every open ticket: docs/web.md).

Bytes are the uncompressed response bodies (the stack configures no compression): a first
visit fetches the page and every static file it links, a repeat visit only the page, since
static files are served under hashed names with a year's `immutable` cache.
"""

import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bench.recorder import CallRecorder
from bench.seed import seed

TICKETS = 500
REQUESTS = 30
WARMUP = 3
REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')


class _Browser:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes = b"", **headers: str) -> Any:
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = self.client.http.request(method, path, headers=headers, body=body)
        sent = answer.headers.get("Set-Cookie") or []
        for line in sent if isinstance(sent, list) else [sent]:
            name, _, rest = line.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return answer

    def sign_in(self, email: str, password: str) -> None:
        page = self.request("GET", "/login").body.decode()
        token = _CSRF.search(page)
        assert token, "no sign-in form"
        form = {"csrf_token": token.group(1), "email": email, "password": password}
        answer = self.request(
            "POST",
            "/login",
            urlencode(form).encode(),
            **{"Content-Type": "application/x-www-form-urlencoded"},
        )
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in failed: {answer.status_code}")


def _timed(
    browser: _Browser, recorder: CallRecorder, path: str
) -> tuple[list[float], dict[str, int], int]:
    """Median inputs for one page: wall-clock ms per request, DynamoDB calls, items read."""
    samples: list[float] = []
    calls: dict[str, int] = {}
    items = 0
    for i in range(WARMUP + REQUESTS):
        with recorder.window() as window:
            started = time.perf_counter()
            answer = browser.request("GET", path)
            elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
        if i >= WARMUP:
            samples.append(elapsed)
            calls = window.operations("dynamodb")
            items = window.total("items_scanned")
    return samples, calls, items


def _bytes(browser: _Browser, path: str) -> dict[str, int]:
    page = browser.request("GET", path)
    html = page.body
    assets = _STATIC.findall(html.decode())
    static = sum(len(browser.request("GET", url).body) for url in assets)
    return {
        "html_bytes": len(html),
        "static_files": len(assets),
        "first_visit_bytes": len(html) + static,
        "repeat_visit_bytes": len(html),
    }


def measure(
    client: Any, recorder: CallRecorder, password: str, progress: Callable[[str], None]
) -> dict[str, Any]:
    progress(f"pages: seeding {TICKETS} tickets")
    seeded = seed(TICKETS, datetime.now(UTC))
    requester, agent = _Browser(client), _Browser(client)
    requester.sign_in(REQUESTER, password)
    agent.sign_in(AGENT, password)
    number = seeded.tickets[0].number
    pages = {
        "portal_home": (requester, "/"),
        "agent_queue": (agent, "/agent?queue=open"),
        "agent_ticket": (agent, f"/agent/tickets/{number}"),
    }
    results: dict[str, Any] = {}
    for name, (browser, path) in pages.items():
        samples, calls, scanned = _timed(browser, recorder, path)
        results[name] = {
            "path": path,
            "median_ms": round(statistics.median(samples), 2),
            "dynamodb_calls": calls,
            "items_scanned": scanned,
            **_bytes(browser, path),
        }
        progress(f"  {name:14} {results[name]['median_ms']:8.2f} ms median, {calls}")
    return {
        "tickets": TICKETS,
        "open_tickets": sum(v for k, v in seeded.by_status.items() if k not in _DONE),
        "pages": results,
    }


_DONE = ("resolved", "closed")
