"""API keys: a listing item per tenant and a global lookup item per key hash.

The secret itself is never stored. Keys are 256 bits from `secrets`, so a plain SHA-256
is enough: a slow password hash protects guessable secrets, and nobody can enumerate
2**256 candidates. A fast hash also keeps authentication to one GetItem and no CPU burn.
"""

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.keys import api_key_hash_key, api_key_key, api_keys_pk
from chalicelib.domain.errors import Invalid
from chalicelib.domain.principal import Role
from chalicelib.settings import get_settings

KEY_PREFIX = "bk_"
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
_KEY_SHAPE = re.compile(r"^bk_[A-Za-z0-9_-]{43}$")
_ULID_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
# A fresh id and hash never collide; if they ever did, overwriting would hijack a key.
_NEW = "attribute_not_exists(PK)"


@dataclass(frozen=True)
class ApiKey:
    """What the tenant's admins see of a key; never the secret."""

    tenant: str
    id: str
    name: str
    role: Role
    created_at: str
    created_by: str
    last4: str


@dataclass(frozen=True)
class KeyGrant:
    """What a presented key grants: read from the global lookup item."""

    tenant: str
    id: str
    name: str
    role: Role


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_key(secret: str) -> bool:
    """Cheap shape check so garbage never costs a table read."""
    return bool(_KEY_SHAPE.fullmatch(secret))


def put(key: ApiKey, key_hash: str) -> None:
    """Write both items at once: a key is either usable and listed, or neither."""
    table = get_settings().table_name
    listing = {
        **api_key_key(key.tenant, key.id),
        "type": "api_key",
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
        "created_at": key.created_at,
        "created_by": key.created_by,
        "last4": key.last4,
        # Kept so revoking can find the lookup item; a hash opens nothing.
        "key_hash": key_hash,
    }
    lookup = {
        **api_key_hash_key(key_hash),
        "type": "api_key_lookup",
        "tenant": key.tenant,
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
    }
    client("dynamodb").transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": to_item(item), "ConditionExpression": _NEW}}
            for item in (listing, lookup)
        ]
    )


def find_by_hash(key_hash: str) -> KeyGrant | None:
    response = client("dynamodb").get_item(
        TableName=get_settings().table_name,
        Key=to_item(api_key_hash_key(key_hash)),
        # A key revoked a moment ago must stop working now, not when replicas catch up.
        ConsistentRead=True,
    )
    if "Item" not in response:
        return None
    item = from_item(response["Item"])
    return KeyGrant(
        tenant=item["tenant"], id=item["id"], name=item["name"], role=Role(item["role"])
    )


def delete(tenant_id: str, key_id: str) -> bool:
    """Remove both items in one transaction; False when the tenant has no such key."""
    if not _ULID_SHAPE.fullmatch(key_id):
        return False
    dynamodb = client("dynamodb")
    table = get_settings().table_name
    listing_key = to_item(api_key_key(tenant_id, key_id))
    found = dynamodb.get_item(TableName=table, Key=listing_key, ConsistentRead=True)
    if "Item" not in found:
        return False
    key_hash = from_item(found["Item"])["key_hash"]
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": table,
                        "Key": listing_key,
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
                {"Delete": {"TableName": table, "Key": to_item(api_key_hash_key(key_hash))}},
            ]
        )
    except dynamodb.exceptions.TransactionCanceledException:
        # A concurrent revoke won the race; the key is gone either way.
        return False
    return True


def list_page(tenant_id: str, *, limit: int, cursor: str | None) -> tuple[list[ApiKey], str | None]:
    """One Query, newest first; a cursor names only a key id, never another partition."""
    request: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": api_keys_pk(tenant_id)}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor:
        request["ExclusiveStartKey"] = to_item(api_key_key(tenant_id, _decode_cursor(cursor)))
    response = client("dynamodb").query(**request)
    keys = [_from_listing(tenant_id, from_item(item)) for item in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return keys, _encode_cursor(last["SK"]["S"]) if last else None


def _from_listing(tenant_id: str, item: dict[str, Any]) -> ApiKey:
    return ApiKey(
        tenant=tenant_id,
        id=item["id"],
        name=item["name"],
        role=Role(item["role"]),
        created_at=item["created_at"],
        created_by=item["created_by"],
        last4=item["last4"],
    )


def _encode_cursor(key_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": key_id}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["id"]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        key_id = None
    if not isinstance(key_id, str) or not _ULID_SHAPE.fullmatch(key_id):
        raise Invalid(
            "The cursor is not one this list handed out.",
            errors=[{"field": "cursor", "message": "Unknown cursor."}],
        )
    return key_id
