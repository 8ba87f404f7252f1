"""`make metrics-backfill TENANT=demo`: count a tenant's tickets filed before report metrics.

Against the running `make run` stack (the backfill runs in this process, on the moto server
the stack file names), or against a deployed stack through its operator API
(`--api https://… --token <an operator's ID token>`), calling
`POST /v1/tenants/{tenant}/metrics-backfill` until it has no cursor left. Prints one JSON
line per call. Idempotent: a second run counts nothing (docs/metrics.md).

    python -m local.metrics_backfill --tenant demo [--stack-file PATH | --api URL --token T]
"""

import argparse
import contextlib
import json
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from local.run import STACK_FILE_ENV, stack_file_path
from local.sla_tick import StackUnavailable, read_stack_file, use_stack_environment

_API_TIMEOUT_SECONDS = 60
# Enough calls for a very large tenant; each one stops after about 20 s.
_MAX_CALLS = 1000


def backfill_local(tenant: str) -> dict[str, Any]:
    # The app logs on stdout (as Lambda wants); this command's answer is stdout.
    with contextlib.redirect_stdout(sys.stderr):
        from chalicelib.wiring import metrics_backfill

        return metrics_backfill().run(tenant).as_dict()


def backfill_remote(api: str, token: str, tenant: str) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(_MAX_CALLS):
        body = json.dumps({"cursor": cursor} if cursor else {}).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's own https API
            f"{api.rstrip('/')}/v1/tenants/{tenant}/metrics-backfill",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=_API_TIMEOUT_SECONDS) as answer:  # noqa: S310
            done = json.loads(answer.read())
        answers.append(done)
        print(json.dumps(done), flush=True)
        cursor = done.get("next_cursor")
        if not cursor:
            return answers
    raise RuntimeError(f"still not done after {_MAX_CALLS} calls; run it again to go on")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.metrics_backfill",
        description="Count a tenant's tickets that were filed before report metrics existed.",
    )
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--stack-file", type=Path, default=None, metavar="PATH",
                        help=f"the running stack's file (default: ${STACK_FILE_ENV} or "
                        ".local/stack.json)")  # fmt: skip
    parser.add_argument("--api", default=None, help="a deployed stack's EndpointURL")
    parser.add_argument("--token", default=None, help="an operator's ID token (with --api)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.api:
        if not args.token:
            print("metrics-backfill: --api needs --token (an operator's ID token)", file=sys.stderr)
            return 2
        backfill_remote(args.api, args.token, args.tenant)
        return 0
    try:
        use_stack_environment(read_stack_file(args.stack_file or stack_file_path()))
    except StackUnavailable as error:
        print(f"metrics-backfill: {error}", file=sys.stderr)
        return 1
    print(json.dumps(backfill_local(args.tenant)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
