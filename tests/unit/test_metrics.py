"""The report's arithmetic: how events move counters, and how counters become figures."""

from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest

from chalicelib.domain import metrics

TZ = "Europe/Amsterdam"


def minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)  # a 24x7 calendar is enough here


def event(kind: str, at: str, *, changes=None, data=None, role="agent") -> dict[str, Any]:
    return {"id": at, "type": kind, "occurred_at": at, "actor": {"role": role},
            "changes": changes or {}, "data": data or {}}  # fmt: skip


CREATED = event("ticket.created", "2026-10-05T08:00:00+00:00",
                data={"channel": "email", "priority": "P3", "type": "incident",
                      "group": "network", "assignee": None})  # fmt: skip


Totals = Counter[tuple[str, str, str, str]]


def run(*events: dict[str, Any]) -> tuple[dict[str, Any] | None, Totals]:
    """Facts after the events, and every counter summed as (dimension, value, day, name)."""
    facts = None
    total: Counter[tuple[str, str, str, str]] = Counter()
    for e in events:
        facts, change = metrics.apply(facts, e, TZ, minutes)
        for (dimension, value, day), deltas in change.counts.items():
            for name, amount in deltas.items():
                total[(dimension, value, day, name)] += amount
    return facts, Counter({k: v for k, v in total.items() if v})


def status(at: str, before: str, after: str, **kw: Any) -> dict[str, Any]:
    return event("ticket.updated", at, changes={"status": {"from": before, "to": after}}, **kw)


def reply(at: str, role: str = "agent", visibility: str = "public") -> dict[str, Any]:
    return event("message.added", at, data={"visibility": visibility}, role=role)


def test_given_a_new_ticket_then_it_is_created_and_open_in_every_slice():
    facts, total = run(CREATED)
    day = "2026-10-05"
    assert total[("all", "-", day, "created")] == 1
    assert total[("group", "network", day, "backlog")] == 1
    assert total[("agent", "-", day, "created")] == 1
    assert facts and facts["slices"]["channel"] == "email"


def test_given_one_reply_then_resolution_then_it_counts_as_first_contact_resolution():
    _, total = run(CREATED, reply("2026-10-05T08:30:00+00:00"),
                   status("2026-10-05T09:00:00+00:00", "open", "resolved"))  # fmt: skip
    assert total[("all", "-", "2026-10-05", "fcr")] == 1
    assert total[("all", "-", "2026-10-05", "frt_30")] == 1
    assert total[("all", "-", "2026-10-05", "res_60")] == 1


def test_given_a_reopen_days_later_then_the_first_contact_resolution_is_taken_back_on_its_day():
    _, total = run(CREATED, reply("2026-10-05T08:30:00+00:00"),
                   status("2026-10-05T09:00:00+00:00", "open", "resolved"),
                   status("2026-10-09T09:00:00+00:00", "resolved", "open"))  # fmt: skip
    assert ("all", "-", "2026-10-05", "fcr") not in total
    assert total[("all", "-", "2026-10-09", "reopened")] == 1
    assert total[("all", "-", "2026-10-09", "backlog")] == 1


def test_given_internal_notes_and_requester_messages_then_they_are_no_first_response():
    facts, total = run(CREATED, reply("2026-10-05T08:10:00+00:00", visibility="internal"),
                       reply("2026-10-05T08:20:00+00:00", role="requester"))  # fmt: skip
    assert not any(name.startswith("frt_") for *_, name in total)
    assert facts and facts["replies"] == 0


def test_given_a_routing_rules_template_reply_then_it_is_no_first_response_nor_reply():
    rule_reply = reply("2026-10-05T08:01:00+00:00", role="supervisor")
    rule_reply["actor"]["kind"] = "rule"
    _, total = run(CREATED, rule_reply, reply("2026-10-05T08:30:00+00:00"),
                   status("2026-10-05T09:00:00+00:00", "open", "resolved"))  # fmt: skip
    assert total[("all", "-", "2026-10-05", "frt_30")] == 1
    assert total[("all", "-", "2026-10-05", "fcr")] == 1


def test_given_two_replies_before_resolution_then_no_first_contact_resolution():
    _, total = run(CREATED, reply("2026-10-05T08:30:00+00:00"),
                   reply("2026-10-05T08:40:00+00:00"),
                   status("2026-10-05T09:00:00+00:00", "open", "resolved"))  # fmt: skip
    assert ("all", "-", "2026-10-05", "fcr") not in total
    assert total[("all", "-", "2026-10-05", "frt_30")] == 1


def test_given_a_ticket_moved_while_open_then_its_backlog_moves_with_it():
    moved = event("ticket.updated", "2026-10-06T10:00:00+00:00",
                  changes={"group": {"from": "network", "to": "workplace"}})  # fmt: skip
    _, total = run(CREATED, moved)
    assert total[("group", "network", "2026-10-06", "backlog")] == -1
    assert total[("group", "workplace", "2026-10-06", "backlog")] == 1
    assert ("all", "-", "2026-10-06", "backlog") not in total


