"""Watchers: who may copy whom on a ticket, and what a rule's add-watcher does."""

from typing import Any

import pytest

from chalicelib.domain.errors import Conflict, Forbidden, Invalid
from chalicelib.domain.rules import Trigger
from chalicelib.domain.watchers import (
    MAX_WATCHERS,
    cc_watchers,
    check_can_add,
    check_can_remove,
)
from tests.unit.test_rules_domain import rule, run
from tests.unit.test_tickets_domain import a_ticket

REQUESTER = "sanne@contoso.com"


def add(**overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "staff": True,
        "actor_email": "agent@desk.example.com",
        "requester_email": REQUESTER,
        "email": "bram@contoso.com",
        "known": True,
        "external_allowed": False,
        "current": 0,
    }
    check_can_add(**{**arguments, **overrides})


def test_given_staff_and_a_known_address_then_it_may_be_added():
    add()


def test_given_staff_and_an_unknown_address_then_only_a_tenant_that_allows_outsiders_takes_it():
    with pytest.raises(Invalid):
        add(known=False)
    add(known=False, external_allowed=True)


def test_given_the_requester_themself_then_nobody_adds_them():
    with pytest.raises(Invalid):
        add(email="Sanne@Contoso.com")


def test_given_a_full_ticket_then_one_more_is_a_conflict():
    with pytest.raises(Conflict):
        add(current=MAX_WATCHERS)


def test_given_the_requester_then_they_add_colleagues_of_their_own_domain_only():
    add(staff=False, actor_email=REQUESTER, known=False)
    with pytest.raises(Forbidden):
        add(staff=False, actor_email=REQUESTER, email="pat@fabrikam.com")
    with pytest.raises(Forbidden):
        add(staff=False, actor_email=REQUESTER, email="bram@sales.contoso.com")


def test_given_another_requester_then_they_manage_no_watchers():
    with pytest.raises(Forbidden):
        add(staff=False, actor_email="bram@contoso.com", email="kim@contoso.com")
    with pytest.raises(Forbidden):
        check_can_remove(staff=False, actor_email="bram@contoso.com",
                         requester_email=REQUESTER, email="kim@contoso.com")  # fmt: skip
    check_can_remove(staff=False, actor_email=REQUESTER, requester_email=REQUESTER,
                     email="kim@contoso.com")  # fmt: skip


def test_given_mail_recipients_then_colleagues_of_the_sender_become_watchers():
    found = cc_watchers(
        "pat@customer.example.org",
        ("support@demo.example.com", "Kim@Customer.example.org", "pat@customer.example.org",
         "boss@other.example.com", "kim@customer.example.org"),
        {"support@demo.example.com"},
    )  # fmt: skip
    assert found == ["kim@customer.example.org"]


def test_given_an_add_watcher_rule_then_the_outcome_names_the_address_but_not_the_requester():
    ticket = a_ticket()
    actions = [
        {"type": "add_watcher", "email": "kim@contoso.com"},
        {"type": "add_watcher", "email": ticket.requester.email},
    ]
    outcome = run([rule(actions=actions)], ticket, trigger=Trigger.CREATED)
    applied = outcome.applied[0]
    assert applied.watchers == ("kim@contoso.com",)
    assert applied.changes == {}
    assert applied.done[1]["skipped"] == "the requester"
