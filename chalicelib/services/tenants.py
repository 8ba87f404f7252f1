"""Tenants: the customer organisations one deployment serves."""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.adapters.dynamo.tenants import DynamoTenants
from chalicelib.domain.errors import Invalid
from chalicelib.services.sla import SlaSettings

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")
LOCALES = ("nl", "en")


def ensure_tenant(
    tenant_id: str,
    *,
    name: str,
    locale: str,
    timezone: str,
    inbound_addresses: list[str],
    groups: list[str],
    sla: SlaSettings,
    auto_close_days: int = 7,
    tenants: DynamoTenants | None = None,
) -> None:
    """Create or update a tenant; running it twice with the same values changes nothing."""
    if not TENANT_ID.match(tenant_id):
        raise Invalid("A tenant id is 2–31 lower-case letters, digits or dashes.")
    if not 1 <= auto_close_days <= 365:
        raise Invalid("Resolved tickets close after 1 to 365 days.")
    if locale not in LOCALES:
        raise Invalid(f"Locale must be one of {', '.join(LOCALES)}.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"Unknown timezone {timezone!r}.") from exc
    settings = {
        "tenant": tenant_id,
        "name": name,
        "locale": locale,
        "timezone": timezone,
        "inbound_addresses": sorted(a.lower() for a in inbound_addresses),
        "groups": sorted(groups),
        "auto_close_days": auto_close_days,
    }
    (tenants or DynamoTenants()).put(tenant_id, settings, inbound_addresses, groups)
    sla.ensure_defaults(tenant_id, timezone)
