"""Webhook rules without I/O: which URLs and addresses are refused, signatures, retries."""

import ipaddress

import pytest

from chalicelib.domain import webhooks
from chalicelib.domain.errors import Invalid


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/balie",
        "https://hooks.example.com:8443/balie?team=ops",
        "https://HOOKS.Example.com./x",  # case and a trailing root dot
        "https://bücher.example/hook",  # IDNA
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_given_a_public_https_url_then_it_is_accepted(url):
    target = webhooks.parse_url(url)
    assert target.scheme == "https"
    assert target.host == target.host.lower()


def test_given_a_url_then_its_parts_are_what_the_request_needs():
    target = webhooks.parse_url("https://Hooks.Example.com:8443/in/balie?team=ops")
    assert (target.host, target.port, target.path) == (
        "hooks.example.com",
        8443,
        "/in/balie?team=ops",
    )
    assert webhooks.parse_url("https://bücher.example").host == "xn--bcher-kva.example"
    assert webhooks.parse_url("https://hooks.example.com").path == "/"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "https"),
        ("ftp://hooks.example.com/x", "https"),
        ("hooks.example.com/x", "https"),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("https://hooks.example.com@127.0.0.1/x", "user name"),
        ("https://hooks.example.com/x#frag", "fragment"),
        ("https://hooks.example.com:22/x", "port"),
        ("https://hooks.example.com:80/x", "port"),
        ("https://hooks.example.com:99999/x", "valid URL"),
        ("https:///x", "host"),
        ("https://hooks example.com/x", "spaces"),
        ("https://hooks.example.com/\nx", "control"),
        ("https://localhost/x", "public domain"),
        ("https://intranet/x", "public domain"),
        ("https://printer.local/x", "public domain"),
        ("https://db.internal/x", "public domain"),
        ("https://foo.localhost/x", "public domain"),
        ("https://-bad-.example.com/x", "domain name"),
        # IP literals in private, loopback, link-local, reserved and multicast ranges
        ("https://127.0.0.1/x", "private"),
        ("https://10.1.2.3/x", "private"),
        ("https://172.16.0.1/x", "private"),
        ("https://192.168.1.1/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://100.64.0.1/x", "private"),
        ("https://0.0.0.0/x", "private"),
        ("https://224.0.0.1/x", "private"),
        ("https://255.255.255.255/x", "private"),
        ("https://198.18.0.1/x", "private"),
        ("https://[::1]/x", "private"),
        ("https://[::]/x", "private"),
        ("https://[fe80::1]/x", "private"),
        ("https://[fd00:ec2::254]/x", "private"),
        ("https://[ff02::1]/x", "private"),
        ("https://[::ffff:127.0.0.1]/x", "private"),  # IPv4-mapped
        ("https://[::ffff:a9fe:a9fe]/x", "private"),  # mapped 169.254.169.254, in hex
        ("https://[64:ff9b::a00:1]/x", "private"),  # NAT64 of 10.0.0.1
        ("https://[::127.0.0.1]/x", "private"),  # IPv4-compatible
        ("https://[2002:7f00:1::1]/x", "private"),  # 6to4 of 127.0.0.1
        ("https://[2001:0:4136:e378::1]/x", "private"),  # Teredo
        # numbers in disguise that resolvers turn into 127.0.0.1
        ("https://2130706433/x", "dotted"),
        ("https://0x7f000001/x", "dotted"),
        ("https://0x7f.1/x", "dotted"),
        ("https://0177.0.0.1/x", "dotted"),
        ("https://127.1/x", "dotted"),
        ("https://" + "a" * 2050 + ".example.com/", "at most"),
    ],
)
def test_given_a_refused_url_then_it_is_invalid_with_a_reason(url, why):
    with pytest.raises(Invalid) as refused:
        webhooks.parse_url(url)
    assert why in refused.value.detail
    assert refused.value.errors[0]["field"] == "url"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:10.0.0.1", "fd12::1", "fe80::1"],
)
def test_given_a_host_that_resolves_to_a_private_address_then_it_is_refused(address):
    with pytest.raises(Invalid):
        webhooks.vet_addresses(["93.184.216.34", address])


