"""One-off migration: put the people index (GSI1 `T#<t>#PEOPLE#<role>`) on profiles written
before it existed, and, with --from-tickets, give every requester of a tenant's tickets a
profile (people filed for by staff over the phone or the API never got one).

    make backfill-people [FROM_TICKETS=1]

Run it once after deploying the people index, against the table in BALIE_TABLE_NAME (for
`make run`'s stack the moto endpoint in AWS_ENDPOINT_URL). It is the one place that Scans:
a migration, not a request or schedule path. Cost: one read of the whole table (the Scan,
filtered on profile items without the index) plus one write per profile it fixes; with
--from-tickets also one Query page per 1 MB of each tenant's tickets (GSI5) and one
conditional write per requester seen. Rerunning it changes nothing.
"""

import argparse
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.codec import from_item, to_item
from chalicelib.adapters.dynamo.users import add_requester
from chalicelib.settings import get_settings


def index_profiles() -> int:
    """Add the index keys to every profile that lacks them; returns how many it fixed."""
    db, table = client("dynamodb"), get_settings().table_name
    params: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#type = :user AND SK = :profile AND attribute_not_exists(GSI1PK)",
        "ExpressionAttributeNames": {"#type": "type"},
        "ExpressionAttributeValues": to_item({":user": "user", ":profile": "PROFILE"}),
    }
    fixed = 0
    while True:
        answer = db.scan(**params)
        for raw in answer.get("Items", []):
            item = from_item(raw)
            index = keys.person_index_keys(item["tenant"], item["role"], item["email"])
            db.update_item(
                TableName=table,
                Key=to_item({"PK": item["PK"], "SK": item["SK"]}),
                UpdateExpression="SET GSI1PK = :pk, GSI1SK = :sk",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=to_item({":pk": index["GSI1PK"], ":sk": index["GSI1SK"]}),
            )
            fixed += 1
        if "LastEvaluatedKey" not in answer:
            return fixed
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def profiles_from_tickets() -> int:
    """Per tenant (the registry partition), every ticket's requester gets a profile if they
    have none (add_requester writes only if absent, so existing profiles stay)."""
    db, table = client("dynamodb"), get_settings().table_name
    seen = 0
    tenants = db.query(TableName=table, KeyConditionExpression="PK = :pk",
                       ExpressionAttributeValues=to_item({":pk": keys.TENANTS_PK}))  # fmt: skip
    for entry in tenants.get("Items", []):
        tenant = from_item(entry)["SK"]
        found = db.get_item(TableName=table, Key=to_item(keys.tenant_key(tenant))).get("Item")
        settings = from_item(found) if found else {}
        locale = settings.get("locale", "en")
        params: dict[str, Any] = {
            "TableName": table,
            "IndexName": keys.GSI_TENANT,
            "KeyConditionExpression": "GSI5PK = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.all_tickets_pk(tenant)}),
            "ProjectionExpression": "requester_email, requester_name",
        }
        done: set[str] = set()
        while True:
            answer = db.query(**params)
            for raw in answer.get("Items", []):
                ticket = from_item(raw)
                email = str(ticket.get("requester_email", "")).lower()
                if email and email not in done:
                    done.add(email)
                    add_requester(tenant, email, ticket.get("requester_name") or email, locale)
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        seen += len(done)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from-tickets", action="store_true")
    args = parser.parse_args()
    print(f"profiles indexed: {index_profiles()}")
    if args.from_tickets:
        print(f"requesters of tickets checked: {profiles_from_tickets()}")


if __name__ == "__main__":
    main()
