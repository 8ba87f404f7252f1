"""User profiles: what the rest of Balie knows about a person without asking Cognito.

Cognito decides who may sign in; the profile answers the questions other services ask on
their hot paths ("is this address an agent of this tenant, in which groups, which tier?")
with one GetItem.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.keys import bounce_key, group_member_key, user_key
from chalicelib.domain.principal import Role
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class UserProfile:
    tenant: str
    email: str
    name: str
    role: Role
    locale: str = "en"
    tier: int | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    # Left the tenant's announcement mailings (an unsubscribe link); kept by every rewrite.
    announcements_opt_out: bool = False

    @property
    def is_agent(self) -> bool:
        """Staff who can be assigned tickets (agents, supervisors, admins)."""
        return self.role.at_least(Role.AGENT)


def get_profile(tenant_id: str, email: str) -> UserProfile | None:
    response = client("dynamodb").get_item(
        TableName=get_settings().table_name, Key=to_item(user_key(tenant_id, email))
    )
    item = response.get("Item")
    return _from_item(from_item(item)) if item else None


def put_profile(profile: UserProfile, previous: UserProfile | None = None) -> None:
    """Write the profile and, in the same transaction, its group memberships: an agent has a
    member item under each of their groups (routing rules pick agents of a group with one
    Query), and loses the ones of groups they left or of a role that no longer works tickets.
    """
    table = get_settings().table_name
    now_in = _memberships(profile)
    before = _memberships(previous) if previous else set()
    items: list[dict[str, Any]] = [
        {"Put": {"TableName": table, "Item": to_item(_to_item(profile))}}
    ]
    items += [
        {"Put": {"TableName": table, "Item": to_item(_member_item(profile, group))}}
        for group in sorted(now_in)
    ]
    items += [
        {"Delete": {"TableName": table, "Key": to_item(_member_key(profile, group))}}
        for group in sorted(before - now_in)
    ]
    client("dynamodb").transact_write_items(TransactItems=items)


def _memberships(profile: UserProfile) -> set[str]:
    return set(profile.groups) if profile.is_agent else set()


def _member_key(profile: UserProfile, group: str) -> dict[str, str]:
    return group_member_key(profile.tenant, group, profile.email)


def _member_item(profile: UserProfile, group: str) -> dict[str, Any]:
    return {
        **_member_key(profile, group),
        "type": "group_member",
        "tenant": profile.tenant,
        "group": group,
        "email": profile.email.lower(),
    }


def _to_item(profile: UserProfile) -> dict[str, Any]:
    item: dict[str, Any] = {
        **user_key(profile.tenant, profile.email),
        # The tenant's people by role (GSI1): announcement mailings, mail to every admin.
        **keys.person_index_keys(profile.tenant, profile.role.value, profile.email),
        "type": "user",
        "tenant": profile.tenant,
        "email": profile.email.lower(),
        "name": profile.name,
        "role": profile.role.value,
        "locale": profile.locale,
        # A list, not a string set: a set cannot be empty and most people are in no group.
        "groups": list(profile.groups),
    }
    if profile.tier is not None:
        item["tier"] = profile.tier
    if profile.announcements_opt_out:
        item["announcements_opt_out"] = True
    return item


def _from_item(item: dict[str, Any]) -> UserProfile:
    tier = item.get("tier")
    return UserProfile(
        tenant=item["tenant"],
        email=item["email"],
        name=item["name"],
        role=Role(item["role"]),
        locale=item.get("locale") or "en",
        tier=int(tier) if tier is not None else None,
        groups=tuple(item.get("groups") or ()),
        announcements_opt_out=bool(item.get("announcements_opt_out")),
    )


def add_requester(tenant_id: str, email: str, name: str, locale: str) -> UserProfile:
    """The profile of someone who wrote in by mail: made on first contact, never overwritten."""
    wanted = UserProfile(tenant=tenant_id, email=email.lower(), name=name, role=Role.REQUESTER,
                         locale=locale)  # fmt: skip
    db = client("dynamodb")
    try:
        db.put_item(
            TableName=get_settings().table_name,
            Item=to_item(_to_item(wanted)),
            ConditionExpression="attribute_not_exists(PK)",
        )
    except db.exceptions.ConditionalCheckFailedException:
        return get_profile(tenant_id, email) or wanted
    return wanted


def mark_bouncing(tenant_id: str, email: str, reason: str, at: str) -> None:
    item = {**bounce_key(tenant_id, email), "tenant": tenant_id, "email": email.lower(),
            "reason": reason[:500], "bounced_at": at}  # fmt: skip
    client("dynamodb").put_item(TableName=get_settings().table_name, Item=to_item(item))


def bouncing(tenant_id: str, email: str) -> str | None:
    """Why mail to this address bounces, or None when it does not."""
    item = (
        client("dynamodb")
        .get_item(TableName=get_settings().table_name, Key=to_item(bounce_key(tenant_id, email)))
        .get("Item")
    )
    return from_item(item)["reason"] if item else None


def with_role(
    tenant_id: str, role: Role, *, limit: int = 100, after: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A tenant's people of one role (email, name, locale, announcements_opt_out), by
    address; one page of at most
    `limit` and the address to continue after (None when there are no more)."""
    params: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk" + (" AND GSI1SK > :after" if after else ""),
        "ExpressionAttributeValues": to_item(
            {":pk": keys.people_pk(tenant_id, role.value), **({":after": after} if after else {})}
        ),
        # The opt-out comes along so that a mailing skips those people without a filter: a
        # FilterExpression would shorten pages and end the paging below before the last one.
        "ProjectionExpression": "email, #name, locale, announcements_opt_out",
        "ExpressionAttributeNames": {"#name": "name"},
        "Limit": limit,
    }
    answer = client("dynamodb").query(**params)
    found = [from_item(i) for i in answer.get("Items", [])]
    more = "LastEvaluatedKey" in answer and len(found) == limit
    return found, found[-1]["email"] if more and found else None


