"""The supervisor's report dashboard (/agent/reports): the figures of GET /v1/reports/summary
for a date range, each beside the previous period of the same length, daily charts, the
breakdowns, and the same report as a CSV download.

The page calls the service the API calls (`wiring.reports()`), twice: the range asked for and
the range just before it. The service decides who may read reports, so an agent gets its
Forbidden as the friendly 403 page. The session cookie authenticates pages, not the API, so
the CSV download is a page route of its own (/agent/reports/csv).
"""

import json
from datetime import date, datetime, timedelta
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import permissions
from chalicelib.domain.errors import Invalid
from chalicelib.domain.permissions import Action
from chalicelib.domain.tickets import Channel, Priority
from chalicelib.services.metrics import FILTERS, ReportQuery, parse_query
from chalicelib.web.agent import _duration, _groups
from chalicelib.web.i18n import N_, gettext
from chalicelib.web.views import Page, page
from chalicelib.wiring import reports

dashboard_bp = Blueprint(__name__)

DEFAULT_DAYS = 30
BAD_RANGE = N_(
    "This report cannot be made: choose a start date on or before the end date, at most "
    "366 days apart, and filter on one of group, channel or priority at a time."
)
# (key in the report, label, kind): kind says how the figure is written and compared.
HEADLINES = (
    ("created", N_("Created"), "count"),
    ("resolved", N_("Resolved"), "count"),
    ("backlog_end", N_("Backlog at the end"), "count"),
    ("fcr_rate", N_("First-contact resolution"), "rate"),
    ("first_response_minutes.median", N_("First response, median"), "minutes"),
    ("first_response_minutes.p90", N_("First response, 90th percentile"), "minutes"),
    ("resolution_minutes.median", N_("Resolution, median"), "minutes"),
    ("resolution_minutes.p90", N_("Resolution, 90th percentile"), "minutes"),
    ("sla_compliance.first_response", N_("First response within SLA"), "rate"),
    ("sla_compliance.resolution", N_("Resolution within SLA"), "rate"),
    ("csat.rate", N_("Satisfied customers"), "rate"),
    ("csat.response_rate", N_("Survey response rate"), "rate"),
    ("reopen_rate", N_("Reopen rate"), "rate"),
    ("escalation_rate", N_("Escalation rate"), "rate"),
    ("deflections", N_("Deflections by the knowledge base"), "count"),
)
# For these a rise is bad news: the trend is marked the other way round.
LOWER_IS_BETTER = {
    "backlog_end",
    "first_response_minutes.median",
    "first_response_minutes.p90",
    "resolution_minutes.median",
    "resolution_minutes.p90",
    "reopen_rate",
    "escalation_rate",
}
BREAKDOWN_TITLES = (
    ("channel", N_("By channel")),
    ("priority", N_("By priority")),
    ("group", N_("By group")),
    ("agent", N_("By assignee")),
)
NONE_SHOWN = "—"


def _today(current: Page) -> date:
    from chalicelib.web.i18n import _zone

    return datetime.now(_zone(str(current.tenant.get("timezone") or "UTC"))).date()


