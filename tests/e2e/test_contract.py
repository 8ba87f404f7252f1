"""Schemathesis against the served OpenAPI document of the running stack: whatever it sends,
no 5xx, and every answer has a documented status, content type and body shape."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def token(stack: Stack, email: str) -> str:
    answer = requests.post(
        f"{stack.api}/v1/auth/login",
        json={"email": email, "password": "Balie-demo-2026!"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["id_token"]


def operations(stack: Stack) -> list:
    schema = schemathesis.openapi.from_url(f"{stack.api}/v1/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


# The pytest plugin of schemathesis does not run under pytest 9, so each operation's
# strategy is driven by hypothesis here; a failure names the operation and the case.
@pytest.mark.parametrize("who", ["agent@demo.example.com", "requester@demo.example.com"])
def test_given_generated_requests_then_the_api_keeps_its_contract(stack: Stack, who: str):
    headers = {"Authorization": f"Bearer {token(stack, who)}"}
    for operation in operations(stack):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def keeps_contract(case) -> None:
            case.call_and_validate(base_url=stack.api, headers=headers, checks=CHECKS)

        keeps_contract()
