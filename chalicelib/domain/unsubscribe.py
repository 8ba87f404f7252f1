"""Unsubscribe links: stop mail nobody asked for (announcements, copies of watched tickets).

A token is `<version>.<payload>.<signature>`:
- payload: base64url of `[tenant, address, topic]`, topic `announcements` or
  `watch:<ticket number>`;
- signature: 128 bits of HMAC-SHA256 over `unsubscribe:v<version>:<payload>`, keyed with the
  tenant's key of that version. The label keeps these signatures apart from the reply,
  survey and approval tokens made with the same tenant secret.

It does not expire: a link in an old mail must still stop the mail. It can be rotated: the
version names the key, so a tenant item that lists new keys (`unsubscribe_keys`) signs new
links with the highest version and still reads older ones until their key is dropped.
Without that list, version 1 is the tenant's `mail_token_key`, the secret its other mail
links already use (services/tenants.py makes it once per tenant). A token is a bearer
credential for one small, reversible change: it is never logged.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ANNOUNCEMENTS = "announcements"
WATCH_PREFIX = "watch:"

_SIGNATURE_BYTES = 16
_MAX_TOKEN = 600
_TOPIC = re.compile(r"^(?:announcements|watch:[1-9][0-9]{0,11})$")
_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_VERSION = re.compile(r"^[1-9][0-9]{0,3}$")


class InvalidLink(Exception):
    """Not an unsubscribe link of ours: mistyped, cut off, forged, or its key retired."""


@dataclass(frozen=True)
class Link:
    tenant: str
    address: str
    topic: str
    version: int = 1

    @property
    def ticket(self) -> int | None:
        """The watched ticket of a `watch:<n>` link."""
        if self.topic.startswith(WATCH_PREFIX):
            return int(self.topic[len(WATCH_PREFIX) :])
        return None


def watch_topic(number: int) -> str:
    return f"{WATCH_PREFIX}{number}"


def keys_of(settings: Mapping[str, Any]) -> dict[int, str]:
    """A tenant's unsubscribe keys by version, from its settings item."""
    listed = settings.get("unsubscribe_keys")
    if listed:
        return {int(version): str(key) for version, key in dict(listed).items() if key}
    key = settings.get("mail_token_key")
    return {1: str(key)} if key else {}


def token_for(keys: Mapping[int, str], tenant: str, address: str, topic: str) -> str:
    """A link token under the newest key."""
    if not keys:
        raise ValueError("the tenant has no key to sign unsubscribe links with")
    if not _TOPIC.match(topic):
        raise ValueError(f"unknown unsubscribe topic {topic!r}")
    version = max(keys)
    body = json.dumps([tenant, address.strip().lower(), topic], separators=(",", ":"))
    payload = _b64(body.encode())
    return f"{version}.{payload}.{_sign(keys[version], version, payload)}"


def tenant_of(token: str) -> str | None:
    """The tenant a token claims (unverified): whose keys to check it with."""
    try:
        return _parse(token)[1].tenant
    except InvalidLink:
        return None


def read(keys: Mapping[int, str], token: str) -> Link:
    """What a genuine token says; InvalidLink for anything else."""
    version, link, payload, signature = _parse(token)
    key = keys.get(version)
    if key is None:
        raise InvalidLink("no key of this version")
    if not hmac.compare_digest(_sign(key, version, payload), signature):
        raise InvalidLink("signature does not match")
    return link


def _parse(token: str) -> tuple[int, Link, str, str]:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN or token.count(".") != 2:
        raise InvalidLink("not a token")
    version, payload, signature = token.split(".")
    if not _VERSION.match(version) or not payload or not signature:
        raise InvalidLink("not a token")
    try:
        claims = json.loads(_unb64(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidLink("unreadable payload") from exc
    if not (
        isinstance(claims, list) and len(claims) == 3 and all(isinstance(c, str) for c in claims)
    ):
        raise InvalidLink("unexpected payload")
    tenant, address, topic = claims
    if not _TENANT.match(tenant) or "@" not in address or not _TOPIC.match(topic):
        raise InvalidLink("unexpected payload")
    return int(version), Link(tenant, address, topic, int(version)), payload, signature


def _sign(key: str, version: int, payload: str) -> str:
    label = f"unsubscribe:v{version}:{payload}".encode()
    digest = hmac.new(key.encode(), label, hashlib.sha256).digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
