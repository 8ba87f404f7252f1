"""The stream's fan-out: subscribed active webhooks only, once per event, a short cache."""

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.webhooks import Delivery, Webhook
from chalicelib.services.webhooks import WebhookFanout

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def hook(hook_id: str, events: tuple[str, ...], status: str = "active") -> Webhook:
    return Webhook(tenant="demo", id=hook_id, url="https://hooks.example.com", events=events,
                   description="", contact_email="admin@demo.example.com", status=status,
                   version=1, created_at="2026-11-01T00:00:00Z", created_by="admin")  # fmt: skip


class Store:
    def __init__(self, hooks: list[Webhook]) -> None:
        self.hooks = hooks
        self.reads = 0
        self.deliveries: dict[tuple[str, str], Delivery] = {}
        self.forgotten: list[Delivery] = []

    def all(self, tenant: str) -> list[tuple[Webhook, str]]:
        self.reads += 1
        return [(h, "whsec_x") for h in self.hooks if h.tenant == tenant]

    def create_delivery(self, delivery: Delivery, now: datetime) -> bool:
        key = (delivery.webhook, delivery.id)
        if key in self.deliveries:
            return False
        self.deliveries[key] = delivery
        return True

    def forget_delivery(self, delivery: Delivery) -> None:
        self.forgotten.append(delivery)
        del self.deliveries[(delivery.webhook, delivery.id)]


def event(event_id: str = "01JEVENT000000000000000000", kind: str = "ticket.created") -> dict:
    return {"id": event_id, "type": kind, "occurred_at": "2026-11-23T09:30:00Z",
            "tenant": "demo", "data": {"ticket": 1}}  # fmt: skip


def fanout(store: Store, queued: list[Any], clock: list[float]) -> WebhookFanout:
    return WebhookFanout(store, lambda m, d=0: queued.append(m), lambda: NOW,
                         cache_seconds=15, monotonic=lambda: clock[0])  # fmt: skip


def test_given_webhooks_then_only_active_subscribed_ones_get_the_event_once():
    store = Store([hook("A", ("ticket.created",)), hook("B", ("*",)),
                   hook("C", ("sla.breached",)), hook("D", ("*",), status="disabled")])  # fmt: skip
    queued: list[Any] = []
    out = fanout(store, queued, [0.0])
    assert out.publish(event()) == 2
    assert out.publish(event()) == 0  # the stream repeated the record
    assert sorted(m["webhook"] for m in queued) == ["A", "B"]
    assert {(m["round"], m["attempt"]) for m in queued} == {(1, 1)}
    assert out.publish(event(kind="mail.failed")) == 0  # not a public event type


def test_given_a_burst_then_the_tenants_webhooks_are_read_once_per_fifteen_seconds():
    store = Store([hook("A", ("*",))])
    clock = [100.0]
    out = fanout(store, [], clock)
    for n in range(5):
        out.publish(event(f"01JEVENT00000000000000000{n}"))
    assert store.reads == 1
    clock[0] += 15
    out.publish(event("01JEVENT000000000000000009"))
    assert store.reads == 2


def test_given_the_queue_fails_then_the_delivery_is_undone_so_a_retry_queues_it():
    store = Store([hook("A", ("*",))])

    def broken(message: Any, delay: int = 0) -> None:
        raise RuntimeError("queue down")

    out = WebhookFanout(store, broken, lambda: NOW)
    with pytest.raises(RuntimeError):
        out.publish(event())
    assert store.deliveries == {} and len(store.forgotten) == 1
    queued: list[Any] = []
    out.enqueue = lambda m, d=0: queued.append(m)
    assert out.publish(event()) == 1