def _params(current: Page) -> dict[str, str]:
    """The form's values: the last 30 days (in the tenant's time zone) unless dates are given;
    empty filters are left out, as the form sends every field."""
    today = _today(current)
    chosen = {
        "from": current.query("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": current.query("to") or today.isoformat(),
    }
    for name in FILTERS:
        if current.query(name):
            chosen[name] = current.query(name) or ""
    return chosen


def _previous(query: ReportQuery) -> ReportQuery:
    length = (query.end - query.start).days + 1
    end = query.start - timedelta(days=1)
    return ReportQuery(end - timedelta(days=length - 1), end, query.filter)


def _value(report: dict[str, Any], key: str) -> Any:
    value: Any = report
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class Formats:
    """Numbers, rates and durations as the reader's language writes them (babel)."""

    def __init__(self, current: Page) -> None:
        self.current = current
        self.locale = current.locale

    def count(self, value: Any) -> str:
        from babel.numbers import format_decimal

        return NONE_SHOWN if value is None else format_decimal(value, locale=self.locale)

    def rate(self, value: Any) -> str:
        from babel.numbers import format_percent

        if value is None:
            return NONE_SHOWN
        return format_percent(value, "#,##0.#%", locale=self.locale)

    def minutes(self, value: Any) -> str:
        return NONE_SHOWN if value is None else _duration(self.current, round(value))

    def day(self, iso: str, style: str = "medium") -> str:
        from babel.dates import format_date

        return format_date(date.fromisoformat(iso), style, locale=self.locale)

    def shown(self, kind: str, value: Any) -> str:
        return getattr(self, kind)(value)

    def change(self, kind: str, now: Any, before: Any) -> str:
        """The difference with the previous period, signed; rates in percentage points."""
        from babel.numbers import format_decimal

        if now is None or before is None:
            return ""
        delta = now - before
        sign = "+" if delta > 0 else "−" if delta < 0 else "±"
        if kind == "rate":
            points = format_decimal(abs(delta) * 100, "#,##0.#", locale=self.locale)
            return gettext(self.locale, N_("%(sign)s%(points)s pp")) % {
                "sign": sign,
                "points": points,
            }
        if kind == "minutes":
            return sign + _duration(self.current, round(abs(delta)))
        return sign + format_decimal(abs(delta), locale=self.locale)


def headlines(current: Page, now: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    formats = Formats(current)
    cards = []
    for key, label, kind in HEADLINES:
        value, earlier = _value(now, key), _value(before, key)
        direction = (
            ""
            if value is None or earlier is None or value == earlier
            else ("up" if value > earlier else "down")
        )
        better = bool(direction) and ((direction == "up") != (key in LOWER_IS_BETTER))
        cards.append(
            {
                "key": key,
                "label": label,
                "value": formats.shown(kind, value),
                "previous": formats.shown(kind, earlier),
                "change": formats.change(kind, value, earlier),
                "direction": direction,
                "tone": "" if not direction else ("better" if better else "worse"),
            }
        )
    return cards


def chart_data(report: dict[str, Any], formats: Formats, locale: str) -> str:
    """The daily rows for static/dashboard.js, as JSON in a data block (CSP forbids inline
    script); `</` is escaped so the block cannot be closed from inside."""
    data = {
        "days": [d["date"] for d in report["daily"]],
        "labels": [formats.day(d["date"], "short") for d in report["daily"]],
        "created": [d["created"] for d in report["daily"]],
        "resolved": [d["resolved"] for d in report["daily"]],
        "backlog": [d["backlog"] for d in report["daily"]],
        "names": {
            "day": gettext(locale, N_("Day")),
            "created": gettext(locale, N_("Created")),
            "resolved": gettext(locale, N_("Resolved")),
            "backlog": gettext(locale, N_("Backlog")),
        },
    }
    return json.dumps(data).replace("</", "<\\/")


@dashboard_bp.route("/agent/reports", methods=["GET"])
@page(dashboard_bp)
def dashboard(current: Page) -> Response:
    params = _params(current)
    service = reports()
    try:
        query = parse_query(params)
        report = service.summary(current.user, query)
    except Invalid:
        # Forbidden still wins: an agent sees the 403 page, not the form (the service checks
        # the same rule before it looks at the range).
        permissions.require(current.user, Action.READ_REPORTS)
        return _render(current, params, None, None, status=422)
    previous = service.summary(current.user, _previous(query))
    return _render(current, params, report, previous)


def _render(
    current: Page,
    params: dict[str, str],
    report: dict[str, Any] | None,
    previous: dict[str, Any] | None,
    *,
    status: int = 200,
) -> Response:
    formats = Formats(current)
    context: dict[str, Any] = {
        "params": params,
        "problem": BAD_RANGE if report is None else None,
        "channels": tuple(Channel),
        "priorities": tuple(Priority),
        "groups": _groups(current),
        "report": report,
        "formats": formats,
    }
    if report is not None and previous is not None:
        context |= {
            "cards": headlines(current, report, previous),
            "chart": chart_data(report, formats, current.locale),
            "breakdowns": [
                (name, title, report["by"].get(name) or {}) for name, title in BREAKDOWN_TITLES
            ],
            "period": (formats.day(report["from"]), formats.day(report["to"])),
            "previous_period": (formats.day(previous["from"]), formats.day(previous["to"])),
            "csv_href": current.href("/agent/reports/csv", **params),
        }
    return current.render("agent_reports.html", status=status, **context)


@dashboard_bp.route("/agent/reports/csv", methods=["GET"])
@page(dashboard_bp)
def dashboard_csv(current: Page) -> Response:
    """The API's CSV for the same query, as a download."""
    from chalicelib.api.reports import as_csv

    params = _params(current)
    service = reports()
    try:
        report = service.summary(current.user, parse_query(params))
    except Invalid:
        permissions.require(current.user, Action.READ_REPORTS)
        return _render(current, params, None, None, status=422)
    name = f"balie-report-{report['from']}-{report['to']}.csv"
    return Response(
        body=as_csv(report),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
