"""Pages of a Query for the API's lists: opaque cursors that only work for the list they came
from, and a page read that stays O(limit) however much a filter skips."""

import base64
import binascii
import json
from typing import Any

from chalicelib.adapters.dynamo.codec import from_item
from chalicelib.domain.errors import BadRequest

# A filtered list reads at most this many Query rounds for one page, so a page's cost never
# depends on how many items the filter skips.
MAX_ROUNDS = 4


def query_page(
    db: Any,
    params: dict[str, Any],
    limit: int,
    cursor: str | None,
    partition: tuple[str, str],
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` items of one Query from where `cursor` left off, and the next cursor."""
    start = decode_cursor(cursor, partition) if cursor else None
    rows: list[dict[str, Any]] = []
    for _ in range(MAX_ROUNDS):
        request = {**params, "Limit": limit - len(rows)}
        if start:
            request["ExclusiveStartKey"] = start
        answer = db.query(**request)
        rows += [from_item(i) for i in answer.get("Items", [])]
        start = answer.get("LastEvaluatedKey")
        if not start or len(rows) >= limit:
            break
    return rows, encode_cursor(start) if start else None


def encode_cursor(last_key: dict[str, Any]) -> str:
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partition: tuple[str, str]) -> dict[str, Any]:
    """A cursor is only accepted for the list it came from; anything else is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise BadRequest("The cursor is not one this list gave out.") from exc
    name, value = partition
    valid = (
        isinstance(key, dict)
        and 0 < len(key) <= 4
        and all(
            isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str)
            for v in key.values()
        )
        and key.get(name) == {"S": value}
        and {"PK", "SK"} <= key.keys()
    )
    if not valid:
        raise BadRequest("The cursor is not one this list gave out.")
    return key
