"""The user pool: password sign-in and the admin operations that provision accounts."""

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.domain.errors import Conflict, Invalid, Unauthenticated
from chalicelib.domain.principal import Role
from chalicelib.observability import logger
from chalicelib.settings import get_settings

WRONG_CREDENTIALS = "The e-mail address or password is not right."

# Every way a sign-in can fail because of what the caller sent. They all get the same
# answer, so the response never tells whether an address has an account. Anything else
# (throttling, a client without USER_PASSWORD_AUTH) is ours to see as an error, not a 401.
_SIGN_IN_REFUSED = {
    "NotAuthorizedException",
    "UserNotFoundException",
    "UserNotConfirmedException",
    "PasswordResetRequiredException",
}
_ROLE_GROUPS = {role.value for role in Role}


@dataclass(frozen=True)
class Tokens:
    id_token: str
    refresh_token: str
    expires_in: int


def username(email: str) -> str:
    """The pool has no username attributes: the lower-cased address is the username."""
    return email.strip().lower()


def _cognito() -> Any:
    # Errors are caught through the client's own classes (`.exceptions.ClientError`) so that
    # importing this module does not import botocore before the first call needs it.
    return client("cognito-idp")


def _code(error: Exception) -> str:
    response: dict[str, Any] = getattr(error, "response", {})
    return str(response.get("Error", {}).get("Code", ""))


def login(email: str, password: str) -> Tokens:
    settings = get_settings()
    cognito = _cognito()
    try:
        response = cognito.initiate_auth(
            ClientId=settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username(email), "PASSWORD": password},
        )
    except cognito.exceptions.ClientError as exc:
        if _code(exc) not in _SIGN_IN_REFUSED:
            raise
        # Neither the address nor Cognito's message is logged: people type passwords
        # into the address field, and the message differs for unknown users.
        logger.info("Sign-in refused", extra={"reason": _code(exc)})
        raise Unauthenticated(WRONG_CREDENTIALS) from None
    result = response.get("AuthenticationResult")
    if not result:
        # A challenge (new password, MFA) can only follow a correct password, so saying
        # so reveals nothing; this endpoint cannot complete one.
        logger.info("Sign-in needs a challenge", extra={"challenge": response.get("ChallengeName")})
        raise Unauthenticated("This account must finish signing in another way.")
    return Tokens(
        id_token=result["IdToken"],
        refresh_token=result["RefreshToken"],
        expires_in=int(result["ExpiresIn"]),
    )


def tenant_of(email: str) -> str | None:
    """The tenant an address already has an account with, if any."""
    cognito = _cognito()
    try:
        user = cognito.admin_get_user(
            UserPoolId=get_settings().user_pool_id, Username=username(email)
        )
    except cognito.exceptions.UserNotFoundException:
        return None
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    return attributes.get("custom:tenant")


def ensure_user(
    tenant_id: str,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None,
    tier: int | None,
    locale: str,
) -> None:
    """Create or reconcile the account so that a second run with the same input changes nothing.

    The password is set only for a new account (or one still waiting for its first
    password): re-running a seed must not reset a password its owner has since changed.
    Without a password the person is invited: Cognito mails a temporary password that must
    be changed at the first sign-in.
    """
    pool = get_settings().user_pool_id
    user = username(email)
    wanted = {
        "email": user,
        "email_verified": "true",
        "name": name,
        "locale": locale,
        "custom:tenant": tenant_id,
    }
    if tier is not None:
        wanted["custom:tier"] = str(tier)

    cognito = _cognito()
    needs_password = _create_or_reconcile(
        cognito, pool, user, tenant_id, wanted, invite=password is None
    )
    if needs_password and password is not None:
        try:
            cognito.admin_set_user_password(
                UserPoolId=pool, Username=user, Password=password, Permanent=True
            )
        except cognito.exceptions.ClientError as exc:
            if _code(exc) != "InvalidPasswordException":
                raise
            raise Invalid(
                "The password does not meet the password policy.",
                errors=[{"field": "password", "message": "Does not meet the password policy."}],
            ) from None
    _ensure_role_group(cognito, pool, user, role)


def _create_or_reconcile(
    cognito: Any, pool: str, user: str, tenant_id: str, wanted: dict[str, str], *, invite: bool
) -> bool:
    """Make the account's attributes `wanted`; True when it still needs a password."""
    delivery: dict[str, Any] = (
        {"DesiredDeliveryMediums": ["EMAIL"]}
        # A provisioned account gets its password set next: no mail with a temporary one.
        if invite
        else {"MessageAction": "SUPPRESS"}
    )
    try:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=user,
            UserAttributes=_attributes(wanted),
            **delivery,
        )
        logger.info("Account created", extra={"tenant": tenant_id})
        return True
    except cognito.exceptions.ClientError as exc:
        if _code(exc) != "UsernameExistsException":
            raise

    existing = cognito.admin_get_user(UserPoolId=pool, Username=user)
    current = {a["Name"]: a["Value"] for a in existing.get("UserAttributes", [])}
    owner = current.get("custom:tenant")
    if owner and owner != tenant_id:
        # The pool is shared by all tenants and an address is one account: it cannot
        # silently move to another helpdesk.
        raise Conflict("This e-mail address already has an account with another tenant.")
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    if changed:
        cognito.admin_update_user_attributes(
            UserPoolId=pool, Username=user, UserAttributes=_attributes(changed)
        )
    if "custom:tier" in current and "custom:tier" not in wanted:
        cognito.admin_delete_user_attributes(
            UserPoolId=pool, Username=user, UserAttributeNames=["custom:tier"]
        )
    return existing.get("UserStatus") == "FORCE_CHANGE_PASSWORD"


def _ensure_role_group(cognito: Any, pool: str, user: str, role: Role) -> None:
    """Exactly one role group: a demoted admin must not keep admin through an old group."""
    response = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=user, Limit=60)
    groups = {g["GroupName"] for g in response.get("Groups", [])}
    for stale in sorted((groups & _ROLE_GROUPS) - {role.value}):
        cognito.admin_remove_user_from_group(UserPoolId=pool, Username=user, GroupName=stale)
    if role.value not in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=user, GroupName=role.value)


def _attributes(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in values.items()]


class Accounts:
    """Sign-in accounts as the GDPR service sees them (services.ports.Accounts)."""

    def delete(self, tenant: str, email: str) -> bool:
        """Delete the account of `email` if it belongs to `tenant`; whether one was deleted."""
        if tenant_of(email) != tenant:
            return False
        cognito = _cognito()
        try:
            cognito.admin_delete_user(
                UserPoolId=get_settings().user_pool_id, Username=username(email)
            )
        except cognito.exceptions.UserNotFoundException:
            return False
        return True
