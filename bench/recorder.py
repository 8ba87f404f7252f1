"""Counts the AWS calls the app makes while it serves one request.

The hooks sit on the app's own cached boto3 clients (`chalicelib.adapters.aws.client`), so
what is counted is exactly what the app sends, whichever adapter sends it. Calls made inside
the authorizer are tagged separately: on AWS the authorizer is its own Lambda whose answer API
Gateway caches per token, so its calls are not paid on every request there.
"""

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

HANDLER = "handler"
AUTHORIZER = "authorizer"

# Every service the app has a client for; a call to any of them on a request path is news.
SERVICES = ("dynamodb", "cognito-idp", "events", "sqs", "s3", "ses", "sns")


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    phase: str
    items_read: int
    items_scanned: int
    items_written: int
    error: str | None
    ms: float


@dataclass
class Window:
    """The calls of one measured request."""

    calls: list[Call] = field(default_factory=list)
    authorizer_ms: float = 0.0

    def operations(self, service: str, phase: str | None = None) -> dict[str, int]:
        counted = Counter(
            c.operation
            for c in self.calls
            if c.service == service and (phase is None or c.phase == phase)
        )
        return dict(sorted(counted.items()))

    def other_services(self) -> dict[str, int]:
        counted = Counter(
            f"{c.service}.{c.operation}" for c in self.calls if c.service != "dynamodb"
        )
        return dict(sorted(counted.items()))

    def total(self, attribute: str) -> int:
        return sum(getattr(c, attribute) for c in self.calls if c.service == "dynamodb")

    def aws_ms(self) -> float:
        return sum(c.ms for c in self.calls)

    def errors(self) -> list[str]:
        return [f"{c.service}.{c.operation}: {c.error}" for c in self.calls if c.error]


class CallRecorder:
    def __init__(self) -> None:
        self.phase = HANDLER
        self._window: Window | None = None

    def attach(self, client: Any) -> None:
        events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        # The request parameters are not passed to after-call; the request context is, so
        # they travel in it (the same dict object for the whole call).
        events.register(f"before-parameter-build.{service}", self._remember_params)
        events.register(f"before-call.{service}", self._start_clock)
        events.register(f"after-call.{service}", self._record)

    @contextmanager
    def window(self) -> Iterator[Window]:
        self._window = Window()
        try:
            yield self._window
        finally:
            self._window = None

    @contextmanager
    def phase_of(self, phase: str) -> Iterator[None]:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous

    def add_authorizer_ms(self, ms: float) -> None:
        if self._window is not None:
            self._window.authorizer_ms += ms

    def _remember_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params

    def _start_clock(self, context: dict[str, Any], **_: Any) -> None:
        # From here to after-call: signing, moto's work (or the network) and parsing.
        context["bench_started"] = time.perf_counter()

    def _record(
        self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if self._window is None:
            return
        params = context.get("bench_params") or {}
        service = model.service_model.service_id.hyphenize()
        read, scanned = _items_read(model.name, parsed)
        error = parsed.get("Error", {}).get("Code") if "Error" in parsed else None
        self._window.calls.append(
            Call(
                service=service,
                operation=model.name,
                phase=self.phase,
                items_read=read,
                items_scanned=scanned,
                items_written=_items_written(model.name, params) if not error else 0,
                error=error,
                ms=(time.perf_counter() - context.get("bench_started", time.perf_counter())) * 1000,
            )
        )


def _items_read(operation: str, parsed: dict[str, Any]) -> tuple[int, int]:
    """(items returned, items the service had to read to return them)."""
    if operation == "GetItem":
        found = 1 if parsed.get("Item") else 0
        return found, found
    if operation in ("Query", "Scan"):
        return parsed.get("Count", 0), parsed.get("ScannedCount", parsed.get("Count", 0))
    if operation == "BatchGetItem":
        found = sum(len(items) for items in parsed.get("Responses", {}).values())
        return found, found
    if operation == "TransactGetItems":
        found = sum(1 for r in parsed.get("Responses", []) if r.get("Item"))
        return found, found
    return 0, 0


def _items_written(operation: str, params: dict[str, Any]) -> int:
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if operation == "TransactWriteItems":
        # A ConditionCheck only reads; everything else in a transaction writes one item.
        return sum(1 for item in params.get("TransactItems", []) if "ConditionCheck" not in item)
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    return 0
