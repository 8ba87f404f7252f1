"""Tenants: the customer organisations one deployment serves."""

import re
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.adapters import cognito
from chalicelib.adapters.dynamo.tenants import DynamoTenants
from chalicelib.domain import permissions, tenant_settings
from chalicelib.domain.errors import Conflict, Invalid
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.silence import DEFAULT_THRESHOLD_HOURS as DEFAULT_SILENCE_HOURS
from chalicelib.services import users
from chalicelib.services.sla import SlaSettings

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")
LOCALES = tenant_settings.LOCALES


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
    reopen_days: int = 14,
    retention_months: int = 24,
    signature: str | None = None,
    tenants: DynamoTenants | None = None,
    new: bool = False,
    inbound_silence_hours: int | None = None,
) -> None:
    """Create or update a tenant; running it twice with the same values changes nothing."""
    if not TENANT_ID.match(tenant_id):
        raise Invalid("A tenant id is 2–31 lower-case letters, digits or dashes.")
    # The same checks as a tenant admin's own changes (services/tenant_settings.py).
    tenant_settings.check(
        {
            "name": name,
            "locale": locale,
            "auto_close_days": auto_close_days,
            "reopen_days": reopen_days,
            "retention_months": retention_months,
            **({"signature": signature} if signature is not None else {}),
            **(
                {"inbound_silence_hours": inbound_silence_hours}
                if inbound_silence_hours is not None
                else {}
            ),
        }
    )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"Unknown timezone {timezone!r}.") from exc
    store = tenants or DynamoTenants()
    existing = store.get(tenant_id) or {}
    settings = {
        "tenant": tenant_id,
        "name": name,
        "locale": locale,
        "timezone": timezone,
        "inbound_addresses": sorted(a.lower() for a in inbound_addresses),
        "groups": sorted(groups),
        "auto_close_days": auto_close_days,
        "reopen_days": reopen_days,
        # Closed tickets older than this are deleted by the daily job (services/retention.py).
        "retention_months": retention_months,
        "signature": signature if signature is not None else existing.get("signature"),
        # Signs the reply tokens in our Reply-To addresses (domain.threads); made once and
        # kept, so that the tokens of mail already sent stay valid.
        "mail_token_key": existing.get("mail_token_key") or secrets.token_urlsafe(32),
        # Business hours without inbound mail before the silence alarm names this tenant
        # (services/inbound_silence.py); kept when not given.
        "inbound_silence_hours": (
            inbound_silence_hours
            if inbound_silence_hours is not None
            else existing.get("inbound_silence_hours", DEFAULT_SILENCE_HOURS)
        ),
    }
    # What the tenant's admin set that onboarding does not know about stays as it is.
    for kept in ("external_watchers", "updated_at", "updated_by"):
        if kept in existing:
            settings[kept] = existing[kept]
    # A change is a new version, so an admin's form based on the old one is refused; running
    # onboarding again with the same values keeps the version too.
    unchanged = existing and all(existing.get(k) == v for k, v in settings.items())
    version = int(existing.get("version", 0))
    settings["version"] = version if unchanged and version else version + 1
    store.put(tenant_id, settings, inbound_addresses, groups, new=new)
    sla.ensure_defaults(tenant_id, timezone)


@dataclass(frozen=True)
class Onboarded:
    tenant: str
    admin: str
    mail_setup: list[str]


def onboard_tenant(
    operator: Principal,
    *,
    tenant_id: str,
    name: str,
    locale: str,
    timezone: str,
    inbound_address: str,
    admin_email: str,
    admin_name: str,
    sla: SlaSettings,
    region: str,
) -> Onboarded:
    """A new customer organisation: its tenant, its mail address and an invited admin.

    The operator gets no access to the new tenant; its admin is mailed a temporary password.
    """
    permissions.require(operator, Action.ONBOARD_TENANTS)
    # Checked first, so that a taken address leaves no tenant without an admin behind.
    if cognito.tenant_of(admin_email) is not None:
        raise Conflict("The admin's e-mail address already has an account; choose another.")
    ensure_tenant(
        tenant_id,
        name=name,
        locale=locale,
        timezone=timezone,
        inbound_addresses=[inbound_address],
        groups=["servicedesk"],
        sla=sla,
        new=True,
    )
    users.ensure_user(
        tenant_id, email=admin_email, name=admin_name, role=Role.ADMIN, password=None, locale=locale
    )
    return Onboarded(tenant_id, admin_email.lower(), mail_setup(inbound_address, region))


def mail_setup(address: str, region: str) -> list[str]:
    """What the operator does in SES and DNS before mail to `address` reaches Balie."""
    domain = address.rsplit("@", 1)[-1].lower()
    return [
        f"In Amazon SES ({region}), verify the domain {domain} and publish the DKIM records "
        "SES shows you, so that Balie's replies from it are signed.",
        f"Point the MX record of {domain} (or of a subdomain you forward from) to "
        f"inbound-smtp.{region}.amazonaws.com.",
        f"Add {address} as a recipient of the receipt rule that stores mail in the stack's "
        "bucket and notifies its inbound topic.",
        f"Send a test message to {address} and look for the new ticket in the agent workspace.",
    ]
