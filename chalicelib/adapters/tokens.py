"""Verification of Cognito ID tokens against the signing keys the user pool publishes."""

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse
from urllib.request import url2pathname

from chalicelib.domain.errors import Unauthenticated
from chalicelib.observability import logger
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    import jwt

# Cognito signs with RS256 only. Pinning it closes "alg: none" and the HS256 trick of
# using the public key as an HMAC secret.
ALGORITHMS = ["RS256"]
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "token_use"]
# An ID token is a few kB; parsing something far larger only costs us CPU.
_MAX_TOKEN_CHARS = 16_384
# One wording for every rejection: a caller learns nothing about which check failed.
INVALID_CREDENTIALS = "Sign in again or send a valid API key."


class _KeySource(Protocol):
    def get_signing_key(self, kid: str) -> "jwt.PyJWK": ...


class _FileKeys:
    """A key set on disk: tests and `mock_aws` have no JWKS endpoint to fetch from.

    PyJWKClient refuses file:// URLs (a token's `jku` header must never read local
    files); this URL comes from our own configuration, never from a token.
    """

    def __init__(self, url: str) -> None:
        import jwt

        try:
            data = json.loads(Path(url2pathname(urlparse(url).path)).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise jwt.PyJWKClientConnectionError(f"cannot read the key set: {exc}") from exc
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(data).keys}

    def get_signing_key(self, kid: str) -> "jwt.PyJWK":
        import jwt

        if kid not in self._keys:
            raise jwt.PyJWKClientError("no signing key with this key id")
        return self._keys[kid]


@cache
def _key_source(url: str) -> _KeySource:
    import jwt  # deferred: PyJWT pulls in cryptography (~100 ms) that only tokens need

    if urlparse(url).scheme == "file":
        return _FileKeys(url)
    # One client per process: its cache spares warm invocations the key fetch, and its
    # refresh cooldown keeps tokens with invented key ids from hammering the endpoint.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def reset() -> None:
    """Forget fetched keys (tests that swap the key set between cases)."""
    _key_source.cache_clear()


def verify_id_token(token: str) -> dict[str, Any]:
    """The claims of a valid ID token of our pool and app client; Unauthenticated otherwise.

    A key set that cannot be fetched is our outage, not the caller's mistake, so that
    error propagates (a 5xx) instead of turning every request into a 401.
    """
    import jwt

    settings = get_settings()
    # Outside the try below: a misconfigured key URL must fail loudly, not as 401s.
    keys = _key_source(settings.signing_keys_url)
    try:
        if len(token) > _MAX_TOKEN_CHARS:
            raise jwt.DecodeError("token too long")
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise jwt.InvalidAlgorithmError("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise jwt.DecodeError("no key id")
        signing_key = keys.get_signing_key(kid)
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=settings.user_pool_client_id,
            issuer=settings.token_issuer,
            options={
                "require": _REQUIRED_CLAIMS,
                "verify_signature": True,
                "verify_exp": True,
                "verify_iat": True,
                "verify_aud": True,
                "verify_iss": True,
                # Cognito's aud is one string; a list smuggling our id in is not an ID token.
                "strict_aud": True,
            },
        )
        if claims.get("token_use") != "id":
            # Access tokens are signed by the same keys but are meant for Cognito's APIs.
            raise jwt.InvalidTokenError("not an ID token")
    except jwt.PyJWKClientConnectionError:
        logger.exception("Signing keys could not be fetched")
        raise
    except jwt.PyJWTError as exc:
        logger.info("ID token rejected", extra={"reason": type(exc).__name__})
        raise Unauthenticated(INVALID_CREDENTIALS) from None
    return claims
