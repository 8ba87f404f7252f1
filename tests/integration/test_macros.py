"""Response templates (macros) over the API: roles, personal vs shared, tenancy, If-Match,
placeholders, and rendering in the requester's language."""

from typing import Any

from tests.integration.conftest import Api

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
AGENT2 = "agent2@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ACME_AGENT = "agent@acme.example.com"
ACME_REQUESTER = "requester@acme.example.com"

GREETING = {
    "nl": "Beste {{requester_name}}, melding #{{ ticket_number }}: {{portal_link}} "
    "— {{agent_name}}",
    "en": "Dear {{requester_name}}, ticket #{{ticket_number}}: {{portal_link}} — {{agent_name}}",
}


def make(api: Api, who: str, name: str = "Greeting", **fields: Any) -> Any:
    body = {"name": name, "body": GREETING, **fields}
    return api.call("POST", "/v1/macros", as_=who, body=body)


def names(api: Api, who: str) -> list[str]:
    answer = api.call("GET", "/v1/macros", as_=who)
    assert answer.status_code == 200, answer.body
    return [m["name"] for m in answer.json_body["items"]]


def test_given_an_agent_when_making_a_personal_macro_then_only_they_see_it(api):
    made = make(api, AGENT, "Mine")
    assert made.status_code == 201, made.body
    macro = made.json_body
    assert macro["scope"] == "personal" and macro["owner"] == AGENT and macro["version"] == 1
    assert made.headers["ETag"] == '"1"'
    assert made.headers["Location"].endswith(f"/v1/macros/{macro['id']}")
    assert names(api, AGENT) == ["Mine"]
    assert names(api, AGENT2) == []
    assert names(api, SUPERVISOR) == []
    # Not even a supervisor may read, change or use someone's personal macro: it is not there.
    put = api.call(
        "PUT",
        f"/v1/macros/{macro['id']}",
        as_=SUPERVISOR,
        body={"name": "x", "body": {"en": "x"}},
        headers={"If-Match": '"1"'},
    )
    assert put.status_code == 404
    assert api.call("DELETE", f"/v1/macros/{macro['id']}", as_=AGENT2).status_code == 404


def test_given_a_supervisor_when_making_a_shared_macro_then_all_staff_see_it_by_name(api):
    assert make(api, SUPERVISOR, "b shared", scope="shared").status_code == 201
    assert make(api, SUPERVISOR, "A shared", scope="shared").status_code == 201
    assert make(api, AGENT, "a mine").status_code == 201
    assert make(api, AGENT2, "also theirs").status_code == 201
    assert names(api, AGENT) == ["a mine", "A shared", "b shared"]
    assert names(api, AGENT2) == ["A shared", "also theirs", "b shared"]


def test_given_an_agent_when_making_or_changing_a_shared_macro_then_403(api):
    assert make(api, AGENT, scope="shared").status_code == 403
    shared = make(api, SUPERVISOR, scope="shared").json_body
    body = {"name": "Changed", "body": {"en": "Hi"}, "scope": "shared"}
    put = api.call(
        "PUT", f"/v1/macros/{shared['id']}", as_=AGENT, body=body, headers={"If-Match": '"1"'}
    )
    assert put.status_code == 403
    assert api.call("DELETE", f"/v1/macros/{shared['id']}", as_=AGENT).status_code == 403
    assert names(api, AGENT) == ["Greeting"]


def test_given_a_requester_when_touching_macros_then_403(api):
    assert api.call("GET", "/v1/macros", as_=REQUESTER).status_code == 403
    assert make(api, REQUESTER).status_code == 403
    shared = make(api, SUPERVISOR, scope="shared").json_body
    answer = api.call(
        "POST", f"/v1/macros/{shared['id']}/render", as_=REQUESTER, body={"ticket": 1}
    )
    assert answer.status_code == 403


def test_given_another_tenants_macro_then_it_is_404_and_not_listed(api):
    shared = make(api, SUPERVISOR, scope="shared").json_body
    assert names(api, ACME_AGENT) == []
    ticket = api.create_ticket(as_=ACME_REQUESTER)
    answer = api.call(
        "POST",
        f"/v1/macros/{shared['id']}/render",
        as_=ACME_AGENT,
        body={"ticket": ticket["number"]},
    )
    assert answer.status_code == 404
    assert (
        api.call("DELETE", f"/v1/macros/{shared['id']}", as_="admin@acme.example.com").status_code
        == 404
    )


