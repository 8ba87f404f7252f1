"""What every repository's TransactWriteItems shares: the version condition of a write, and
which cancellation reasons are a conflict the caller may resolve by reading again."""

from typing import Any

from chalicelib.adapters.dynamo.codec import to_item
from chalicelib.services.ports import VersionConflict

# A failed condition, or a clash with a concurrent transaction on the same item ("None" is
# the reason given to the items of a cancelled transaction that were not at fault).
_CONFLICTS = {"None", "ConditionalCheckFailed", "TransactionConflict"}


def if_version(expected: int) -> dict[str, Any]:
    """The condition of a Put or Delete that only goes through while the item is still at
    version `expected`."""
    return {
        "ConditionExpression": "#v = :expected",
        "ExpressionAttributeNames": {"#v": "version"},
        "ExpressionAttributeValues": to_item({":expected": expected}),
    }


def transact(db: Any, items: list[dict[str, Any]]) -> list[str] | None:
    """Run a transaction; None when it committed, else the per-item cancellation codes.

    Only a failed condition or a clash with a concurrent transaction is a conflict the
    caller may resolve by reading again; any other reason is a fault and raises as one.
    """
    try:
        db.transact_write_items(TransactItems=items)
    except db.exceptions.TransactionCanceledException as exc:
        codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        if set(codes) <= _CONFLICTS:
            return codes
        raise
    return None


def transact_versioned(db: Any, items: list[dict[str, Any]]) -> None:
    """Run a transaction whose only expected failure is a stale version: VersionConflict."""
    if transact(db, items) is not None:
        raise VersionConflict()
