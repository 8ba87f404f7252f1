"""Problem management: root-cause analysis, incidents linked to a problem, and resolving a
problem together with its open incidents.

Linking many incidents is one transaction (all or none). Resolving the incidents of a problem
is an idempotent loop instead: each incident is its own audited change (one public message
and the move to `resolved`, in one transaction), an incident already resolved is skipped,
and what failed is named in the answer and in the problem's audit trail. Calling again
resumes where it stopped, without a second message to anyone who already got one.
"""

from dataclasses import replace
from typing import Any, Protocol

from chalicelib.domain import permissions, search
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.tickets import (
    Channel,
    Event,
    Message,
    Status,
    Ticket,
    TicketType,
    Visibility,
    diff,
    new_event,
    new_id,
)
from chalicelib.observability import logger
from chalicelib.services.ports import Clock, Page, VersionConflict
from chalicelib.services.sla import SlaSettings

MAX_LINKS = 30  # 3 items each + the problem's event stay within a 100-item transaction
# A known-error search reads the postings of at most this many query words (the first of
# the text), each whole up to this many: a tenant has tens of known errors, not thousands.
KNOWN_ERROR_QUERY_TERMS = 8
KNOWN_ERRORS_PER_TERM = 100
KNOWN_ERROR_QUERY_CHARS = 2000
_RETRIES = 5
_DONE = (Status.RESOLVED, Status.CLOSED)


class Tickets(Protocol):
    def get(self, tenant: str, number: int) -> Ticket | None: ...

    def save(self, ticket: Ticket, expected_version: int, records: list[Any]) -> None: ...

    def append_event(self, event: Event) -> None: ...


class ProblemStore(Protocol):
    def get_many(self, tenant: str, numbers: list[int]) -> dict[int, Ticket]: ...

    def link(self, problem_event: Event, changes: list[tuple[Ticket, int, Event]]) -> None: ...

    def linked(self, tenant: str, problem: int, limit: int, cursor: str | None) -> Page[int]: ...

    def known_error_index(self, tenant: str, problem: int) -> search.Document | None: ...

    def save_rca(
        self,
        ticket: Ticket,
        expected: int,
        event: Event,
        old: search.Document | None,
        new: search.Document | None,
    ) -> None: ...

    def known_error_stats(self, tenant: str) -> tuple[int, int]: ...

    def known_error_postings(
        self, tenant: str, terms: list[str], limit: int
    ) -> list[search.Posting]: ...


