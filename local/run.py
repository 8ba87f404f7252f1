"""`make run`: the whole Balie stack on this machine, until Ctrl-C.

moto server → resources from infra/template.yaml → demo data → `chalice local` → a poller
that feeds the table stream to its handler → a ticker that sweeps the SLA clocks every minute.
Ports come from BALIE_PORT (app, 8077), BALIE_MOTO_PORT (5077) and BALIE_SMTP_PORT (2525,
reserved for mail intake). BALIE_PROJECT_DIR serves another Chalice project against the same
stack.

While it is up, the stack's environment is in the stack file (BALIE_STACK_FILE, by default
.local/stack.json), so that other commands (`make sla-tick`) can reach it.
"""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from local import moto_server
from local.provision import provision
from local.queues import QueuePoller
from local.schedules import ScheduleTicker, load_sweep
from local.seed import DEFAULT_PASSWORD, demo_password, seed_demo
from local.streams import TableStreamPoller

logger = logging.getLogger("balie.local")

REPO_ROOT = Path(__file__).resolve().parent.parent
HEALTH_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
STACK_FILE_ENV = "BALIE_STACK_FILE"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def stack_file_path() -> Path:
    """Where a running stack publishes its environment for other commands."""
    return Path(os.environ.get(STACK_FILE_ENV) or REPO_ROOT / ".local" / "stack.json")


def write_stack_file(path: Path, *, api: str, env: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"pid": os.getpid(), "api": api, "env": env}
    # Written aside and renamed, so that a command never reads half a file.
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)


def remove_stack_file(path: Path) -> None:
    """Delete the stack file if this process wrote it: a second stack may have replaced it."""
    try:
        owner = json.loads(path.read_text(encoding="utf-8")).get("pid")
    except (OSError, ValueError, AttributeError):
        return
    if owner == os.getpid():
        path.unlink(missing_ok=True)


class Stack:
    """Everything `make run` starts, so that stopping undoes exactly that."""

    def __init__(self) -> None:
        self.app_port = _port("BALIE_PORT", 8077)
        self.moto_port = _port("BALIE_MOTO_PORT", moto_server.DEFAULT_PORT)
        self.smtp_port = _port("BALIE_SMTP_PORT", 2525)
        self.project_dir = Path(os.environ.get("BALIE_PROJECT_DIR") or REPO_ROOT)
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.moto: Any = None
        self.chalice: subprocess.Popen[bytes] | None = None
        self.poller: TableStreamPoller | None = None
        self.ticker: ScheduleTicker | None = None
        self.queues: list[QueuePoller] = []
        self.smtp: Any = None
        self.stack_file = stack_file_path()
        self.env: dict[str, str] = {}
        self.logins: list[tuple[str, str]] = []

    def start(self, stopping: threading.Event) -> None:
        self.moto = moto_server.start(self.moto_port)
        # The app derives its JWKS URL from AWS_ENDPOINT_URL and the pool id.
        os.environ.pop("BALIE_JWKS_URL", None)
        aws = moto_server.aws_env(self.moto_port)
        os.environ.update(aws)
        env = provision("local")
        os.environ.update(env)
        os.environ["BALIE_STAGE"] = "local"
        # Mail links point at this stack; every mail sent is also kept as an .eml file.
        os.environ["BALIE_PORTAL_URL"] = self.app_url
        os.environ["BALIE_OUTBOX_DIR"] = str(self.stack_file.parent / "outbox")
        mail_env = {k: os.environ[k] for k in ("BALIE_PORTAL_URL", "BALIE_OUTBOX_DIR")}
        self.env = {**aws, **env, **mail_env, "BALIE_STAGE": "local",
                    "BALIE_PORT": str(self.app_port)}  # fmt: skip

        self.logins = _seed()
        if stopping.is_set():
            return
        self.chalice = self._start_chalice()
        handler = _stream_handler()
        if handler is not None:
            self.poller = TableStreamPoller(env["BALIE_TABLE_STREAM_ARN"], handler)
            self.poller.start()
        self._start_ticker()
        self._start_mail(env)
        self._wait_for_health(stopping)
        if not stopping.is_set():
            write_stack_file(self.stack_file, api=self.app_url, env=self.env)

    def _start_ticker(self) -> None:
        self.ticker = ScheduleTicker(load_sweep())
        self.ticker.start()

    def _start_mail(self, env: dict[str, str]) -> None:
        """SMTP intake → inbound queue → intake; notifications queue → SES on moto."""
        from chalicelib.workers.inbound_email import handle_inbound_event
        from chalicelib.workers.notifications import handle_notification_event
        from local import smtp

        self.queues = [
            QueuePoller(env["BALIE_INBOUND_QUEUE_URL"], env["BALIE_INBOUND_QUEUE_ARN"],
                        handle_inbound_event, "inbound"),
            QueuePoller(env["BALIE_NOTIFICATIONS_QUEUE_URL"], env["BALIE_NOTIFICATIONS_QUEUE_ARN"],
                        handle_notification_event, "notifications"),
        ]  # fmt: skip
        self.queues.append(_webhooks_poller(env))
        self.queues.append(_uploads_poller(env))
        for poller in self.queues:
            poller.start()
        self.smtp = smtp.start(self.smtp_port, env["BALIE_BUCKET_NAME"],
                               env["BALIE_INBOUND_QUEUE_URL"])  # fmt: skip

    def _start_chalice(self) -> subprocess.Popen[bytes]:
        executable = Path(sys.executable).parent / "chalice"
        command = [
            str(executable) if executable.exists() else shutil.which("chalice") or "chalice",
            "--project-dir",
            str(self.project_dir),
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.app_port),
            "--stage",
            "local",
            "--no-autoreload",
        ]
        # Its own process group: a terminal's Ctrl-C reaches only this script, which stops
        # things in order and then the whole group, so nothing outlives `make run`.
        return subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
            command,
            cwd=self.project_dir,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )

    def _wait_for_health(self, stopping: threading.Event) -> None:
        import requests

        url = f"{self.app_url}/v1/health"
        deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
        while not stopping.is_set():
            if self.chalice is not None and self.chalice.poll() is not None:
                raise RuntimeError(f"chalice local exited with {self.chalice.returncode}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer 200 within {HEALTH_TIMEOUT_SECONDS}s")
            stopping.wait(0.1)

    def banner(self) -> str:
        password = demo_password()
        shown = password if password == DEFAULT_PASSWORD else "$BALIE_DEMO_PASSWORD"
        lines = [
            "",
            "Balie is running",
            f"  API and pages  {self.app_url}/v1/  (health: {self.app_url}/v1/health)",
            f"  moto           {moto_server.endpoint_url(self.moto_port)}  "
            "(sent mail: /moto-api/data.json)",
            f"  SMTP intake    127.0.0.1:{self.smtp_port} (to support@demo.example.com; "
            "sent mail: .local/outbox/)",
            "  SLA sweep      every minute (one as of any moment: make sla-tick AT=<ISO time>)",
            f"  stack file     {self.stack_file}",
        ]
        if self.logins:
            lines.append(f"Demo logins (password {shown}):")
            width = max(len(login) for login, _ in self.logins)
            lines.extend(f"  {login:<{width}}  {role}" for login, role in self.logins)
        else:
            lines.append("No demo logins: seeding was skipped (see the warning above).")
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)

    def stop(self) -> None:
        """Stop what was started, newest first; safe after a partial start. Logs how long
        each part took, so a slow stop says where its time went."""
        timings: list[tuple[str, float]] = []

        def timed(part: str, action: Callable[[], None]) -> None:
            started = time.monotonic()
            action()
            timings.append((part, time.monotonic() - started))

        # First, so that no command reaches for a stack that is going away.
        remove_stack_file(self.stack_file)
        chalice = self.chalice
        if chalice is not None and chalice.poll() is None:
            timed("app", lambda: _stop_process_group(chalice))
        if self.smtp is not None:
            timed("smtp", self.smtp.stop)
        # Every worker thread hears the stop at once and finishes its batch in parallel:
        # waiting for them one by one added their batches up.
        workers = [w for w in (*self.queues, self.ticker, self.poller) if w is not None]
        for worker in workers:
            worker.request_stop()
        for worker in workers:
            timed(worker.name, worker.stop)
        if self.moto is not None:
            timed("moto", self.moto.stop)
        spent = sum(seconds for _, seconds in timings)
        logger.info(
            "stopped in %.1f s (%s)",
            spent,
            ", ".join(f"{part} {seconds:.1f} s" for part, seconds in timings),
        )


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _seed() -> list[tuple[str, str]]:
    try:
        return seed_demo()
    except ModuleNotFoundError as error:
        # The services are still being written; the stack is useful without demo data.
        if not (error.name or "").startswith("chalicelib"):
            raise
        logger.warning("demo data not seeded: %s", error)
        return []


def _webhooks_poller(env: dict[str, str]) -> QueuePoller:
    """Webhooks queue → the delivery worker. Local receivers need
    BALIE_WEBHOOKS_ALLOW_LOOPBACK=1 in the environment of `make run` (docs/webhooks.md)."""
    from chalicelib.workers.webhooks import handle_webhook_delivery_event

    return QueuePoller(env["BALIE_WEBHOOKS_QUEUE_URL"], env["BALIE_WEBHOOKS_QUEUE_ARN"],
                       handle_webhook_delivery_event, "webhooks")  # fmt: skip


def _uploads_poller(env: dict[str, str]) -> QueuePoller:
    """Uploads queue (S3 on moto notifies it when a browser's file arrives) → the worker."""
    from chalicelib.workers.uploads import handle_upload_event

    return QueuePoller(env["BALIE_UPLOADS_QUEUE_URL"], env["BALIE_UPLOADS_QUEUE_ARN"],
                       handle_upload_event, "uploads")  # fmt: skip


def _stream_handler() -> Callable[[dict[str, Any]], Any] | None:
    try:
        from chalicelib.workers.table_stream import handle_table_stream_event
    except ImportError as error:
        logger.warning("table stream not polled: %s", error)
        return None
    return handle_table_stream_event


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # botocore announces every credential and endpoint lookup at INFO.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    stack = Stack()
    status = 0
    try:
        stack.start(stopping)
        if not stopping.is_set():
            print(stack.banner(), flush=True)
        while not stopping.wait(0.5):
            if stack.chalice is not None and stack.chalice.poll() is not None:
                logger.error("chalice local exited with %s", stack.chalice.returncode)
                status = 1
                break
    except Exception:
        logger.exception("the local stack failed")
        status = 1
    finally:
        # Logged, with its time: a slow stop shows whether the wait was before this line,
        # in stop() ("stopped in"), or in the interpreter's exit after it.
        logger.info("stop requested" if stopping.is_set() else "stopping after a failure")
        stack.stop()
    print("Balie stopped.", flush=True)
    return status


if __name__ == "__main__":
    status = main()
    # Everything the stack started has stopped by now (main's finally). An ordinary exit
    # still has the interpreter's teardown to do (moto's in-memory data, atexit hooks): at
    # the end of an e2e session on CI that took 38-42 s after a stop of 1 s, and nothing in
    # it matters to a stopped stack. What is buffered is written first.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
