"""Ticket resources over HTTP, per role, against the table built from infra/."""

import json

import pytest

REQUESTER = "requester@demo.example.com"
REQUESTER2 = "requester2@demo.example.com"
AGENT = "agent@demo.example.com"
AGENT2 = "agent2@demo.example.com"
ACME_AGENT = "agent@acme.example.com"


def problem(answer, status):
    assert answer.status_code == status, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = json.loads(answer.body)
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- create ------------------------------------------------------------------------------


def test_given_a_requester_when_filing_then_201_with_number_location_etag_and_matrix_priority(api):
    answer = api.call(
        "POST",
        "/v1/tickets",
        as_=REQUESTER,
        body={"subject": "VPN drops", "description": "Every 10 min", "impact": "high"},
    )
    assert answer.status_code == 201
    ticket = answer.json_body
    assert ticket["number"] == 1001
    assert answer.headers["Location"] == "/v1/tickets/1001"
    assert answer.headers["ETag"] == '"1"'
    assert (ticket["status"], ticket["priority"], ticket["channel"]) == ("new", "P2", "api")
    assert ticket["requester"]["email"] == REQUESTER
    assert "assignee" not in ticket and "group" not in ticket
    assert api.create_ticket()["number"] == 1002


def test_given_an_agent_when_filing_for_a_requester_then_routing_fields_are_kept(api):
    ticket = api.create_ticket(
        as_=AGENT,
        requester_email="Caller@Demo.example.com",
        requester_name="Caller",
        channel="phone",
        priority="P1",
        group="network",
        assignee=AGENT2,
    )
    assert ticket["requester"] == {"email": "caller@demo.example.com", "name": "Caller"}
    assert (ticket["channel"], ticket["priority"], ticket["group"]) == ("phone", "P1", "network")
    assert ticket["assignee"] == AGENT2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "x" * 201, "description": "d"}, "subject"),
        ({"subject": "", "description": "d"}, "subject"),
        ({"subject": "s"}, "description"),
        ({"subject": "s", "description": "d", "impact": "huge"}, "impact"),
        ({"subject": "s", "description": "d", "colour": "red"}, "colour"),
        ({"subject": "s", "description": "d", "tags": ["x"] * 21}, "tags"),
    ],
)
def test_given_invalid_fields_when_filing_then_422_names_the_field(api, body, field):
    body = problem(api.call("POST", "/v1/tickets", as_=REQUESTER, body=body), 422)
    assert field in {e["field"].split(".")[0] for e in body["errors"]}


def test_given_a_requester_when_setting_staff_fields_then_403(api):
    answer = api.call(
        "POST",
        "/v1/tickets",
        as_=REQUESTER,
        body={"subject": "s", "description": "d", "priority": "P1"},
    )
    problem(answer, 403)


def test_given_an_unknown_assignee_or_group_then_422_and_nothing_written(api):
    body = {"subject": "s", "description": "d", "assignee": REQUESTER2, "group": "nope"}
    errors = problem(api.call("POST", "/v1/tickets", as_=AGENT, body=body), 422)["errors"]
    assert {e["field"] for e in errors} == {"assignee", "group"}
    assert api.call("GET", "/v1/tickets", as_=AGENT).json_body["items"] == []


@pytest.mark.parametrize(
    ("payload", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('{"subject": "s"}', "text/plain", 415),
        ("x" * 300_000, "application/json", 413),
    ],
)
def test_given_a_malformed_body_then_a_clear_4xx_problem(api, payload, content_type, status):
    answer = api.call(
        "POST", "/v1/tickets", as_=REQUESTER, body=payload, headers={"Content-Type": content_type}
    )
    problem(answer, status)


