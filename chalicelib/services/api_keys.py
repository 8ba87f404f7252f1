"""Integrator keys of a tenant: created, listed and revoked by its admins."""

from datetime import UTC, datetime

from ulid import ULID

from chalicelib.adapters.dynamo import api_keys
from chalicelib.adapters.dynamo.api_keys import ApiKey
from chalicelib.domain import permissions
from chalicelib.domain.errors import Invalid, NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal, Role
from chalicelib.observability import logger

__all__ = ["ApiKey", "create_api_key", "ensure_can_manage", "list_api_keys", "revoke_api_key"]

# Keys act for systems that work tickets or administer; a "requester" key would have no
# person whose tickets it follows, and supervisor rights belong to people.
KEY_ROLES = (Role.AGENT, Role.ADMIN)


def ensure_can_manage(principal: Principal) -> None:
    permissions.require(principal, Action.MANAGE_API_KEYS)


def create_api_key(
    principal: Principal, *, name: str, role: Role, now: datetime | None = None
) -> tuple[ApiKey, str]:
    """The stored key and its secret; the secret exists nowhere else after this returns."""
    ensure_can_manage(principal)
    if role not in KEY_ROLES:
        raise Invalid(
            "An API key's role is agent or admin.",
            errors=[{"field": "role", "message": "Must be agent or admin."}],
        )
    created = (now or datetime.now(UTC)).astimezone(UTC)
    secret = api_keys.new_secret()
    key = ApiKey(
        tenant=principal.tenant,
        id=str(ULID.from_datetime(created)),
        name=name,
        role=role,
        created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        created_by=principal.id,
        last4=secret[-4:],
    )
    api_keys.put(key, api_keys.hash_secret(secret))
    logger.info("API key created", extra={"tenant": key.tenant, "key_id": key.id})
    return key, secret


def list_api_keys(
    principal: Principal, *, limit: int = 25, cursor: str | None = None
) -> tuple[list[ApiKey], str | None]:
    ensure_can_manage(principal)
    return api_keys.list_page(principal.tenant, limit=limit, cursor=cursor)


def revoke_api_key(principal: Principal, key_id: str) -> None:
    ensure_can_manage(principal)
    # Another tenant's key is "not found" too: its existence is none of this caller's business.
    if not api_keys.delete(principal.tenant, key_id.upper()):
        raise NotFound("No such API key.")
    logger.info("API key revoked", extra={"tenant": principal.tenant, "key_id": key_id.upper()})
