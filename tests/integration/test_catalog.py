"""The service catalog over HTTP: who may read and define it, and filing a service request."""

import pytest

from tests.integration.test_tickets_api import AGENT, REQUESTER, problem

ADMIN = "admin@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"
ACME_REQUESTER = "requester@acme.example.com"

LAPTOP = {
    "id": "new-laptop",
    "name": {"nl": "Nieuwe laptop", "en": "New laptop"},
    "description": {"nl": "Een laptop met standaardsoftware.", "en": "A standard laptop."},
    "category": "workplace/hardware",
    "fields": [
        {
            "key": "model",
            "label": {"nl": "Model", "en": "Model"},
            "kind": "choice",
            "required": True,
            "options": ["standard", "developer"],
        },
        {
            "key": "start_date",
            "label": {"nl": "Vanaf", "en": "From"},
            "kind": "date",
            "required": True,
        },
        {"key": "for_user", "label": {"nl": "Voor", "en": "For"}, "kind": "user"},
        {
            "key": "screens",
            "label": {"nl": "Schermen", "en": "Screens"},
            "kind": "number",
            "min": 0,
            "max": 3,
        },
        {"key": "note", "label": {"nl": "Opmerking", "en": "Note"}, "kind": "text"},
    ],
    "default_group": "workplace",
    "default_priority": "P4",
}
GOOD = {"model": "standard", "start_date": "2026-12-01", "for_user": "Fatma@Demo.example.com"}


def define(api, service=LAPTOP, who=ADMIN):
    answer = api.call("POST", "/v1/services", as_=who, body=service)
    assert answer.status_code == 201, answer.body
    return answer


def file_request(api, fields, who=REQUESTER, **extra):
    body = {
        "subject": "Laptop for Fatma",
        "description": "She starts in December.",
        "type": "service_request",
        "service": "new-laptop",
        "custom_fields": fields,
        **extra,
    }
    return api.call("POST", "/v1/tickets", as_=who, body=body)


# --- the catalog --------------------------------------------------------------------------


def test_given_an_admin_when_defining_a_service_then_201_and_requesters_read_it_in_both_languages(
    api,
):
    created = define(api)
    assert created.headers["Location"] == "/v1/services/new-laptop"
    assert created.headers["ETag"] == '"1"'
    listed = api.call("GET", "/v1/services", as_=REQUESTER)
    assert listed.status_code == 200
    (item,) = listed.json_body["items"]
    assert item["name"] == {"nl": "Nieuwe laptop", "en": "New laptop"}
    assert [f["key"] for f in item["fields"]] == [
        "model",
        "start_date",
        "for_user",
        "screens",
        "note",
    ]
    assert item["version"] == 1 and item["active"] is True
    one = api.call("GET", "/v1/services/new-laptop", as_=REQUESTER)
    assert one.status_code == 200 and one.json_body["default_group"] == "workplace"


@pytest.mark.parametrize("who", [REQUESTER, AGENT, SUPERVISOR])
def test_given_anyone_below_admin_when_defining_or_changing_a_service_then_403(api, who):
    problem(api.call("POST", "/v1/services", as_=who, body=LAPTOP), 403)
    define(api)
    body = {k: v for k, v in LAPTOP.items() if k != "id"}
    headers = {"If-Match": '"1"'}
    problem(api.call("PUT", "/v1/services/new-laptop", as_=who, body=body, headers=headers), 403)
    problem(api.call("DELETE", "/v1/services/new-laptop", as_=who, headers=headers), 403)


def test_given_another_tenant_then_its_catalog_is_its_own(api):
    define(api)
    assert api.call("GET", "/v1/services", as_=ACME_REQUESTER).json_body["items"] == []
    problem(api.call("GET", "/v1/services/new-laptop", as_=ACME_ADMIN), 404)
    headers = {"If-Match": '"1"'}
    problem(api.call("DELETE", "/v1/services/new-laptop", as_=ACME_ADMIN, headers=headers), 404)
    # The same id is free in another tenant.
    acme = {**LAPTOP, "default_group": None}
    assert api.call("POST", "/v1/services", as_=ACME_ADMIN, body=acme).status_code == 201


