"""Announcements: one item each, listed through GSI1 by the moment they end, and removed by
TTL some weeks after that. See docs/data-model.md."""

import base64
import binascii
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.announcements import KEEP_DAYS_AFTER_END, Announcement, Kind
from chalicelib.domain.errors import Invalid
from chalicelib.settings import get_settings

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_SORT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#[0-9A-HJKMNP-TV-Z]{26}$")


def iso(moment: datetime) -> str:
    """Fixed width, so that text order is time order in sort keys."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DynamoAnnouncements:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def get(self, tenant: str, announcement_id: str) -> Announcement | None:
        if not _ULID.match(announcement_id):
            return None
        key = keys.announcement_key(tenant, announcement_id)
        item = client("dynamodb").get_item(TableName=self.table, Key=to_item(key)).get("Item")
        return _from_item(from_item(item)) if item else None

    def put(self, announcement: Announcement) -> None:
        client("dynamodb").put_item(
            TableName=self.table,
            Item=to_item(_to_item(announcement)),
            ConditionExpression="attribute_not_exists(PK)",
        )

    def delete(self, tenant: str, announcement_id: str) -> bool:
        """False when the tenant has no such announcement."""
        if not _ULID.match(announcement_id):
            return False
        db = client("dynamodb")
        try:
            db.delete_item(
                TableName=self.table,
                Key=to_item(keys.announcement_key(tenant, announcement_id)),
                ConditionExpression="attribute_exists(PK)",
            )
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def ending_after(
        self,
        tenant: str,
        moment: datetime | None,
        limit: int,
        cursor: str | None,
        *,
        started_by: datetime | None = None,
    ) -> tuple[list[Announcement], str | None]:
        """Announcements that end after `moment` (all of them with None), soonest end first.

        The key condition skips those that are over without reading them; `started_by` also
        drops those whose window has not begun (a filter, so a page may come back short).
        """
        index_pk, index_sk = f"{keys.GSI_ANNOUNCEMENTS}PK", f"{keys.GSI_ANNOUNCEMENTS}SK"
        condition = f"{index_pk} = :pk"
        values: dict[str, Any] = {":pk": keys.announcements_pk(tenant)}
        if moment is not None:
            # "~" sorts after every id character: one that ends exactly now is over.
            condition += f" AND {index_sk} > :after"
            values[":after"] = f"{iso(moment)}#~"
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI_ANNOUNCEMENTS,
            "KeyConditionExpression": condition,
            "Limit": limit,
        }
        if started_by is not None:
            params["FilterExpression"] = "starts_at <= :started"
            values[":started"] = iso(started_by)
        params["ExpressionAttributeValues"] = to_item(values)
        if cursor:
            params["ExclusiveStartKey"] = to_item(_start_key(tenant, _decode_cursor(cursor)))
        answer = client("dynamodb").query(**params)
        items = [_from_item(from_item(item)) for item in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return items, _encode_cursor(last[index_sk]["S"]) if last else None


def _to_item(a: Announcement) -> dict[str, Any]:
    expires = a.ends_at + timedelta(days=KEEP_DAYS_AFTER_END)
    return {
        **keys.announcement_key(a.tenant, a.id),
        **keys.announcement_index_keys(a.tenant, a.id, iso(a.ends_at)),
        "type": "announcement",
        "tenant": a.tenant,
        "id": a.id,
        "title": dict(a.title),
        "body": dict(a.body),
        "kind": a.kind.value,
        "starts_at": iso(a.starts_at),
        "ends_at": iso(a.ends_at),
        "mail_requesters": a.mail_requesters,
        "created_by": a.created_by,
        "created_at": iso(a.created_at),
        "expires_at": int(expires.timestamp()),
    }


def _from_item(item: dict[str, Any]) -> Announcement:
    return Announcement(
        tenant=item["tenant"],
        id=item["id"],
        title=dict(item["title"]),
        body=dict(item["body"]),
        kind=Kind(item["kind"]),
        starts_at=datetime.fromisoformat(item["starts_at"]),
        ends_at=datetime.fromisoformat(item["ends_at"]),
        mail_requesters=bool(item.get("mail_requesters")),
        created_by=item["created_by"],
        created_at=datetime.fromisoformat(item["created_at"]),
    )


def _start_key(tenant: str, sort_key: str) -> dict[str, str]:
    """The full key a Query resumes after, rebuilt from the index sort key alone: the cursor
    cannot name another partition, let alone another tenant's."""
    announcement_id = sort_key.rsplit("#", 1)[-1]
    return {
        **keys.announcement_key(tenant, announcement_id),
        f"{keys.GSI_ANNOUNCEMENTS}PK": keys.announcements_pk(tenant),
        f"{keys.GSI_ANNOUNCEMENTS}SK": sort_key,
    }


def _encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sort_key}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        after = None
    if not isinstance(after, str) or not _SORT.fullmatch(after):
        raise Invalid(
            "The cursor is not one this list handed out.",
            errors=[{"field": "cursor", "message": "Unknown cursor."}],
        )
    return after
