"""Routing rules: conditions, actions, order and stop, evaluated without AWS."""

from datetime import UTC, datetime, time
from typing import Any

import pytest

from chalicelib.domain.calendar import NO_HOLIDAYS, BusinessCalendar
from chalicelib.domain.rules import (
    MAX_APPLIED,
    Reply,
    Strategy,
    Trigger,
    evaluate,
    reply_text,
    rule_from_document,
    unknown_placeholders,
    words,
)
from chalicelib.domain.tickets import Channel, Person, Priority, TicketType
from tests.unit.test_tickets_domain import a_ticket

OFFICE = BusinessCalendar(
    "Europe/Amsterdam", {d: [(time(8, 30), time(17, 30))] for d in range(5)}, NO_HOLIDAYS
)
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
SUNDAY = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def rule(n: int = 1, **fields: Any):
    document = {
        "id": f"R{n:02d}",
        "name": f"rule {n}",
        "position": n,
        "trigger": "created",
        "conditions": [],
        "actions": [{"type": "add_tags", "tags": [f"r{n}"]}],
        **fields,
    }
    return rule_from_document(document)


def no_pick(group: str, strategy: Strategy) -> str | None:
    raise AssertionError("nothing should be assigned from a group here")


def run(rules, ticket=None, *, trigger=Trigger.CREATED, now=MONDAY_10, pick=no_pick, changed=()):
    return evaluate(
        rules,
        ticket or a_ticket(),
        trigger=trigger,
        now=now,
        calendar=OFFICE,
        pick=pick,
        changed=changed,
    )


def matches(condition: dict[str, Any], ticket=None, **kw) -> bool:
    return bool(run([rule(conditions=[condition])], ticket, **kw).applied)


# --- conditions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": "field", "field": "channel", "op": "equals", "value": "email"}, True),
        ({"type": "field", "field": "channel", "op": "equals", "value": "portal"}, False),
        ({"type": "field", "field": "priority", "op": "in", "values": ["P1", "P2"]}, True),
        ({"type": "field", "field": "priority", "op": "not_in", "values": ["P1", "P2"]}, False),
        ({"type": "field", "field": "category", "op": "starts_with", "value": "network/"}, True),
        ({"type": "field", "field": "category", "op": "starts_with", "value": "hardware"}, False),
        ({"type": "field", "field": "service", "op": "is_empty"}, True),
        ({"type": "field", "field": "service", "op": "is_set"}, False),
        ({"type": "field", "field": "tier", "op": "equals", "value": 1}, True),
    ],
)
def test_given_a_field_condition_then_it_tests_the_ticket_field(condition, expected):
    ticket = a_ticket(channel=Channel.EMAIL, priority=Priority.P2, category="network/vpn")
    assert matches(condition, ticket) is expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("pat@contoso.com", True),
        ("pat@sales.contoso.com", True),
        ("pat@notcontoso.com", False),
        ("pat@CONTOSO.COM", True),
    ],
)
def test_given_a_requester_domain_then_subdomains_match_and_lookalikes_do_not(email, expected):
    ticket = a_ticket(requester=Person(email, "Pat"))
    condition = {"type": "requester_domain", "op": "in", "values": ["contoso.com"]}
    assert matches(condition, ticket) is expected


@pytest.mark.parametrize(
    ("terms", "op", "expected"),
    [
        (["vpn"], "any", True),
        (["VPN"], "any", True),
        (["vpns"], "any", False),  # whole words only
        (["drops every"], "any", True),  # a phrase: consecutive words
        (["every drops"], "any", False),
        (["vpn", "printer"], "all", False),
        (["vpn", "printer"], "any", True),
        (["printer"], "none", True),
        (["café"], "any", True),  # accents on either side do not matter
    ],
)
def test_given_terms_then_they_match_whole_words_ignoring_case_and_accents(terms, op, expected):
    ticket = a_ticket(subject="VPN drops every 10 minutes", description="In the cafe upstairs")
    assert matches({"type": "text", "op": op, "terms": terms}, ticket) is expected


def test_given_terms_in_the_subject_only_then_the_description_is_not_searched():
    ticket = a_ticket(subject="Laptop", description="The VPN drops")
    condition = {"type": "text", "in": "subject", "op": "any", "terms": ["vpn"]}
    assert matches(condition, ticket) is False
    assert matches({**condition, "in": "body"}, ticket) is True


