"""Mail threading rules: tokens, subject tags, participants, where a late reply goes."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import threads
from chalicelib.domain.tickets import Channel, Level, Person, Priority, Status, Ticket, TicketType

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
KEY = "a-tenant-secret"


def ticket(status: Status = Status.OPEN, resolved_at: datetime | None = None) -> Ticket:
    return Ticket(
        tenant="demo", number=1042, version=1, subject="VPN", description="drops",
        type=TicketType.INCIDENT, status=status, impact=Level.MEDIUM, urgency=Level.MEDIUM,
        priority=Priority.P3, priority_set_by_agent=False, channel=Channel.EMAIL,
        requester=Person("pat@example.org", "Pat"), created_at=NOW, updated_at=NOW,
        created_by={}, resolved_at=resolved_at,
    )  # fmt: skip


def test_given_a_token_we_made_then_it_names_its_ticket():
    token = threads.reply_token(KEY, "demo", 1042)
    assert threads.number_of_token(KEY, "demo", token) == 1042
    assert threads.number_of_token(KEY, "demo", token.upper()) == 1042


@pytest.mark.parametrize(
    "token",
    ["1043-" + "a" * 8, "1042", "1042-zzzzzzzz", "", "abc-def", "1042-" + "a" * 9],
)
def test_given_a_token_we_did_not_make_then_it_names_nothing(token):
    assert threads.number_of_token(KEY, "demo", token) is None


def test_given_another_tenant_or_key_then_the_same_token_is_not_valid():
    token = threads.reply_token(KEY, "demo", 1042)
    assert threads.number_of_token(KEY, "acme", token) is None
    assert threads.number_of_token("other-key", "demo", token) is None


def test_given_a_plus_address_then_base_and_tag_are_split():
    assert threads.split_plus("Support+1042-abc@Demo.example.com") == (
        "support@demo.example.com",
        "1042-abc",
    )
    assert threads.split_plus("support@demo.example.com") == ("support@demo.example.com", None)
    assert threads.split_plus("support+@demo.example.com") == ("support@demo.example.com", None)
    token = threads.reply_token(KEY, "demo", 7)
    assert threads.split_plus(threads.reply_address("support@x.nl", token))[1] == token


def test_given_subjects_then_the_tag_is_found_once_and_added_once():
    assert threads.number_in_subject("Re: AW: [#1042] VPN") == 1042
    assert threads.number_in_subject("Order #1042 shipped") is None
    assert threads.tag_subject(1042, "VPN") == "[#1042] VPN"
    assert threads.tag_subject(1042, "Re: [#1042] VPN") == "Re: [#1042] VPN"


def test_given_a_sender_then_only_the_requester_or_staff_are_participants():
    assert threads.is_participant(ticket(), "PAT@example.org", staff=False)
    assert threads.is_participant(ticket(), "agent@demo.example.com", staff=True)
    assert not threads.is_participant(ticket(), "mallory@example.net", staff=False)


@pytest.mark.parametrize(
    ("status", "resolved_days_ago", "placement"),
    [
        (Status.OPEN, None, threads.Placement.APPEND),
        (Status.PENDING, None, threads.Placement.APPEND),
        (Status.RESOLVED, 3, threads.Placement.APPEND),
        (Status.RESOLVED, 15, threads.Placement.FOLLOW_UP),
        (Status.CLOSED, 1, threads.Placement.FOLLOW_UP),
    ],
)
def test_given_a_reply_then_closed_or_long_resolved_tickets_get_a_follow_up(
    status, resolved_days_ago, placement
):
    resolved = NOW - timedelta(days=resolved_days_ago) if resolved_days_ago else None
    assert threads.place_reply(ticket(status, resolved), NOW, reopen_days=14) == placement
