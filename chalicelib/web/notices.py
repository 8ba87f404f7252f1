"""Announcements on the portal's pages: the ones the API lists to the visitor, in the page's
language (or the one they were written in)."""

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.principal import Principal
from chalicelib.web.i18n import N_
from chalicelib.wiring import announcement_service, utc_now

# A home page is not an archive: the rest is one API call away.
SHOWN = 5

KINDS = {"maintenance": N_("Maintenance"), "outage": N_("Outage"), "info": N_("Notice")}


@dataclass(frozen=True)
class Notice:
    kind: str
    kind_label: str  # a catalog message, translated where shown
    state: str  # "current" or "upcoming"
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime


def for_page(principal: Principal, locale: str) -> list[Notice]:
    page = announcement_service().list_for(principal, limit=SHOWN)
    now = utc_now()
    notices = []
    for announcement in page.items:
        title, body = announcement.text(locale)
        notices.append(
            Notice(
                kind=announcement.kind.value,
                kind_label=KINDS[announcement.kind.value],
                state=announcement.state(now),
                title=title,
                body=body,
                starts_at=announcement.starts_at,
                ends_at=announcement.ends_at,
            )
        )
    return notices
