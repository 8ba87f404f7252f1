"""The moto server behind `make run` and the e2e tests: every AWS API on one local port."""

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

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


class _OneTableCallAtATime:
    """moto's DynamoDB is not thread-safe: a TransactWriteItems deep-copies the whole table
    while another request thread writes to it, and fails with "dictionary changed size during
    iteration" (seen as 500s in the e2e runs once the stack had eight worker threads). Real
    DynamoDB has no such limit, so the local server takes DynamoDB and its streams one call at
    a time; every other service keeps its threads (an SQS long poll must not hold anyone up).
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            with self.lock:
                # moto answers with a finished body: nothing of it runs after the call.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class _LocalMotoServer(ThreadedMotoServer):
    def _server_entry(self) -> None:
        # As moto's own, with the DynamoDB lock in front of its application.
        app = _OneTableCallAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def start(port: int) -> ThreadedMotoServer:
    """Start moto on 127.0.0.1:`port` in a thread; returns once it accepts connections."""
    # One line per request from werkzeug drowns the app's own logs.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _ensure_free(port)
    server = _LocalMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
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
