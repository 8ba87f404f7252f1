"""The `make run` stack as a subprocess on free ports, driven over real HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0
# A hang detector, not a speed target: on a 2-core CI runner with two stacks and their
# browsers busy, a clean stop (every worker finishing its batch) has taken over 30 s.
STOP_TIMEOUT_SECONDS = 120.0
# A stop slower than this is reported as a warning with the stack's own account of where
# the time went (local/run.py logs "stopped in …" per part).
SLOW_STOP_SECONDS = 20.0


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    log: Path
    app_port: int
    moto_port: int
    smtp_port: int
    # Where the stack publishes its environment for `python -m local.sla_tick --stack-file`.
    stack_file: Path

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def moto(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def ports(self) -> tuple[int, int, int]:
        return (self.app_port, self.moto_port, self.smtp_port)

    def output(self, last: int = 60) -> str:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-last:])

    def descendants(self) -> set[int]:
        """Process ids started, directly or not, by the stack's process (Linux /proc)."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited while we looked
            parents[int(stat.parent.name)] = int(fields[1])
        found: set[int] = set()
        frontier = {self.process.pid}
        while frontier:
            frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
            found |= frontier
        return found

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it; returns the exit status."""
        started, sent_at = time.monotonic(), datetime.now(UTC)
        self.process.send_signal(signal.SIGINT)
        try:
            status = self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(
                f"the stack ignored Ctrl-C for {STOP_TIMEOUT_SECONDS}s:\n{self.output()}"
            ) from None
        took = time.monotonic() - started
        if took > SLOW_STOP_SECONDS:
            marks = ("stop requested", "stopped in")
            account = [
                line for line in self.output(20).splitlines() if any(m in line for m in marks)
            ]
            warnings.warn(
                f"the stack took {took:.0f} s to stop; Ctrl-C sent at {sent_at:%H:%M:%S.%f}, "
                f"exited at {datetime.now(UTC):%H:%M:%S.%f}: {account}",
                stacklevel=2,
            )
        return status


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:  # all bound at once, so the ports differ
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start(log_dir: Path) -> Stack:
    app_port, moto_port, smtp_port = free_ports(3)
    # Per stack, so that a test stack neither clobbers nor deletes a developer's `make run` file.
    stack_file = log_dir / "stack.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BALIE_", "AWS_")) or key == "BALIE_DEMO_PASSWORD"
    }
    env.update(
        BALIE_PORT=str(app_port),
        BALIE_MOTO_PORT=str(moto_port),
        BALIE_SMTP_PORT=str(smtp_port),
        BALIE_STACK_FILE=str(stack_file),
        PYTHONUNBUFFERED="1",
    )
    log = log_dir / "stack.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            # Its own group, so a stuck stack can be killed whole and pytest's terminal
            # Ctrl-C does not reach it behind the fixture's back.
            start_new_session=True,
        )
    stack = Stack(process, log, app_port, moto_port, smtp_port, stack_file)
    _wait_healthy(stack)
    return stack


def _wait_healthy(stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            pytest.fail(
                f"the stack exited with {stack.process.returncode} before it was healthy:\n"
                f"{stack.output()}"
            )
        try:
            # The stack writes its file once healthy; commands run by tests need both.
            healthy = requests.get(f"{stack.api}/v1/health", timeout=1).status_code == 200
            if healthy and stack.stack_file.exists():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    os.killpg(stack.process.pid, signal.SIGKILL)
    stack.process.wait()
    pytest.fail(f"no healthy stack within {START_TIMEOUT_SECONDS}s:\n{stack.output()}")


def _finish(stack: Stack) -> None:
    if stack.process.poll() is None:
        status = stack.interrupt()
        assert status == 0, f"the stack exited with {status} on Ctrl-C:\n{stack.output()}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for the session's journeys; stopped with Ctrl-C at the end."""
    running = start(tmp_path_factory.mktemp("stack"))
    yield running
    _finish(running)


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[[], Stack]]:
    """A private stack for tests that stop or break it."""
    started: list[Stack] = []

    def factory() -> Stack:
        started.append(start(tmp_path))
        return started[-1]

    yield factory
    for running in started:
        _finish(running)
