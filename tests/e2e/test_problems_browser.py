"""Problem management in Debian's Chromium against `make run`: recurring incidents suggested
by the daily step, a problem created from them in one click, its RCA saved as a known error;
screenshots of /agent/problems and the problem page (tests/e2e/screenshots/, not committed).
"""

import json
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e import test_portal_browser as portal
from tests.e2e.conftest import REPO_ROOT, Stack
from tests.e2e.test_agent_browser import file_as_requester, sign_in_staff
from tests.e2e.test_portal_browser import AGENT, DESKTOP, PHONE, Visit, _fits, api_token, shoot

pytestmark = pytest.mark.e2e

chromium = portal.chromium
visit = portal.visit

# The daily step against the stack's moto, in a process of its own, as the scheduled Lambda
# would run it (`make run` ticks only the SLA sweep).
_DETECT = """
import contextlib, json, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from local.sla_tick import read_stack_file, use_stack_environment
use_stack_environment(read_stack_file(Path(sys.argv[1])))
with contextlib.redirect_stdout(sys.stderr):
    from chalicelib.wiring import recurring_incidents
    now = datetime.now(UTC) + timedelta(minutes=1)
    found = recurring_incidents().detect({"tenant": "demo"}, now)
print(json.dumps({"suggestions": found.suggestions, "incidents": found.incidents}))
"""
INCIDENTS = [
    ("VPN verbinding valt steeds weg", "Sinds vanochtend valt mijn VPN verbinding weg."),
    ("Geen VPN verbinding thuis", "Vanuit huis krijg ik geen VPN verbinding meer."),
    ("vpn verbinding werkt niet", "De VPN client zegt dat de verbinding verbroken is."),
    ("VPN-verbinding verbroken", "Mijn vpn verbinding wordt steeds verbroken."),
]


def detect(stack: Stack) -> dict[str, int]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script, no shell
        [sys.executable, "-c", _DETECT, str(stack.stack_file)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360px"])
def test_given_recurring_incidents_when_an_agent_makes_them_a_problem_then_the_pages_show_it(
    visit: Callable[..., Visit], stack: Stack, viewport: dict[str, int]
):
    size = "desktop" if viewport == DESKTOP else "360"
    numbers = [file_as_requester(stack, s, d) for s, d in INCIDENTS]
    assert detect(stack)["suggestions"] >= 1
    tab = visit(viewport=viewport)
    page = tab.page
    # Creating a problem files it and links four incidents in two transactions: give a
    # busy machine time (nothing here waits on a clock, only on the answer).
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in_staff(tab, AGENT)
    fits = {}

    page.get_by_role("button", name="Problemen").click()
    page.wait_for_url(re.compile(r"/agent/problems$"))
    suggestion = page.locator(".problem-suggestions li", has_text=f"#{numbers[0]}")
    expect(suggestion).to_contain_text("incidenten over 'vpn verbinding", timeout=30_000)
    fits["problems"] = _fits(page)
    shoot(page, f"agent-problems-nl-{size}")

    suggestion.locator("input[name=subject]").fill(f"VPN valt weg ({size})")
    suggestion.get_by_role("button", name="Probleem maken van deze incidenten").click()
    page.wait_for_url(re.compile(r"/agent/tickets/\d+$"))
    problem = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".flash")).to_contain_text(f"Probleem #{problem}", timeout=30_000)
    for n in numbers:
        expect(page.locator("ul.linked")).to_contain_text(f"#{n}", timeout=30_000)

    page.fill("#rca-symptoms", "VPN verbinding valt elke tien minuten weg")
    page.fill("#rca-root_cause", "Firewall firmware 7.2 sluit stille tunnels")
    page.fill("#rca-workaround", "Zet de keep-alive van de VPN client op 60 seconden")
    page.locator("input[name=known_error]").check()
    page.get_by_role("button", name="Analyse opslaan").click()
    expect(page.locator(".flash")).to_contain_text("oorzaakanalyse", timeout=30_000)
    expect(page.locator("#rca-heading")).to_contain_text("Bekende fout", timeout=30_000)
    fits["problem"] = _fits(page)
    shoot(page, f"agent-problem-nl-{size}")

    # A new incident about the same thing shows the known error with its workaround.
    fresh = file_as_requester(stack, "VPN verbinding weg", "Mijn vpn verbinding valt weg")
    page.goto(f"/agent/tickets/{fresh}")
    expect(page.locator(".known-errors")).to_contain_text("keep-alive", timeout=30_000)
    shoot(page, f"agent-ticket-known-error-nl-{size}")

    assert fits == dict.fromkeys(fits, True)
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []
    linked = requests.get(
        f"{stack.api}/v1/tickets/{problem}/links", headers=api_token(stack, AGENT), timeout=10
    ).json()["items"]
    # The stack is shared by the session: earlier VPN incidents may have joined the cluster.
    assert set(numbers) <= {t["number"] for t in linked}
