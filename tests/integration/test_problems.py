"""Problem management over HTTP: RCA, linking incidents, resolving a problem with them."""

import pytest

from tests.integration.test_mail import Mailroom
from tests.integration.test_tickets_api import ACME_AGENT, AGENT, REQUESTER, REQUESTER2, problem

RCA = {
    "symptoms": "VPN drops every 10 minutes",
    "root_cause": "Firewall firmware 7.2 resets idle tunnels",
    "workaround": "Keep-alive every 60 s",
    "permanent_fix": "Firmware 7.3",
    "known_error": True,
}


def new_problem(api) -> dict:
    return api.create_ticket(
        as_=AGENT,
        subject="VPN tunnels reset",
        description="Many users lose VPN",
        type="problem",
        requester_email=AGENT,
    )


def incident(api, who=REQUESTER) -> int:
    return api.create_ticket(as_=who, subject="VPN drops", description="Again")["number"]


def link(api, number, incidents, who=AGENT):
    return api.call("POST", f"/v1/tickets/{number}/links", as_=who, body={"incidents": incidents})


def resolve(api, number, version, **body):
    return api.call(
        "POST",
        f"/v1/tickets/{number}/resolve",
        as_=AGENT,
        body=body,
        headers={"If-Match": f'"{version}"'},
    )


