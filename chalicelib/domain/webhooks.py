"""Webhooks: which URLs Balie may call, how a delivery is signed, retried and given up on.

No I/O here. Resolving a host name is the caller's job: it hands the addresses to
`vet_addresses`, both when a webhook is registered and again before every attempt, and then
connects to one of the vetted addresses itself, so that a name re-pointed at a private
address after registration (DNS rebinding) is refused at delivery too (docs/webhooks.md).
"""

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.domain.errors import Invalid

# The domain events of API.md ("Events"); "*" subscribes to all of them, present and future.
EVENT_TYPES = (
    "ticket.created",
    "ticket.updated",
    "message.added",
    "sla.warning",
    "sla.breached",
    "ticket.escalated",
    "satisfaction.received",
)
ALL_EVENTS = "*"

MAX_URL_LENGTH = 2048
# 443, or an unprivileged port: the well-known ports below 1024 are where internal services
# (SSH, SMTP, databases' admin consoles) listen, and no webhook receiver needs them.
HTTPS_PORT = 443
MIN_OTHER_PORT = 1024

# Attempt 1 goes out at once; these are the waits before attempts 2…6. SQS delays a message
# by at most 900 s, so no single wait is longer. A delivery spans about 42 minutes.
RETRY_DELAYS = (30, 120, 600, 900, 900)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A webhook is disabled when this many deliveries in a row used up all their attempts with
# no successful attempt in between: at least ~42 minutes of an unreachable receiver, and
# never because of one bad event.
DISABLE_AFTER_FAILED_DELIVERIES = 5
# A receiver should refuse signatures older than this (our own verify() does).
SIGNATURE_TOLERANCE_SECONDS = 300

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA special-purpose ranges (RFC 6890 and successors) that are not the public internet.
# Listed rather than left to `is_global`, whose tables changed between Python releases.
_REFUSED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. the instance metadata service
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast
    )
)
_REFUSED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, incl. Teredo
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: reaches whatever IPv4 address it embeds
        "fc00::/7",  # unique local, incl. the metadata service's fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Host names that are numbers in disguise: resolvers read "2130706433", "0x7f.1" or
# "0177.0.0.1" as 127.0.0.1.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")


@dataclass(frozen=True)
class Target:
    """A URL that passed the static checks; its host still has to resolve to vetted addresses."""

    url: str
    scheme: str
    host: str  # lower-case ASCII (IDNA); an IPv6 literal without brackets
    port: int
    path: str  # path and query, as sent in the request line
    literal: IPAddress | None  # the host is an IP address


def _refused(detail: str) -> Invalid:
    return Invalid(detail, errors=[{"field": "url", "message": detail}])


def parse_url(url: str, *, allow_loopback: bool = False) -> Target:
    """The URL's parts, or Invalid: HTTPS only, no credentials, no fragment, a sane port and a
    host that is a public-looking name or a public address.

    `allow_loopback` (a test-only setting) also admits http:// — to loopback addresses only,
    which `vet_addresses` enforces.
    """
    if len(url) > MAX_URL_LENGTH:
        raise _refused(f"A webhook URL is at most {MAX_URL_LENGTH} characters.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise _refused("A webhook URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_loopback and scheme == "http"):
        raise _refused("A webhook URL must use https://.")
    if "@" in parts.netloc:
        raise _refused("A webhook URL may not carry a user name or password.")
    if parts.fragment or url.endswith("#"):
        raise _refused("A webhook URL has no #fragment.")
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        raise _refused("A webhook URL needs a host.")
    if port is None:
        port = HTTPS_PORT if scheme == "https" else 80
    elif port != HTTPS_PORT and port < MIN_OTHER_PORT and not allow_loopback:
        raise _refused(f"A webhook URL uses port {HTTPS_PORT} or a port from {MIN_OTHER_PORT}.")
    literal = _ip_literal(raw_host)
    host = str(literal) if literal is not None else _host_name(raw_host, allow_loopback)
    if literal is not None:
        vet_addresses([literal], allow_loopback=allow_loopback, scheme=scheme)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, literal=literal)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _host_name(host: str, allow_loopback: bool) -> str:
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _refused("The URL's host name is not a valid domain name.") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _refused("The URL's host name is not a valid domain name.")
    if all(_NUMERIC_LABEL.match(label) for label in labels):
        raise _refused("Write an IP address in dotted form (203.0.113.7), or use a host name.")
    if allow_loopback and ascii_host == "localhost":
        return ascii_host
    if len(labels) < 2 or ascii_host == "localhost" or ascii_host.endswith(_LOCAL_SUFFIXES):
        raise _refused("The URL's host must be a public domain name.")
    return ascii_host


def refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why Balie will not connect to `address`, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return refusal(embedded, allow_loopback=allow_loopback)
    if allow_loopback and address.is_loopback:
        return None
    ranges: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
        _REFUSED_V4 if isinstance(address, ipaddress.IPv4Address) else _REFUSED_V6
    )
    if any(address in network for network in ranges) or not address.is_global:
        return f"{address} is a private, loopback, link-local or reserved address."
    return None


def vet_addresses(
    addresses: Iterable[IPAddress | str], *, allow_loopback: bool = False, scheme: str = "https"
) -> list[IPAddress]:
    """All of a host's addresses, each one public; otherwise Invalid.

    One private address among public ones refuses the host: which one a connection would use
    is not ours to choose reliably, and such a name is not an honest public receiver.
    """
    vetted = [a if not isinstance(a, str) else ipaddress.ip_address(a) for a in addresses]
    if not vetted:
        raise _refused("The URL's host does not resolve to any address.")
    for address in vetted:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise _refused(f"Webhooks may not call private networks: {reason}")
        if scheme != "https" and not _loopback(address):
            raise _refused("A webhook URL must use https://.")
    return vetted


def _loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_events(events: Iterable[str]) -> tuple[str, ...]:
    """The subscribed event types, deduplicated and in a stable order; Invalid when unknown."""
    wanted = list(dict.fromkeys(e.strip() for e in events))
    if not wanted:
        raise Invalid(
            "Subscribe to at least one event type.",
            errors=[{"field": "events", "message": "At least one event type."}],
        )
    unknown = [e for e in wanted if e != ALL_EVENTS and e not in EVENT_TYPES]
    if unknown:
        known = ", ".join((*EVENT_TYPES, ALL_EVENTS))
        raise Invalid(
            f"Unknown event type(s): {', '.join(unknown)}.",
            errors=[{"field": "events", "message": f"Each must be one of: {known}."}],
        )
    if ALL_EVENTS in wanted:
        return (ALL_EVENTS,)
    return tuple(e for e in EVENT_TYPES if e in wanted)


def subscribed(events: Iterable[str], event_type: str) -> bool:
    """Whether a webhook with these event types hears about `event_type`."""
    if event_type not in EVENT_TYPES:
        return False
    chosen = set(events)
    return ALL_EVENTS in chosen or event_type in chosen


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Balie-Signature header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    now: int,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (and our tests): a fresh timestamp and a matching v1 signature."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def succeeded(status_code: int | None) -> bool:
    """Only a 2xx answer is a delivery; redirects are not followed, so a 3xx is a failure."""
    return status_code is not None and 200 <= status_code < 300


def retry_delay(attempt: int) -> int | None:
    """Seconds to wait before the next attempt after attempt `attempt` failed; None: give up."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    if attempt >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[attempt - 1]


def should_disable(consecutive_failed_deliveries: int) -> bool:
    return consecutive_failed_deliveries >= DISABLE_AFTER_FAILED_DELIVERIES


# --- what is stored ---------------------------------------------------------------------

ACTIVE = "active"
DISABLED = "disabled"
# At most this many per tenant: the stream's fan-out reads them all with one small Query.
MAX_PER_TENANT = 10


@dataclass(frozen=True)
class Webhook:
    tenant: str
    id: str
    url: str
    events: tuple[str, ...]
    description: str
    contact_email: str  # who is mailed when it is disabled
    status: str
    version: int
    created_at: str
    created_by: str
    consecutive_failures: int = 0  # deliveries in a row that used up all their attempts
    disabled_at: str | None = None
    disabled_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


# A delivery's states: queued by the fan-out or a redelivery; one attempt in flight; waiting
# for its next attempt; done; out of attempts; or not tried because its webhook is disabled.
PENDING, SENDING, RETRYING, DELIVERED, FAILED, SKIPPED = (
    "pending", "sending", "retrying", "delivered", "failed", "skipped",
)  # fmt: skip


@dataclass(frozen=True)
class Delivery:
    tenant: str
    webhook: str
    id: str  # the event's id: one delivery per event and webhook
    event_type: str
    payload: str  # the JSON body, exactly as sent
    status: str
    round: int  # 1, and one more per redelivery; messages of an older round are dropped
    attempt: int  # attempts in this round
    attempts: int  # attempts in all rounds
    created_at: str
    last_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_duration_ms: int | None = None
    next_attempt_at: str | None = None