def test_given_no_addresses_then_the_host_is_refused():
    with pytest.raises(Invalid, match="does not resolve"):
        webhooks.vet_addresses([])


def test_given_public_addresses_then_they_are_vetted():
    vetted = webhooks.vet_addresses(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    assert vetted[0] == ipaddress.ip_address("93.184.216.34")


def test_given_the_loopback_setting_then_only_loopback_is_added_and_http_only_there():
    assert webhooks.parse_url("http://127.0.0.1:8123/hook", allow_loopback=True).port == 8123
    assert webhooks.vet_addresses(["::1"], allow_loopback=True, scheme="http")
    with pytest.raises(Invalid):
        webhooks.parse_url("https://10.0.0.1/x", allow_loopback=True)
    with pytest.raises(Invalid, match="https"):
        webhooks.vet_addresses(["93.184.216.34"], allow_loopback=True, scheme="http")
    with pytest.raises(Invalid):
        webhooks.parse_url("http://127.0.0.1:8123/hook")


def test_given_event_types_then_known_ones_are_kept_in_order_and_unknown_refused():
    assert webhooks.check_events(["message.added", "ticket.created", "ticket.created"]) == (
        "ticket.created",
        "message.added",
    )
    assert webhooks.check_events(["ticket.created", "*"]) == ("*",)
    with pytest.raises(Invalid, match=r"ticket\.deleted"):
        webhooks.check_events(["ticket.created", "ticket.deleted"])
    with pytest.raises(Invalid):
        webhooks.check_events([])


def test_given_subscriptions_then_events_match_exactly_or_by_star():
    assert webhooks.subscribed(("ticket.created",), "ticket.created")
    assert not webhooks.subscribed(("ticket.created",), "ticket.updated")
    assert webhooks.subscribed(("*",), "sla.breached")
    # Internal bookkeeping events (mail.failed and the like) are never sent, even to "*".
    assert not webhooks.subscribed(("*",), "mail.failed")


def test_given_a_body_then_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"id":"01J","type":"ticket.created"}'
    header = webhooks.sign("whsec_test", body, 1_790_000_000)
    expected = hmac.new(b"whsec_test", b"1790000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1790000000,v1={expected}"
    assert webhooks.verify("whsec_test", body, header, now=1_790_000_100)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_other", b"{}", 1_790_000_000),  # wrong secret
        ("whsec_test", b"{} ", 1_790_000_000),  # body changed
        ("whsec_test", b"{}", 1_790_000_000 + 301),  # too old: a replay
    ],
)
def test_given_a_wrong_secret_body_or_time_then_verification_fails(secret, body, now):
    header = webhooks.sign("whsec_test", b"{}", 1_790_000_000)
    assert not webhooks.verify(secret, body, header, now=now)


def test_given_a_malformed_signature_header_then_verification_fails():
    assert not webhooks.verify("s", b"{}", "v1=abc", now=0)
    assert not webhooks.verify("s", b"{}", "t=x,v1=abc", now=0)


def test_given_failed_attempts_then_the_waits_grow_to_the_sqs_maximum_and_stop():
    delays = [webhooks.retry_delay(n) for n in range(1, webhooks.MAX_ATTEMPTS + 1)]
    assert delays == [30, 120, 600, 900, 900, None]
    assert all(d <= 900 for d in delays if d is not None)  # SQS DelaySeconds maximum
    assert sum(d for d in delays if d) == 2550  # ~42 minutes from first to last attempt
    with pytest.raises(ValueError):
        webhooks.retry_delay(0)


def test_given_consecutive_failed_deliveries_then_the_fifth_disables():
    assert not webhooks.should_disable(4)
    assert webhooks.should_disable(5)


@pytest.mark.parametrize(
    ("status", "ok"), [(200, True), (204, True), (299, True), (301, False), (404, False),
                       (500, False), (None, False)],
)  # fmt: skip
def test_given_an_answer_then_only_2xx_is_a_delivery(status, ok):
    assert webhooks.succeeded(status) is ok
