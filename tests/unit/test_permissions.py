import pytest

from chalicelib.domain import permissions
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal, Role, highest_role
from chalicelib.domain.tickets import Status, Visibility
from tests.unit.test_tickets_domain import a_ticket


def person(role: Role, email: str = "someone@demo.example.com", tenant: str = "demo"):
    return Principal(tenant=tenant, role=role, kind="user", id=email, name="x", email=email)


OWNER = person(Role.REQUESTER, "requester@demo.example.com")
OTHER = person(Role.REQUESTER, "requester2@demo.example.com")
AGENT = person(Role.AGENT)


def test_given_groups_then_the_strongest_role_counts():
    assert highest_role(["requester", "supervisor", "agent"]) == Role.SUPERVISOR
    assert highest_role(["unknown"]) is None


def test_given_another_requesters_ticket_then_it_does_not_exist():
    with pytest.raises(NotFound):
        permissions.check_can_see(OTHER, a_ticket())


def test_given_another_tenants_ticket_then_it_does_not_exist_even_for_an_admin():
    with pytest.raises(NotFound):
        permissions.check_can_see(person(Role.ADMIN, tenant="acme"), a_ticket())


def test_given_own_ticket_then_requester_and_any_agent_of_the_tenant_see_it():
    permissions.check_can_see(OWNER, a_ticket())
    permissions.check_can_see(AGENT, a_ticket())


@pytest.mark.parametrize(
    ("status", "target", "allowed"),
    [
        (Status.RESOLVED, Status.OPEN, True),
        (Status.RESOLVED, Status.CLOSED, True),
        (Status.OPEN, Status.RESOLVED, False),
        (Status.NEW, Status.PENDING, False),
    ],
)
def test_given_a_requester_then_only_reopen_or_close_of_a_resolved_ticket(status, target, allowed):
    ticket = a_ticket(status=status)
    if allowed:
        permissions.check_can_update(OWNER, ticket, {"status": target})
    else:
        with pytest.raises(Forbidden):
            permissions.check_can_update(OWNER, ticket, {"status": target})


def test_given_a_requester_when_changing_other_fields_then_forbidden():
    with pytest.raises(Forbidden):
        permissions.check_can_update(
            OWNER, a_ticket(status=Status.RESOLVED), {"status": Status.OPEN, "priority": "P1"}
        )


def test_given_a_requester_then_internal_notes_and_fields_stay_hidden():
    with pytest.raises(Forbidden):
        permissions.check_can_write(OWNER, Visibility.INTERNAL)
    assert permissions.visible_messages(OWNER) == {Visibility.PUBLIC}
    assert "assignee" in permissions.hidden_fields(OWNER)
    assert permissions.hidden_fields(AGENT) == frozenset()


@pytest.mark.parametrize("role", list(Role))
def test_given_each_role_then_only_admins_and_up_manage_api_keys(role):
    expected = role in (Role.ADMIN, Role.OPERATOR)
    assert permissions.allows(person(role), Action.MANAGE_API_KEYS) == expected


@pytest.mark.parametrize("role", list(Role))
def test_given_each_role_then_only_operators_onboard_tenants(role):
    assert permissions.allows(person(role), Action.ONBOARD_TENANTS) == (role == Role.OPERATOR)


def test_given_a_requester_when_filing_for_someone_else_then_forbidden():
    with pytest.raises(Forbidden):
        permissions.check_can_file(OWNER, ["requester_email"])
    permissions.check_can_file(AGENT, ["requester_email", "priority"])
