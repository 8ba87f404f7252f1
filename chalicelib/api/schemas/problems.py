"""Problem management: root-cause analysis, linked incidents, resolving with them."""

from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.api.schemas.common import Schema, Strict
from chalicelib.api.schemas.tickets import Body, TicketOut

RcaText = Annotated[str, StringConstraints(max_length=20_000)]


class Rca(Strict):
    symptoms: RcaText = ""
    root_cause: RcaText = ""
    workaround: RcaText = ""
    permanent_fix: RcaText = ""
    known_error: bool = Field(default=False, description="root cause and workaround known")


class LinkCreate(Strict):
    incidents: list[Annotated[int, Field(ge=1)]] = Field(
        min_length=1, max_length=30, description="incident numbers, linked all or none"
    )


class LinkOut(Schema):
    linked: list[int] = Field(description="newly linked; ones linked before are left out")


class LinkedList(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class KnownErrorQuery(Strict):
    q: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="what the caller sees, e.g. an incident's subject and description"
    )
    limit: int = Field(default=5, ge=1, le=20)


class KnownErrorList(Schema):
    items: list[TicketOut] = Field(description="best match first; known errors of open problems")


class ProblemResolve(Strict):
    message: Body | None = Field(
        default=None, description="the public message each open incident's requester gets"
    )
    resolve_incidents: bool = False


class IncidentOutcome(Schema):
    resolved: list[int]
    skipped: list[int] = Field(description="already resolved or closed, or no longer linked")
    failed: list[int] = Field(description="not resolved this time; call again to resume")


class ProblemResolved(Schema):
    ticket: TicketOut
    incidents: IncidentOutcome