class ProblemService:
    def __init__(
        self, tickets: Tickets, store: ProblemStore, sla: SlaSettings, clock: Clock
    ) -> None:
        self.tickets = tickets
        self.store = store
        self.sla = sla
        self.clock = clock

    def _problem(self, principal: Principal, number: int) -> Ticket:
        permissions.require(principal, Action.WORK_PROBLEMS)
        ticket = self.tickets.get(principal.tenant, number)
        if ticket is None:
            raise NotFound(f"Ticket {number} does not exist.")
        if ticket.type != TicketType.PROBLEM:
            raise Conflict(f"Ticket {number} is not a problem.")
        return ticket

    # --- root-cause analysis ------------------------------------------------------------

    def set_rca(
        self, principal: Principal, number: int, rca: dict[str, Any], expected: int
    ) -> Ticket:
        ticket = self._problem(principal, number)
        if ticket.version != expected:
            raise PreconditionFailed(f"Ticket {number} is at version {ticket.version}.")
        after = ticket.with_changes({"rca": rca}, self.clock())
        changed = diff(ticket, after)
        if not changed:
            return ticket
        event = new_event(after, "ticket.updated", principal.actor(), changes=changed)
        # A known error is searchable by agents: its postings move in the same transaction.
        old = self.store.known_error_index(principal.tenant, number)
        new = known_error_document(after, principal.locale)
        try:
            self.store.save_rca(after, expected, event, old, new)
        except VersionConflict as exc:
            raise PreconditionFailed(f"Ticket {number} was changed meanwhile.") from exc
        return after

    # --- known errors ---------------------------------------------------------------------

    def known_errors(
        self, principal: Principal, text: str, *, limit: int = 5, exclude: int | None = None
    ) -> list[Ticket]:
        """Problems with a known error and a workaround that match `text`, best first (BM25
        over their own postings, like articles). Agents and up only: requesters never reach
        this, by any route. A problem closed since, or no longer a known error, is left out."""
        permissions.require(principal, Action.WORK_PROBLEMS)
        language = search.guess_language(text)
        query = search.parse_query(text[:KNOWN_ERROR_QUERY_CHARS], language=language)
        if not query:
            return []
        chosen = query[:KNOWN_ERROR_QUERY_TERMS]  # the subject's words come first
        terms = list(dict.fromkeys(v for word in chosen for v in word.variants))
        postings = self.store.known_error_postings(principal.tenant, terms, KNOWN_ERRORS_PER_TERM)
        if not postings:
            return []
        documents, total_length = self.store.known_error_stats(principal.tenant)
        df: dict[str, int] = {}
        for p in postings:
            df[p.term] = df.get(p.term, 0) + 1
        ranked = search.rank(
            chosen,
            postings,
            documents=max(documents, 1),
            average_length=total_length / documents if documents > 0 else 0.0,
            document_frequency=df,
        )
        numbers = [int(a) for a, _ in ranked if int(a) != exclude][: limit * 2]
        found = self.store.get_many(principal.tenant, numbers)
        return [
            found[n]
            for n in numbers
            if n in found and is_known_error(found[n]) and found[n].status != Status.CLOSED
        ][:limit]

    # --- links --------------------------------------------------------------------------

    def link(self, principal: Principal, number: int, incidents: list[int]) -> list[int]:
        """Link `incidents` to the problem in one step; the numbers newly linked."""
        wanted = sorted(set(incidents))
        if len(wanted) > MAX_LINKS:
            raise Invalid(f"Link at most {MAX_LINKS} incidents at a time.")
        for _ in range(_RETRIES):
            problem = self._problem(principal, number)
            if problem.status == Status.CLOSED:
                raise Conflict(f"Problem {number} is closed.")
            found = self.store.get_many(principal.tenant, wanted)
            _check_incidents(incidents, found, number)
            now = self.clock()
            changes = []
            for n in wanted:
                incident = found[n]
                if incident.problem == number:
                    continue  # linking twice is harmless
                after = incident.with_changes({"problem": number}, now)
                event = new_event(
                    after, "ticket.updated", principal.actor(), changes=diff(incident, after)
                )
                changes.append((after, incident.version, event))
            if not changes:
                return []
            linked = [c[0].number for c in changes]
            problem_event = replace(
                new_event(problem, "problem.linked", principal.actor(), data={"incidents": linked}),
                occurred_at=now,
            )
            try:
                self.store.link(problem_event, changes)
            except VersionConflict:
                continue  # an incident changed meanwhile: read them again
            return linked
        raise Conflict("These incidents are changing too fast right now; try again.")

    def linked(
        self, principal: Principal, number: int, limit: int, cursor: str | None
    ) -> Page[Ticket]:
        self._problem(principal, number)
        page = self.store.linked(principal.tenant, number, limit, cursor)
        found = self.store.get_many(principal.tenant, page.items)
        # A link item outlives a later re-link of its incident: the incident decides.
        items = [found[n] for n in page.items if n in found and found[n].problem == number]
        return Page(items, page.next_cursor)

    # --- resolution ---------------------------------------------------------------------

    def resolve(
        self,
        principal: Principal,
        number: int,
        expected: int,
        message: str | None,
        resolve_incidents: bool,
    ) -> tuple[Ticket, dict[str, list[int]]]:
        problem = self._problem(principal, number)
        if problem.version != expected:
            raise PreconditionFailed(f"Ticket {number} is at version {problem.version}.")
        if resolve_incidents and not message:
            raise Invalid(
                "Say what the requesters of the incidents are told.",
                errors=[{"field": "message", "message": "Required with resolve_incidents."}],
            )
        if problem.status != Status.RESOLVED:
            problem = self._resolve_problem(principal, problem, resolve_incidents)
        outcome: dict[str, list[int]] = {"resolved": [], "skipped": [], "failed": []}
        if not resolve_incidents:
            return problem, outcome
        assert message is not None
        cursor: str | None = None
        while True:
            page = self.store.linked(principal.tenant, number, 100, cursor)
            for incident in page.items:
                key = self._resolve_incident(principal, number, incident, message)
                outcome[key].append(incident)
            cursor = page.next_cursor
            if not cursor:
                break
        self.tickets.append_event(
            new_event(
                replace(problem, updated_at=self.clock()),
                "problem.incidents_resolved",
                principal.actor(),
                data=outcome,
            )
        )
        return problem, outcome

    def _resolve_problem(self, principal: Principal, problem: Ticket, cascade: bool) -> Ticket:
        now = self.clock()
        after = self.sla.advance(
            problem, problem.with_changes({"status": Status.RESOLVED}, now), now
        )
        event = new_event(
            after,
            "ticket.updated",
            principal.actor(),
            changes=diff(problem, after),
            data={"resolve_incidents": cascade},
        )
        try:
            self.tickets.save(after, problem.version, [event])
        except VersionConflict as exc:
            raise PreconditionFailed(f"Ticket {problem.number} was changed meanwhile.") from exc
        return after

    def _resolve_incident(self, principal: Principal, problem: int, number: int, body: str) -> str:
        """One incident: its public message and its resolution in one transaction."""
        for _ in range(_RETRIES):
            incident = self.tickets.get(principal.tenant, number)
            if incident is None or incident.problem != problem or incident.status in _DONE:
                return "skipped"
            now = self.clock()
            message = Message(
                id=new_id(),
                tenant=incident.tenant,
                ticket=number,
                author=principal.actor(),
                visibility=Visibility.PUBLIC,
                body=body,
                created_at=now,
                channel=Channel.API,
            )
            changes: dict[str, Any] = {"status": Status.RESOLVED}
            if incident.first_response_at is None:
                changes["first_response_at"] = now
            after = self.sla.advance(
                incident, incident.with_changes(changes, now), now, agent_replied=True
            )
            # One event: the requester hears the message once (services.notify mails a
            # public message.added), and the audit shows the resolution it carried.
            event = new_event(
                after,
                "message.added",
                principal.actor(),
                changes=diff(incident, after),
                data={"message_id": message.id, "visibility": "public", "problem": problem},
            )
            try:
                self.tickets.save(after, incident.version, [message, event])
            except VersionConflict:
                continue
            except Exception:  # reported as failed; calling again resumes
                logger.exception("resolving a linked incident failed", extra={"ticket": number})
                return "failed"
            return "resolved"
        return "failed"


