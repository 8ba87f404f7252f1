"""Webhooks: admins register them (WebhookService), the table stream fans events out to them
(WebhookFanout) and the delivery worker calls them (WebhookDeliverer). docs/webhooks.md."""

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from ulid import ULID

from chalicelib.domain import permissions
from chalicelib.domain import webhooks as rules
from chalicelib.domain.errors import Conflict, Invalid, NotFound, PreconditionFailed
from chalicelib.domain.permissions import Action
from chalicelib.domain.principal import Principal
from chalicelib.domain.webhooks import Delivery, Target, Webhook
from chalicelib.observability import logger
from chalicelib.services.ports import Clock

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
# The log on GET /v1/webhooks/{id}: the newest deliveries.
RECENT_DELIVERIES = 20
USER_AGENT = "Balie-Webhooks/1"

Resolve = Callable[[str, int], list[str]]
Enqueue = Callable[..., None]  # (message, delay_seconds=0)


class Answer(Protocol):
    status_code: int | None
    error: str | None
    duration_ms: int


Send = Callable[[Target, Any, bytes, dict[str, str], float], Answer]


class Store(Protocol):
    def insert(self, webhook: Webhook, secret: str) -> None: ...
    def get(self, tenant: str, webhook_id: str) -> tuple[Webhook, str] | None: ...
    def all(self, tenant: str) -> list[tuple[Webhook, str]]: ...
    def page(
        self, tenant: str, limit: int, cursor: str | None
    ) -> tuple[list[Webhook], str | None]: ...
    def delete(self, tenant: str, webhook_id: str) -> bool: ...
    def update(self, webhook: Webhook, expected_version: int) -> bool: ...
    def count_failed_delivery(self, tenant: str, webhook_id: str) -> int | None: ...
    def reset_failures(self, tenant: str, webhook_id: str) -> None: ...
    def disable(
        self, tenant: str, webhook_id: str, reason: str, now: datetime
    ) -> Webhook | None: ...
    def create_delivery(self, delivery: Delivery, now: datetime) -> bool: ...
    def forget_delivery(self, delivery: Delivery) -> None: ...
    def get_delivery(self, tenant: str, webhook_id: str, event_id: str) -> Delivery | None: ...
    def recent_deliveries(self, tenant: str, webhook_id: str, limit: int) -> list[Delivery]: ...
    def claim_attempt(
        self, delivery: Delivery, round_: int, attempt: int, now: datetime
    ) -> bool: ...
    def record_attempt(self, delivery: Delivery, **outcome: Any) -> None: ...
    def skip(self, delivery: Delivery, reason: str) -> None: ...
    def new_round(self, delivery: Delivery, now: datetime) -> Delivery: ...


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def message(delivery: Delivery, attempt: int = 1) -> dict[str, Any]:
    """What the queue carries: which delivery, which round and attempt; never the payload."""
    return {
        "tenant": delivery.tenant,
        "webhook": delivery.webhook,
        "delivery": delivery.id,
        "round": delivery.round,
        "attempt": attempt,
    }


