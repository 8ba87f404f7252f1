"""SLA clocks on the `make run` stack: `make sla-tick` moves time, the sweep warns and breaches."""

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import REPO_ROOT, Stack, free_ports

pytestmark = pytest.mark.e2e

PASSWORD = "Balie-demo-2026!"
TICK_TIMEOUT_SECONDS = 60


def sign_in(stack: Stack, email: str) -> requests.Session:
    answer = requests.post(
        f"{stack.api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer.json()['id_token']}"
    return session


def sla_tick(stack_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "local.sla_tick", "--stack-file", str(stack_file), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TICK_TIMEOUT_SECONDS,
        check=False,
    )


def sweep_at(stack: Stack, moment: datetime) -> dict[str, Any]:
    done = sla_tick(stack.stack_file, "--at", moment.isoformat())
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)


def event_types(agent: requests.Session, stack: Stack, number: int) -> list[str]:
    answer = agent.get(f"{stack.api}/v1/tickets/{number}/events", timeout=10)
    assert answer.status_code == 200, answer.text
    return [event["type"] for event in answer.json()["items"]]


def test_given_a_p1_ticket_when_ticks_pass_its_warning_and_due_moments_then_each_acts_once(
    stack: Stack,
):
    agent = sign_in(stack, "agent@demo.example.com")
    filed = agent.post(
        f"{stack.api}/v1/tickets",
        json={
            "subject": "Betaalterminals op alle kassa's offline",
            "description": "Telefonisch gemeld door de filiaalmanager.",
            "requester_email": "requester@demo.example.com",
            "impact": "high",
            "urgency": "high",
        },
        timeout=10,
    )
    assert filed.status_code == 201, filed.text
    ticket = filed.json()
    number = ticket["number"]
    created = datetime.fromisoformat(ticket["created_at"])
    clock = ticket["sla"]["first_response"]
    assert ticket["priority"] == "P1"
    # P1: 24x7 calendar, first response within 30 minutes, warned 10 minutes before.
    assert clock["state"] == "running"
    assert datetime.fromisoformat(clock["due_at"]) == created + timedelta(minutes=30)

    warned = sweep_at(stack, created + timedelta(minutes=21))

    assert warned["warnings"] >= 1
    assert event_types(agent, stack, number).count("sla.warning") == 1
    assert "sla.breached" not in event_types(agent, stack, number)

    breached = sweep_at(stack, created + timedelta(minutes=31))

    assert breached["breaches"] >= 1
    trail = event_types(agent, stack, number)
    assert (trail.count("sla.warning"), trail.count("sla.breached")) == (1, 1)
    shown = agent.get(f"{stack.api}/v1/tickets/{number}", timeout=10).json()
    assert shown["sla"]["first_response"]["state"] == "breached"

    again = sweep_at(stack, created + timedelta(minutes=31))

    assert (again["warnings"], again["breaches"]) == (0, 0)
    assert event_types(agent, stack, number) == trail


def test_given_the_stack_then_its_stack_file_reaches_it_and_the_banner_names_the_sweep(
    stack: Stack,
):
    published = json.loads(stack.stack_file.read_text(encoding="utf-8"))
    env = published["env"]

    assert published["api"] == stack.api
    assert env["AWS_ENDPOINT_URL"] == stack.moto
    assert env["BALIE_PORT"] == str(stack.app_port)
    assert env["BALIE_TABLE_NAME"]
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(env)
    # The whole log: other journeys on the session's stack push the banner out of any tail.
    assert "SLA sweep      every minute" in stack.log.read_text(encoding="utf-8", errors="replace")


def test_given_a_stack_when_ctrl_c_then_its_stack_file_is_gone_and_ticks_say_so(
    start_stack: Callable[[], Stack],
):
    running = start_stack()
    assert running.stack_file.exists()

    assert running.interrupt() == 0, running.output()

    assert not running.stack_file.exists()
    refused = sla_tick(running.stack_file)
    assert refused.returncode == 1
    assert "make run" in refused.stderr


def test_given_no_running_stack_when_make_sla_tick_then_it_says_to_run_make_run(
    tmp_path: Path,
):
    make = shutil.which("make")
    assert make, "make is needed for `make sla-tick`"

    done = subprocess.run(  # noqa: S603 - our own Makefile, no shell
        # -o: the venv is the one running this test; never reinstall it from inside a test.
        [
            make,
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "sla-tick",
            f"STACK_FILE={tmp_path / 'absent.json'}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TICK_TIMEOUT_SECONDS,
        check=False,
    )

    assert done.returncode != 0
    assert "no local stack is running" in done.stderr
    assert "make run" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_given_a_stack_file_left_by_a_killed_stack_when_ticking_then_it_says_to_run_make_run(
    tmp_path: Path,
):
    [port] = free_ports(1)
    left = tmp_path / "stack.json"
    left.write_text(
        json.dumps({"pid": 1, "env": {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}}),
        encoding="utf-8",
    )

    done = sla_tick(left)

    assert done.returncode == 1
    assert "no longer running" in done.stderr
    assert "make run" in done.stderr


@pytest.mark.parametrize(
    ("at", "complaint"),
    [("2026-11-24T10:00:00", "no time zone"), ("next tuesday", "not an ISO 8601 moment")],
)
def test_given_a_bad_moment_when_ticking_then_it_says_what_is_wrong(
    tmp_path: Path, at: str, complaint: str
):
    done = sla_tick(tmp_path / "absent.json", "--at", at)

    assert done.returncode == 2
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr
