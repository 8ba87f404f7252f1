"""An announcement's state at a moment, and its text in a language."""

from datetime import UTC, datetime, timedelta

from chalicelib.domain.announcements import Announcement, Kind

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def notice(**texts: str) -> Announcement:
    bodies = {k: f"{v}!" for k, v in texts.items()}
    return Announcement(
        tenant="demo", id="01ARZ3NDEKTSV4RRFFQ69G5FAV", title=texts, body=bodies,
        kind=Kind.OUTAGE, starts_at=START, ends_at=START + timedelta(hours=1),
        mail_requesters=False, created_by="s", created_at=START,
    )  # fmt: skip


def test_given_moments_around_the_window_then_upcoming_current_and_past():
    a = notice(en="x")
    assert a.state(START - timedelta(seconds=1)) == "upcoming"
    assert a.state(START) == "current"
    assert a.state(START + timedelta(minutes=59)) == "current"
    assert a.state(START + timedelta(hours=1)) == "past"


def test_given_a_missing_language_then_the_text_it_was_written_in():
    assert notice(nl="Storing", en="Outage").text("en") == ("Outage", "Outage!")
    assert notice(nl="Storing").text("en") == ("Storing", "Storing!")
    assert notice(en="Outage").text("nl") == ("Outage", "Outage!")
