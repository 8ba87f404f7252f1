"""`make run` as an operator sees it: it comes up healthy and Ctrl-C takes all of it down."""

import os
import socket
from collections.abc import Callable

import pytest
import requests

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_given_the_stack_when_asking_health_then_200_ok(stack: Stack):
    answer = requests.get(f"{stack.api}/v1/health", timeout=5)

    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_given_the_stack_then_moto_serves_the_user_pool_signing_keys(stack: Stack):
    pools = requests.post(
        f"{stack.moto}/",
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/"
            "cognito-idp/aws4_request, SignedHeaders=host, Signature=x",
        },
        json={"MaxResults": 10},
        timeout=5,
    ).json()["UserPools"]
    [pool] = pools

    keys = requests.get(f"{stack.moto}/{pool['Id']}/.well-known/jwks.json", timeout=5)

    assert keys.status_code == 200
    assert keys.json()["keys"][0]["kty"] == "RSA"


def test_given_a_running_stack_when_ctrl_c_then_everything_it_started_stops(
    start_stack: Callable[[], Stack],
):
    running = start_stack()
    started = running.descendants()
    assert started, "the stack should run chalice local as a child process"
    assert all(listening(port) for port in (running.app_port, running.moto_port))

    status = running.interrupt()

    assert status == 0, running.output()
    assert "Balie stopped." in running.output()
    assert [pid for pid in started if alive(pid)] == []
    assert [port for port in running.ports if listening(port)] == []


def test_given_the_stack_when_make_tenant_add_then_the_new_tenants_admin_is_invited(
    stack: Stack,
):
    import subprocess
    import sys

    from tests.e2e.conftest import REPO_ROOT

    done = subprocess.run(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "local.tenant_add", "--stack-file", str(stack.stack_file),
         "--id", "initech", "--name", "Initech", "--address", "help@initech.example.com",
         "--admin", "admin@initech.example.com"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"admin_invited": true' in done.stdout
    assert "inbound-smtp" in done.stderr
    again = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "local.tenant_add", "--stack-file", str(stack.stack_file),
         "--id", "initech", "--name", "Initech", "--address", "help@initech.example.com",
         "--admin", "other@initech.example.com"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 1
    assert "exists already" in again.stderr
