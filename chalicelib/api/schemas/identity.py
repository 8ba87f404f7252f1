"""Request and response bodies of sign-in, /v1/me and API keys (API.md, "Auth")."""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, SecretStr, StringConstraints

from chalicelib.api.schemas.common import Schema, Strict

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=EMAIL_PATTERN, max_length=254, to_lower=True),
]


class LoginRequest(Strict):
    # Whitespace is part of a password: stripping it (Strict's default) would lock out
    # people whose password ends in a space.
    model_config = ConfigDict(str_strip_whitespace=False)

    email: Email
    password: Annotated[SecretStr, Field(min_length=1, max_length=256)]


class LoginResponse(Schema):
    id_token: str
    refresh_token: str
    expires_in: int = Field(description="Seconds until the ID token expires")


class MeOut(Schema):
    email: str | None
    name: str
    tenant: str
    roles: list[str]
    role: str
    locale: str
    kind: Literal["user", "api_key"]


class ApiKeyCreate(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    role: Literal["agent", "admin"]


class ApiKeyOut(Schema):
    id: str
    name: str
    role: str
    created_at: str
    created_by: str
    last4: str = Field(description="The key's last four characters, to tell keys apart")


class ApiKeyCreated(Schema):
    id: str
    name: str
    role: str
    created_at: str
    key: str = Field(description="The secret (bk_…); shown in this response only")


class ApiKeyPage(Schema):
    items: list[ApiKeyOut]
    next_cursor: str | None