def set_announcements_opt_out(tenant_id: str, email: str, opted_out: bool) -> bool:
    """Leave or rejoin the announcement mailings; False when the address has no profile.

    Only this attribute changes (the GSI1 people-by-role keys stay as they are), and only on
    an existing profile: an UpdateItem would otherwise create a bare item without role or
    index keys."""
    db = client("dynamodb")
    expression = "SET announcements_opt_out = :yes" if opted_out else "REMOVE announcements_opt_out"
    params: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "Key": to_item(user_key(tenant_id, email.lower())),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK)",
    }
    if opted_out:
        params["ExpressionAttributeValues"] = to_item({":yes": True})
    try:
        db.update_item(**params)
    except db.exceptions.ConditionalCheckFailedException:
        return False
    return True


class DynamoPeople:
    """The profile questions mail asks: who is this sender, and does their mail bounce."""

    def role_of(self, tenant: str, email: str) -> Role | None:
        profile = get_profile(tenant, email)
        return profile.role if profile else None

    def add_requester(self, tenant: str, email: str, name: str, locale: str) -> None:
        add_requester(tenant, email, name, locale)

    def mark_bouncing(self, tenant: str, email: str, reason: str, at: datetime) -> None:
        mark_bouncing(tenant, email, reason, at.isoformat())

    def bouncing(self, tenant: str, email: str) -> str | None:
        return bouncing(tenant, email)

    def profile(self, tenant: str, email: str) -> UserProfile | None:
        return get_profile(tenant, email)

    def requesters(
        self, tenant: str, limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the tenant's requesters: who an announcement is mailed to."""
        return with_role(tenant, Role.REQUESTER, limit=limit, after=after)

    def set_announcements_opt_out(self, tenant: str, email: str, opted_out: bool) -> bool:
        return set_announcements_opt_out(tenant, email, opted_out)

    def admins(self, tenant: str) -> list[str]:
        """Every admin of the tenant (a handful: pages of 100 until the end)."""
        found: list[str] = []
        after: str | None = None
        while True:
            page, after = with_role(tenant, Role.ADMIN, after=after)
            found += [person["email"] for person in page]
            if after is None:
                return found
