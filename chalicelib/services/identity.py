"""Who is calling: turn an Authorization header into a Principal, and sign people in."""

from typing import Any

from chalicelib.adapters import cognito, tokens
from chalicelib.adapters.dynamo import api_keys
from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.principal import Principal, highest_role
from chalicelib.observability import logger

_BEARER = "bearer"


def authenticate(authorization: str | None) -> Principal:
    """The principal behind `Bearer <ID token>` or `Bearer bk_…`; Unauthenticated otherwise."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != _BEARER or not credentials:
        raise Unauthenticated(tokens.INVALID_CREDENTIALS)
    if credentials.startswith(api_keys.KEY_PREFIX):
        return _from_api_key(credentials)
    return _from_claims(tokens.verify_id_token(credentials))


def login(email: str, password: str) -> cognito.Tokens:
    return cognito.login(email, password)


def _from_api_key(secret: str) -> Principal:
    grant = None
    if api_keys.looks_like_key(secret):
        grant = api_keys.find_by_hash(api_keys.hash_secret(secret))
    if grant is None:
        logger.info("API key rejected")
        raise Unauthenticated(tokens.INVALID_CREDENTIALS)
    return Principal(
        tenant=grant.tenant,
        role=grant.role,
        kind="api_key",
        id=grant.id,
        name=grant.name,
        email=None,
    )


def _from_claims(claims: dict[str, Any]) -> Principal:
    tenant = claims.get("custom:tenant")
    groups = claims.get("cognito:groups")
    names = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
    role = highest_role(names)
    # The username is the lower-cased address; `email` is only present when the app
    # client may read it, so fall back rather than reject a valid token.
    email = claims.get("email") or claims.get("cognito:username")
    if not isinstance(tenant, str) or not tenant or role is None or not isinstance(email, str):
        # A valid account that Balie never provisioned (no tenant or role) gets nothing.
        logger.info("Token without tenant or role", extra={"sub": claims.get("sub")})
        raise Unauthenticated(tokens.INVALID_CREDENTIALS)
    email = email.lower()
    name = claims.get("name")
    locale = claims.get("locale")
    return Principal(
        tenant=tenant,
        role=role,
        kind="user",
        id=email,
        name=name if isinstance(name, str) and name else email,
        email=email,
        locale=locale if isinstance(locale, str) and locale else "en",
    )
