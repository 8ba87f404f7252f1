"""A tenant admin's own settings (docs/tenant-settings.md): read and change them, for the
caller's own tenant only — the tenant comes from the principal, never from a path or body,
so another tenant's settings cannot even be named.

Checks are domain.tenant_settings's, the same as onboarding's. A change is conditioned on
the tenant item's version and written with its audit record in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import permissions, tenant_settings
from chalicelib.domain.errors import Invalid, NotFound, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import new_id
from chalicelib.observability import logger
from chalicelib.services.ports import Clock, TenantSettingsStore, VersionConflict


@dataclass(frozen=True)
class TenantSettings:
    tenant: str
    values: dict[str, Any]  # the editable settings (domain.tenant_settings.EDITABLE)
    timezone: str  # shown, not changed here: it belongs to the business hours
    version: int
    updated_at: str | None
    updated_by: str | None


@dataclass(frozen=True)
class SettingsChange:
    id: str
    at: str
    actor: dict[str, str]
    changes: dict[str, dict[str, Any]]  # field → {"from", "to"}


class TenantSettingsService:
    def __init__(
        self,
        store: TenantSettingsStore,
        *,
        clock: Clock,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        # Told the tenant after a change: drops what this container keeps of the settings.
        self.on_change = on_change

    def get(self, principal: Principal) -> TenantSettings:
        permissions.require(principal, Action.MANAGE_TENANT_SETTINGS)
        return self._read(principal.tenant)

    def update(
        self, principal: Principal, changes: dict[str, Any], expected_version: int
    ) -> TenantSettings:
        """Change the named settings if the tenant is still at `expected_version`; settings
        given with their current value are no change (and no audit record)."""
        permissions.require(principal, Action.MANAGE_TENANT_SETTINGS)
        unknown = sorted(set(changes) - set(tenant_settings.EDITABLE))
        if unknown:
            raise Invalid(
                "These settings cannot be changed here.",
                errors=[{"field": name, "message": "Unknown field."} for name in unknown],
            )
        wanted = tenant_settings.normalised(changes)
        tenant_settings.check(wanted)
        current = self._read(principal.tenant)
        if current.version != expected_version:
            raise PreconditionFailed(f"The settings are at version {current.version}.")
        diff = {
            name: {"from": current.values.get(name), "to": value}
            for name, value in wanted.items()
            if current.values.get(name) != value
        }
        if not diff:
            return current
        at = self.clock().isoformat()
        record = {
            "kind": "settings_change",
            "tenant": principal.tenant,
            "id": new_id(),
            "at": at,
            "actor": principal.actor(),
            "changes": diff,
        }
        try:
            self.store.update_settings(
                principal.tenant,
                {name: change["to"] for name, change in diff.items()},
                expected_version,
                {"updated_at": at, "updated_by": principal.id},
                record,
            )
        except VersionConflict as exc:
            raise PreconditionFailed("The settings were changed meanwhile.") from exc
        # Names only: a signature is the tenant's text, not something for the log.
        logger.info(
            "tenant settings changed",
            extra={"tenant": principal.tenant, "actor": principal.id, "fields": sorted(diff)},
        )
        if self.on_change:
            self.on_change(principal.tenant)
        return self._read(principal.tenant)

    def history(self, principal: Principal, limit: int = 10) -> list[SettingsChange]:
        """The newest changes, newest first."""
        permissions.require(principal, Action.MANAGE_TENANT_SETTINGS)
        return [
            SettingsChange(r["id"], r["at"], r["actor"], r["changes"])
            for r in self.store.settings_changes(principal.tenant, limit)
        ]

    def _read(self, tenant: str) -> TenantSettings:
        # Consistent: the admin sees their own change and the version it made at once.
        item = self.store.get(tenant, consistent=True)
        if item is None:
            raise NotFound(f"Tenant {tenant} does not exist.")
        return TenantSettings(
            tenant=tenant,
            values=tenant_settings.shown(item),
            timezone=str(item.get("timezone") or "UTC"),
            version=int(item.get("version", 0)),
            updated_at=item.get("updated_at"),
            updated_by=item.get("updated_by"),
        )
