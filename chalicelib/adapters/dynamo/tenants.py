"""Tenant settings, groups and inbound addresses."""

from collections.abc import Iterator
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.errors import Conflict
from chalicelib.settings import get_settings


class DynamoTenants:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def get(self, tenant: str) -> dict[str, Any] | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self.table, Key=to_item(keys.tenant_key(tenant)))
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
