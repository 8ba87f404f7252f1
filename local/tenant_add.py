"""`make tenant-add`: onboard a customer tenant through the API, as an MSP operator does.

Against the running `make run` stack by default (signed in as the demo operator); `--api`
and `--token` point it at a deployed stack instead.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from local.run import stack_file_path
from local.seed import demo_password
from local.sla_tick import StackUnavailable, read_stack_file

DEMO_OPERATOR = "operator@demo.example.com"
TIMEOUT_SECONDS = 30


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.tenant_add", description="Onboard a tenant and invite its admin."
    )
    parser.add_argument("--id", required=True, help="tenant id: lower-case letters, digits, -")
    parser.add_argument("--name", required=True, help="the organisation's name")
    parser.add_argument("--address", required=True, help="its inbound mail address")
    parser.add_argument("--admin", required=True, help="the admin's e-mail address")
    parser.add_argument("--admin-name", default=None, help="the admin's name")
    parser.add_argument("--locale", default="en", choices=["nl", "en"])
    parser.add_argument("--timezone", default="Europe/Amsterdam")
    parser.add_argument("--api", default=None, help="the API's base URL (default: make run's)")
    parser.add_argument("--token", default=os.environ.get("BALIE_TOKEN"), help="an ID token")
    parser.add_argument("--stack-file", type=Path, default=None, help="default: make run's")
    return parser


def _local_api(stack_file: Path) -> tuple[str, str]:
    env = read_stack_file(stack_file)
    api = f"http://127.0.0.1:{env['BALIE_PORT']}"
    signed_in = requests.post(
        f"{api}/v1/auth/login",
        json={"email": DEMO_OPERATOR, "password": demo_password()},
        timeout=TIMEOUT_SECONDS,
    )
    signed_in.raise_for_status()
    return api, signed_in.json()["id_token"]


def onboard(args: argparse.Namespace) -> dict[str, Any]:
    local = args.stack_file or stack_file_path()
    api, token = (args.api, args.token) if args.api else _local_api(local)
    if not token:
        raise StackUnavailable("--api needs --token (or BALIE_TOKEN): an operator's ID token")
    answer = requests.post(
        f"{api.rstrip('/')}/v1/tenants",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "id": args.id,
            "name": args.name,
            "locale": args.locale,
            "timezone": args.timezone,
            "inbound_address": args.address,
            "admin_email": args.admin,
            "admin_name": args.admin_name or args.admin.split("@")[0],
        },
        timeout=TIMEOUT_SECONDS,
    )
    body = answer.json()
    if answer.status_code != 201:
        problems = "; ".join(f"{e['field']}: {e['message']}" for e in body.get("errors", []))
        raise ValueError(f"{body.get('detail', answer.text)} {problems}".strip())
    return body


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        created = onboard(args)
    except (StackUnavailable, ValueError, requests.RequestException) as error:
        print(f"tenant-add: {error}", file=sys.stderr)
        return 1
    print(json.dumps(created, indent=2))
    print(
        f"\nTenant {created['id']} is ready; {created['admin_email']} was invited by mail.\n"
        "Before mail reaches it:\n" + "\n".join(f"  - {s}" for s in created["mail_setup"]),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