def test_given_an_idempotency_key_when_retried_then_the_first_ticket_comes_back_once(api):
    body = {"subject": "Laptop", "description": "Screen flickers"}
    headers = {"Idempotency-Key": "abc-123"}
    first = api.call("POST", "/v1/tickets", as_=REQUESTER, body=body, headers=headers)
    again = api.call("POST", "/v1/tickets", as_=REQUESTER, body=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body["number"] == first.json_body["number"]
    assert len(api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"]) == 1
    other = api.call(
        "POST", "/v1/tickets", as_=REQUESTER, body={**body, "subject": "Other"}, headers=headers
    )
    problem(other, 409)


def test_given_an_api_key_caller_without_requester_email_then_422(api):
    key = api.call(
        "POST", "/v1/api-keys", as_="admin@demo.example.com", body={"name": "crm", "role": "agent"}
    )
    assert key.status_code == 201, key.body
    answer = api.call(
        "POST", "/v1/tickets", as_=key.json_body["key"], body={"subject": "s", "description": "d"}
    )
    problem(answer, 422)
    ticket = api.create_ticket(as_=key.json_body["key"], requester_email=REQUESTER)
    assert (ticket["channel"], ticket["requester"]["email"]) == ("api", REQUESTER)


# --- read and isolation -------------------------------------------------------------------


def test_given_someone_elses_ticket_then_404_for_other_requesters_and_other_tenants(api):
    number = api.create_ticket()["number"]
    assert api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).status_code == 200
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).status_code == 200
    problem(api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER2), 404)
    problem(api.call("GET", f"/v1/tickets/{number}", as_=ACME_AGENT), 404)
    problem(api.call("GET", f"/v1/tickets/{number}", as_="admin@acme.example.com"), 404)
    problem(api.call("GET", "/v1/tickets/not-a-number", as_=AGENT), 404)


def test_given_no_or_bad_credentials_then_401(api):
    assert api.call("GET", "/v1/tickets").status_code == 401
    answer = api.call("GET", "/v1/tickets", headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401


# --- lists --------------------------------------------------------------------------------


def test_given_tickets_of_two_requesters_then_each_lists_only_their_own(api):
    mine = api.create_ticket()["number"]
    api.create_ticket(as_=REQUESTER2)
    numbers = [
        t["number"] for t in api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"]
    ]
    assert numbers == [mine]
    assert len(api.call("GET", "/v1/tickets", as_=AGENT).json_body["items"]) == 2
    assert api.call("GET", "/v1/tickets", as_=ACME_AGENT).json_body["items"] == []


def test_given_many_tickets_when_paging_then_every_ticket_once_newest_first(api):
    created = [api.create_ticket(subject=f"Ticket {i}")["number"] for i in range(7)]
    seen, cursor = [], None
    while True:
        path = "/v1/tickets?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", path, as_=AGENT).json_body
        assert len(page["items"]) <= 3
        seen += [t["number"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(created))


def test_given_filters_then_only_matching_tickets(api):
    p1 = api.create_ticket(as_=AGENT, requester_email=REQUESTER, priority="P1", group="network")
    api.create_ticket(as_=AGENT, requester_email=REQUESTER, assignee=AGENT)
    vpn = api.create_ticket(subject="VPN is slow")

    def numbers(query, who=AGENT):
        answer = api.call("GET", f"/v1/tickets?{query}", as_=who)
        assert answer.status_code == 200, answer.body
        return [t["number"] for t in answer.json_body["items"]]

    assert numbers("priority=P1") == [p1["number"]]
    assert numbers("group=network") == [p1["number"]]
    assert len(numbers("assignee=me")) == 1
    assert numbers("q=vpn") == [vpn["number"]]
    assert numbers(f"q={vpn['number']}") == [vpn["number"]]
    assert len(numbers("status=new")) == 3
    assert numbers("status=open") == []
    assert len(numbers(f"requester={REQUESTER}")) == 3


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "status=sleeping", "cursor=%%%", "cursor=eyJhIjoxfQ", "colour=red"],
)
def test_given_bad_list_parameters_then_4xx_problem(api, query):
    answer = api.call("GET", f"/v1/tickets?{query}", as_=AGENT)
    assert answer.status_code in (400, 422), answer.body
    problem(answer, answer.status_code)


def test_given_a_cursor_of_another_list_then_400(api):
    for i in range(3):
        api.create_ticket(subject=f"T{i}")
    cursor = api.call("GET", "/v1/tickets?limit=1", as_=AGENT).json_body["next_cursor"]
    problem(api.call("GET", f"/v1/tickets?status=new&cursor={cursor}", as_=AGENT), 400)
    problem(api.call("GET", f"/v1/tickets?cursor={cursor}", as_=ACME_AGENT), 400)


# --- change -------------------------------------------------------------------------------


def patch(api, number, body, version, who=AGENT):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return api.call("PATCH", f"/v1/tickets/{number}", as_=who, body=body, headers=headers)


