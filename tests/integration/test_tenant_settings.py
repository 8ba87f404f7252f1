"""GET/PATCH /v1/tenant over chalice.test and moto: an admin changes their own tenant's
settings, with versions, the shared checks, an audit record, and no secrets in the answer."""

from typing import Any

import pytest

from tests.integration.conftest import Api

ADMIN = "admin@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"
AGENT = "agent@demo.example.com"
OUTSIDER = "consultant@elsewhere.example.org"
MERGE_PATCH = "application/merge-patch+json"


def read(api: Api, as_: str = ADMIN) -> Any:
    answer = api.call("GET", "/v1/tenant", as_=as_)
    assert answer.status_code == 200, answer.body
    return answer


def patch(api: Api, body: Any, version: Any, as_: str = ADMIN) -> Any:
    headers = {"Content-Type": MERGE_PATCH}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return api.call("PATCH", "/v1/tenant", as_=as_, body=body, headers=headers)


def stored(tenant: str = "demo") -> dict[str, Any]:
    from chalicelib.adapters.dynamo.tenants import DynamoTenants

    item = DynamoTenants().get(tenant, consistent=True)
    assert item is not None
    return item


def test_given_an_admin_then_get_shows_the_settings_with_an_etag_and_no_secrets(api):
    answer = read(api)
    body = answer.json_body
    assert body["tenant"] == "demo" and body["locale"] == "nl"
    assert body["timezone"] == "Europe/Amsterdam"
    assert answer.headers["ETag"] == f'"{body["version"]}"'
    assert stored()["mail_token_key"] not in answer.body.decode()
    assert "mail_token_key" not in body and "inbound_addresses" not in body


def test_given_an_admin_when_patching_then_only_the_fields_sent_change_and_it_is_audited(api):
    from chalicelib.adapters.dynamo.tenants import DynamoTenants

    before = read(api).json_body
    key = stored()["mail_token_key"]
    answer = patch(
        api,
        {"auto_close_days": 3, "signature": "Groet,\nDe servicedesk", "external_watchers": True},
        before["version"],
    )
    assert answer.status_code == 200, answer.body
    after = answer.json_body
    assert after["version"] == before["version"] + 1
    assert answer.headers["ETag"] == f'"{after["version"]}"'
    assert after["auto_close_days"] == 3 and after["external_watchers"] is True
    assert after["name"] == before["name"] and after["reopen_days"] == before["reopen_days"]
    assert after["updated_by"] == ADMIN
    item = stored()
    assert item["mail_token_key"] == key and item["inbound_addresses"]  # untouched
    assert key not in answer.body.decode()

    (record,) = DynamoTenants().settings_changes("demo", 10)
    assert record["actor"]["id"] == ADMIN and record["actor"]["role"] == "admin"
    assert record["changes"]["auto_close_days"] == {"from": before["auto_close_days"], "to": 3}
    assert set(record["changes"]) == {"auto_close_days", "signature", "external_watchers"}
    assert key not in repr(record)

    # null removes the signature; the same values again write nothing new.
    cleared = patch(api, {"signature": None}, after["version"]).json_body
    assert cleared["signature"] is None
    same = patch(api, {"auto_close_days": 3}, cleared["version"])
    assert same.status_code == 200 and same.json_body["version"] == cleared["version"]
    assert len(DynamoTenants().settings_changes("demo", 10)) == 2


@pytest.mark.parametrize(
    "who", ["supervisor@demo.example.com", AGENT, "requester@demo.example.com"]
)
def test_given_someone_below_admin_then_403_on_read_and_change(api, who):
    assert api.call("GET", "/v1/tenant", as_=who).status_code == 403
    assert patch(api, {"name": "Taken over"}, 1, as_=who).status_code == 403
    assert stored()["name"] != "Taken over"


def test_given_two_tenants_then_each_admin_reaches_only_their_own(api):
    acme = read(api, ACME_ADMIN).json_body
    assert acme["tenant"] == "acme"
    # There is no tenant to name: a body naming another one is an unknown field.
    sneaky = patch(api, {"tenant": "demo", "name": "Hijacked"}, acme["version"], as_=ACME_ADMIN)
    assert sneaky.status_code == 422
    changed = patch(api, {"name": "Acme Ltd"}, acme["version"], as_=ACME_ADMIN)
    assert changed.json_body["tenant"] == "acme"
    assert stored("demo")["name"] != "Acme Ltd" and stored("acme")["name"] == "Acme Ltd"


def test_given_a_stale_or_missing_if_match_then_412_or_428(api):
    version = read(api).json_body["version"]
    assert patch(api, {"reopen_days": 5}, version + 1).status_code == 412
    assert patch(api, {"reopen_days": 5}, None).status_code == 428
    assert patch(api, {"reopen_days": 5}, version).status_code == 200
    assert patch(api, {"reopen_days": 6}, version).status_code == 412  # the old one again
    assert stored()["reopen_days"] == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("auto_close_days", 0),
        ("auto_close_days", 366),
        ("reopen_days", -1),
        ("reopen_days", 366),
        ("retention_months", 121),
        ("inbound_silence_hours", 169),
        ("locale", "de"),
        ("name", ""),
        ("name", None),
        ("signature", "x" * 2001),
        ("external_watchers", "yes"),
        ("auto_close_days", "7"),
        ("auto_close_days", True),
        ("timezone", "UTC"),
        ("mail_token_key", "mine-now"),
        ("inbound_addresses", ["x@example.org"]),
    ],
)
def test_given_a_bad_or_unknown_field_then_422_naming_it_and_nothing_changes(api, field, value):
    before = stored()
    answer = patch(api, {field: value}, before.get("version", 0))
    assert answer.status_code == 422, answer.body
    assert field in [e["field"] for e in answer.json_body["errors"]]
    assert stored() == before


def test_given_outside_watchers_allowed_by_the_admin_then_an_agent_adds_one(api):
    number = api.create_ticket()["number"]
    path = f"/v1/tickets/{number}/watchers"
    refused = api.call("POST", path, as_=AGENT, body={"email": OUTSIDER})
    assert refused.status_code == 422
    version = read(api).json_body["version"]
    assert patch(api, {"external_watchers": True}, version).status_code == 200
    added = api.call("POST", path, as_=AGENT, body={"email": OUTSIDER})
    assert added.status_code == 201, added.body


def test_given_a_tenant_item_from_before_versions_then_it_is_version_0_and_changes_to_1(
    api, aws_env
):
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import to_item
    from chalicelib.adapters.dynamo.keys import tenant_key

    client("dynamodb").update_item(
        TableName=aws_env["BALIE_TABLE_NAME"], Key=to_item(tenant_key("demo")),
        UpdateExpression="REMOVE version",
    )  # fmt: skip
    answer = read(api)
    assert answer.json_body["version"] == 0 and answer.headers["ETag"] == '"0"'
    changed = patch(api, {"retention_months": 36}, 0)
    assert changed.status_code == 200 and changed.json_body["version"] == 1
