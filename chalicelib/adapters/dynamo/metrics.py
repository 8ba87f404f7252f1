"""Report counters and per-ticket facts (docs/metrics.md, docs/data-model.md)."""

import time
from collections.abc import Iterator
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain import metrics
from chalicelib.services.ports import FactsChanged, SliceRows, StoredFacts
from chalicelib.settings import get_settings

# The stream keeps records 24 hours; a marker outlives every redelivery of its record.
_MARKER_SECONDS = 7 * 24 * 3600
_MAX_TRANSACTION = 100


class DynamoMetrics:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    def facts(self, tenant: str, number: int) -> StoredFacts | None:
        item = self._db.get_item(
            TableName=self.table, Key=to_item(keys.facts_key(tenant, number)), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        values = from_item(item)
        return StoredFacts(values["facts"], values["version"])

    def count(
        self,
        tenant: str,
        source_id: str,
        counts: dict[tuple[str, str, str], dict[str, int]],
        open_moves: dict[tuple[str, str], int],
        facts: tuple[int, dict[str, Any], int | None] | None = None,
    ) -> bool:
        """One transaction: the marker (only if absent), the facts (only if unchanged since
        they were read) and every counter ADD. A repeated record fails on its marker and
        changes nothing."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {
                            **keys.counted_key(tenant, source_id),
                            "kind": "counted",
                            "expires_at": int(time.time()) + _MARKER_SECONDS,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        if facts is not None:
            number, values, expected = facts
            condition: dict[str, Any] = (
                {"ConditionExpression": "attribute_not_exists(PK)"}
                if expected is None
                else {
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": expected}),
                }
            )
            item = {
                **keys.facts_key(tenant, number),
                "kind": "facts",
                "tenant": tenant,
                "ticket": number,
                "facts": values,
                "version": (expected or 0) + 1,
            }
            items.append({"Put": {"TableName": self.table, "Item": to_item(item), **condition}})
        for (dimension, value, day), deltas in counts.items():
            plain, values = metrics.split(deltas)
            if plain:
                items.append(self._add(keys.stats_day_key(tenant, dimension, value, day), plain))
            if values:
                key = keys.stats_values_key(tenant, dimension, value, day)
                items.append(self._add(key, values))
        for (dimension, value), delta in open_moves.items():
            items.append(self._add(keys.stats_open_key(tenant, dimension, value), {"open": delta}))
        if len(items) > _MAX_TRANSACTION:
            raise ValueError(f"an event touches {len(items)} items, more than one transaction")
        db = self._db
        try:
            db.transact_write_items(TransactItems=items)
        except db.exceptions.TransactionCanceledException as exc:
            codes = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise FactsChanged() from exc
            if "TransactionConflict" in codes:
                raise FactsChanged() from exc
            raise
        return True

    def _add(self, key: dict[str, str], deltas: dict[str, int]) -> dict[str, Any]:
        names = {f"#a{i}": name for i, name in enumerate(deltas)}
        values = {f":a{i}": amount for i, amount in enumerate(deltas.values())}
        adds = ", ".join(f"#a{i} :a{i}" for i in range(len(deltas)))
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(key),
                "UpdateExpression": f"SET #kind = :kind ADD {adds}",
                "ExpressionAttributeNames": {**names, "#kind": "kind"},
                "ExpressionAttributeValues": to_item({**values, ":kind": "stats"}),
            }
        }

    def slices(
        self, tenant: str, dimension: str, since: str, values: str | None = None
    ) -> dict[str, SliceRows]:
        """One Query: the partition's days from `since` on, then its open totals (sorted
        after every day). Cost: days × values of the dimension, never tickets. With
        `values`, that slice's distribution entries too (one more Query)."""
        days: dict[str, dict[str, dict[str, int]]] = {}
        open_now: dict[str, int] = {}
        for raw in self._range(keys.stats_pk(tenant, dimension), since):
            item = from_item(raw)
            sk = item.pop("SK")
            counters = {
                k: v for k, v in item.items() if k not in ("PK", "kind") and isinstance(v, int)
            }
            if sk.startswith(keys.STATS_OPEN_PREFIX):
                open_now[sk[len(keys.STATS_OPEN_PREFIX) :]] = counters.get("open", 0)
            else:
                day, value = sk.split("#", 1)
                days.setdefault(value, {})[day] = counters
        if values is not None:
            partition = keys.stats_values_pk(tenant, dimension)
            for raw in self._range(partition, f"{values}#{since}", f"{values}#~"):
                item = from_item(raw)
                day = item["SK"].rsplit("#", 1)[1]
                entries = {k: v for k, v in item.items() if metrics.is_value(k)}
                days.setdefault(values, {}).setdefault(day, {}).update(entries)
        return {
            value: SliceRows(days.get(value, {}), open_now.get(value, 0))
            for value in sorted(days.keys() | open_now.keys())
        }

    def _range(self, partition: str, since: str, until: str | None = None) -> Iterator[Any]:
        condition = "PK = :pk AND SK >= :since"
        bounds = {":pk": partition, ":since": since}
        if until is not None:
            condition = "PK = :pk AND SK BETWEEN :since AND :until"
            bounds[":until"] = until
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(bounds),
        }
        while True:
            answer = self._db.query(**params)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
