"""A tenant admin's own settings (GET/PATCH /v1/tenant).

Only the JSON types are checked here; ranges, lengths and languages are checked once, in
domain/tenant_settings.py, which onboarding uses too.
"""

from typing import Any, Literal

from pydantic import StrictBool, StrictInt, StrictStr, field_validator

from chalicelib.api.schemas.common import Schema, Strict


class TenantSettingsPatch(Strict):
    """A JSON merge patch: only the fields sent change; `signature: null` removes it."""

    name: StrictStr | None = None
    locale: StrictStr | None = None
    auto_close_days: StrictInt | None = None
    reopen_days: StrictInt | None = None
    retention_months: StrictInt | None = None
    inbound_silence_hours: StrictInt | None = None
    external_watchers: StrictBool | None = None
    signature: StrictStr | None = None

    @field_validator(
        "name",
        "locale",
        "auto_close_days",
        "reopen_days",
        "retention_months",
        "inbound_silence_hours",
        "external_watchers",
    )
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("May not be null.")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class TenantSettingsOut(Schema):
    tenant: str
    name: str
    locale: Literal["nl", "en"]
    timezone: str  # read-only here: it is the business calendar's (PUT /v1/business-hours)
    auto_close_days: int
    reopen_days: int
    retention_months: int
    inbound_silence_hours: int
    external_watchers: bool
    signature: str | None
    version: int
    updated_at: str | None
    updated_by: str | None