def test_given_a_service_when_replaced_then_if_match_guards_it_and_retiring_hides_it(api):
    define(api)
    problem(api.call("POST", "/v1/services", as_=ADMIN, body=LAPTOP), 409)
    body = {k: v for k, v in LAPTOP.items() if k != "id"} | {"default_priority": "P3"}
    problem(api.call("PUT", "/v1/services/new-laptop", as_=ADMIN, body=body), 428)
    stale = {"If-Match": '"7"'}
    problem(api.call("PUT", "/v1/services/new-laptop", as_=ADMIN, body=body, headers=stale), 412)
    replaced = api.call(
        "PUT", "/v1/services/new-laptop", as_=ADMIN, body=body, headers={"If-Match": '"1"'}
    )
    assert replaced.status_code == 200, replaced.body
    assert replaced.json_body["default_priority"] == "P3" and replaced.headers["ETag"] == '"2"'
    retired = api.call("DELETE", "/v1/services/new-laptop", as_=ADMIN, headers={"If-Match": '"2"'})
    assert retired.status_code == 200 and retired.json_body["active"] is False
    assert api.call("GET", "/v1/services", as_=REQUESTER).json_body["items"] == []
    problem(api.call("GET", "/v1/services/new-laptop", as_=REQUESTER), 404)
    every = api.call("GET", "/v1/services?include_retired=true", as_=ADMIN).json_body["items"]
    assert [s["id"] for s in every] == ["new-laptop"]
    problem(api.call("GET", "/v1/services?include_retired=true", as_=REQUESTER), 403)
    problem(file_request(api, GOOD), 422)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"default_group": "no-such-group"}, "default_group"),
        ({"fields": [{"key": "x", "label": {"nl": "x", "en": "x"}, "kind": "choice"}]}, "fields.0"),
        ({"fields": [{"key": "x", "label": {"nl": "x", "en": "x"}, "kind": "colour"}]}, "fields"),
        ({"name": {"nl": "Alleen Nederlands"}}, "name.en"),
        ({"approval": {"approver": "not-an-address"}}, "approval.approver"),
    ],
)
def test_given_a_bad_definition_then_422_names_the_field(api, change, field):
    body = problem(api.call("POST", "/v1/services", as_=ADMIN, body={**LAPTOP, **change}), 422)
    assert any(e["field"].startswith(field) for e in body["errors"]), body


# --- filing a service request ---------------------------------------------------------------


def test_given_valid_fields_when_a_requester_files_then_the_catalog_defaults_are_applied(api):
    define(api)
    answer = file_request(api, GOOD)
    assert answer.status_code == 201, answer.body
    ticket = answer.json_body
    assert ticket["service"] == "new-laptop" and ticket["category"] == "workplace/hardware"
    assert ticket["priority"] == "P4" and ticket["status"] == "new"
    # Values are stored normalised: the address in lower case.
    assert ticket["custom_fields"] == {
        "model": "standard",
        "start_date": "2026-12-01",
        "for_user": "fatma@demo.example.com",
    }
    seen_by_agent = api.call("GET", f"/v1/tickets/{ticket['number']}", as_=AGENT).json_body
    assert seen_by_agent["group"] == "workplace"


def test_given_an_agent_who_routes_it_when_filing_then_their_choices_win_over_the_defaults(api):
    define(api)
    answer = file_request(
        api, GOOD, who=AGENT, requester_email=REQUESTER, group="network", priority="P2"
    )
    assert answer.status_code == 201, answer.body
    assert (answer.json_body["group"], answer.json_body["priority"]) == ("network", "P2")


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({**GOOD, "colour": "red"}, {"custom_fields.colour"}),
        ({"for_user": "x@y.example"}, {"custom_fields.model", "custom_fields.start_date"}),
        ({**GOOD, "model": "gaming"}, {"custom_fields.model"}),
        ({**GOOD, "start_date": "1 december"}, {"custom_fields.start_date"}),
        ({**GOOD, "start_date": "2026-02-30"}, {"custom_fields.start_date"}),
        ({**GOOD, "for_user": "fatma"}, {"custom_fields.for_user"}),
        ({**GOOD, "screens": 4}, {"custom_fields.screens"}),
        ({**GOOD, "screens": "two"}, {"custom_fields.screens"}),
        ({**GOOD, "note": 12}, {"custom_fields.note"}),
    ],
)
def test_given_fields_that_break_the_form_when_filing_then_422_names_each_field(
    api, fields, errors
):
    define(api)
    body = problem(file_request(api, fields), 422)
    assert {e["field"] for e in body["errors"]} == errors
    assert api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"] == []


def test_given_a_service_not_in_the_catalog_then_a_service_request_for_it_is_422(api):
    body = problem(file_request(api, GOOD), 422)
    assert body["errors"][0]["field"] == "service"
    # Other types keep `service` as a free label (e.g. the affected service of an incident).
    incident = file_request(api, {}, type="incident")
    assert incident.status_code == 201, incident.body


def test_given_sla_targets_on_a_service_then_its_tickets_run_under_them(api):
    target = {
        "priority": "P4",
        "calendar": "24x7",
        "first_response_minutes": 15,
        "next_response_minutes": 60,
        "resolution_minutes": 7200,
        "warn_before_minutes": 5,
    }
    define(api, {**LAPTOP, "sla_targets": [target]})
    ticket = file_request(api, GOOD).json_body
    assert ticket["sla"]["first_response"]["target_minutes"] == 15
    assert ticket["sla"]["resolution"]["target_minutes"] == 7200
    # A priority change keeps the service's scope: P3 has no service target, the default rules.
    changed = api.call(
        "PATCH",
        f"/v1/tickets/{ticket['number']}",
        as_=AGENT,
        body={"priority": "P3"},
        headers={"If-Match": '"1"'},
    ).json_body
    assert changed["sla"]["first_response"]["target_minutes"] == 240
