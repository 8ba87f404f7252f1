"""Answering the satisfaction survey from the links in the resolution mail, signed out."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain import survey
from chalicelib.domain.errors import NotFound
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.survey import InvalidLink, SurveyLink
from chalicelib.domain.tickets import AlreadyRated, Satisfaction, Ticket
from chalicelib.services.tickets import TicketService


class TenantSettings(Protocol):
    def get(self, tenant: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Answer:
    link: SurveyLink
    ticket: Ticket
    # False when this resolution had been rated before: the earlier rating stands.
    recorded: bool

    @property
    def satisfaction(self) -> Satisfaction:
        assert self.ticket.satisfaction is not None
        return self.ticket.satisfaction

    @property
    def may_comment(self) -> bool:
        current = self.ticket.satisfaction
        return (
            current is not None
            and current.resolution == self.link.resolution
            and (not current.comment)
        )


class Survey:
    def __init__(
        self,
        tickets: TicketService,
        tenants: TenantSettings,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.tickets = tickets
        self.tenants = tenants
        self.clock = clock

    def tenant_settings(self, token: str) -> dict[str, Any]:
        """The settings of the tenant a link belongs to (its language and name for the page)."""
        tenant = survey.tenant_of(token)
        settings = self.tenants.get(tenant) if tenant else None
        if not settings or not settings.get("mail_token_key"):
            raise InvalidLink("no such tenant")
        return settings

    def answer(self, token: str) -> Answer:
        """Record the rating a link stands for; a second click finds the first one."""
        link, requester = self._open(token)
        try:
            ticket = self.tickets.rate(
                requester, link.number, link.rating, None, resolution=link.resolution
            )
        except AlreadyRated:
            return Answer(link, self.tickets.get(requester, link.number), recorded=False)
        return Answer(link, ticket, recorded=True)

    def comment(self, token: str, comment: str) -> Answer:
        link, requester = self._open(token)
        ticket = self.tickets.comment_rating(requester, link.number, link.resolution, comment)
        return Answer(link, ticket, recorded=False)

    def _open(self, token: str) -> tuple[SurveyLink, Principal]:
        settings = self.tenant_settings(token)
        link = survey.read(settings["mail_token_key"], token, self.clock())
        ticket = self.tickets.tickets.get(link.tenant, link.number)
        if ticket is None:
            # Erased, or a link forged with a leaked key for a ticket that never was.
            raise NotFound("The ticket of this survey no longer exists.")
        # The signed link stands in for signing in, for this one ticket and answer only.
        requester = Principal(
            tenant=link.tenant,
            role=Role.REQUESTER,
            kind="user",
            id=ticket.requester.email,
            name=ticket.requester.name,
            email=ticket.requester.email,
        )
        return link, requester
