"""The supervisor's report dashboard over chalice.test: the figures the API gives for the same
range, the trend against the previous period, the CSV download, a bad range, and who may see
it."""

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import Api, SignIn
from tests.integration.test_reports import Stream, report
from tests.integration.test_web_portal import CSP, Browser, html

AGENT = "agent@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ZONE = ZoneInfo("Europe/Amsterdam")  # the demo tenant's
_CARD = re.compile(
    r'data-figure="(?P<key>[^"]+)">\s*<dt>[^<]*</dt>\s*<dd class="figure">(?P<value>[^<]*)</dd>'
    r'\s*<dd class="trend (?P<tone>[^"]*)">(?P<trend>.*?)</dd>',
    re.S,
)


@pytest.fixture
def supervisor(sign_in: SignIn) -> Browser:
    return sign_in(SUPERVISOR)


@pytest.fixture
def counted(api: Api, aws_env: dict[str, str]) -> dict[str, Any]:
    """Three tickets filed today, one resolved, counted by the stream consumer."""
    numbers = [
        api.create_ticket(subject=f"Printer {i}", description="Every job")["number"]
        for i in range(3)
    ]
    api.call(
        "PATCH",
        f"/v1/tickets/{numbers[0]}",
        as_=AGENT,
        body={"status": "resolved"},
        headers={"If-Match": '"1"'},
    )
    Stream(aws_env).feed()
    today = datetime.now(ZONE).date()
    return {"today": today.isoformat(), "yesterday": (today - timedelta(days=1)).isoformat()}


def cards(page: str) -> dict[str, dict[str, str]]:
    return {m["key"]: m.groupdict() for m in _CARD.finditer(page)}


def test_given_counted_tickets_then_the_supervisor_sees_the_apis_figures_for_the_range(
    api: Api, supervisor: Browser, counted: dict[str, Any]
):
    day = counted["today"]
    expected = report(api, SUPERVISOR, f"from={day}&to={day}").json_body

    answer = supervisor.get(f"/agent/reports?from={day}&to={day}&lang=en")

    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == CSP
    shown = cards(html(answer))
    assert expected["created"] == 3 and expected["resolved"] == 1
    assert shown["created"]["value"] == "3"
    assert shown["resolved"]["value"] == "1"
    assert shown["backlog_end"]["value"] == str(expected["backlog_end"])
    assert shown["escalation_rate"]["value"] == "0%"
    # No ratings yet: a rate without a denominator is a dash, not 0.
    assert expected["csat"]["rate"] is None
    assert shown["csat.rate"]["value"] == "—"
    page = html(answer)
    assert 'id="report-daily"' in page and '"created": [3]' in page


def test_given_the_range_then_the_trend_compares_with_the_period_before_it(
    supervisor: Browser, counted: dict[str, Any]
):
    day = counted["today"]

    shown = cards(html(supervisor.get(f"/agent/reports?from={day}&to={day}&lang=en")))

    # Yesterday (the previous period of one day) had nothing.
    assert "+3" in shown["created"]["trend"] and "previously 0" in shown["created"]["trend"]
    assert shown["created"]["tone"] == "better"
    assert shown["backlog_end"]["tone"] == "worse"


def test_given_no_dates_then_the_last_30_days_are_shown_in_dutch(supervisor: Browser):
    page = html(supervisor.get("/agent/reports?lang=nl"))

    today = datetime.now(ZONE).date()
    assert f'name="to" value="{today.isoformat()}"' in page
    assert f'name="from" value="{(today - timedelta(days=29)).isoformat()}"' in page
    assert "Kerncijfers" in page and "Per kanaal" in page


def test_given_the_csv_link_then_the_download_is_the_apis_csv(
    api: Api, supervisor: Browser, counted: dict[str, Any]
):
    day = counted["today"]
    page = html(supervisor.get(f"/agent/reports?from={day}&to={day}"))
    link = re.search(r'href="(/agent/reports/csv\?[^"]+)"', page)
    assert link, "the page has no CSV link"

    answer = supervisor.get(link.group(1).replace("&amp;", "&"))

    expected = report(api, SUPERVISOR, f"from={day}&to={day}", accept="text/csv").body
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="balie-report-{day}-{day}.csv"'
    )
    assert answer.body == expected
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert [r["created"] for r in rows if r["scope"] == "total"] == ["3"]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-11-20&to=2026-11-01",
        "from=2024-01-01&to=2026-01-01",
        "from=yesterday",
        "from=2026-11-01&to=2026-11-20&channel=email&priority=P1",
        "from=2026-11-01&to=2026-11-20&channel=pigeon",
    ],
)
def test_given_a_bad_range_then_the_page_says_so_without_failing(supervisor: Browser, query: str):
    answer = supervisor.get(f"/agent/reports?{query}&lang=en")

    assert answer.status_code == 422
    page = html(answer)
    assert 'id="report-problem"' in page and "This report cannot be made" in page
    assert supervisor.get(f"/agent/reports/csv?{query}").status_code == 422


@pytest.mark.parametrize("path", ["/agent/reports", "/agent/reports/csv", "/agent/reports?to=x"])
def test_given_an_agent_then_the_dashboard_is_refused(sign_in: SignIn, path: str):
    agent = sign_in(AGENT)

    answer = agent.get(path)

    assert answer.status_code == 403
    assert "Headline figures" not in html(answer)


def test_given_a_supervisor_then_the_workspace_and_live_counts_link_to_the_reports(
    supervisor: Browser,
):
    assert 'href="/agent/reports"' in html(supervisor.get("/agent"))
    assert 'href="/agent/reports"' in html(supervisor.get("/agent/supervisor"))


def test_given_the_dashboard_then_its_scripts_are_served_as_static_files(supervisor: Browser):
    page = html(supervisor.get("/agent/reports"))
    scripts = re.findall(r'<script src="(/static/[^"]+)"', page)

    assert any("uPlot.iife.min." in s for s in scripts)
    assert any("dashboard." in s for s in scripts)
    for path in scripts:
        assert supervisor.get(path).status_code == 200
    assert "<script>" not in page


@pytest.fixture(autouse=True)
def _fresh_page_caches() -> Iterator[None]:
    from chalicelib.web import views

    views.forget_tenant_settings()
    yield
    views.forget_tenant_settings()
