"""The service catalog: one item per request type, all in one partition per tenant."""

from datetime import datetime
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.catalog import ApprovalRule, CatalogItem, FieldDef, FieldKind
from chalicelib.domain.tickets import Priority
from chalicelib.services.ports import VersionConflict
from chalicelib.settings import get_settings


class DynamoCatalog:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def list(self, tenant: str) -> list[CatalogItem]:
        """Every item of the tenant's catalog, by id. A catalog holds tens of items, so the
        whole partition (following pages) is one answer."""
        db = client("dynamodb")
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.catalog_pk(tenant)}),
        }
        found: list[CatalogItem] = []
        while True:
            answer = db.query(**params)
            found += [item_from(from_item(i)) for i in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return found
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def get(self, tenant: str, service_id: str) -> CatalogItem | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self.table, Key=to_item(keys.catalog_key(tenant, service_id)))
            .get("Item")
        )
        return item_from(from_item(item)) if item else None

    def put(self, service: CatalogItem, expected: int) -> None:
        """Write `service` if the stored one is at `expected` (0: it must not exist yet)."""
        db = client("dynamodb")
        params: dict[str, Any] = {"TableName": self.table, "Item": to_item(item_of(service))}
        if expected == 0:
            params["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            params["ConditionExpression"] = "version = :expected"
            params["ExpressionAttributeValues"] = to_item({":expected": expected})
        try:
            db.put_item(**params)
        except db.exceptions.ConditionalCheckFailedException as exc:
            raise VersionConflict() from exc


def item_of(s: CatalogItem) -> dict[str, Any]:
    return {
        **keys.catalog_key(s.tenant, s.id),
        "kind": "service",
        "tenant": s.tenant,
        "id": s.id,
        "version": s.version,
        "name": s.name,
        "description": s.description,
        "category": s.category,
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind.value,
                "required": f.required,
                "options": list(f.options),
                "min": f.min,
                "max": f.max,
            }
            for f in s.fields
        ],
        "default_group": s.default_group,
        "default_priority": s.default_priority.value if s.default_priority else None,
        "sla_targets": list(s.sla_targets),
        "approval": {"approver": s.approval.approver} if s.approval else None,
        "active": s.active,
        "created_at": s.created_at.isoformat(),
        "updated_at": s.updated_at.isoformat(),
    }


def item_from(v: dict[str, Any]) -> CatalogItem:
    return CatalogItem(
        tenant=v["tenant"],
        id=v["id"],
        version=v["version"],
        name=v["name"],
        description=v["description"],
        category=v.get("category"),
        fields=tuple(
            FieldDef(
                key=f["key"],
                label=f["label"],
                kind=FieldKind(f["kind"]),
                required=f["required"],
                options=tuple(f.get("options") or ()),
                min=f.get("min"),
                max=f.get("max"),
            )
            for f in v.get("fields", [])
        ),
        default_group=v.get("default_group"),
        default_priority=Priority(v["default_priority"]) if v.get("default_priority") else None,
        sla_targets=tuple(v.get("sla_targets") or ()),
        approval=ApprovalRule(v["approval"]["approver"]) if v.get("approval") else None,
        active=v.get("active", True),
        created_at=datetime.fromisoformat(v["created_at"]),
        updated_at=datetime.fromisoformat(v["updated_at"]),
    )
