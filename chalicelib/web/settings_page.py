"""The admin's settings page (/agent/settings): the tenant's name, language, days, silence
threshold, outside watchers and mail signature (docs/tenant-settings.md).

Every change goes through TenantSettingsService, as `PATCH /v1/tenant` does: it decides who
may (admins; others get its Forbidden as the 403 page) and guards the version. The checks
are domain.tenant_settings's; this page only turns the field names it reports into catalog
messages, so what the page refuses is exactly what the API refuses.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import tenant_settings as rules
from chalicelib.domain.errors import Invalid, PreconditionFailed
from chalicelib.services.tenant_settings import TenantSettings
from chalicelib.web import i18n
from chalicelib.web.forms import Form
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, page
from chalicelib.wiring import tenant_settings

settings_page_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
HISTORY = 10
NUMBERS = tuple(rules.RANGES)
_WHOLE = re.compile(r"^\d{1,6}$")

# What each setting is called on the page and in its change history.
LABELS = {
    "name": N_("Helpdesk name"),
    "locale": N_("Default language"),
    "auto_close_days": N_("Close resolved tickets after (days)"),
    "reopen_days": N_("A reply reopens a resolved ticket within (days)"),
    "retention_months": N_("Keep closed tickets for (months)"),
    "inbound_silence_hours": N_("Report missing mail after (business hours)"),
    "external_watchers": N_("Staff may add people from outside as watchers"),
    "signature": N_("Signature under mailed replies"),
}
# Per field what is wrong, with the domain's own limits filled in (`details`).
NAME_WRONG = N_("Give the helpdesk a name of at most %(max)s characters.")
CHOOSE = N_("Please choose one of the options.")
NUMBER_WRONG = N_("Enter a whole number from %(low)s to %(high)s.")
SIGNATURE_WRONG = N_("Keep the signature to plain text of at most %(max)s characters.")
STALE = N_(
    "%(name)s changed the settings meanwhile (%(when)s). Nothing of yours was saved. "
    "Below are the settings as they are now."
)


@dataclass
class SettingsForm(Form):
    details: dict[str, dict[str, Any]] = field(default_factory=dict)


def values_of(current: TenantSettings) -> dict[str, str]:
    v = current.values
    values = {name: "" if v.get(name) is None else str(v[name]) for name in rules.EDITABLE}
    values["external_watchers"] = "on" if v.get("external_watchers") else ""
    values["version"] = str(current.version)
    return values


def read(submitted: dict[str, str]) -> tuple[SettingsForm, dict[str, Any] | None]:
    """The form as sent (kept for redisplay) and, when nothing is wrong, the settings."""
    values = {name: submitted.get(name, "") for name in rules.EDITABLE}
    values["external_watchers"] = "on" if submitted.get("external_watchers") == "on" else ""
    values["version"] = submitted.get("version", "")
    form = SettingsForm(values)
    wanted: dict[str, Any] = {
        "name": values["name"],
        "locale": values["locale"],
        "external_watchers": values["external_watchers"] == "on",
        "signature": values["signature"],
    }
    for name in NUMBERS:
        raw = values[name].strip()
        values[name] = raw
        # Not a number at all is told like a number out of range: the same message.
        wanted[name] = int(raw) if _WHOLE.match(raw) else None
    for problem in rules.problems(rules.normalised(wanted)):
        refuse(form, problem["field"])
    return form, (rules.normalised(wanted) if form.ok else None)


def refuse(form: SettingsForm, name: str) -> None:
    if name == "name":
        form.errors[name], form.details[name] = NAME_WRONG, {"max": rules.NAME_MAX}
    elif name in rules.RANGES:
        limits = rules.RANGES[name]
        form.errors[name], form.details[name] = NUMBER_WRONG, {"low": limits.low,
                                                                "high": limits.high}  # fmt: skip
    elif name == "signature":
        form.errors[name], form.details[name] = SIGNATURE_WRONG, {"max": rules.SIGNATURE_MAX}
    else:
        form.errors[name] = CHOOSE


@settings_page_bp.route("/agent/settings", methods=["GET"])
@page(settings_page_bp)
def settings(current: Page) -> Response:
    now = tenant_settings().get(current.user)
    return _form(current, now, SettingsForm(values_of(now)), saved=current.query("saved") == "1")


@settings_page_bp.route("/agent/settings", methods=["POST"], content_types=ANY_BODY)
@page(settings_page_bp)
def save_settings(current: Page) -> Response:
    submitted = current.form()
    service = tenant_settings()
    now = service.get(current.user)  # who may: the service's Forbidden, before anything else
    form, wanted = read(submitted)
    version = form.values["version"]
    if wanted is None or not version.isdigit() or len(version) > 12:
        return _form(current, now, form, status=422)
    try:
        service.update(current.user, wanted, int(version))
    except PreconditionFailed:
        return _conflict(current, form)
    except Invalid as refused:
        for problem in refused.errors:
            refuse(form, problem["field"])
        return _form(current, now, form, status=422)
    return current.redirect("/agent/settings", saved="1")


def _conflict(current: Page, attempted: SettingsForm) -> Response:
    """Someone saved first: the settings as they are now (with their version, so saving
    again is a deliberate choice), who saved them, and what this form said."""
    service = tenant_settings()
    fresh = service.get(current.user)
    shown = values_of(fresh)
    changed = {
        name: attempted.values.get(name, "")
        for name in rules.EDITABLE
        if attempted.values.get(name, "") != shown[name]
    }
    latest = service.history(current.user, 1)
    form = SettingsForm(shown)
    form.errors["form"] = STALE
    form.details["form"] = {
        "name": latest[0].actor.get("name") if latest else (fresh.updated_by or "?"),
        "when": current_when(current, latest[0].at if latest else fresh.updated_at),
    }
    return _form(current, fresh, form, status=409, attempted=changed)


def current_when(current: Page, at: str | None) -> str:
    if not at:
        return "—"
    timezone = str(current.tenant.get("timezone") or "UTC")
    return i18n.format_moment(datetime.fromisoformat(at), current.locale, timezone)


def _form(
    current: Page,
    now: TenantSettings,
    form: SettingsForm,
    *,
    status: int = 200,
    saved: bool = False,
    attempted: dict[str, str] | None = None,
) -> Response:
    current.return_to = "/agent/settings"
    return current.render(
        "agent_settings.html",
        status=status,
        form=form,
        timezone=now.timezone,
        history=[
            (datetime.fromisoformat(change.at), change)
            for change in tenant_settings().history(current.user, HISTORY)
        ],
        setting_label=LABELS,
        locales=rules.LOCALES,
        saved=saved,
        attempted=attempted or {},
    )
