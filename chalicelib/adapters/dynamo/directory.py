"""Who works at a tenant and in which groups, read from the tenant's own items."""

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.principal import Role
from chalicelib.settings import get_settings


class DynamoDirectory:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = client("dynamodb").get_item(TableName=self.table, Key=to_item(key)).get("Item")
        return from_item(item) if item else None

    def is_agent(self, tenant: str, email: str) -> bool:
        profile = self._get(keys.user_key(tenant, email))
        return bool(profile) and Role(profile["role"]).at_least(Role.AGENT)

    def has_group(self, tenant: str, group: str) -> bool:
        return self._get(keys.group_key(tenant, group)) is not None

    def groups_of(self, tenant: str, email: str) -> tuple[str, ...]:
        """The groups an agent works in, from their profile; none for anyone else."""
        profile = self._get(keys.user_key(tenant, email))
        if not profile or not Role(profile["role"]).at_least(Role.AGENT):
            return ()
        return tuple(profile.get("groups") or ())