def test_given_a_macro_when_replacing_then_if_match_is_required_and_checked(api):
    macro = make(api, AGENT).json_body
    path = f"/v1/macros/{macro['id']}"
    body = {"name": "Renamed", "body": {"nl": "Hallo {{requester_name}}"}}
    assert api.call("PUT", path, as_=AGENT, body=body).status_code == 428
    assert (
        api.call("PUT", path, as_=AGENT, body=body, headers={"If-Match": '"7"'}).status_code == 412
    )
    done = api.call("PUT", path, as_=AGENT, body=body, headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.body
    assert done.json_body["version"] == 2 and done.json_body["body"] == body["body"]
    assert done.headers["ETag"] == '"2"'
    stale = api.call("PUT", path, as_=AGENT, body=body, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert names(api, AGENT) == ["Renamed"]


def test_given_a_macro_when_its_scope_is_changed_then_422(api):
    macro = make(api, SUPERVISOR).json_body
    body = {"name": "Greeting", "body": {"en": "Hi"}, "scope": "shared"}
    answer = api.call(
        "PUT", f"/v1/macros/{macro['id']}", as_=SUPERVISOR, body=body, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 422
    assert answer.json_body["errors"][0]["field"] == "scope"


def test_given_a_macro_when_deleting_then_it_is_gone_and_a_stale_if_match_is_412(api):
    macro = make(api, AGENT).json_body
    path = f"/v1/macros/{macro['id']}"
    assert api.call("DELETE", path, as_=AGENT, headers={"If-Match": '"3"'}).status_code == 412
    assert api.call("DELETE", path, as_=AGENT, headers={"If-Match": '"1"'}).status_code == 204
    assert api.call("DELETE", path, as_=AGENT).status_code == 404
    assert names(api, AGENT) == []


def test_given_unknown_or_unclosed_placeholders_when_saving_then_422_names_the_language(api):
    answer = make(api, AGENT, body={"nl": "Hoi {{ voornaam }}", "en": "Hi {{requester_name"})
    assert answer.status_code == 422
    fields = [e["field"] for e in answer.json_body["errors"]]
    assert fields == ["body.en", "body.nl"]
    assert "voornaam" in answer.json_body["errors"][1]["message"]
    assert names(api, AGENT) == []


def test_given_no_language_or_unknown_fields_when_saving_then_422(api):
    assert make(api, AGENT, body={}).status_code == 422
    assert make(api, AGENT, body={"de": "Hallo"}).status_code == 422
    assert make(api, AGENT, owner="someone@else").status_code == 422
    assert make(api, AGENT, actions={"status": "closed"}).status_code == 422


def test_given_a_dutch_requester_when_rendering_then_the_dutch_text_is_filled_in(api):
    ticket = api.create_ticket()
    macro = make(api, AGENT, actions={"status": "pending"}).json_body
    answer = api.call(
        "POST", f"/v1/macros/{macro['id']}/render", as_=AGENT, body={"ticket": ticket["number"]}
    )
    assert answer.status_code == 200, answer.body
    n = ticket["number"]
    assert answer.json_body == {
        "body": f"Beste Sanne de Vries, melding #{n}: http://127.0.0.1:8077/tickets/{n} "
        "— Eva Bakker",
        "language": "nl",
        "actions": {"status": "pending"},
    }


def test_given_an_english_requester_when_rendering_then_english_and_a_fallback(api):
    ticket = api.create_ticket(as_=ACME_REQUESTER)
    both = make(api, ACME_AGENT).json_body
    dutch_only = make(api, ACME_AGENT, "Alleen nl", body={"nl": "Hoi {{requester_name}}"}).json_body
    n = ticket["number"]
    english = api.call(
        "POST", f"/v1/macros/{both['id']}/render", as_=ACME_AGENT, body={"ticket": n}
    )
    assert english.json_body["language"] == "en"
    assert english.json_body["body"].startswith(f"Dear Alice Morgan, ticket #{n}:")
    fallback = api.call(
        "POST", f"/v1/macros/{dutch_only['id']}/render", as_=ACME_AGENT, body={"ticket": n}
    )
    assert fallback.json_body == {"body": "Hoi Alice Morgan", "language": "nl", "actions": {}}


def test_given_a_requester_name_that_looks_like_a_placeholder_then_it_is_not_expanded(api):
    ticket = api.create_ticket(
        as_=AGENT, requester_email="pat@example.org", requester_name="{{portal_link}}\nP.S. pay"
    )
    macro = make(api, AGENT, body={"en": "Hi {{requester_name}}!"}).json_body
    answer = api.call(
        "POST", f"/v1/macros/{macro['id']}/render", as_=AGENT, body={"ticket": ticket["number"]}
    )
    assert answer.json_body["body"] == "Hi {{portal_link}} P.S. pay!"


def test_given_an_unknown_ticket_or_macro_when_rendering_then_404(api):
    macro = make(api, AGENT).json_body
    unknown_ticket = api.call(
        "POST", f"/v1/macros/{macro['id']}/render", as_=AGENT, body={"ticket": 999}
    )
    assert unknown_ticket.status_code == 404
    ticket = api.create_ticket()
    for bad in ("01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", "..%2F"):
        answer = api.call(
            "POST", f"/v1/macros/{bad}/render", as_=AGENT, body={"ticket": ticket["number"]}
        )
        assert answer.status_code == 404, bad


def test_given_many_macros_when_paging_then_every_one_comes_once_in_name_order(api):
    for i in range(5):
        assert make(api, SUPERVISOR, f"shared {i}", scope="shared").status_code == 201
        assert make(api, AGENT, f"mine {i}").status_code == 201
    assert make(api, AGENT2, "not mine").status_code == 201
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        path = "/v1/macros?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", path, as_=AGENT).json_body
        assert len(page["items"]) <= 3
        seen += [m["name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted([f"mine {i}" for i in range(5)] + [f"shared {i}" for i in range(5)])
    assert api.call("GET", "/v1/macros?cursor=garbage", as_=AGENT).status_code == 422


def test_given_colleagues_with_many_personal_macros_then_a_page_reads_only_two_bounded_queries(
    api,
):
    from chalicelib.adapters.aws import client

    for i in range(12):
        assert make(api, AGENT2, f"theirs {i:02d}").status_code == 201
    for i in range(3):
        assert make(api, AGENT, f"mine {i}").status_code == 201
    assert make(api, SUPERVISOR, "shared", scope="shared").status_code == 201
    scanned: list[int] = []

    def note(http_response, parsed, model, **_):
        if model.name == "Query":
            scanned.append(parsed.get("ScannedCount", 0))

    db = client("dynamodb")
    db.meta.events.register("after-call.dynamodb.Query", note)
    try:
        page = api.call("GET", "/v1/macros?limit=2", as_=AGENT).json_body
    finally:
        db.meta.events.unregister("after-call.dynamodb.Query", note)
    assert [m["name"] for m in page["items"]] == ["mine 0", "mine 1"]
    assert len(scanned) == 2 and max(scanned) <= 3
