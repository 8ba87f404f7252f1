"""Recurring-incident detection on moto: the daily step writes per-tenant suggestions from the
window's incidents without a Scan and within its bound; agents turn one into a problem with
its incidents linked, or dismiss it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.services.recurring import Limits
from chalicelib.workers import daily
from tests.integration.conftest import Api

AGENT = "agent@demo.example.com"
REQUESTER = "requester@demo.example.com"
ACME_REQUESTER = "requester@acme.example.com"

VPN = [
    ("VPN verbinding valt steeds weg", "Sinds vanochtend valt mijn VPN verbinding weg."),
    ("Geen VPN verbinding thuis", "Vanuit huis krijg ik geen VPN verbinding meer."),
    ("vpn verbinding werkt niet", "De VPN client zegt dat de verbinding verbroken is."),
    ("VPN-verbinding verbroken", "Mijn vpn verbinding wordt steeds verbroken."),
]
NOISE = [
    ("Nieuwe laptop aanvragen", "Ik wil graag een nieuwe laptop voor een collega."),
    ("Password reset for SAP", "I forgot my SAP password and cannot log in."),
]


def file_all(api: Api, texts: list[tuple[str, str]], who: str = REQUESTER) -> list[int]:
    return [
        api.create_ticket(as_=who, subject=s, description=d, type="incident")["number"]
        for s, d in texts
    ]


class DynamoCalls:
    """Every DynamoDB call of the app's client while recording, with its parameters."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.scanned = 0

    def note(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.seen.append((model.name, params))

    def count(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            self.scanned += parsed.get("ScannedCount", 0)


@pytest.fixture
def dynamo_calls(aws_env: dict[str, str]) -> Any:
    from chalicelib.adapters.aws import client

    recorder = DynamoCalls()
    db = client("dynamodb")
    db.meta.events.register("before-parameter-build.dynamodb", recorder.note)
    db.meta.events.register("after-call.dynamodb.Query", recorder.count)
    yield recorder
    db.meta.events.unregister("before-parameter-build.dynamodb", recorder.note)
    db.meta.events.unregister("after-call.dynamodb.Query", recorder.count)


def suggestions(tenant: str = "demo") -> list[dict[str, Any]]:
    return wiring.recurring_incidents().store.suggestions(tenant)


def test_given_recurring_incidents_in_two_tenants_when_the_daily_job_runs_then_each_gets_its_own(
    api: Api, dynamo_calls: DynamoCalls
):
    vpn = file_all(api, VPN)
    file_all(api, NOISE)
    acme = file_all(api, VPN[:3], who=ACME_REQUESTER)
    dynamo_calls.seen.clear()

    result = daily.run(datetime.now(UTC) + timedelta(hours=1))

    assert result["suggested"] == {"demo": 1, "acme": 1}
    (demo_hint,) = suggestions()
    (acme_hint,) = suggestions("acme")
    assert demo_hint["members"] == vpn and demo_hint["label"][:2] == ["vpn", "verbinding"]
    assert acme_hint["members"] == acme
    names = {name for name, _ in dynamo_calls.seen}
    assert "Scan" not in names
    window_reads = [p for name, p in dynamo_calls.seen if p.get("IndexName") == "GSI5"]
    assert {p["ExpressionAttributeValues"][":pk"]["S"] for p in window_reads} == {
        "T#demo#TICKETS",
        "T#acme#TICKETS",
    }


def test_given_a_suggestion_when_the_next_run_finds_nothing_then_it_is_replaced(api: Api):
    file_all(api, VPN)
    daily.run(datetime.now(UTC) + timedelta(hours=1))
    assert len(suggestions()) == 1

    # Fifteen days later the incidents are outside the 14-day window.
    daily.run(datetime.now(UTC) + timedelta(days=15))

    assert suggestions() == []


def test_given_many_incidents_when_detecting_then_no_more_items_than_the_bound_are_read(
    api: Api, dynamo_calls: DynamoCalls, monkeypatch: pytest.MonkeyPatch
):
    file_all(api, VPN + NOISE + VPN)
    service = wiring.recurring_incidents()
    monkeypatch.setattr(service, "limits", Limits(max_read=5))
    dynamo_calls.scanned = 0

    found = service.detect({"tenant": "demo"}, datetime.now(UTC) + timedelta(hours=1))

    assert found.read == 5 and found.truncated
    assert found.incidents == 5
    window = [p for name, p in dynamo_calls.seen if p.get("IndexName") == "GSI5"]
    assert sum(p["Limit"] for p in window) <= 5


def test_given_linked_or_old_incidents_when_detecting_then_they_are_left_out(api: Api):
    vpn = file_all(api, VPN)
    problem = api.create_ticket(
        as_=AGENT, subject="VPN", description="x", type="problem", requester_email=AGENT
    )["number"]
    linked = api.call(
        "POST", f"/v1/tickets/{problem}/links", as_=AGENT, body={"incidents": vpn[:2]}
    )
    assert linked.status_code == 200, linked.body

    found = wiring.recurring_incidents().detect(
        {"tenant": "demo"}, datetime.now(UTC) + timedelta(hours=1)
    )

    assert found.incidents == 2 and found.suggestions == 0  # 2 left, the minimum is 3
