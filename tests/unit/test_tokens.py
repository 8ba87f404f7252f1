"""ID tokens checked against a key set of our own: only a genuine ID token of our pool passes."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters import tokens
from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.principal import Role
from chalicelib.services import identity
from chalicelib.settings import get_settings

REGION = "eu-west-1"
POOL_ID = "eu-west-1_TestPool1"
CLIENT_ID = "test-client-id"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
KID = "test-key-1"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(autouse=True)
def key_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_key: rsa.RSAPrivateKey
) -> Iterator[Path]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("BALIE_REGION", REGION)
    monkeypatch.setenv("BALIE_USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("BALIE_USER_POOL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("BALIE_JWKS_URL", path.as_uri())
    get_settings.cache_clear()
    tokens.reset()
    yield path
    get_settings.cache_clear()
    tokens.reset()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "5f0c9d1e-0000-4000-8000-000000000001",
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "cognito:username": "agent@demo.example.com",
        "email": "agent@demo.example.com",
        "name": "Agent Smith",
        "locale": "nl",
        "custom:tenant": "demo",
        "custom:tier": "1",
        "cognito:groups": ["agent"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: rsa.RSAPrivateKey, payload: dict[str, Any], kid: str | None = KID) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(payload, key, algorithm="RS256", headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(payload).encode())
    return f"{head}.{body}.{_b64(signature)}"


def test_given_a_genuine_id_token_when_verified_then_its_claims_come_back(signing_key):
    verified = tokens.verify_id_token(sign(signing_key, claims()))

    assert verified["custom:tenant"] == "demo"
    assert verified["cognito:groups"] == ["agent"]


def test_given_an_expired_token_when_verified_then_unauthenticated(signing_key):
    past = int(time.time()) - 7200
    token = sign(signing_key, claims(iat=past, auth_time=past, exp=past + 3600))

    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(token)


def test_given_a_token_issued_in_the_future_when_verified_then_unauthenticated(signing_key):
    future = int(time.time()) + 600

    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(sign(signing_key, claims(iat=future, exp=future + 3600)))


def test_given_a_token_signed_by_another_key_under_our_kid_when_verified_then_unauthenticated(
    other_key,
):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(sign(other_key, claims()))


def test_given_a_token_with_an_unknown_kid_when_verified_then_unauthenticated(signing_key):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(sign(signing_key, claims(), kid="someone-elses"))


def test_given_a_token_without_kid_when_verified_then_unauthenticated(signing_key):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(sign(signing_key, claims(), kid=None))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_given_an_unsigned_alg_none_token_when_verified_then_unauthenticated(alg):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(unsigned({"alg": alg, "kid": KID, "typ": "JWT"}, claims()))


def test_given_hs256_signed_with_our_public_key_when_verified_then_unauthenticated(
    signing_key,
):
    # The classic confusion: an HMAC "signed" with the public key a verifier might reuse.
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": KID, "typ": "JWT"}
    partial = unsigned(header, claims()).rsplit(".", 1)[0]
    signature = hmac.new(public_pem, partial.encode(), hashlib.sha256).digest()

    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(f"{partial}.{_b64(signature)}")


def test_given_an_rs256_header_with_a_forged_signature_when_verified_then_unauthenticated():
    token = unsigned({"alg": "RS256", "kid": KID}, claims(), signature=b"\x00" * 256)

    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(token)


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-client"},
        {"aud": [CLIENT_ID, "another-client"]},
        {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool"},
        {"iss": "https://evil.example.com/" + POOL_ID},
        {"token_use": "access"},
    ],
    ids=["wrong-aud", "aud-list", "other-pool", "other-issuer", "access-token"],
)
def test_given_a_token_for_someone_else_when_verified_then_unauthenticated(signing_key, overrides):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(sign(signing_key, claims(**overrides)))


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "sub", "token_use"])
def test_given_a_token_missing_a_required_claim_when_verified_then_unauthenticated(
    signing_key, missing
):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(sign(signing_key, claims(**{missing: None})))


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b.c", "..", "eyJhbGciOiJSUzI1NiJ9", "eyJ.eyJ.sig", "x" * 20_000, "é.é.é"],
)
def test_given_garbage_when_verified_then_unauthenticated(garbage):
    with pytest.raises(Unauthenticated):
        tokens.verify_id_token(garbage)


def test_given_an_unreachable_key_set_when_verified_then_the_outage_is_not_a_401(
    signing_key, monkeypatch, tmp_path
):
    monkeypatch.setenv("BALIE_JWKS_URL", (tmp_path / "missing.json").as_uri())
    get_settings.cache_clear()
    tokens.reset()

    with pytest.raises(jwt.PyJWKClientConnectionError):
        tokens.verify_id_token(sign(signing_key, claims()))


def test_given_a_key_url_of_an_unsupported_scheme_then_it_fails_loudly_not_as_a_401(
    signing_key, monkeypatch
):
    monkeypatch.setenv("BALIE_JWKS_URL", "ftp://keys.example.com/jwks.json")
    get_settings.cache_clear()
    tokens.reset()

    with pytest.raises(jwt.PyJWKClientError):
        tokens.verify_id_token(sign(signing_key, claims()))


# --- from claims to a principal ------------------------------------------------------------


def test_given_a_bearer_id_token_when_authenticated_then_a_user_principal_of_its_tenant(
    signing_key,
):
    token = sign(signing_key, claims(**{"cognito:groups": ["requester", "supervisor"]}))

    principal = identity.authenticate(f"Bearer {token}")

    assert principal.tenant == "demo"
    assert principal.role is Role.SUPERVISOR
    assert principal.kind == "user"
    assert principal.id == principal.email == "agent@demo.example.com"
    assert (principal.name, principal.locale) == ("Agent Smith", "nl")


def test_given_a_token_without_readable_email_or_name_then_the_username_stands_in(signing_key):
    # moto (and a pool client without ReadAttributes) leaves email, name and locale out.
    token = sign(
        signing_key,
        claims(email=None, name=None, locale=None, **{"cognito:username": "ann@demo.example.com"}),
    )

    principal = identity.authenticate(f"bearer {token}")

    assert (principal.id, principal.email, principal.name) == ("ann@demo.example.com",) * 3
    assert principal.locale == "en"


@pytest.mark.parametrize(
    "overrides",
    [
        {"custom:tenant": None},
        {"custom:tenant": ""},
        {"cognito:groups": None},
        {"cognito:groups": ["network"]},
        {"cognito:groups": "admin"},
    ],
    ids=["no-tenant", "empty-tenant", "no-groups", "no-role-group", "groups-not-a-list"],
)
def test_given_a_valid_token_without_tenant_or_role_when_authenticated_then_unauthenticated(
    signing_key, overrides
):
    with pytest.raises(Unauthenticated):
        identity.authenticate(f"Bearer {sign(signing_key, claims(**overrides))}")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwdw==", "tok"])
def test_given_no_bearer_credentials_when_authenticated_then_unauthenticated(header):
    with pytest.raises(Unauthenticated):
        identity.authenticate(header)


def test_given_a_malformed_api_key_when_authenticated_then_no_table_is_read():
    # Not shaped like a key: rejected before any AWS call (none is configured here).
    with pytest.raises(Unauthenticated):
        identity.authenticate("Bearer bk_short")
