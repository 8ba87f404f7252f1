"""Languages of the pages: catalogs, choosing a locale, and dates in the reader's time zone.

The catalogs are the .po files under locale/<code>/LC_MESSAGES/messages.po, read with babel
on first use and compiled in memory, once per container: no .mo files in the repository and
no build step. To add or change text, edit the templates or code, then bring both catalogs
up to date (tests/integration/test_web_portal.py fails while a msgid is missing or empty):

    pybabel extract -F chalicelib/web/babel.cfg -o /tmp/messages.pot chalicelib/web
    pybabel update -i /tmp/messages.pot -d chalicelib/web/locale --no-fuzzy-matching

babel is imported inside the functions: `import app` stays free of it.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from babel.support import Translations

LOCALES = ("nl", "en")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
# Each language is offered in its own name, as people look for it, so these are not
# translated.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is defined; it is translated where shown."""
    return message


@cache
def translations(locale: str) -> "Translations":
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


def negotiate(
    *,
    chosen: Iterable[str | None],
    accept_language: str | None,
    fallback: str | None = None,
) -> str:
    """The first supported of `chosen` (most explicit first), else the browser's, else
    `fallback` (the tenant's), else English."""
    for candidate in chosen:
        if candidate in LOCALES:
            return candidate
    for language in _accepted(accept_language or ""):
        if language in LOCALES:
            return language
    return fallback if fallback in LOCALES else DEFAULT_LOCALE


def _accepted(header: str) -> list[str]:
    """Primary language subtags of an Accept-Language header, most preferred first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag.split("-")[0].strip().lower()))
    return [language for _, _, language in sorted(weighted)]


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_moment(moment: datetime | None, locale: str, timezone: str) -> str:
    """A date and time as people of `locale` write it, in the tenant's time zone, to the
    minute: "23 nov 2026, 10:30" or "Nov 23, 2026, 10:30 AM"."""
    if moment is None:
        return ""
    from babel import Locale
    from babel.dates import format_date, format_time

    local = moment.astimezone(_zone(timezone))
    pattern = Locale.parse(locale).datetime_formats["medium"]
    date = format_date(local, "medium", locale=locale)
    time = format_time(local, "short", locale=locale)
    return str(pattern).replace("{1}", date).replace("{0}", time)