def test_given_the_current_version_when_patched_then_200_new_etag_and_an_audit_event(api):
    number = api.create_ticket()["number"]
    answer = patch(api, number, {"status": "open", "assignee": AGENT, "tags": ["printer"]}, 1)
    assert answer.status_code == 200, answer.body
    assert answer.headers["ETag"] == '"2"'
    assert (answer.json_body["status"], answer.json_body["assignee"]) == ("open", AGENT)
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert [e["type"] for e in events] == ["ticket.created", "ticket.updated"]
    assert events[1]["changes"]["status"] == {"from": "new", "to": "open"}
    assert events[1]["actor"]["id"] == AGENT


def test_given_a_stale_version_then_412_and_nothing_written(api):
    number = api.create_ticket()["number"]
    assert patch(api, number, {"status": "open"}, 1).status_code == 200
    problem(patch(api, number, {"subject": "Lost update"}, 1), 412)
    problem(patch(api, number, {"subject": "No header"}, None), 428)
    ticket = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    assert (ticket["subject"], ticket["version"]) == ("Printer on 3rd floor jams", 2)


def test_given_two_patches_with_one_version_then_exactly_one_wins(api, monkeypatch):
    from chalicelib import wiring

    number = api.create_ticket()["number"]
    repository = wiring.ticket_service().tickets
    original_save = repository.save

    def save_after_a_rival(ticket, expected, records):
        # The rival PATCH read the same version and commits first.
        monkeypatch.setattr(repository, "save", original_save)
        assert patch(api, number, {"subject": "Second"}, 1).status_code == 200
        return original_save(ticket, expected, records)

    monkeypatch.setattr(repository, "save", save_after_a_rival)
    problem(patch(api, number, {"subject": "First"}, 1), 412)
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["subject"] == "Second"


def test_given_an_invalid_move_then_409(api):
    number = api.create_ticket()["number"]
    assert patch(api, number, {"status": "resolved"}, 1).status_code == 200
    assert patch(api, number, {"status": "closed"}, 2).status_code == 200
    problem(patch(api, number, {"status": "open"}, 3), 409)


def test_given_a_requester_then_only_reopen_or_close_of_a_resolved_ticket(api):
    number = api.create_ticket()["number"]
    problem(patch(api, number, {"status": "resolved"}, 1, who=REQUESTER), 403)
    assert patch(api, number, {"status": "resolved"}, 1).status_code == 200
    problem(patch(api, number, {"priority": "P1"}, 2, who=REQUESTER), 403)
    reopened = patch(api, number, {"status": "open"}, 2, who=REQUESTER)
    assert reopened.status_code == 200 and reopened.json_body["status"] == "open"
    problem(patch(api, number, {"status": "open"}, 3, who=REQUESTER2), 404)


# --- conversation, time, escalation --------------------------------------------------------


def test_given_internal_notes_then_requesters_never_see_them(api):
    number = api.create_ticket()["number"]
    path = f"/v1/tickets/{number}/messages"
    note = api.call("POST", path, as_=AGENT, body={"body": "Known issue", "visibility": "internal"})
    reply = api.call("POST", path, as_=AGENT, body={"body": "We are on it"})
    assert (note.status_code, reply.status_code) == (201, 201)
    seen_by_requester = api.call("GET", path, as_=REQUESTER).json_body["items"]
    assert [m["body"] for m in seen_by_requester] == ["We are on it"]
    assert len(api.call("GET", path, as_=AGENT).json_body["items"]) == 2
    problem(
        api.call("POST", path, as_=REQUESTER, body={"body": "x", "visibility": "internal"}), 403
    )
    problem(api.call("GET", path, as_=REQUESTER2), 404)


def test_given_an_agent_reply_then_first_response_is_stamped_and_the_ticket_opens(api):
    number = api.create_ticket()["number"]
    api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body={"body": "Hi"})
    ticket = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    assert ticket["status"] == "open" and ticket["first_response_at"]
    assert ticket["version"] == 2


def test_given_a_resolved_ticket_when_the_requester_replies_then_it_reopens(api):
    number = api.create_ticket()["number"]
    assert patch(api, number, {"status": "resolved"}, 1).status_code == 200
    api.call("POST", f"/v1/tickets/{number}/messages", as_=REQUESTER, body={"body": "Still broken"})
    ticket = api.call("GET", f"/v1/tickets/{number}", as_=REQUESTER).json_body
    assert ticket["status"] == "open" and ticket["resolved_at"] is None


