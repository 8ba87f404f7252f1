"""Form fields of catalog items, checked per kind, and the signed approval links."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import approvals
from chalicelib.domain.catalog import FieldDef, FieldKind, check_values
from chalicelib.domain.errors import Conflict, Invalid

LABEL = {"nl": "x", "en": "x"}
FORM = (
    FieldDef("kind_of", LABEL, FieldKind.CHOICE, required=True, options=("a", "b")),
    FieldDef("start", LABEL, FieldKind.DATE),
    FieldDef("who", LABEL, FieldKind.USER),
    FieldDef("count", LABEL, FieldKind.NUMBER, min=1, max=10),
    FieldDef("note", LABEL, FieldKind.TEXT),
)


def errors_of(values):
    with pytest.raises(Invalid) as raised:
        check_values(FORM, values)
    return {e["field"]: e["message"] for e in raised.value.errors}


def test_given_a_filled_form_then_values_come_back_normalised():
    clean = check_values(
        FORM,
        {"kind_of": " a ", "start": "2026-12-01", "who": "Pat@X.Example", "count": 2.5, "note": ""},
    )
    assert clean == {"kind_of": "a", "start": "2026-12-01", "who": "pat@x.example", "count": 2.5}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "kind_of"),
        ({"kind_of": "   "}, "kind_of"),
        ({"kind_of": "c"}, "kind_of"),
        ({"kind_of": "a", "start": "2026-13-01"}, "start"),
        ({"kind_of": "a", "start": "20261201"}, "start"),
        ({"kind_of": "a", "who": "pat"}, "who"),
        ({"kind_of": "a", "who": 5}, "who"),
        ({"kind_of": "a", "count": 0}, "count"),
        ({"kind_of": "a", "count": 11}, "count"),
        ({"kind_of": "a", "count": True}, "count"),
        ({"kind_of": "a", "count": "3"}, "count"),
        ({"kind_of": "a", "note": "x" * 1001}, "note"),
        ({"kind_of": "a", "extra": "?"}, "extra"),
    ],
)
def test_given_a_value_that_breaks_its_kind_then_its_field_is_named(values, field):
    assert set(errors_of(values)) == {f"custom_fields.{field}"}


def test_given_several_problems_then_every_one_is_reported_at_once():
    found = errors_of({"count": 99, "who": "nobody", "x": 1})
    assert set(found) == {
        "custom_fields.kind_of",
        "custom_fields.count",
        "custom_fields.who",
        "custom_fields.x",
    }


NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = "tenant-secret"


def claim(**changes):
    values = {
        "tenant": "demo",
        "ticket": 1042,
        "approval": "01J0000000000000000000000A",
        "decision": approvals.Decision.APPROVE,
        "expires": int((NOW + timedelta(days=7)).timestamp()),
    } | changes
    return approvals.LinkClaim(**values)


def test_given_a_link_then_it_reads_back_until_it_expires():
    token = approvals.link_token(KEY, claim())
    assert approvals.tenant_of(token) == "demo"
    assert approvals.read_link(KEY, token, NOW) == claim()
    assert approvals.read_link(KEY, token, NOW + timedelta(days=7, seconds=1)) is None


def test_given_a_tampered_or_foreign_link_then_it_is_refused():
    token = approvals.link_token(KEY, claim())
    payload, _, signature = token.partition(".")
    other = approvals.link_token(KEY, claim(decision=approvals.Decision.REJECT))
    forged = other.partition(".")[0] + "." + signature
    assert approvals.read_link(KEY, forged, NOW) is None
    assert approvals.read_link("another-tenant-key", token, NOW) is None
    assert approvals.read_link(KEY, payload, NOW) is None
    assert approvals.read_link(KEY, "garbage.garbage", NOW) is None
    assert approvals.tenant_of("garbage") is None


def test_given_a_decided_approval_then_a_second_decision_is_a_conflict():
    waiting = approvals.pending("Boss@Demo.example.com", NOW)
    assert waiting["state"] == "pending" and waiting["approver"] == "boss@demo.example.com"
    done = approvals.decide(waiting, approvals.Decision.REJECT, "boss", "Not this year", NOW)
    assert (done["state"], done["comment"], done["id"]) == (
        "rejected",
        "Not this year",
        waiting["id"],
    )
    with pytest.raises(Conflict):
        approvals.decide(done, approvals.Decision.APPROVE, "boss", "", NOW)
    with pytest.raises(Conflict):
        approvals.decide(None, approvals.Decision.APPROVE, "boss", "", NOW)
