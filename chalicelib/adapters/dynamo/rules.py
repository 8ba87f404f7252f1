"""Routing rules of a tenant, and what their assignment actions ask about groups."""

from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.users import get_profile
from chalicelib.domain.tickets import Status
from chalicelib.services.ports import VersionConflict
from chalicelib.settings import get_settings

# Still to be worked on: what counts towards an agent's load.
_OPEN = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class DynamoRules:
    """The tenant's rules as one document: evaluating 50 rules is one GetItem."""

    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def get(self, tenant: str, *, consistent: bool = False) -> tuple[list[dict[str, Any]], int]:
        """The stored rules and the set's version (0: never written)."""
        item = (
            client("dynamodb")
            .get_item(
                TableName=self.table,
                Key=to_item(keys.rules_key(tenant)),
                ConsistentRead=consistent,
            )
            .get("Item")
        )
        if not item:
            return [], 0
        values = from_item(item)
        return values["rules"], values["version"]

    def put(self, tenant: str, rules: list[dict[str, Any]], expected: int) -> int:
        """Replace the whole list if the set is still at `expected`; the new version."""
        db = client("dynamodb")
        params: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item(
                {
                    **keys.rules_key(tenant),
                    "tenant": tenant,
                    "rules": rules,
                    "version": expected + 1,
                }
            ),
        }
        if expected == 0:
            params["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            params["ConditionExpression"] = "version = :expected"
            params["ExpressionAttributeValues"] = to_item({":expected": expected})
        try:
            db.put_item(**params)
        except db.exceptions.ConditionalCheckFailedException as exc:
            raise VersionConflict() from exc
        return expected + 1


class DynamoGroups:
    """A group's agents (member items written with their profiles) and their load."""

    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def members(self, tenant: str, group: str, limit: int) -> list[str]:
        """The group's agents by address, at most `limit` (one Query page)."""
        answer = client("dynamodb").query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.group_members_pk(tenant, group)}),
            ProjectionExpression="SK",
            Limit=limit,
        )
        return [from_item(i)["SK"] for i in answer.get("Items", [])]

    def next_turn(self, tenant: str, group: str) -> int:
        """Bump the group's round-robin counter atomically and return the new value."""
        answer = client("dynamodb").update_item(
            TableName=self.table,
            Key=to_item(keys.round_robin_key(tenant, group)),
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues=to_item({":one": 1}),
            ReturnValues="UPDATED_NEW",
        )
        return int(from_item(answer["Attributes"])["value"])

    def open_assigned(self, tenant: str, email: str, rounds: int) -> int:
        """Tickets assigned to `email` that are not resolved or closed: COUNT Queries on the
        assignee index, at most `rounds` pages (each page reads up to 1 MB of the agent's
        tickets, closed ones included — docs/rules.md says what that costs)."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI_ASSIGNEE,
            "KeyConditionExpression": "#pk = :pk",
            "FilterExpression": "#s IN (" + ", ".join(f":s{i}" for i in range(len(_OPEN))) + ")",
            "ExpressionAttributeNames": {"#pk": f"{keys.GSI_ASSIGNEE}PK", "#s": "status"},
            "ExpressionAttributeValues": to_item(
                {":pk": keys.assignee_pk(tenant, email)}
                | {f":s{i}": s.value for i, s in enumerate(_OPEN)}
            ),
            "Select": "COUNT",
        }
        total = 0
        for _ in range(rounds):
            answer = client("dynamodb").query(**params)
            total += answer.get("Count", 0)
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return total


class DynamoLanguages:
    """A requester's language from their profile, else the tenant's (two GetItems at most,
    only when a rule replies)."""

    def __init__(self, tenants: Any) -> None:
        self.tenants = tenants

    def locale(self, tenant: str, email: str) -> str | None:
        profile = get_profile(tenant, email)
        if profile is not None and profile.locale:
            return profile.locale
        settings = self.tenants.get(tenant) or {}
        return settings.get("locale")
