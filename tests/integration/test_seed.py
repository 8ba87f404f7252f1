"""`make run` seeds the documented demo data, and seeding again changes nothing."""

from chalicelib.domain.principal import Principal, Role
from chalicelib.services.ports import TicketFilter
from chalicelib.wiring import announcement_service, macro_service, ticket_service
from local.seed import seed_demo

SUPERVISOR = Principal(
    "demo",
    Role.SUPERVISOR,
    "user",
    "supervisor@demo.example.com",
    "Lotte",
    "supervisor@demo.example.com",
)


def demo_tickets():
    page = ticket_service().list_tickets(SUPERVISOR, TicketFilter(), 100, None)
    return {t.number: (t.subject, t.status.value, t.version) for t in page.items}


def demo_macros():
    return [(m.id, m.name, m.scope.value) for m in macro_service().list_for(SUPERVISOR).items]


def test_given_a_fresh_stack_when_seeded_twice_then_the_same_demo_data(aws_env):
    logins = seed_demo()
    first = demo_tickets()
    assert len(logins) == 10
    statuses = {status for _, status, _ in first.values()}
    assert {"new", "open", "pending", "resolved", "closed"} <= statuses

    macros = demo_macros()
    assert len(macros) == 2
    assert len(announcement_service().list_for(SUPERVISOR).items) == 1

    seed_demo()

    assert demo_tickets() == first
    assert demo_macros() == macros
    assert len(announcement_service().list_for(SUPERVISOR).items) == 1


def test_given_the_seed_then_each_demo_login_signs_in_with_the_demo_password(aws_env):
    from chalicelib.services import identity

    seed_demo()
    for email in ("requester@demo.example.com", "admin@acme.example.com"):
        assert identity.login(email, "Balie-demo-2026!")
