"""`make sla-tick AT=2026-11-24T10:00:00Z`: one SLA sweep against the running `make run` stack.

The sweep runs in this process, as the scheduled Lambda would, as if it were AT (default: now),
against the moto server that the stack file names. It prints the sweep's summary as JSON on
stdout; the app's own logs and metrics go to stderr.

    python -m local.sla_tick [--at 2026-11-24T10:00:00Z] [--stack-file PATH]
"""

import argparse
import contextlib
import json
import os
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from local.run import STACK_FILE_ENV, stack_file_path
from local.schedules import load_sweep

PROBE_TIMEOUT_SECONDS = 2.0
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class StackUnavailable(RuntimeError):
    """No running local stack to sweep."""


def moment(text: str) -> datetime:
    """An ISO 8601 moment with its offset, in UTC; the argument type of --at."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 moment; write it like 2026-11-24T10:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        # Guessing a zone would put a demo an hour or two off without anyone noticing.
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone; add Z for UTC or an offset such as +01:00"
        )
    return parsed.astimezone(UTC)


def read_stack_file(path: Path) -> dict[str, str]:
    """The running stack's environment, or StackUnavailable saying what to do instead."""
    start_one = "Start the stack with `make run` (it keeps running; use another terminal)."
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        env = content["env"]
        endpoint = env["AWS_ENDPOINT_URL"]
    except FileNotFoundError:
        raise StackUnavailable(
            f"no local stack is running ({path} does not exist). {start_one}"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StackUnavailable(
            f"{path} is not a stack file written by `make run` ({error!r}). {start_one}"
        ) from None
    address = urlparse(endpoint)
    # The file holds dummy credentials; they must never be pointed at a real account.
    if address.hostname not in _LOCAL_HOSTS or address.port is None:
        raise StackUnavailable(f"{path} points at {endpoint!r}, which is not a local moto server")
    try:
        with socket.create_connection((address.hostname, address.port), PROBE_TIMEOUT_SECONDS):
            pass
    except OSError:
        # A stack that was killed rather than stopped leaves its file behind.
        raise StackUnavailable(
            f"the stack in {path} does not answer at {endpoint}; it is no longer running. "
            f"{start_one}"
        ) from None
    return {str(key): str(value) for key, value in env.items()}


def use_stack_environment(env: dict[str, str]) -> None:
    """Make this process look like the stack's app: its resources, its endpoint, nothing else."""
    # A developer's AWS_PROFILE or stray BALIE_* must not mix with the stack's own values.
    for key in [key for key in os.environ if key.startswith(("AWS_", "BALIE_"))]:
        del os.environ[key]
    os.environ.update(env)


def sweep_once(at: datetime) -> dict[str, Any]:
    # The app logs and emits metrics on stdout (as Lambda wants); stdout is this command's
    # answer, so they go to stderr. Powertools binds its stream when chalicelib is imported,
    # which is why the import happens in here.
    with contextlib.redirect_stdout(sys.stderr):
        sweep = load_sweep()
        return dict(sweep(at))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.sla_tick",
        description="Run one SLA sweep against the running `make run` stack as if it were AT.",
    )
    parser.add_argument(
        "--at",
        type=moment,
        default=None,
        metavar="ISO_TIME",
        help="the sweep's moment, with a zone, e.g. 2026-11-24T10:00:00Z (default: now)",
    )
    parser.add_argument(
        "--stack-file",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"the running stack's file (default: ${STACK_FILE_ENV} or .local/stack.json)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    at: datetime = args.at or datetime.now(UTC)
    path: Path = args.stack_file or stack_file_path()
    try:
        use_stack_environment(read_stack_file(path))
        summary = sweep_once(at)
    except StackUnavailable as error:
        print(f"sla-tick: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"at": at.isoformat().replace("+00:00", "Z"), **summary}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