def test_given_time_logged_then_it_adds_up_and_requesters_cannot_log(api):
    number = api.create_ticket()["number"]
    path = f"/v1/tickets/{number}/time"
    assert (
        api.call("POST", path, as_=AGENT, body={"minutes": 15, "note": "Call"}).status_code == 201
    )
    assert api.call("POST", path, as_=AGENT, body={"minutes": 10}).status_code == 201
    problem(api.call("POST", path, as_=REQUESTER, body={"minutes": 5}), 403)
    problem(api.call("POST", path, as_=AGENT, body={"minutes": 0}), 422)
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["time_spent_minutes"] == 25


def test_given_an_escalation_then_tier_and_group_move_and_the_reason_is_an_internal_note(api):
    number = api.create_ticket(as_=AGENT, requester_email=REQUESTER, assignee=AGENT)["number"]
    body = {"tier": 2, "group": "network", "reason": "Needs firewall access"}
    answer = api.call("POST", f"/v1/tickets/{number}/escalate", as_=AGENT, body=body)
    assert answer.status_code == 200, answer.body
    assert (answer.json_body["tier"], answer.json_body["group"], answer.json_body["assignee"]) == (
        2,
        "network",
        None,
    )
    problem(
        api.call("POST", f"/v1/tickets/{number}/escalate", as_=AGENT, body={**body, "tier": 2}), 409
    )
    problem(api.call("POST", f"/v1/tickets/{number}/escalate", as_=REQUESTER, body=body), 403)
    notes = api.call("GET", f"/v1/tickets/{number}/messages", as_=AGENT).json_body["items"]
    assert [(n["visibility"], n["body"]) for n in notes] == [("internal", "Needs firewall access")]
    types = [
        e["type"]
        for e in api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    ]
    assert types == ["ticket.created", "ticket.escalated"]


def test_given_a_requester_then_the_audit_trail_is_forbidden(api):
    number = api.create_ticket()["number"]
    problem(api.call("GET", f"/v1/tickets/{number}/events", as_=REQUESTER), 403)


def test_given_every_response_then_it_carries_a_request_id(api):
    assert api.call("GET", "/v1/health").headers["X-Request-Id"]
    assert api.call("GET", "/v1/tickets/1", as_=AGENT).headers["X-Request-Id"]


@pytest.mark.parametrize(
    "fields",
    [{"": 1}, {"NULL": True}, {"a": 1e300}, {"a": 10**20}, {"a": "x" * 1001}, {"A b": 1}],
)
def test_given_custom_fields_that_cannot_be_stored_exactly_then_422(api, fields):
    body = {"subject": "s", "description": "d", "custom_fields": fields}
    problem(api.call("POST", "/v1/tickets", as_=REQUESTER, body=body), 422)


def test_given_custom_fields_then_they_round_trip(api):
    fields = {"asset_tag": "NL-0042", "floor": 3, "cost": 12.5, "urgent": True, "note": None}
    assert api.create_ticket(custom_fields=fields)["custom_fields"] == fields


def test_given_nullable_fields_set_to_null_then_they_are_cleared(api):
    number = api.create_ticket(
        as_=AGENT, requester_email=REQUESTER, assignee=AGENT, group="network",
        custom_fields={"floor": 3}, tags=["vpn"],
    )["number"]  # fmt: skip
    body = {"assignee": None, "group": None, "custom_fields": None, "tags": None}
    answer = patch(api, number, body, 1)
    assert answer.status_code == 200, answer.body
    cleared = answer.json_body
    assert (cleared["assignee"], cleared["group"]) == (None, None)
    assert (cleared["custom_fields"], cleared["tags"]) == ({}, [])
    problem(patch(api, number, {"subject": None}, 2), 422)


def test_given_a_custom_number_too_close_to_zero_for_dynamodb_then_422_not_500(api):
    body = {"subject": "s", "description": "d", "custom_fields": {"ratio": -2.9e-205}}
    answer = api.call("POST", "/v1/tickets", as_=REQUESTER, body=body)
    assert answer.status_code == 422, answer.body
    body["custom_fields"] = {"ratio": 0.0, "tiny": 1.5e-90}
    assert api.call("POST", "/v1/tickets", as_=REQUESTER, body=body).status_code == 201
