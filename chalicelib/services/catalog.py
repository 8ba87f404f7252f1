"""The service catalog: admins define request types; filing one checks and completes it.

`prepare` is what the ticket service calls while filing: for a `service_request` naming a
catalog item it validates `custom_fields` against the item's form and fills in what the
item defaults (category, group, priority) where the caller left them open. An item that
needs approval files the ticket `on_hold` with a pending approval (services.approvals).
"""

from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain import approvals, permissions
from chalicelib.domain.catalog import ApprovalRule, CatalogItem, FieldDef, FieldKind, check_values
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import Priority, Status, Ticket, TicketType
from chalicelib.services.ports import Clock, Directory, VersionConflict

# errors[].message when a change would make a ticket a request of a service that cannot be
# reached that way (PATCH of `type`/`service`).
NOT_IN_CATALOG = "Not a service of the catalog."
NEEDS_APPROVAL = "This service needs approval: file it as a new request."


class CatalogStore(Protocol):
    def list(self, tenant: str) -> list[CatalogItem]: ...

    def get(self, tenant: str, service_id: str) -> CatalogItem | None: ...

    def put(self, service: CatalogItem, expected: int) -> None: ...


class Forgets(Protocol):
    def refresh(self, tenant: str) -> None: ...


def sla_overrides(store: CatalogStore, tenant: str) -> list[dict[str, Any]]:
    """The catalog's SLA targets in the shape of the policies' `overrides` (services.sla)."""
    return [
        {"service": s.id, "items": list(s.sla_targets)}
        for s in store.list(tenant)
        if s.active and s.sla_targets
    ]


