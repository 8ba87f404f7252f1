"""People of a tenant: their account in Cognito and their profile in the table."""

from chalicelib.adapters import cognito
from chalicelib.adapters.dynamo import users
from chalicelib.adapters.dynamo.users import UserProfile
from chalicelib.domain.principal import Role

__all__ = ["UserProfile", "ensure_user", "get_profile"]


def ensure_user(
    tenant_id: str,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None,
    tier: int | None = None,
    groups: list[str] | None = None,
    locale: str = "en",
) -> None:
    """Make the account, its role group and its profile what is asked; a rerun changes nothing.

    The password only applies to a new account; without one the person is invited by mail
    (see adapters.cognito.ensure_user).
    """
    address = cognito.username(email)
    cognito.ensure_user(
        tenant_id,
        email=address,
        name=name,
        role=role,
        password=password,
        tier=tier,
        locale=locale,
    )
    current = users.get_profile(tenant_id, address)
    wanted = UserProfile(
        tenant=tenant_id,
        email=address,
        name=name,
        role=role,
        locale=locale,
        tier=tier,
        groups=tuple(sorted(set(groups or []))),
        # The person's own choice (an unsubscribe link), not the admin's to undo.
        announcements_opt_out=bool(current and current.announcements_opt_out),
    )
    # Skip an identical write so a rerun is not even a stream record.
    if current != wanted:
        users.put_profile(wanted, previous=current)


def get_profile(tenant_id: str, email: str) -> UserProfile | None:
    return users.get_profile(tenant_id, email)
