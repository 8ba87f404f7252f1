"""Unsubscribe links: a signed token names tenant, address and what is left, and nothing
else can be read into it (domain/unsubscribe.py)."""

import pytest

from chalicelib.domain import unsubscribe
from chalicelib.domain.unsubscribe import ANNOUNCEMENTS, InvalidLink, Link

KEY = "tenant-secret-of-demo"
OTHER_KEY = "tenant-secret-of-acme"


def test_given_a_token_for_announcements_when_read_then_it_names_tenant_address_and_topic():
    token = unsubscribe.token_for({1: KEY}, "demo", "Requester@Demo.Example.com", ANNOUNCEMENTS)

    link = unsubscribe.read({1: KEY}, token)

    assert link == Link("demo", "requester@demo.example.com", ANNOUNCEMENTS, version=1)
    assert link.ticket is None
    assert unsubscribe.tenant_of(token) == "demo"


def test_given_a_token_for_watching_a_ticket_then_the_ticket_number_comes_back():
    token = unsubscribe.token_for({1: KEY}, "demo", "kim@demo.example.com", "watch:1042")

    link = unsubscribe.read({1: KEY}, token)

    assert link.topic == "watch:1042" and link.ticket == 1042


def test_given_tokens_then_they_are_url_safe_and_not_guessable_from_one_another():
    one = unsubscribe.token_for({1: KEY}, "demo", "a@demo.example.com", ANNOUNCEMENTS)
    two = unsubscribe.token_for({1: KEY}, "demo", "b@demo.example.com", ANNOUNCEMENTS)
    assert one != two
    assert all(c.isalnum() or c in "-_." for c in one)
    assert len(one.rsplit(".", 1)[1]) >= 22  # 128 bits of signature


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t[:-5],  # cut off by a mail client
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: "1..",
        lambda t: "x" * 5000,
        lambda t: t.replace("1.", "9.", 1),  # a version nobody signs with
    ],
)
def test_given_a_mangled_token_then_it_is_invalid(mangle):
    token = unsubscribe.token_for({1: KEY}, "demo", "a@demo.example.com", ANNOUNCEMENTS)
    with pytest.raises(InvalidLink):
        unsubscribe.read({1: KEY}, mangle(token))


def test_given_a_forged_payload_for_another_address_then_the_old_signature_does_not_fit():
    import base64
    import json

    token = unsubscribe.token_for({1: KEY}, "demo", "a@demo.example.com", "watch:7")
    version, _, signature = token.split(".")
    forged = json.dumps(["demo", "boss@demo.example.com", "watch:7"], separators=(",", ":"))
    payload = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    with pytest.raises(InvalidLink):
        unsubscribe.read({1: KEY}, f"{version}.{payload}.{signature}")


def test_given_a_token_of_another_tenant_then_this_tenants_key_refuses_it():
    # acme's token, presented where demo's key checks it (or renamed to claim demo).
    theirs = unsubscribe.token_for({1: OTHER_KEY}, "acme", "a@acme.example.com", ANNOUNCEMENTS)
    with pytest.raises(InvalidLink):
        unsubscribe.read({1: KEY}, theirs)
    assert unsubscribe.tenant_of(theirs) == "acme"  # and acme's own key would check it


def test_given_a_survey_or_approval_signature_with_the_same_key_then_it_is_no_unsubscribe():
    import base64
    import hashlib
    import hmac
    import json

    body = json.dumps(["demo", "a@demo.example.com", ANNOUNCEMENTS], separators=(",", ":"))
    payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    # What another feature signing the bare payload with the tenant's key would produce.
    bare = hmac.new(KEY.encode(), payload.encode(), hashlib.sha256).digest()[:16]
    signature = base64.urlsafe_b64encode(bare).decode().rstrip("=")
    with pytest.raises(InvalidLink):
        unsubscribe.read({1: KEY}, f"1.{payload}.{signature}")


def test_given_a_rotated_key_then_new_links_use_it_and_old_ones_work_until_retired():
    old = unsubscribe.token_for({1: KEY}, "demo", "a@demo.example.com", ANNOUNCEMENTS)
    rotated = {1: KEY, 2: "the-new-secret"}

    new = unsubscribe.token_for(rotated, "demo", "a@demo.example.com", ANNOUNCEMENTS)

    assert new.startswith("2.") and old.startswith("1.")
    assert unsubscribe.read(rotated, old).version == 1
    assert unsubscribe.read(rotated, new).version == 2
    retired = {2: "the-new-secret"}
    with pytest.raises(InvalidLink):
        unsubscribe.read(retired, old)
    assert unsubscribe.read(retired, new).address == "a@demo.example.com"
    # A version-2 token re-labelled as version 1 is signed with the wrong key for it.
    with pytest.raises(InvalidLink):
        unsubscribe.read(rotated, "1." + new.split(".", 1)[1])


def test_given_tenant_settings_then_keys_come_from_the_mail_token_key_or_a_rotation_list():
    assert unsubscribe.keys_of({"mail_token_key": KEY}) == {1: KEY}
    rotation = {"mail_token_key": KEY, "unsubscribe_keys": {"1": KEY, "2": "new"}}
    assert unsubscribe.keys_of(rotation) == {1: KEY, 2: "new"}
    assert unsubscribe.keys_of({}) == {}


@pytest.mark.parametrize("topic", ["", "watch:", "watch:0", "watch:abc", "everything"])
def test_given_an_unknown_topic_then_no_token_is_made(topic):
    with pytest.raises(ValueError):
        unsubscribe.token_for({1: KEY}, "demo", "a@demo.example.com", topic)


def test_given_no_keys_then_no_token_is_made_and_none_is_read():
    with pytest.raises(ValueError):
        unsubscribe.token_for({}, "demo", "a@demo.example.com", ANNOUNCEMENTS)
    token = unsubscribe.token_for({1: KEY}, "demo", "a@demo.example.com", ANNOUNCEMENTS)
    with pytest.raises(InvalidLink):
        unsubscribe.read({}, token)