class Catalog:
    def __init__(
        self, store: CatalogStore, directory: Directory, sla: Forgets, clock: Clock
    ) -> None:
        self.store = store
        self.directory = directory
        self.sla = sla
        self.clock = clock

    # --- reading ------------------------------------------------------------------------

    def list(self, principal: Principal, include_retired: bool = False) -> list[CatalogItem]:
        permissions.require(principal, Action.READ_CATALOG)
        if include_retired:
            permissions.require(principal, Action.MANAGE_CATALOG)
        items = self.store.list(principal.tenant)
        return [s for s in items if s.active or include_retired]

    def get(self, principal: Principal, service_id: str) -> CatalogItem:
        permissions.require(principal, Action.READ_CATALOG)
        item = self.store.get(principal.tenant, service_id)
        admin = permissions.allows(principal, Action.MANAGE_CATALOG)
        if item is None or not (item.active or admin):
            raise NotFound(f"Service {service_id} does not exist.")
        return item

    def form_of(self, principal: Principal, service_id: str) -> CatalogItem | None:
        """The item a filed request names, retired or not: how its form was labelled."""
        permissions.require(principal, Action.READ_CATALOG)
        return self.store.get(principal.tenant, service_id)

    # --- writing ------------------------------------------------------------------------

    def create(self, principal: Principal, service_id: str, draft: dict[str, Any]) -> CatalogItem:
        permissions.require(principal, Action.MANAGE_CATALOG)
        now = self.clock()
        item = self._build(principal.tenant, service_id, 1, draft, now, now)
        try:
            self.store.put(item, 0)
        except VersionConflict as exc:
            raise Conflict(f"Service {service_id} already exists.") from exc
        self.sla.refresh(principal.tenant)
        return item

    def replace(
        self, principal: Principal, service_id: str, draft: dict[str, Any], expected: int
    ) -> CatalogItem:
        permissions.require(principal, Action.MANAGE_CATALOG)
        current = self.get(principal, service_id)
        item = self._build(
            principal.tenant, service_id, expected + 1, draft, current.created_at, self.clock()
        )
        return self._write(principal, current, item, expected)

    def retire(self, principal: Principal, service_id: str, expected: int) -> CatalogItem:
        """Requesters no longer see it; tickets filed for it keep their `service`."""
        permissions.require(principal, Action.MANAGE_CATALOG)
        current = self.get(principal, service_id)
        item = replace(current, active=False, version=expected + 1, updated_at=self.clock())
        return self._write(principal, current, item, expected)

    def _write(
        self, principal: Principal, current: CatalogItem, item: CatalogItem, expected: int
    ) -> CatalogItem:
        if current.version != expected:
            raise PreconditionFailed(f"Service {current.id} is at version {current.version}.")
        try:
            self.store.put(item, expected)
        except VersionConflict as exc:
            raise PreconditionFailed(f"Service {current.id} was changed meanwhile.") from exc
        self.sla.refresh(principal.tenant)
        return item

    def _build(
        self,
        tenant: str,
        service_id: str,
        version: int,
        draft: dict[str, Any],
        created_at: datetime,
        now: datetime,
    ) -> CatalogItem:
        group = draft.get("default_group")
        if group and not self.directory.has_group(tenant, group):
            raise Invalid(
                "The default group does not exist.",
                errors=[{"field": "default_group", "message": "No such group."}],
            )
        approval = draft.get("approval")
        priority = draft.get("default_priority")
        return CatalogItem(
            tenant=tenant,
            id=service_id,
            version=version,
            name=dict(draft["name"]),
            description=dict(draft.get("description") or {}),
            category=draft.get("category"),
            fields=tuple(
                FieldDef(
                    key=f["key"],
                    label=dict(f["label"]),
                    kind=FieldKind(f["kind"]),
                    required=f.get("required", False),
                    options=tuple(f.get("options") or ()),
                    min=f.get("min"),
                    max=f.get("max"),
                )
                for f in draft.get("fields", [])
            ),
            default_group=group,
            default_priority=Priority(priority) if priority else None,
            sla_targets=tuple(draft.get("sla_targets") or ()),
            approval=ApprovalRule(approval["approver"].lower()) if approval else None,
            active=draft.get("active", True),
            created_at=created_at,
            updated_at=now,
        )

    # --- filing -------------------------------------------------------------------------

    def prepare(self, principal: Principal, new: Any) -> tuple[Any, dict[str, Any]]:
        """A NewTicket checked and completed from its catalog item, and what the ticket gets
        besides (a pending approval and the `on_hold` status while it waits)."""
        if new.type != TicketType.SERVICE_REQUEST or not new.service:
            return new, {}
        item = self.store.get(principal.tenant, new.service)
        if item is None or not item.active:
            raise Invalid(
                "This service is not in the catalog.",
                errors=[{"field": "service", "message": "Not a service of the catalog."}],
            )
        changes: dict[str, Any] = {"custom_fields": check_values(item.fields, new.custom_fields)}
        # What the caller chose stands: only the item's defaults fill what was left open.
        if new.category is None and item.category:
            changes["category"] = item.category
        if new.group is None and item.default_group:
            changes["group"] = item.default_group
        if new.priority is None and item.default_priority:
            changes["priority"] = item.default_priority
        extras: dict[str, Any] = {}
        if item.approval:
            extras = {
                "approval": approvals.pending(item.approval.approver, self.clock()),
                "status": Status.ON_HOLD,
            }
        return replace(new, **changes), extras

    def revise(self, principal: Principal, before: Ticket, after: Ticket) -> Ticket:
        """A change (PATCH) that makes a ticket a catalog service request obeys what filing
        one obeys: the service is active and the ticket's `custom_fields` fit its form
        (422 per field, values normalised). A service that needs approval cannot be reached
        by a change: its approver is asked when a request is filed (the mail goes out with
        `ticket.created`), so such a request is filed anew.

        A request that stays the same service only has its changed `custom_fields` checked,
        and not at all once the service is retired (its tickets keep what they had).
        """
        if after.type != TicketType.SERVICE_REQUEST or not after.service:
            return after
        becomes = before.type != after.type or before.service != after.service
        if not becomes and before.custom_fields == after.custom_fields:
            return after
        item = self.store.get(principal.tenant, after.service)
        if item is None or not item.active:
            if not becomes:
                return after
            raise Invalid(
                "This service is not in the catalog.",
                errors=[{"field": "service", "message": NOT_IN_CATALOG}],
            )
        if becomes and item.approval:
            raise Invalid(
                "This service needs approval, which only filing a request asks for.",
                errors=[{"field": "service", "message": NEEDS_APPROVAL}],
            )
        return replace(after, custom_fields=check_values(item.fields, after.custom_fields))
