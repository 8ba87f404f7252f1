"""User profiles: what the rest of Balie knows about a person without asking Cognito.

Cognito decides who may sign in; the profile answers the questions other services ask on
their hot paths ("is this address an agent of this tenant, in which groups, which tier?")
with one GetItem.
"""

from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.keys import user_key
from chalicelib.domain.principal import Role
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class UserProfile:
    tenant: str
    email: str
    name: str
    role: Role
    locale: str = "en"
    tier: int | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_agent(self) -> bool:
        """Staff who can be assigned tickets (agents, supervisors, admins)."""
        return self.role.at_least(Role.AGENT)


def get_profile(tenant_id: str, email: str) -> UserProfile | None:
    response = client("dynamodb").get_item(
        TableName=get_settings().table_name, Key=to_item(user_key(tenant_id, email))
    )
    item = response.get("Item")
    return _from_item(from_item(item)) if item else None


def put_profile(profile: UserProfile) -> None:
    item: dict[str, Any] = {
        **user_key(profile.tenant, profile.email),
        "type": "user",
        "tenant": profile.tenant,
        "email": profile.email.lower(),
        "name": profile.name,
        "role": profile.role.value,
        "locale": profile.locale,
        # A list, not a string set: a set cannot be empty and most people are in no group.
        "groups": list(profile.groups),
    }
    if profile.tier is not None:
        item["tier"] = profile.tier
    client("dynamodb").put_item(TableName=get_settings().table_name, Item=to_item(item))


def _from_item(item: dict[str, Any]) -> UserProfile:
    tier = item.get("tier")
    return UserProfile(
        tenant=item["tenant"],
        email=item["email"],
        name=item["name"],
        role=Role(item["role"]),
        locale=item.get("locale") or "en",
        tier=int(tier) if tier is not None else None,
        groups=tuple(item.get("groups") or ()),
    )
