"""Report metrics for supervisors: JSON, or the same figures as CSV rows."""

import csv
import io
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.auth import bearer
from chalicelib.api.errors import handled
from chalicelib.api.http import json_response, query
from chalicelib.api.openapi import Operation
from chalicelib.api.principal import current_principal
from chalicelib.api.schemas.reports import ReportQuery, ReportSummary
from chalicelib.services.metrics import parse_query
from chalicelib.wiring import reports

reports_bp = Blueprint(__name__)


@reports_bp.route("/v1/reports/summary", methods=["GET"], authorizer=bearer)
@handled
def get_report_summary() -> Response:
    request = reports_bp.current_request
    principal = current_principal(request)
    report = reports().summary(principal, parse_query(query(request)))
    if "text/csv" in (request.headers.get("accept") or "").lower():
        name = f"balie-report-{report['from']}-{report['to']}.csv"
        return Response(
            body=as_csv(report),
            status_code=200,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
    return json_response(report)


# One row per day, one for the whole range, one per breakdown value (docs/metrics.md).
CSV_COLUMNS = (
    "scope", "value", "date", "created", "resolved", "reopened", "escalated", "backlog",
    "fcr_rate", "reopen_rate", "escalation_rate",
    "first_response_mean", "first_response_median", "first_response_p90",
    "resolution_mean", "resolution_median", "resolution_p90",
    "sla_first_response", "sla_resolution",
    "csat_good", "csat_bad", "csat_rate", "csat_response_rate",
    "handle_minutes_mean", "deflections",
)  # fmt: skip


def _row(scope: str, value: str, day: str, f: dict[str, Any], backlog: int) -> list[Any]:
    first, resolution = f["first_response_minutes"], f["resolution_minutes"]
    sla, csat = f["sla_compliance"], f["csat"]
    cells = [
        scope, value, day, f["created"], f["resolved"], f["reopened"], f["escalated"], backlog,
        f["fcr_rate"], f["reopen_rate"], f["escalation_rate"],
        first["mean"], first["median"], first["p90"],
        resolution["mean"], resolution["median"], resolution["p90"],
        sla["first_response"], sla["resolution"],
        csat["good"], csat["bad"], csat["rate"], csat["response_rate"],
        f["handle_minutes_mean"], f.get("deflections"),
    ]  # fmt: skip
    return ["" if c is None else c for c in cells]


def as_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for day in report["daily"]:
        writer.writerow(_row("day", "", day["date"], day, day["backlog"]))
    span = f"{report['from']}/{report['to']}"
    value = "=".join(next(iter(report["filter"].items()))) if report.get("filter") else ""
    writer.writerow(_row("total", value, span, report, report["backlog_end"]))
    for dimension, values in report["by"].items():
        for each, figures in values.items():
            writer.writerow(_row(dimension, each, span, figures, figures["backlog_end"]))
    return out.getvalue()


OPERATIONS = [
    Operation("GET", "/v1/reports/summary",
              "Helpdesk metrics for a date range (Accept: text/csv for CSV rows)",
              {200: ReportSummary}, query=ReportQuery, errors=(403, 422), tag="reports"),
]  # fmt: skip
