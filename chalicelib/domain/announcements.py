"""Announcements: planned maintenance, outages and other notices with a start and an end.

`starts_at`/`ends_at` are the window of what is announced (the maintenance, the outage). A
notice is shown from the moment it is made until its window ends, so planned maintenance is
announced ahead of time; once `ends_at` has passed it is over and no longer listed.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# How long an announcement that is over stays readable (`include=past`) before TTL removes it.
KEEP_DAYS_AFTER_END = 30


class Kind(StrEnum):
    MAINTENANCE = "maintenance"
    OUTAGE = "outage"
    INFO = "info"


@dataclass(frozen=True)
class Announcement:
    tenant: str
    id: str
    title: dict[str, str]  # language → text; the same languages as body
    body: dict[str, str]
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    mail_requesters: bool
    created_by: str
    created_at: datetime

    def state(self, now: datetime) -> str:
        """`upcoming`, `current` or `past` at `now`."""
        if now >= self.ends_at:
            return "past"
        return "current" if now >= self.starts_at else "upcoming"

    def text(self, language: str) -> tuple[str, str]:
        """(title, body) in `language`, or in the language it was written in."""
        if language not in self.title:
            language = "nl" if "nl" in self.title else next(iter(self.title))
        return self.title[language], self.body[language]