def test_words_fold_case_accents_and_punctuation():
    assert words("Éénmalig: WiFi-storing!") == " eenmalig wifi storing "


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"op": "equals", "value": "gold"}, True),
        ({"op": "equals", "value": "GOLD"}, True),
        ({"op": "in", "values": ["silver", "bronze"]}, False),
        ({"op": "contains", "value": "OL"}, True),
        ({"op": "is_set"}, True),
    ],
)
def test_given_a_custom_text_field_then_it_compares_ignoring_case(condition, expected):
    ticket = a_ticket(custom_fields={"contract": "Gold", "seats": 40})
    full = {"type": "custom_field", "name": "contract", **condition}
    assert matches(full, ticket) is expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("gt", 39, True), ("gt", 40, False), ("gte", 40, True), ("lt", 40, False),
     ("lte", 40.0, True)],
)  # fmt: skip
def test_given_a_custom_number_field_then_it_orders(op, value, expected):
    ticket = a_ticket(custom_fields={"seats": 40})
    condition = {"type": "custom_field", "name": "seats", "op": op, "value": value}
    assert matches(condition, ticket) is expected


def test_given_an_ordering_on_a_text_or_missing_field_then_it_does_not_match():
    ticket = a_ticket(custom_fields={"seats": "forty", "flag": True})
    for name in ("seats", "flag", "absent"):
        condition = {"type": "custom_field", "name": name, "op": "gt", "value": 1}
        assert matches(condition, ticket) is False


def test_given_business_hours_then_monday_morning_is_within_and_sunday_is_outside():
    within = {"type": "business_hours", "op": "within"}
    outside = {"type": "business_hours", "op": "outside"}
    assert matches(within, now=MONDAY_10) is True
    assert matches(outside, now=MONDAY_10) is False
    assert matches(within, now=SUNDAY) is False
    assert matches(outside, now=SUNDAY) is True


def test_given_tags_conditions_then_any_all_and_none_work_on_the_tags():
    ticket = a_ticket(tags=("VIP", "network"))
    assert matches({"type": "tags", "op": "has_any", "values": ["vip", "x"]}, ticket)
    assert not matches({"type": "tags", "op": "has_all", "values": ["vip", "x"]}, ticket)
    assert matches({"type": "tags", "op": "has_none", "values": ["x"]}, ticket)


def test_given_a_changed_condition_then_it_holds_only_when_the_update_touched_the_field():
    condition = {"type": "changed", "fields": ["status"]}
    r = rule(trigger="updated", conditions=[condition])
    assert run([r], trigger=Trigger.UPDATED, changed={"status"}).applied
    assert not run([r], trigger=Trigger.UPDATED, changed={"priority"}).applied


def test_given_match_any_then_one_true_condition_is_enough_and_all_needs_every_one():
    conditions = [
        {"type": "field", "field": "channel", "op": "equals", "value": "email"},
        {"type": "field", "field": "channel", "op": "equals", "value": "api"},
    ]
    assert run([rule(match="any", conditions=conditions)]).applied
    assert not run([rule(match="all", conditions=conditions)]).applied


# --- triggers, order, stop --------------------------------------------------------------


def test_given_triggers_then_a_rule_runs_only_on_its_moments():
    created, updated, both = (rule(1), rule(2, trigger="updated"), rule(3, trigger="both"))
    on_create = run([created, updated, both], trigger=Trigger.CREATED)
    on_update = run([created, updated, both], trigger=Trigger.UPDATED)
    assert [a.rule.id for a in on_create.applied] == ["R01", "R03"]
    assert [a.rule.id for a in on_update.applied] == ["R02", "R03"]


def test_given_an_inactive_rule_then_it_is_skipped():
    assert not run([rule(active=False)]).applied


def test_given_two_rules_setting_one_field_then_the_later_one_wins():
    first = rule(1, actions=[{"type": "set_priority", "priority": "P1"}])
    second = rule(2, actions=[{"type": "set_priority", "priority": "P4"}])
    assert run([first, second]).changes["priority"] == Priority.P4


def test_given_stop_processing_then_later_rules_do_not_run():
    outcome = run([rule(1, stop_processing=True), rule(2)])
    assert [a.rule.id for a in outcome.applied] == ["R01"]
    assert outcome.changes["tags"] == ("r1",)


def test_given_a_rule_changes_the_ticket_then_later_rules_see_the_change():
    vip = rule(1, actions=[{"type": "set_priority", "priority": "P1"}])
    p1 = rule(
        2,
        conditions=[{"type": "field", "field": "priority", "op": "equals", "value": "P1"}],
        actions=[{"type": "set_group", "group": "major-incidents"}],
    )
    outcome = run([vip, p1])
    assert outcome.changes == {"priority": Priority.P1, "group": "major-incidents"}


def test_given_rules_that_undo_each_other_then_each_runs_once_and_nothing_loops():
    def flip(n: int, when: str, to: str):
        condition = {"type": "field", "field": "priority", "op": "equals", "value": when}
        action = {"type": "set_priority", "priority": to}
        return rule(n, trigger="updated", conditions=[condition], actions=[action])

    to_p1, to_p2 = flip(1, "P2", "P1"), flip(2, "P1", "P2")
    outcome = run([to_p1, to_p2], a_ticket(priority=Priority.P2), trigger=Trigger.UPDATED)
    assert [a.rule.id for a in outcome.applied] == ["R01", "R02"]
    assert outcome.changes == {"priority": Priority.P2}