class WebhookService:
    """The admin's side: register, list, read with the delivery log, change, delete, redeliver."""

    def __init__(
        self,
        store: Store,
        resolve: Resolve,
        enqueue: Enqueue,
        clock: Clock,
        *,
        allow_loopback: bool = False,
    ) -> None:
        self.store = store
        self.resolve = resolve
        self.enqueue = enqueue
        self.clock = clock
        self.allow_loopback = allow_loopback

    def check_target(self, url: str) -> Target:
        """Static checks, then the host's current addresses; Invalid when any is refused."""
        target = rules.parse_url(url, allow_loopback=self.allow_loopback)
        if target.literal is None:
            rules.vet_addresses(
                self.resolve(target.host, target.port),
                allow_loopback=self.allow_loopback,
                scheme=target.scheme,
            )
        return target

    def register(
        self,
        principal: Principal,
        *,
        url: str,
        events: list[str],
        description: str = "",
        contact_email: str | None = None,
    ) -> tuple[Webhook, str]:
        permissions.require(principal, Action.MANAGE_WEBHOOKS)
        chosen = rules.check_events(events)
        contact = contact_email or principal.email
        if not contact:
            raise Invalid(
                "Say who is mailed when the webhook fails: an API key has no mailbox.",
                errors=[{"field": "contact_email", "message": "Required for API keys."}],
            )
        self.check_target(url)
        if len(self.store.all(principal.tenant)) >= rules.MAX_PER_TENANT:
            raise Conflict(f"A tenant has at most {rules.MAX_PER_TENANT} webhooks.")
        now = self.clock()
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        webhook = Webhook(
            tenant=principal.tenant,
            id=str(ULID.from_datetime(now)),
            url=url,
            events=chosen,
            description=description,
            contact_email=contact.lower(),
            status=rules.ACTIVE,
            version=1,
            created_at=_iso(now),
            created_by=principal.id,
        )
        self.store.insert(webhook, secret)
        logger.info("webhook registered", extra={"tenant": webhook.tenant, "webhook": webhook.id})
        return webhook, secret

    def page(
        self, principal: Principal, limit: int, cursor: str | None
    ) -> tuple[list[Webhook], str | None]:
        permissions.require(principal, Action.MANAGE_WEBHOOKS)
        return self.store.page(principal.tenant, limit, cursor)

    def get(self, principal: Principal, webhook_id: str) -> tuple[Webhook, list[Delivery]]:
        webhook = self._own(principal, webhook_id)
        return webhook, self.store.recent_deliveries(webhook.tenant, webhook.id, RECENT_DELIVERIES)

    def delete(self, principal: Principal, webhook_id: str) -> None:
        permissions.require(principal, Action.MANAGE_WEBHOOKS)
        if not self.store.delete(principal.tenant, webhook_id.upper()):
            raise NotFound("No such webhook.")
        logger.info("webhook deleted", extra={"tenant": principal.tenant, "webhook": webhook_id})

    def update(
        self, principal: Principal, webhook_id: str, expected_version: int, changes: dict[str, Any]
    ) -> Webhook:
        """Change status (re-enable, or disable by hand), events or description."""
        current = self._own(principal, webhook_id)
        if current.version != expected_version:
            raise PreconditionFailed(f"The webhook is at version {current.version}.")
        changed = current
        if "events" in changes:
            changed = replace(changed, events=rules.check_events(changes["events"]))
        if "description" in changes:
            changed = replace(changed, description=changes["description"])
        status = changes.get("status")
        if status == rules.ACTIVE and not current.active:
            # A fresh start: the failures that disabled it are forgiven.
            changed = replace(
                changed,
                status=rules.ACTIVE,
                consecutive_failures=0,
                disabled_at=None,
                disabled_reason=None,
            )
        elif status == rules.DISABLED and current.active:
            changed = replace(
                changed,
                status=rules.DISABLED,
                disabled_at=_iso(self.clock()),
                disabled_reason=f"Disabled by {principal.name}.",
            )
        changed = replace(changed, version=current.version + 1)
        if not self.store.update(changed, expected_version):
            raise PreconditionFailed("The webhook changed meanwhile; read it again.")
        return changed

    def redeliver(self, principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
        """Send one logged delivery again, from attempt 1, with a fresh signature."""
        webhook = self._own(principal, webhook_id)
        if not webhook.active:
            raise Conflict("The webhook is disabled; enable it before redelivering.")
        delivery = self.store.get_delivery(webhook.tenant, webhook.id, delivery_id.upper())
        if delivery is None:
            raise NotFound("No such delivery (deliveries are kept for 7 days).")
        again = self.store.new_round(delivery, self.clock())
        self.enqueue(message(again))
        logger.info(
            "webhook redelivery",
            extra={
                "tenant": webhook.tenant,
                "webhook": webhook.id,
                "delivery": again.id,
                "round": again.round,
            },
        )
        return again

    def _own(self, principal: Principal, webhook_id: str) -> Webhook:
        permissions.require(principal, Action.MANAGE_WEBHOOKS)
        found = self.store.get(principal.tenant, webhook_id.upper())
        if found is None:
            raise NotFound("No such webhook.")
        return found[0]


class WebhookFanout:
    """The table stream's part: one delivery per event and subscribed webhook, queued once.

    A tenant's webhooks are read with one Query and kept for `cache_seconds` per container:
    a busy tenant's burst of events costs one read, and a webhook registered a moment ago
    starts receiving within that time. The worker re-reads the webhook before each attempt,
    so a deleted or disabled webhook never gets a delivery the cache still lists.
    """

    def __init__(
        self,
        store: Store,
        enqueue: Enqueue,
        clock: Clock,
        *,
        cache_seconds: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.enqueue = enqueue
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, list[Webhook]]] = {}

    def forget(self) -> None:
        self._cache.clear()

    def subscribers(self, tenant: str) -> list[Webhook]:
        now = self.monotonic()
        cached = self._cache.get(tenant)
        if cached is None or cached[0] <= now:
            found = [webhook for webhook, _ in self.store.all(tenant)]
            cached = (now + self.cache_seconds, found)
            self._cache[tenant] = cached
        return cached[1]

    def publish(self, event: dict[str, Any]) -> int:
        """Queue `event` to each active webhook subscribed to its type; returns how many."""
        if event["type"] not in rules.EVENT_TYPES:
            return 0
        hooks = [
            w
            for w in self.subscribers(event["tenant"])
            if w.active and rules.subscribed(w.events, event["type"])
        ]
        if not hooks:
            return 0
        payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        now = self.clock()
        queued = 0
        for webhook in hooks:
            delivery = Delivery(
                tenant=webhook.tenant,
                webhook=webhook.id,
                id=event["id"],
                event_type=event["type"],
                payload=payload,
                status=rules.PENDING,
                round=1,
                attempt=0,
                attempts=0,
                created_at=_iso(now),
            )
            if not self.store.create_delivery(delivery, now):
                continue  # a duplicate stream record: this event is queued for it already
            try:
                self.enqueue(message(delivery))
            except Exception:
                # Undone, so the stream's retry of this record records and queues it again.
                self.store.forget_delivery(delivery)
                raise
            queued += 1
        return queued


