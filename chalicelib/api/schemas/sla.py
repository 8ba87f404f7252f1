"""Business hours and SLA policies (issue: SLA engine)."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from chalicelib.api.schemas.common import Strict
from chalicelib.api.schemas.tickets import Slug
from chalicelib.domain.tickets import Priority

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Minutes = Annotated[int, Field(ge=1, le=525_600)]  # up to a year


class Holidays(Strict):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166 country whose public holidays close the desk"
    )
    subdivision: Annotated[str, StringConstraints(max_length=10)] | None = None
    extra: list[date] = Field(default_factory=list, max_length=366)
    exclude: list[date] = Field(default_factory=list, max_length=366)


class BusinessHours(Strict):
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    week: dict[Day, list[tuple[Clock, Clock]]] = Field(
        description='local opening intervals per day, e.g. {"mon": [["08:30", "12:00"], '
        '["13:00", "17:30"]]}; a missing day is closed'
    )
    holidays: Holidays = Field(default_factory=Holidays)

    @field_validator("week")
    @classmethod
    def at_most_a_few_intervals(cls, week: dict[str, list[tuple[str, str]]]) -> dict:
        if any(len(intervals) > 6 for intervals in week.values()):
            raise ValueError("At most 6 intervals a day.")
        return week


class BusinessHoursOut(BusinessHours):
    version: int


class Target(Strict):
    priority: Priority
    calendar: Literal["24x7", "business"]
    first_response_minutes: Minutes
    next_response_minutes: Minutes
    resolution_minutes: Minutes
    warn_before_minutes: Annotated[int, Field(ge=0, le=10_080)]


class EscalationRules(Strict):
    notify_supervisors: bool = True
    raise_tier: bool = Field(default=True, description="functional escalation: tier 1→2→3")
    tier_groups: dict[Literal["2", "3"], Slug] = Field(
        default_factory=dict, description="the group that takes over at each higher tier"
    )
    bump_priority: bool = False


class PolicyOverride(Strict):
    """Targets for one service or one requester organisation (its mail domain)."""

    service: Slug | None = None
    organisation: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")] | None = (
        None
    )
    items: list[Target] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def one_scope(self) -> "PolicyOverride":
        if (self.service is None) == (self.organisation is None):
            raise ValueError("Name either a service or an organisation.")
        if len({t.priority for t in self.items}) != len(self.items):
            raise ValueError("At most one target per priority.")
        return self


class SlaPolicies(Strict):
    items: list[Target] = Field(min_length=4, max_length=4)
    pause_on_hold: bool = Field(default=True, description="also pause clocks while on_hold")
    escalation: EscalationRules = Field(default_factory=EscalationRules)
    overrides: list[PolicyOverride] = Field(
        default_factory=list,
        max_length=100,
        description="a service's targets win over an organisation's, which win over items",
    )

    @field_validator("items")
    @classmethod
    def one_per_priority(cls, items: list[Target]) -> list[Target]:
        if sorted(t.priority for t in items) != list(Priority):
            raise ValueError("Give exactly one target for each of P1, P2, P3 and P4.")
        return items


class SlaPoliciesOut(SlaPolicies):
    version: int
