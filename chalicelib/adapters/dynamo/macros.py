"""Macros: one item each, listed by name through GSI1 (shared ones per tenant, personal ones
per owner). See docs/data-model.md."""

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.errors import Invalid
from chalicelib.domain.macros import Macro, Scope
from chalicelib.services.ports import VersionConflict
from chalicelib.settings import get_settings

_MAX_CURSOR = 1024


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DynamoMacros:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def get(self, tenant: str, macro_id: str) -> Macro | None:
        item = (
            client("dynamodb")
            .get_item(TableName=self.table, Key=to_item(keys.macro_key(tenant, macro_id)))
            .get("Item")
        )
        return _from_item(from_item(item)) if item else None

    def put(self, macro: Macro, expected: int) -> None:
        """Write `macro` if the stored one is still at `expected` (0: there is none yet)."""
        db = client("dynamodb")
        params: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item(_to_item(macro)),
            "ConditionExpression": "attribute_not_exists(PK)"
            if expected == 0
            else "version = :expected",
        }
        if expected:
            params["ExpressionAttributeValues"] = to_item({":expected": expected})
        try:
            db.put_item(**params)
        except db.exceptions.ConditionalCheckFailedException as exc:
            raise VersionConflict() from exc

    def delete(self, tenant: str, macro_id: str, expected: int) -> None:
        db = client("dynamodb")
        try:
            db.delete_item(
                TableName=self.table,
                Key=to_item(keys.macro_key(tenant, macro_id)),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=to_item({":expected": expected}),
            )
        except db.exceptions.ConditionalCheckFailedException as exc:
            raise VersionConflict() from exc

    def usable(
        self, tenant: str, owner: str, limit: int, cursor: str | None
    ) -> tuple[list[Macro], str | None]:
        """The tenant's shared macros and `owner`'s own, by name: one Query per partition,
        each resuming after the cursor's sort key, merged."""
        after = _decode_cursor(cursor) if cursor else None
        found: list[dict[str, Any]] = []
        for pk in (keys.shared_macros_pk(tenant), keys.personal_macros_pk(tenant, owner)):
            found += self._from_partition(pk, after, limit + 1)
        found.sort(key=lambda item: item[f"{keys.GSI_MACROS}SK"])
        page = found[:limit]
        # Each Query stops only at its Limit or its partition's end; with fewer than limit + 1
        # items between them, both have ended.
        more = len(found) > limit
        next_cursor = _encode_cursor(page[-1][f"{keys.GSI_MACROS}SK"]) if more else None
        return [_from_item(item) for item in page], next_cursor

    def _from_partition(self, pk: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        condition = f"{keys.GSI_MACROS}PK = :pk"
        values: dict[str, Any] = {":pk": pk}
        if after is not None:
            condition += f" AND {keys.GSI_MACROS}SK > :after"
            values[":after"] = after
        answer = client("dynamodb").query(
            TableName=self.table,
            IndexName=keys.GSI_MACROS,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_item(values),
            Limit=limit,
        )
        return [from_item(item) for item in answer.get("Items", [])]


def _to_item(macro: Macro) -> dict[str, Any]:
    return {
        **keys.macro_key(macro.tenant, macro.id),
        **keys.macro_index_keys(macro.tenant, macro.id, macro.name, macro.owner),
        "type": "macro",
        "tenant": macro.tenant,
        "id": macro.id,
        "name": macro.name,
        "body": dict(macro.body),
        "scope": macro.scope.value,
        "owner": macro.owner,
        "actions": dict(macro.actions),
        "version": macro.version,
        "created_at": _iso(macro.created_at),
        "updated_at": _iso(macro.updated_at),
        "created_by": macro.created_by,
    }


def _from_item(item: dict[str, Any]) -> Macro:
    return Macro(
        tenant=item["tenant"],
        id=item["id"],
        name=item["name"],
        body=dict(item["body"]),
        scope=Scope(item["scope"]),
        owner=item.get("owner"),
        version=int(item["version"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]),
        created_by=item["created_by"],
        actions=dict(item.get("actions") or {}),
    )


def _encode_cursor(sort_key: str) -> str:
    raw = json.dumps({"after": sort_key}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    """The sort key to resume after. It only ever positions a Query within this tenant's
    (and this caller's) partitions, so a forged one reads nothing it should not."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        after = None
    if not isinstance(after, str) or not after or len(after) > _MAX_CURSOR:
        raise Invalid(
            "The cursor is not one this list handed out.",
            errors=[{"field": "cursor", "message": "Unknown cursor."}],
        )
    return after