def is_known_error(ticket: Ticket) -> bool:
    """A problem whose RCA says known error and gives a workaround to apply meanwhile."""
    rca = ticket.rca or {}
    return (
        ticket.type == TicketType.PROBLEM
        and bool(rca.get("known_error"))
        and bool(str(rca.get("workaround") or "").strip())
    )


def known_error_document(ticket: Ticket, locale: str | None) -> search.Document | None:
    """What a known error is found by: its subject as the title, its symptoms, root cause and
    workaround as the body (the permanent fix is not how an agent describes a fault)."""
    if not is_known_error(ticket):
        return None
    rca = ticket.rca or {}
    body = "\n".join(str(rca.get(k) or "") for k in ("symptoms", "root_cause", "workaround"))
    language = search.guess_language(f"{ticket.subject}\n{body}") or (
        locale if locale in search.LANGUAGES else "en"
    )
    return search.index_terms(ticket.subject, body, language)


def _check_incidents(sent: list[int], found: dict[int, Ticket], problem: int) -> None:
    """Every number must be an incident of the tenant that is not closed; errors point at
    the position in the request (`incidents.3`)."""
    errors = []
    for i, n in enumerate(sent):
        incident = found.get(n)
        if incident is None:
            message = "No such ticket."
        elif incident.number == problem or incident.type != TicketType.INCIDENT:
            message = "Not an incident."
        elif incident.status == Status.CLOSED:
            message = "Closed."
        else:
            continue
        errors.append({"field": f"incidents.{i}", "message": f"#{n}: {message}"})
    if errors:
        raise Invalid("Some of these tickets cannot be linked.", errors=errors)