def test_given_a_late_evening_event_then_it_lands_on_the_local_day():
    late = event("ticket.created", "2026-10-05T22:30:00+00:00", data={"channel": "api"})
    _, total = run(late)
    assert total[("all", "-", "2026-10-06", "created")] == 1


def test_given_escalations_to_tier_2_and_3_then_the_ticket_is_escalated_once():
    up = [event("ticket.escalated", f"2026-10-05T1{i}:00:00+00:00",
                changes={"tier": {"from": i + 1, "to": i + 2}}) for i in range(2)]  # fmt: skip
    _, total = run(CREATED, *up)
    assert sum(v for k, v in total.items() if k[0] == "all" and k[3] == "escalated") == 1


def test_given_a_breach_before_the_clock_is_met_then_it_is_not_compliant():
    breach = event("sla.breached", "2026-10-05T12:00:00+00:00", data={"clock": "first_response"})
    met = event("message.added", "2026-10-05T13:00:00+00:00",
                data={"visibility": "public", "sla": {"first_response": "met"}})  # fmt: skip
    _, total = run(CREATED, breach, met)
    assert total[("all", "-", "2026-10-05", "sla_fr_met")] == 1
    assert ("all", "-", "2026-10-05", "sla_fr_ok") not in total


def test_given_a_changed_rating_then_only_the_latest_counts():
    resolved = status("2026-10-05T09:00:00+00:00", "open", "resolved")
    first = event("satisfaction.received", "2026-10-05T10:00:00+00:00",
                  data={"rating": "bad", "resolution": 1}, role="requester")  # fmt: skip
    second = event("satisfaction.received", "2026-10-07T10:00:00+00:00",
                   data={"rating": "good", "resolution": 1}, role="requester")  # fmt: skip
    _, total = run(CREATED, resolved, first, second)
    assert ("all", "-", "2026-10-05", "csat_bad") not in total
    assert total[("all", "-", "2026-10-07", "csat_good")] == 1


def test_given_logged_time_then_it_lands_with_the_resolution_it_led_to():
    logged = [event("time.logged", f"2026-10-05T0{h}:00:00+00:00", data={"minutes": 10 * h})
              for h in (8, 9)]  # fmt: skip
    _, total = run(CREATED, *logged, status("2026-10-06T09:00:00+00:00", "open", "resolved"))
    assert total[("all", "-", "2026-10-06", "handle_minutes")] == 170


def test_given_an_event_of_a_ticket_never_counted_then_nothing_changes():
    facts, change = metrics.apply(None, reply("2026-10-05T08:30:00+00:00"), TZ, minutes)
    assert facts is None and not change.counts


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [({5: 1}, 5, 5), ({1: 1, 2: 1}, 1, 2), ({10: 9, 100: 1}, 10, 10), ({10: 8, 100: 2}, 10, 100)],
)
def test_given_a_value_count_map_then_percentiles_are_nearest_rank(values, median, p90):
    assert metrics.percentile(values, 0.5) == median
    assert metrics.percentile(values, 0.9) == p90


def test_given_days_then_merged_maps_give_the_same_figures_as_one_list():
    days = [Counter({"frt_10": 2, "frt_30": 1, "frt_n": 3, "frt_sum": 50}),
            Counter({"frt_10": 1, "frt_90": 1, "frt_n": 2, "frt_sum": 100})]  # fmt: skip
    merged = metrics.merge(days)
    values = sorted([10, 10, 30, 10, 90])
    assert metrics.spread(merged, "frt_") == {"mean": 30.0, "median": 10, "p90": 90}
    assert sum(values) / len(values) == 30.0
    # Breakdowns read no value maps: the mean still comes from the count and the sum.
    plain, _ = metrics.split(merged)
    assert metrics.spread(plain, "frt_", percentiles=False) == {
        "mean": 30.0, "median": None, "p90": None}  # fmt: skip


def test_given_deltas_then_value_entries_are_split_from_the_counters():
    plain, values = metrics.split({"created": 1, "frt_34": 1, "frt_n": 1, "frt_sum": 34})
    assert plain == {"created": 1, "frt_n": 1, "frt_sum": 34}
    assert values == {"frt_34": 1}


def test_given_no_denominator_then_rates_are_null():
    figures = metrics.figures(Counter(), 0)
    assert figures["fcr_rate"] is None and figures["csat"]["rate"] is None
    assert figures["first_response_minutes"] == {"mean": None, "median": None, "p90": None}


def test_given_later_days_then_the_backlog_at_an_earlier_end_subtracts_them():
    rows = metrics.SliceDays(
        {"2026-10-01": Counter(backlog=3), "2026-10-02": Counter(backlog=-1),
         "2026-10-03": Counter(backlog=2)}, open_now=4)  # fmt: skip
    assert rows.backlog_at_end_of("2026-10-01") == 3
    assert rows.backlog_at_end_of("2026-10-02") == 2
    assert rows.figures(date(2026, 10, 1), date(2026, 10, 3))["backlog_end"] == 4
