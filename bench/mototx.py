"""moto's TransactWriteItems snapshot, measured and (by default) taken out of the timings.

moto 5.2 deep-copies the whole table once per item of every TransactWriteItems, so that it
can roll back a cancelled transaction. With 10,000 tickets that copy takes seconds, and a
ticket change (a transaction of 2–4 items) would time moto's copying, not the app: DynamoDB's
own transaction latency does not grow with the table. While `install()` is in force the
snapshot is skipped. A cancelled transaction then leaves its earlier items written, so every
cancellation is counted and the bench refuses to report figures taken after one.
"""

import copy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class SnapshotGuard:
    cancelled: int = 0

    def check(self, during: str) -> None:
        if self.cancelled:
            raise RuntimeError(
                f"{self.cancelled} DynamoDB transaction(s) were cancelled during {during}; "
                "with moto's rollback snapshot skipped the table may hold half a transaction. "
                "Rerun with --moto-snapshots to investigate."
            )


class _TablesAsIs:
    """Stands in for the `copy` module inside moto's transaction: tables are not copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


@contextmanager
def install() -> Iterator[SnapshotGuard]:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    guard = SnapshotGuard()
    original: Callable[..., None] = models.DynamoDBBackend.transact_write_items
    stand_in = _TablesAsIs(Table)

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        models.copy = stand_in  # type: ignore[assignment]
        try:
            original(backend, transact_items)
        except Exception:
            guard.cancelled += 1
            raise
        finally:
            models.copy = copy  # type: ignore[assignment]

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def snapshot_ms(table_name: str, region: str) -> float:
    """How long moto's per-item snapshot of the table takes at its current size."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[table_name]
    started = time.perf_counter()
    copy.deepcopy(table)
    return (time.perf_counter() - started) * 1000
