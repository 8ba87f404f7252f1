"""Tenant settings, groups and inbound addresses."""

from collections.abc import Iterator
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.errors import Conflict
from chalicelib.services.ports import VersionConflict
from chalicelib.settings import get_settings


class DynamoTenants:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def get(self, tenant: str, *, consistent: bool = False) -> dict[str, Any] | None:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.table,
                Key=to_item(keys.tenant_key(tenant)),
                ConsistentRead=consistent,
            )
            .get("Item")
        )
        return from_item(item) if item else None

    def tenant_for_address(self, address: str) -> str | None:
        """Which tenant an inbound address belongs to (its plus tag already removed)."""
        item = (
            client("dynamodb")
            .get_item(TableName=self.table, Key=to_item(keys.inbound_address_key(address)))
            .get("Item")
        )
        return from_item(item)["tenant"] if item else None

    def all(self) -> Iterator[dict[str, Any]]:
        """Every tenant's settings: the registry, then each tenant item (daily jobs only)."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.TENANTS_PK}),
        }
        while True:
            answer = client("dynamodb").query(**params)
            for entry in answer.get("Items", []):
                settings = self.get(from_item(entry)["tenant"])
                if settings:
                    yield settings
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def put(
        self,
        tenant: str,
        settings: dict[str, Any],
        addresses: list[str],
        groups: list[str],
        *,
        new: bool = False,
    ) -> None:
        """Tenant, its groups and its inbound addresses in one transaction.

        An address already claimed by another tenant fails the whole write: mail for one
        address must reach exactly one tenant. With `new`, so does an existing tenant.
        """
        tenant_item: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item({**keys.tenant_key(tenant), **settings}),
        }
        if new:
            tenant_item["ConditionExpression"] = "attribute_not_exists(PK)"
        items: list[dict[str, Any]] = [
            {"Put": tenant_item},
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item({**keys.tenant_registry_key(tenant), "tenant": tenant}),
                }
            },
        ]
        items += [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item({**keys.group_key(tenant, g), "name": g, "tenant": tenant}),
                }
            }
            for g in groups
        ]
        claims = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {**keys.inbound_address_key(a), "address": a.lower(), "tenant": tenant}
                    ),
                    "ConditionExpression": "attribute_not_exists(PK) OR tenant = :t",
                    "ExpressionAttributeValues": to_item({":t": tenant}),
                }
            }
            for a in addresses
        ]
        db = client("dynamodb")
        try:
            db.transact_write_items(TransactItems=items + claims)
        except db.exceptions.TransactionCanceledException as exc:
            codes = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                raise Conflict(f"Tenant {tenant} exists already.") from None
            taken = [a for a, c in zip(addresses, codes[len(items) :], strict=False)
                     if c == "ConditionalCheckFailed"]  # fmt: skip
            if taken:
                raise Conflict(
                    f"{', '.join(taken)} already receives another tenant's mail."
                ) from None
            raise

    def update_settings(
        self,
        tenant: str,
        changes: dict[str, Any],
        expected: int,
        stamp: dict[str, Any],
        record: dict[str, Any],
    ) -> int:
        """Set (or, for None, remove) the changed settings and `stamp` (updated_at/by) if the
        tenant item is still at `expected` (0: an item from before versions), with the
        change's audit `record` in the same transaction; the new version.

        An UpdateItem, not a Put: what the admin cannot change (inbound addresses, groups,
        the mail token key) is never rewritten from a copy that could be stale."""
        names: dict[str, str] = {"#version": "version"}
        values: dict[str, Any] = {":next": expected + 1}
        sets = ["#version = :next"]
        removes = []
        for i, (field, value) in enumerate({**changes, **stamp}.items()):
            names[f"#f{i}"] = field
            if value is None:
                removes.append(f"#f{i}")
            else:
                values[f":v{i}"] = value
                sets.append(f"#f{i} = :v{i}")
        if expected:
            condition = "attribute_exists(PK) AND #version = :expected"
            values[":expected"] = expected
        else:
            condition = "attribute_exists(PK) AND attribute_not_exists(#version)"
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        db = client("dynamodb")
        try:
            db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": to_item(keys.tenant_key(tenant)),
                            "UpdateExpression": update,
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": to_item(values),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(
                                {**keys.settings_change_key(tenant, record["id"]), **record}
                            ),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                ]
            )
        except db.exceptions.TransactionCanceledException as exc:
            raise VersionConflict() from exc
        return expected + 1

    def settings_changes(self, tenant: str, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` changes of the tenant's settings, newest first."""
        answer = client("dynamodb").query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.settings_log_pk(tenant)}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(i) for i in answer.get("Items", [])]
