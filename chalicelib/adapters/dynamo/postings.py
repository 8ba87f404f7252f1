"""Postings of a search index (the knowledge base's and the known errors'), written in the
transaction of the document they index.

A document's postings move from the terms it was indexed under to its new ones: a Put for
each new posting and a Delete for each old one that no Put overwrites. The index's
statistics (documents, total length and, for an index that keeps them, each term's document
frequency) move with them in one ADD. What a posting holds and where it sits is each index's
own (item builders beside the repository, keys in keys.py).
"""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain import search

# boto3 clients are thread-safe; this many term Queries of one search run at once.
_PARALLEL_QUERIES = 8


def moves(
    table: str, new_postings: Iterable[dict[str, Any]], old_keys: Iterable[dict[str, str]]
) -> list[dict[str, Any]]:
    """Transaction items that put `new_postings` and delete the `old_keys` they leave."""
    put = {item["PK"] + item["SK"]: item for item in new_postings}
    items: list[dict[str, Any]] = [
        {"Put": {"TableName": table, "Item": to_item(item)}} for item in put.values()
    ]
    for key in old_keys:
        # A posting whose place did not change is overwritten by its Put above.
        if key["PK"] + key["SK"] not in put:
            items.append({"Delete": {"TableName": table, "Key": to_item(key)}})
    return items


def statistics_update(
    table: str,
    key: dict[str, str],
    old: search.Document | None,
    new: search.Document | None,
    df_prefix: str | None = None,
) -> list[dict[str, Any]]:
    """The ADD that moves the statistics item at `key` from `old` to `new` (nothing when it
    would add nothing); with `df_prefix`, each term's document frequency is an attribute of
    that name and the term."""
    old_terms = set(old.frequencies) if old else set()
    new_terms = set(new.frequencies) if new else set()
    deltas: dict[str, int] = {}
    if df_prefix is not None:
        deltas = {t: 1 for t in new_terms - old_terms} | {t: -1 for t in old_terms - new_terms}
    documents = (1 if new else 0) - (1 if old else 0)
    length = (new.length if new else 0) - (old.length if old else 0)
    if not (deltas or documents or length):
        return []
    names = {"#d": "documents", "#l": "total_length"}
    values: dict[str, Any] = {":d": documents, ":l": length}
    adds = ["#d :d", "#l :l"]
    for n, (term, delta) in enumerate(sorted(deltas.items())):
        names[f"#t{n}"] = f"{df_prefix}{term}"
        values[f":t{n}"] = delta
        adds.append(f"#t{n} :t{n}")
    return [
        {
            "Update": {
                "TableName": table,
                "Key": to_item(key),
                "UpdateExpression": "ADD " + ", ".join(adds),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
        }
    ]


def heads(db: Any, table: str, partitions: list[str], limit: int) -> list[dict[str, Any]]:
    """The first `limit` items of each term's partition: one Query per partition, sent side
    by side (a search waits for the slowest Query, not for their sum)."""

    def head(partition: str) -> list[dict[str, Any]]:
        answer = db.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=to_item({":pk": partition}),
            Limit=limit,
        )
        return answer.get("Items", [])

    if not partitions:
        return []
    if len(partitions) == 1:
        found = [head(partitions[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(len(partitions), _PARALLEL_QUERIES)) as pool:
            found = list(pool.map(head, partitions))
    return [from_item(i) for items in found for i in items]
