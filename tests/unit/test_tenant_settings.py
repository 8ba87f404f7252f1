"""The one set of checks on a tenant's settings, shared by onboarding and the admin's own
changes, and the service around it with a store fake (no AWS)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain import tenant_settings
from chalicelib.domain.errors import Forbidden, Invalid, PreconditionFailed
from chalicelib.domain.principal import Principal, Role
from chalicelib.services.ports import VersionConflict
from chalicelib.services.tenant_settings import TenantSettingsService


def fields(values: dict[str, Any]) -> list[str]:
    return [p["field"] for p in tenant_settings.problems(values)]


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("auto_close_days", 1, 365),
        ("reopen_days", 0, 365),
        ("retention_months", 0, 120),
        ("inbound_silence_hours", 0, 168),
    ],
)
def test_given_a_range_then_its_ends_pass_and_one_beyond_either_end_fails(name, low, high):
    assert fields({name: low}) == [] and fields({name: high}) == []
    assert fields({name: low - 1}) == [name]
    assert fields({name: high + 1}) == [name]


def test_given_a_tick_box_value_or_text_where_a_number_belongs_then_it_is_refused():
    assert fields({"auto_close_days": True}) == ["auto_close_days"]
    assert fields({"reopen_days": "14"}) == ["reopen_days"]


def test_given_locales_then_only_nl_and_en_pass():
    assert fields({"locale": "nl"}) == [] and fields({"locale": "en"}) == []
    assert fields({"locale": "de"}) == ["locale"]


def test_given_a_signature_then_plain_text_up_to_2000_characters_passes():
    assert fields({"signature": "Met vriendelijke groet,\n\tServicedesk"}) == []
    assert fields({"signature": None}) == []
    assert fields({"signature": "x" * 2000}) == []
    assert fields({"signature": "x" * 2001}) == ["signature"]
    assert fields({"signature": "bell\x07"}) == ["signature"]


def test_given_names_and_switches_then_blank_names_and_non_booleans_fail():
    assert fields({"name": "Demo BV"}) == []
    assert fields({"name": ""}) == ["name"] and fields({"name": "x" * 201}) == ["name"]
    assert fields({"external_watchers": "yes"}) == ["external_watchers"]


def test_given_several_wrong_fields_then_check_names_every_one():
    with pytest.raises(Invalid) as refused:
        tenant_settings.check({"auto_close_days": 0, "locale": "fr", "name": "ok"})
    assert {e["field"] for e in refused.value.errors} == {"auto_close_days", "locale"}


def test_given_an_item_then_shown_holds_only_the_editable_settings_with_defaults():
    item = {"tenant": "demo", "name": "Demo", "mail_token_key": "secret", "timezone": "UTC"}
    shown = tenant_settings.shown(item)
    assert set(shown) == set(tenant_settings.EDITABLE)
    assert "secret" not in repr(shown)
    assert shown["auto_close_days"] == 7 and shown["external_watchers"] is False


def test_given_a_signature_with_only_spaces_then_it_is_stored_as_none():
    assert tenant_settings.normalised({"signature": "  \r\n "})["signature"] is None


# --- the service, with a store fake ----------------------------------------------------------


class FakeStore:
    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.records: list[dict[str, Any]] = []

    def get(self, tenant: str, *, consistent: bool = False) -> dict[str, Any] | None:
        return dict(self.item) if tenant == self.item["tenant"] else None

    def update_settings(self, tenant, changes, expected, stamp, record) -> int:
        if self.item.get("version", 0) != expected:
            raise VersionConflict()
        self.item.update({**changes, **stamp, "version": expected + 1})
        self.records.append(record)
        return expected + 1

    def settings_changes(self, tenant: str, limit: int) -> list[dict[str, Any]]:
        return list(reversed(self.records))[:limit]


def who(role: Role) -> Principal:
    return Principal("demo", role, "user", f"{role.value}@demo.example.com", role.value.title())


def service(store: FakeStore, told: list[str] | None = None) -> TenantSettingsService:
    def clock() -> datetime:
        return datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    return TenantSettingsService(
        store, clock=clock, on_change=(told if told is not None else []).append
    )


def test_given_an_admin_when_changing_then_only_what_differs_is_written_and_recorded():
    store = FakeStore({"tenant": "demo", "name": "Demo", "version": 3, "mail_token_key": "k"})
    told: list[str] = []
    changed = service(store, told).update(
        who(Role.ADMIN), {"name": "Demo", "auto_close_days": 10}, 3
    )
    assert changed.version == 4 and changed.values["auto_close_days"] == 10
    (record,) = store.records
    assert record["changes"] == {"auto_close_days": {"from": 7, "to": 10}}
    assert record["actor"]["id"] == "admin@demo.example.com"
    assert told == ["demo"]


def test_given_no_real_change_then_nothing_is_written():
    store = FakeStore({"tenant": "demo", "name": "Demo", "version": 1})
    same = service(store).update(who(Role.ADMIN), {"name": "Demo"}, 1)
    assert same.version == 1 and store.records == []


def test_given_an_old_version_then_precondition_failed_and_nothing_written():
    store = FakeStore({"tenant": "demo", "name": "Demo", "version": 2})
    with pytest.raises(PreconditionFailed):
        service(store).update(who(Role.ADMIN), {"reopen_days": 3}, 1)
    assert store.records == []


def test_given_a_supervisor_then_reading_and_changing_are_forbidden():
    store = FakeStore({"tenant": "demo", "name": "Demo", "version": 1})
    with pytest.raises(Forbidden):
        service(store).get(who(Role.SUPERVISOR))
    with pytest.raises(Forbidden):
        service(store).update(who(Role.SUPERVISOR), {"name": "X"}, 1)


def test_given_timezone_or_the_token_key_then_they_cannot_be_changed_here():
    store = FakeStore({"tenant": "demo", "name": "Demo", "version": 1})
    with pytest.raises(Invalid) as refused:
        service(store).update(who(Role.ADMIN), {"timezone": "UTC", "mail_token_key": "x"}, 1)
    assert {e["field"] for e in refused.value.errors} == {"timezone", "mail_token_key"}
