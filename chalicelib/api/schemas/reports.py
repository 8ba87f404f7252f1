"""The report summary: query parameters and the figures it answers with (docs/metrics.md)."""

from datetime import date

from pydantic import ConfigDict, Field

from chalicelib.api.schemas.common import Schema
from chalicelib.domain.tickets import Channel, Priority


class ReportQuery(Schema):
    """Dates in the tenant's timezone, both inclusive; at most one of group, channel, priority."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="first day, YYYY-MM-DD (required)")
    to: date = Field(description="last day, YYYY-MM-DD (required; at most 366 days)")
    group: str | None = None
    channel: Channel | None = None
    priority: Priority | None = None


class Spread(Schema):
    mean: float | None
    median: int | None
    p90: int | None


class Compliance(Schema):
    first_response: float | None
    resolution: float | None


class Csat(Schema):
    good: int
    bad: int
    rate: float | None = Field(description="good ÷ (good + bad)")
    response_rate: float | None = Field(description="ratings ÷ resolutions")


class Figures(Schema):
    created: int
    resolved: int
    reopened: int
    escalated: int
    backlog_end: int
    fcr_rate: float | None
    reopen_rate: float | None
    escalation_rate: float | None
    first_response_minutes: Spread
    resolution_minutes: Spread
    sla_compliance: Compliance
    csat: Csat
    handle_minutes_mean: float | None


class Day(Schema):
    date: date
    created: int
    resolved: int
    backlog: int = Field(description="tickets open at the end of the day")
    reopened: int
    escalated: int
    fcr_rate: float | None
    reopen_rate: float | None
    escalation_rate: float | None
    first_response_minutes: Spread
    resolution_minutes: Spread
    sla_compliance: Compliance
    csat: Csat
    handle_minutes_mean: float | None
    deflections: int | None


class ReportSummary(Figures):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    timezone: str
    filter: dict[str, str] | None = Field(default=None, description="the one filter applied")
    deflections: int | None = Field(description="null when a filter is applied")
    by: dict[str, dict[str, Figures]] = Field(
        description="channel, priority, type, group, agent, category → value → figures; "
        "empty maps when a filter is applied"
    )
    daily: list[Day]
