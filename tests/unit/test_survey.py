"""Survey links and the once-per-resolution rating rule, without AWS."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import survey
from chalicelib.domain.errors import Conflict
from chalicelib.domain.survey import ExpiredLink, InvalidLink
from chalicelib.domain.tickets import (
    AlreadyRated,
    Channel,
    Level,
    Person,
    Priority,
    Rating,
    Status,
    Ticket,
    TicketType,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
KEY = "k" * 32


def ticket(status: Status = Status.RESOLVED, reopen_count: int = 0) -> Ticket:
    return Ticket(
        tenant="demo", number=42, version=3, subject="VPN drops", description="Every hour",
        type=TicketType.INCIDENT, status=status, impact=Level.LOW, urgency=Level.LOW,
        priority=Priority.P4, priority_set_by_agent=False, channel=Channel.PORTAL,
        requester=Person("sanne@demo.example.com", "Sanne"), created_at=NOW, updated_at=NOW,
        created_by={}, reopen_count=reopen_count,
    )  # fmt: skip


def test_given_a_resolved_ticket_then_each_link_reads_back_as_its_rating():
    links = survey.links_for(KEY, ticket(), NOW)

    assert links is not None
    for rating, token in links.items():
        link = survey.read(KEY, token, NOW + timedelta(days=29))
        assert (link.tenant, link.number, link.resolution, link.rating) == ("demo", 42, 1, rating)
        assert survey.tenant_of(token) == "demo"


def test_given_an_open_ticket_then_there_is_nothing_to_ask():
    assert survey.links_for(KEY, ticket(Status.OPEN), NOW) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(".good.", ".bad."),  # another answer
        lambda t: t.replace("demo.42.", "demo.43."),  # another ticket
        lambda t: t.replace("demo.42.1.", "demo.42.2."),  # another resolution
        lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # another signature
        lambda t: t[:-3],  # cut off by a mail client
        lambda t: t.upper(),
        lambda t: "",
    ],
)
def test_given_a_changed_link_then_it_is_refused(tamper):
    links = survey.links_for(KEY, ticket(), NOW)
    assert links is not None

    with pytest.raises(InvalidLink):
        survey.read(KEY, tamper(links[Rating.GOOD]), NOW)


def test_given_another_tenants_key_then_the_link_is_refused():
    links = survey.links_for(KEY, ticket(), NOW)
    assert links is not None

    with pytest.raises(InvalidLink):
        survey.read("x" * 32, links[Rating.GOOD], NOW)


def test_given_thirty_days_and_a_second_then_the_link_has_expired():
    links = survey.links_for(KEY, ticket(), NOW)
    assert links is not None

    with pytest.raises(ExpiredLink):
        survey.read(KEY, links[Rating.BAD], NOW + timedelta(days=30, seconds=1))


def test_given_a_resolution_then_it_is_rated_once():
    rated = ticket().rated(Rating.GOOD, "Quick help", NOW)

    assert rated.satisfaction is not None
    assert (rated.satisfaction.rating, rated.satisfaction.resolution) == (Rating.GOOD, 1)
    assert rated.version == 4 and not rated.awaits_rating
    with pytest.raises(AlreadyRated):
        rated.rated(Rating.BAD, None, NOW)


def test_given_a_reopened_and_again_resolved_ticket_then_it_is_asked_again():
    first = ticket().rated(Rating.BAD, None, NOW)
    again = replace(first, reopen_count=1)

    assert again.awaits_rating
    assert again.rated(Rating.GOOD, None, NOW).satisfaction.resolution == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD])
def test_given_an_unresolved_ticket_then_it_cannot_be_rated(status):
    with pytest.raises(Conflict):
        ticket(status).rated(Rating.GOOD, None, NOW)


def test_given_a_link_for_an_earlier_resolution_then_it_is_not_counted_for_this_one():
    with pytest.raises(Conflict):
        ticket(reopen_count=1).rated(Rating.GOOD, None, NOW, resolution=1)


def test_given_a_rating_then_one_comment_may_follow():
    rated = ticket().rated(Rating.GOOD, None, NOW)

    commented = rated.commented("Thanks!", 1, NOW)

    assert commented.satisfaction.comment == "Thanks!"  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        commented.commented("And more", 1, NOW)
    with pytest.raises(Conflict):
        ticket().commented("No rating yet", 1, NOW)
