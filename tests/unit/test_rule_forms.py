"""The rules page's form: a stored rule shown in the form and sent back is the same rule,
and what the plain fields cannot hold travels in the JSON boxes."""

from chalicelib.web.rule_forms import CHECK_FIELD, CHECK_JSON, NO_ACTION, read, values_of

RULE = {
    "name": "VPN", "trigger": "both", "match": "any", "active": False, "stop_processing": True,
    "conditions": [
        {"type": "field", "field": "channel", "op": "in", "values": ["portal", "email"]},
        {"type": "text", "in": "subject_or_body", "op": "any", "terms": ["vpn", "remote access"]},
        {"type": "requester_domain", "op": "in", "values": ["contoso.com"]},
        {"type": "field", "field": "category", "op": "starts_with", "value": "network/"},
        {"type": "business_hours", "op": "outside"},
        {"type": "text", "in": "subject", "op": "none", "terms": ["test"]},
        {"type": "custom_field", "name": "floor", "op": "gt", "value": 3},
    ],
    "actions": [
        {"type": "assign", "strategy": "round_robin", "group": "network"},
        {"type": "set_priority", "priority": "P2"},
        {"type": "add_tags", "tags": ["vpn"]},
        {"type": "add_watcher", "email": "lead@contoso.com"},
        {"type": "reply", "text": {"nl": "Hoi {requester_name}", "en": "Hi {requester_name}"}},
        {"type": "add_tags", "tags": ["second"]},
    ],
}  # fmt: skip


def test_given_a_stored_rule_when_shown_and_sent_back_then_it_is_the_same_rule():
    values = values_of(RULE)
    assert values["terms"] == "vpn, remote access" and values["channel.email"] == "on"
    assert '"custom_field"' in values["more_conditions"] and '"second"' in values["more_actions"]

    form, body = read(values)

    assert form.ok, form.errors
    assert body is not None
    assert {k: body[k] for k in ("name", "trigger", "match", "active", "stop_processing")} == {
        "name": "VPN", "trigger": "both", "match": "any", "active": False,
        "stop_processing": True,
    }  # fmt: skip
    assert sorted(map(str, body["conditions"])) == sorted(map(str, RULE["conditions"]))
    assert sorted(map(str, body["actions"])) == sorted(map(str, RULE["actions"]))


def test_given_wrong_parts_then_each_error_is_on_the_field_that_made_it():
    form, body = read({"name": "x", "set_priority": "P9", "add_tags": "ok"})
    assert body is None and form.errors == {"set_priority": CHECK_FIELD}

    form, body = read({"name": "x", "more_actions": '[{"type": "add_tags", "tags": []}]'})
    assert body is None and form.errors["more_actions"] == CHECK_JSON
    assert form.details["more_actions"]["path"].startswith("actions.0")

    form, body = read({"name": "x"})
    assert body is None and form.errors == {"actions": NO_ACTION}