class WebhookDeliverer:
    """The worker's part: one attempt of one delivery, then done, retry later, or give up."""

    def __init__(
        self,
        store: Store,
        resolve: Resolve,
        send: Send,
        enqueue: Enqueue,
        notify: Callable[[dict[str, Any]], None],
        clock: Clock,
        *,
        timeout: float,
        allow_loopback: bool = False,
    ) -> None:
        self.store = store
        self.resolve = resolve
        self.send = send
        self.enqueue = enqueue
        self.notify = notify
        self.clock = clock
        self.timeout = timeout
        self.allow_loopback = allow_loopback

    def deliver(self, request: dict[str, Any]) -> str:
        """One attempt; returns what happened (for logs and tests)."""
        tenant, round_, attempt = request["tenant"], int(request["round"]), int(request["attempt"])
        found = self.store.get(tenant, request["webhook"])
        delivery = self.store.get_delivery(tenant, request["webhook"], request["delivery"])
        if found is None or delivery is None:
            return "gone"  # the webhook was deleted, or the delivery expired
        webhook, secret = found
        if delivery.round != round_:
            return "superseded"  # a redelivery started a newer round
        if not webhook.active:
            self.store.skip(delivery, "The webhook is disabled.")
            return "skipped"
        now = self.clock()
        if not self.store.claim_attempt(delivery, round_, attempt, now):
            return "duplicate"
        answer = self._attempt(webhook, secret, delivery, attempt, now)
        outcome = {
            "at": now,
            "status_code": answer.status_code,
            "error": answer.error,
            "duration_ms": answer.duration_ms,
        }
        if rules.succeeded(answer.status_code):
            self.store.record_attempt(delivery, status=rules.DELIVERED, **outcome)
            if webhook.consecutive_failures:
                self.store.reset_failures(tenant, webhook.id)
            return "delivered"
        delay = rules.retry_delay(attempt)
        if delay is not None:
            # Queued before it is recorded: if recording fails, SQS hands this attempt's
            # message out again, its claim is refused, and the next attempt is still on its way.
            self.enqueue(message(delivery, attempt + 1), delay)
            self.store.record_attempt(
                delivery,
                status=rules.RETRYING,
                next_attempt_at=now + timedelta(seconds=delay),
                **outcome,
            )
            return "retrying"
        self.store.record_attempt(delivery, status=rules.FAILED, **outcome)
        failures = self.store.count_failed_delivery(tenant, webhook.id)
        if failures is not None and rules.should_disable(failures):
            self._disable(webhook, failures, now)
        return "failed"

    def _attempt(
        self, webhook: Webhook, secret: str, delivery: Delivery, attempt: int, now: datetime
    ) -> Answer:
        from chalicelib.adapters.webhook_http import Answer as Refused

        try:
            target = rules.parse_url(webhook.url, allow_loopback=self.allow_loopback)
            addresses = (
                [target.literal]
                if target.literal is not None
                else self.resolve(target.host, target.port)
            )
            # Vetted again now: the name may point somewhere else than at registration.
            vetted = rules.vet_addresses(
                addresses, allow_loopback=self.allow_loopback, scheme=target.scheme
            )
        except Invalid as refused:
            return Refused(None, f"refused: {refused.detail}"[:200], 0)
        # Lambda has no IPv6 route out unless it runs in a VPC that has one.
        address = sorted(vetted, key=lambda a: a.version)[0]
        body = delivery.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Balie-Signature": rules.sign(secret, body, int(now.timestamp())),
            "Balie-Event-Id": delivery.id,
            "Balie-Event-Type": delivery.event_type,
            "Balie-Delivery-Attempt": str(attempt),
        }
        return self.send(target, address, body, headers, self.timeout)

    def _disable(self, webhook: Webhook, failures: int, now: datetime) -> None:
        reason = f"{failures} deliveries in a row failed after {rules.MAX_ATTEMPTS} attempts each."
        disabled = self.store.disable(webhook.tenant, webhook.id, reason, now)
        if disabled is None:
            return  # disabled already (by hand, or by a concurrent delivery)
        logger.warning("webhook disabled", extra={"tenant": webhook.tenant, "webhook": webhook.id})
        self.notify(
            {
                # One mail per disabling: the version names this one.
                "id": f"webhook-{webhook.id}-v{disabled.version}",
                "type": "webhook.disabled",
                "tenant": webhook.tenant,
                "to": {"address": webhook.contact_email},
                "webhook": {
                    "id": webhook.id,
                    "url": webhook.url,
                    "description": webhook.description,
                    "failures": failures,
                    "disabled_at": disabled.disabled_at,
                },
            }
        )