def test_given_a_problem_when_its_rca_is_written_then_agents_see_it_and_requesters_never(api):
    number = new_problem(api)["number"]
    answer = api.call(
        "PUT", f"/v1/tickets/{number}/rca", as_=AGENT, body=RCA, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 200, answer.body
    assert answer.json_body["rca"] == RCA and answer.headers["ETag"] == '"2"'
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert events[-1]["changes"]["rca"]["to"]["known_error"] is True
    # A requester's own ticket never shows an rca, not even an empty one.
    own = api.create_ticket()["number"]
    assert "rca" not in api.call("GET", f"/v1/tickets/{own}", as_=REQUESTER).json_body
    stale = {"If-Match": '"1"'}
    problem(api.call("PUT", f"/v1/tickets/{number}/rca", as_=AGENT, body=RCA, headers=stale), 412)
    problem(api.call("PUT", f"/v1/tickets/{own}/rca", as_=AGENT, body=RCA, headers=stale), 409)
    problem(api.call("PUT", f"/v1/tickets/{own}/rca", as_=REQUESTER, body=RCA, headers=stale), 403)


def test_given_incidents_when_linked_in_one_step_then_each_names_the_problem_with_an_audit(api):
    number = new_problem(api)["number"]
    incidents = [incident(api), incident(api, REQUESTER2), incident(api)]
    answer = link(api, number, incidents)
    assert answer.status_code == 200, answer.body
    assert answer.json_body["linked"] == incidents
    for n in incidents:
        seen = api.call("GET", f"/v1/tickets/{n}", as_=AGENT).json_body
        assert seen["problem"] == number and seen["version"] == 2
        changes = api.call("GET", f"/v1/tickets/{n}/events", as_=AGENT).json_body["items"][-1]
        assert changes["changes"]["problem"] == {"from": None, "to": number}
        assert (
            "problem"
            not in api.call("GET", f"/v1/tickets/{n}", as_=seen["requester"]["email"]).json_body
        )
    listed = api.call("GET", f"/v1/tickets/{number}/links?limit=2", as_=AGENT).json_body
    assert [t["number"] for t in listed["items"]] == incidents[:2] and listed["next_cursor"]
    rest = api.call(
        "GET", f"/v1/tickets/{number}/links?cursor={listed['next_cursor']}", as_=AGENT
    ).json_body
    assert [t["number"] for t in rest["items"]] == incidents[2:]
    # Linking again changes nothing.
    assert link(api, number, incidents).json_body["linked"] == []


def test_given_one_bad_number_in_a_batch_then_nothing_is_linked_and_the_position_is_named(api):
    number = new_problem(api)["number"]
    good = incident(api)
    other_problem = new_problem(api)["number"]
    body = problem(link(api, number, [good, 99999, other_problem, number]), 422)
    assert {e["field"] for e in body["errors"]} == {"incidents.1", "incidents.2", "incidents.3"}
    assert api.call("GET", f"/v1/tickets/{good}", as_=AGENT).json_body["problem"] is None
    problem(link(api, number, list(range(1, 32))), 422)
    problem(link(api, good, [good]), 409)  # not a problem
    problem(link(api, number, [good], who=REQUESTER), 403)


def test_given_another_tenant_then_its_agents_cannot_see_or_link_the_problem(api):
    number = new_problem(api)["number"]
    own = incident(api)
    problem(link(api, number, [own], who=ACME_AGENT), 404)
    problem(api.call("GET", f"/v1/tickets/{number}/links", as_=ACME_AGENT), 404)
    acme_incident = api.create_ticket(
        as_="requester@acme.example.com", subject="VPN", description="down"
    )["number"]
    body = problem(link(api, number, [acme_incident]), 422)
    assert body["errors"][0]["field"] == "incidents.0"


def test_given_linked_incidents_when_resolved_with_the_problem_then_each_requester_hears_once(
    api, aws_env
):
    room = Mailroom(aws_env)
    number = new_problem(api)["number"]
    first, second, done = incident(api), incident(api, REQUESTER2), incident(api)
    api.call(
        "PATCH",
        f"/v1/tickets/{done}",
        as_=AGENT,
        body={"status": "resolved"},
        headers={"If-Match": '"1"'},
    )
    assert link(api, number, [first, second, done]).status_code == 200
    room.settle()
    before = {a: len(room.sent_to(a)) for a in (REQUESTER, REQUESTER2)}
    problem(resolve(api, number, 1, resolve_incidents=True), 422)  # the message is required
    answer = resolve(
        api, number, 1, resolve_incidents=True, message="Firmware 7.3 fixes the VPN drops."
    )
    assert answer.status_code == 200, answer.body
    assert answer.json_body["ticket"]["status"] == "resolved"
    assert answer.json_body["incidents"] == {
        "resolved": [first, second],
        "skipped": [done],
        "failed": [],
    }
    for n, who in ((first, REQUESTER), (second, REQUESTER2)):
        seen = api.call("GET", f"/v1/tickets/{n}", as_=who).json_body
        assert seen["status"] == "resolved"
        said = api.call("GET", f"/v1/tickets/{n}/messages", as_=who).json_body["items"]
        assert [m["body"] for m in said] == ["Firmware 7.3 fixes the VPN drops."]
        last = api.call("GET", f"/v1/tickets/{n}/events", as_=AGENT).json_body["items"][-1]
        assert last["type"] == "message.added"
        assert last["changes"]["status"] == {"from": "new", "to": "resolved"}
        assert last["data"]["problem"] == number
    room.settle()
    for who in (REQUESTER, REQUESTER2):
        mails = room.sent_to(who)[before[who] :]
        assert len(mails) == 1, [m["Subject"] for m in mails]
        assert "Firmware 7.3" in mails[0].get_body(("plain",)).get_content()
    trail = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert trail[-1]["type"] == "problem.incidents_resolved"
    # Calling again resumes: nobody is told twice.
    again = resolve(api, number, 2, resolve_incidents=True, message="Firmware 7.3 fixes it.")
    assert again.json_body["incidents"]["resolved"] == []


def test_given_an_incident_that_fails_to_resolve_then_it_is_reported_and_a_repeat_resumes(
    api, monkeypatch
):
    from chalicelib import wiring

    number = new_problem(api)["number"]
    first, second = incident(api), incident(api, REQUESTER2)
    link(api, number, [first, second])
    service = wiring.problem_service()
    real_save = service.tickets.save

    def failing_save(ticket, expected, records):
        if ticket.number == second:
            raise RuntimeError("throttled")
        return real_save(ticket, expected, records)

    monkeypatch.setattr(service.tickets, "save", failing_save)
    answer = resolve(api, number, 1, resolve_incidents=True, message="Fixed.")
    assert answer.json_body["incidents"] == {"resolved": [first], "skipped": [], "failed": [second]}
    trail = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert trail[-1]["data"]["failed"] == [second]
    monkeypatch.setattr(service.tickets, "save", real_save)
    again = resolve(api, number, 2, resolve_incidents=True, message="Fixed.")
    assert again.json_body["incidents"] == {"resolved": [second], "skipped": [first], "failed": []}
    said = api.call("GET", f"/v1/tickets/{first}/messages", as_=REQUESTER).json_body["items"]
    assert len(said) == 1


@pytest.mark.parametrize("who", [REQUESTER])
def test_given_a_requester_then_problem_routes_are_forbidden(api, who):
    number = new_problem(api)["number"]
    problem(api.call("GET", f"/v1/tickets/{number}/links", as_=who), 403)
    problem(resolve_as(api, number, who), 403)


def resolve_as(api, number, who):
    return api.call(
        "POST", f"/v1/tickets/{number}/resolve", as_=who, body={}, headers={"If-Match": '"1"'}
    )


# --- linking by PATCH of `problem` (the service checks it, as POST /links does) -------------


def patch_problem(api, number, value, version=1, who=AGENT):
    return api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_=who,
        body={"problem": value},
        headers={"If-Match": f'"{version}"'},
    )


