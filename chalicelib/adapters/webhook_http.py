"""Outbound webhook calls: DNS resolution and one POST to one vetted address.

The connection goes to the IP address the caller vetted, never to the name again: resolving
twice would let a name answer with a public address for the check and a private one for the
connection (DNS rebinding). TLS still verifies the certificate for the URL's host name
(SNI and hostname check), and the Host header names it too. Redirects are never followed:
http.client does not, and a 3xx is reported like any other non-2xx answer.
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from functools import cache

from chalicelib.domain.webhooks import IPAddress, Target

# We read the status line and at most this much of the body, and keep none of it.
_READ_BYTES = 1024
_ERROR_CHARS = 200


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None
    duration_ms: int


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (no addresses when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@cache
def _tls() -> ssl.SSLContext:
    # The system's trust store (Lambda's runtime has one); certificates and host names are
    # verified, TLS 1.2 at least.
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=_tls())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = _tls().wrap_socket(raw, server_hostname=self.host)


def post(
    target: Target, address: IPAddress, body: bytes, headers: dict[str, str], timeout: float
) -> Answer:
    """POST `body` to `target` at `address`; never raises for what the receiver does."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target.host, target.port, str(address), timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(_READ_BYTES)
        return Answer(response.status, None, _ms(started))
    except TimeoutError:
        return Answer(None, f"timed out after {timeout:g} s", _ms(started))
    except ssl.SSLError as error:
        return Answer(None, f"TLS: {error}"[:_ERROR_CHARS], _ms(started))
    except (OSError, http.client.HTTPException) as error:
        text = str(error) or type(error).__name__
        return Answer(None, f"connection failed: {text}"[:_ERROR_CHARS], _ms(started))
    finally:
        connection.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
