"""The moto server behind `make run` and the e2e tests: every AWS API on one local port."""

import logging
import socket

from moto.server import ThreadedMotoServer

DEFAULT_PORT = 5077

# Dummy credentials: boto3 wants some, moto accepts any; nothing here may reach real AWS.
_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def endpoint_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def aws_env(port: int) -> dict[str, str]:
    """Environment that points boto3 (and `chalice local`) at the moto server on `port`."""
    return {
        **_FAKE_AWS,
        "AWS_REGION": _FAKE_AWS["AWS_DEFAULT_REGION"],
        "AWS_ENDPOINT_URL": endpoint_url(port),
    }


def start(port: int) -> ThreadedMotoServer:
    """Start moto on 127.0.0.1:`port` in a thread; returns once it accepts connections."""
    # One line per request from werkzeug drowns the app's own logs.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _ensure_free(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


def _ensure_free(port: int) -> None:
    # ThreadedMotoServer.start() waits forever when its thread fails to bind; fail fast instead.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise RuntimeError(
                f"port {port} for moto is in use; set BALIE_MOTO_PORT to a free one"
            ) from error