def linked_numbers(api, number) -> list[int]:
    items = api.call("GET", f"/v1/tickets/{number}/links", as_=AGENT).json_body["items"]
    return [t["number"] for t in items]


def test_given_a_patch_of_problem_then_the_problem_lists_the_incident_with_an_audit(api):
    number = new_problem(api)["number"]
    own = incident(api)
    answer = patch_problem(api, own, number)
    assert answer.status_code == 200, answer.body
    assert answer.json_body["problem"] == number
    # Same transaction as POST /links: the LINK# item and the problem's own event.
    assert linked_numbers(api, number) == [own]
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert events[-1]["type"] == "problem.linked" and events[-1]["data"] == {"incidents": [own]}


def test_given_a_bad_problem_in_a_patch_then_422_on_problem_and_nothing_written(api):
    number = new_problem(api)["number"]
    own = incident(api)
    question = api.create_ticket(
        as_=REQUESTER, subject="How do I", description="use VPN?", type="question"
    )["number"]
    other = incident(api)
    # Numbers count per tenant: Acme's problem gets a number no demo ticket has.
    acme_problem = 0
    while acme_problem <= other:
        acme_problem = api.create_ticket(
            as_=ACME_AGENT,
            subject="Acme VPN",
            description="down",
            type="problem",
            requester_email=ACME_AGENT,
        )["number"]
    refused = {
        "another tenant's problem": (own, acme_problem),
        "no such ticket": (own, 99999),
        "not a problem": (own, other),
        "itself": (own, own),
        "a question": (question, number),
        "the problem itself": (number, number),
    }
    for why, (ticket, target) in refused.items():
        body = problem(patch_problem(api, ticket, target), 422)
        assert [e["field"] for e in body["errors"]] == ["problem"], why
    # Another tenant's problem reads like a missing ticket: its existence is not revealed.
    acme = problem(patch_problem(api, own, acme_problem), 422)
    missing = problem(patch_problem(api, own, 99999), 422)
    assert acme["errors"] == missing["errors"]
    for ticket in (own, question, number):
        seen = api.call("GET", f"/v1/tickets/{ticket}", as_=AGENT).json_body
        assert seen["problem"] is None and seen["version"] == 1
    assert linked_numbers(api, number) == []
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert [e["type"] for e in events] == ["ticket.created"]


def test_given_a_linked_incident_when_its_problem_is_cleared_then_the_list_drops_it(api):
    number = new_problem(api)["number"]
    own = incident(api)
    assert link(api, number, [own]).status_code == 200
    # A linked incident stays an incident: changing its type alone is refused.
    body = problem(
        api.call(
            "PATCH",
            f"/v1/tickets/{own}",
            as_=AGENT,
            body={"type": "question"},
            headers={"If-Match": '"2"'},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "type"
    cleared = patch_problem(api, own, None, version=2)
    assert cleared.status_code == 200, cleared.body
    assert cleared.json_body["problem"] is None
    assert linked_numbers(api, number) == []
    # Linking again by PATCH brings it back.
    assert patch_problem(api, own, number, version=3).status_code == 200
    assert linked_numbers(api, number) == [own]