def test_given_more_matching_rules_than_the_limit_then_the_rest_are_counted_as_skipped():
    outcome = run([rule(n) for n in range(1, MAX_APPLIED + 4)])
    assert len(outcome.applied) == MAX_APPLIED
    assert outcome.skipped == 3


# --- actions ----------------------------------------------------------------------------


def test_given_tags_already_there_then_add_tags_adds_only_the_new_ones():
    r = rule(actions=[{"type": "add_tags", "tags": ["vip", "network"]}])
    outcome = run([r], a_ticket(tags=("vip",)))
    assert outcome.changes == {"tags": ("vip", "network")}
    assert outcome.applied[0].done == ({"type": "add_tags", "tags": ["network"]},)


def test_given_an_action_setting_the_current_value_then_it_is_no_change():
    r = rule(actions=[{"type": "set_type", "ticket_type": "incident"}])
    outcome = run([r], a_ticket(type=TicketType.INCIDENT))
    assert outcome.changes == {}
    assert outcome.applied[0].changes == {}


def test_given_round_robin_in_a_group_then_the_picker_chooses_and_the_group_is_set():
    asked = []

    def pick(group: str, strategy: Strategy) -> str:
        asked.append((group, strategy))
        return "agent2@demo.example.com"

    r = rule(actions=[{"type": "assign", "strategy": "round_robin", "group": "network"}])
    outcome = run([r], pick=pick)
    assert asked == [("network", Strategy.ROUND_ROBIN)]
    assert outcome.changes == {"assignee": "agent2@demo.example.com", "group": "network"}


def test_given_least_loaded_without_a_group_then_the_tickets_group_is_used():
    r = rule(
        actions=[
            {"type": "set_group", "group": "servicedesk"},
            {"type": "assign", "strategy": "least_loaded"},
        ]
    )
    outcome = run([r], pick=lambda group, strategy: f"{group}-{strategy.value}@x.example")
    assert outcome.changes["assignee"] == "servicedesk-least_loaded@x.example"


def test_given_a_group_without_agents_then_the_assignment_is_skipped_and_says_why():
    r = rule(actions=[{"type": "assign", "strategy": "round_robin", "group": "empty"}])
    outcome = run([r], pick=lambda group, strategy: None)
    assert outcome.changes == {}
    assert outcome.applied[0].done[0]["skipped"] == "the group has no agents"


def test_given_a_named_agent_then_the_ticket_is_assigned_to_them_while_they_are_an_agent():
    r = rule(actions=[{"type": "assign", "strategy": "agent", "agent": "agent@demo.example.com"}])
    assert run([r], pick=lambda who, strategy: who).changes == {
        "assignee": "agent@demo.example.com"
    }
    gone = run([r], pick=lambda who, strategy: None)
    assert gone.changes == {}
    assert gone.applied[0].done[0]["skipped"] == "not an agent"


def test_given_a_request_waiting_for_approval_then_a_rule_routes_it_but_assigns_nobody():
    from dataclasses import replace

    from chalicelib.domain.approvals import pending

    waiting = replace(a_ticket(), approval=pending("boss@demo.example.com", MONDAY_10))
    assign = {"type": "assign", "strategy": "agent", "agent": "agent@demo.example.com"}
    r = rule(actions=[{"type": "set_group", "group": "workplace"}, assign])
    outcome = run([r], waiting, pick=lambda who, strategy: who)
    assert outcome.changes == {"group": "workplace"}
    assert outcome.applied[0].done[1] == {"type": "assign", "skipped": "waiting for approval"}


def test_given_a_reply_then_it_is_handed_back_not_applied_to_the_ticket():
    r = rule(actions=[{"type": "reply", "text": {"en": "Hi {requester_name}", "nl": ""}}])
    outcome = run([r])
    assert outcome.changes == {}
    assert outcome.applied[0].replies == (Reply({"en": "Hi {requester_name}"}),)


def test_reply_text_fills_placeholders_in_the_requesters_language():
    reply = Reply({"nl": "Beste {requester_name}, melding {ticket_number}: {portal_link} {x}",
                   "en": "Dear {requester_name}"})  # fmt: skip
    text = reply_text(reply, "nl", a_ticket(), "https://help.example/tickets/1042")
    assert text == "Beste Rita, melding 1042: https://help.example/tickets/1042 {x}"
    assert reply_text(reply, "de", a_ticket(), "") == "Beste Rita, melding 1042:  {x}"
    assert unknown_placeholders("{x} {ticket_number} {y}") == ["x", "y"]
