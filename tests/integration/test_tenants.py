"""An MSP's operator onboards a customer tenant; its admin is invited, nobody else gains access."""

import boto3
import pytest

from tests.integration.test_tickets_api import problem

OPERATOR = "operator@demo.example.com"
NEW = {
    "id": "globex",
    "name": "Globex BV",
    "locale": "nl",
    "timezone": "Europe/Brussels",
    "inbound_address": "helpdesk@globex.example.com",
    "admin_email": "it@globex.example.com",
    "admin_name": "Ilse Tromp",
}


def test_given_an_operator_when_onboarding_then_tenant_address_and_invited_admin(api, aws_env):
    answer = api.call("POST", "/v1/tenants", as_=OPERATOR, body=NEW)
    assert answer.status_code == 201, answer.body
    created = answer.json_body
    assert (created["id"], created["admin_invited"]) == ("globex", True)
    assert any("inbound-smtp.eu-west-1.amazonaws.com" in step for step in created["mail_setup"])

    cognito = boto3.client("cognito-idp")
    pool = aws_env["BALIE_USER_POOL_ID"]
    admin = cognito.admin_get_user(UserPoolId=pool, Username="it@globex.example.com")
    attributes = {a["Name"]: a["Value"] for a in admin["UserAttributes"]}
    assert admin["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # must choose a password first
    assert attributes["custom:tenant"] == "globex"
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username="it@globex.example.com")
    assert [g["GroupName"] for g in groups["Groups"]] == ["admin"]

    from chalicelib import wiring

    hours = wiring.sla_settings().effective("globex").hours.document
    assert hours["timezone"] == "Europe/Brussels"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"id": "demo"}, 409),  # an existing tenant
        ({"inbound_address": "support@demo.example.com"}, 409),  # another tenant's mail
        ({"admin_email": "agent@acme.example.com"}, 409),  # an account elsewhere
        ({"id": "Not OK"}, 422),
    ],
)
def test_given_a_clash_then_nothing_is_onboarded(api, change, status):
    problem(api.call("POST", "/v1/tenants", as_=OPERATOR, body={**NEW, **change}), status)
    from chalicelib import wiring

    if change.get("id") != "demo":
        assert wiring.tenants().get(change.get("id", "globex")) is None


@pytest.mark.parametrize("who", ["admin@demo.example.com", "agent@demo.example.com"])
def test_given_a_tenant_admin_then_onboarding_is_forbidden(api, who):
    problem(api.call("POST", "/v1/tenants", as_=who, body=NEW), 403)
