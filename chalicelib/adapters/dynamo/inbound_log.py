"""How much inbound mail each tenant received, per UTC day, and when the last one came.

One counter item per tenant and day (docs/data-model.md): the mail intake adds to it, the
hourly silence check reads a tenant's last weeks with one Query. Items expire by TTL after
the check's window.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.domain.silence import WINDOW_DAYS
from chalicelib.settings import get_settings

# A week more than the check reads, so that a silence of up to a week still has its history.
KEEP_DAYS = WINDOW_DAYS + 7


class DynamoInboundLog:
    def __init__(self, table: str | None = None) -> None:
        self.table = table or get_settings().table_name

    def note(self, tenant: str, at: datetime) -> None:
        """One mail more on `at`'s day, which is when the intake handled it: handling order,
        near enough to arrival order for a check that counts in hours."""
        moment = at.astimezone(UTC)
        day = moment.date()
        expires = datetime.combine(day + timedelta(days=KEEP_DAYS + 1), datetime.min.time(), UTC)
        client("dynamodb").update_item(
            TableName=self.table,
            Key=to_item(keys.inbound_day_key(tenant, day.isoformat())),
            UpdateExpression="SET #kind = :kind, last_at = :at, expires_at = :exp ADD mails :one",
            ExpressionAttributeNames={"#kind": "kind"},
            ExpressionAttributeValues=to_item(
                {
                    ":kind": "inbound_day",
                    ":at": moment.isoformat(),
                    ":one": 1,
                    ":exp": int(expires.timestamp()),
                }
            ),
        )

    def recent(self, tenant: str, now: datetime) -> tuple[datetime | None, dict[date, int]]:
        """The last mail's moment and the mails per day, over the days kept."""
        first = (now.astimezone(UTC).date() - timedelta(days=KEEP_DAYS)).isoformat()
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND SK >= :first",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.inbound_days_pk(tenant), ":first": first}
            ),
        }
        days: dict[date, int] = {}
        last: datetime | None = None
        while True:
            answer = client("dynamodb").query(**params)
            for raw in answer.get("Items", []):
                item = from_item(raw)
                days[date.fromisoformat(item["SK"])] = int(item.get("mails", 0))
                at = datetime.fromisoformat(item["last_at"])
                last = at if last is None or at > last else last
            if "LastEvaluatedKey" not in answer:
                return last, days
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
