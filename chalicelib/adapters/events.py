"""Publishes domain events to the EventBridge bus."""

import json
from typing import Any

from chalicelib.adapters.aws import client
from chalicelib.settings import get_settings

SOURCE = "balie"


class PublishFailed(Exception):
    pass


def publish(event: dict[str, Any]) -> None:
    """One domain event as `{"id","type","occurred_at","tenant","data"}` (API.md, Events)."""
    answer = client("events").put_events(
        Entries=[
            {
                "EventBusName": get_settings().event_bus_name,
                "Source": SOURCE,
                "DetailType": event["type"],
                "Detail": json.dumps(event, separators=(",", ":")),
                "Resources": [],
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        code = answer["Entries"][0].get("ErrorCode", "unknown")
        raise PublishFailed(f"EventBridge refused {event['type']} {event['id']}: {code}")
