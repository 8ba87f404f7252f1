"""Notification mail rendered from per-locale Jinja2 templates: a subject, plain text and HTML.

Every template name exists in every locale as three files under templates/<locale>/:

    <name>.subject  the subject line: one line, without the "[#1042]" tag the caller adds
    <name>.txt      the plain-text part; extends the shared _layout.txt
    <name>.html     the HTML part; extends the shared _layout.html

Per-locale words that several templates share (the closing line, status and SLA clock
names) live in templates/<locale>/_words.jinja, imported as `words`.

The caller's context reaches every file unchanged; render() adds `locale` (the locale
actually used, for the `lang` attribute and the shared layouts) and, for the text and HTML
parts, `subject` (the rendered subject, the HTML document's title).

HTML is autoescaped; text and subject are not (they are not markup: "R&D" must stay
"R&D"). Plain text written by people (messages, the tenant's signature) goes into HTML
through the `paragraphs` filter, which escapes it and keeps its paragraphs and line breaks.
Mail clients drop <style> sheets, so the look is inline styles, named in `style`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

TEMPLATES: tuple[str, ...] = (
    "ticket_created",
    "agent_reply",
    "ticket_pending",
    "ticket_resolved",
    "ticket_assigned",
    "requester_replied",
    "sla_warning",
    "sla_breached",
    "attachments_refused",
    "approval_requested",
    "watcher_update",
)
# Mail to a tenant's admins about the tenant itself, not about a ticket.
ADMIN_TEMPLATES: tuple[str, ...] = ("webhook_disabled",)
# Mail to many of a tenant's people at once, about no ticket.
BULK_TEMPLATES: tuple[str, ...] = ("announcement",)
LOCALES: tuple[str, ...] = ("nl", "en")
DEFAULT_LOCALE = "en"

_FOLDER = Path(__file__).parent / "templates"

# The whole look of the HTML mail. Contrast of every text colour on its background is
# at least 4.5:1 (WCAG AA); sizes are 14 px and up.
_FONT = "font-family:Arial,Helvetica,sans-serif;"
STYLES: Mapping[str, str] = {
    "page": "margin:0;padding:0;background-color:#f3f4f6;",
    "card": "max-width:600px;background-color:#ffffff;border:1px solid #d2d6dc;",
    "header": _FONT + "padding:16px 24px;background-color:#1e3a5f;color:#ffffff;"
    "font-size:20px;font-weight:bold;line-height:1.4;",
    "body": _FONT + "padding:24px;color:#1f2933;font-size:16px;line-height:1.5;",
    "footer": _FONT + "padding:16px 24px;border-top:1px solid #d2d6dc;color:#4b5563;"
    "font-size:14px;line-height:1.5;",
    "p": "margin:0 0 16px 0;",
    "quote": "margin:0 0 16px 0;padding:4px 0 4px 16px;border-left:4px solid #9aa5b1;",
    "link": "color:#1a4f9c;text-decoration:underline;",
    "button": _FONT + "display:inline-block;margin:0 8px 8px 0;padding:10px 18px;"
    "background-color:#1e3a5f;color:#ffffff;font-size:16px;font-weight:bold;"
    "text-decoration:none;border-radius:4px;",
    "list": "margin:0 0 16px 0;padding:0 0 0 24px;",
    "table": "margin:0 0 16px 0;border-collapse:collapse;",
    "th": "padding:2px 16px 2px 0;text-align:left;vertical-align:top;font-weight:bold;",
    "td": "padding:2px 0;vertical-align:top;",
}


@dataclass(frozen=True)
class Rendered:
    subject: str  # one line, no ticket tag, no CR/LF
    text: str
    html: str


def render(template: str, locale: str, context: Mapping[str, Any]) -> Rendered:
    """One notification in the recipient's language (English when we do not speak theirs).

    A key missing from `context` raises jinja2.UndefinedError: a template that silently
    printed nothing where a ticket number belongs would be a bug nobody sees.
    """
    if template not in TEMPLATES + ADMIN_TEMPLATES + BULK_TEMPLATES:
        raise ValueError(f"unknown mail template {template!r}")
    locale = resolve_locale(locale)
    env = _environment()
    values = {**context, "locale": locale}
    subject = _one_line(env.get_template(f"{locale}/{template}.subject").render(values))
    values["subject"] = subject
    text = _tidy_text(env.get_template(f"{locale}/{template}.txt").render(values))
    html = env.get_template(f"{locale}/{template}.html").render(values).strip() + "\n"
    return Rendered(subject=subject, text=text, html=html)


def resolve_locale(locale: str | None) -> str:
    """ "nl", "NL" and "nl-BE" are Dutch; any language we have no templates for is English."""
    primary = re.split(r"[-_]", (locale or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in LOCALES else DEFAULT_LOCALE


@cache
def _environment() -> "jinja2.Environment":
    import jinja2  # deferred: only the notification worker renders mail

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_FOLDER),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code; re-checking their mtimes on every render is waste.
        auto_reload=False,
    )
    env.filters["paragraphs"] = paragraphs
    env.globals["style"] = STYLES
    return env


def paragraphs(text: str | None) -> "Markup":
    """Plain text as escaped HTML paragraphs: blank lines part paragraphs, newlines break."""
    from markupsafe import Markup, escape

    normal = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    blocks = [block.strip("\n") for block in re.split(r"\n[ \t]*\n", normal) if block.strip()]
    open_tag = Markup('<p style="{}">').format(STYLES["p"])
    return Markup("\n").join(
        open_tag + escape(block).replace("\n", Markup("<br>\n")) + Markup("</p>")
        for block in blocks
    )


def _one_line(value: str) -> str:
    # Any line break (a ticket subject typed with one, or a template's own newline)
    # would end the header; collapsing all whitespace runs also tidies the template's.
    return " ".join(value.split())


def _tidy_text(value: str) -> str:
    """Templates may leave trailing blanks and stacked empty lines; readers should not see them."""
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
