"""Helpful / not helpful votes count once per voter and article: signed in by user,
anonymous by the voter id the client keeps (the portal: one derived from its per-browser
secret). Voting again moves the vote; a concurrent vote of the same voter never counts twice."""

from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.integration.test_kb_api import (
    ARTICLES,
    REQUESTER,
    SUPERVISOR,
    ids,
    publish,
    table_items,
)
from tests.integration.test_web_portal import Browser

VOTER = "visitor-0123456789abcdef"


@pytest.fixture
def visitor(api: Api) -> Browser:
    return Browser(api.client)


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    visitor.sign_in(REQUESTER)
    return visitor


def vote(api: Api, article: str, helpful: bool, **kwargs: Any) -> Any:
    as_ = kwargs.pop("as_", None)
    query = "" if as_ else "?tenant=demo"
    body = {"helpful": helpful, **kwargs}
    return api.call("POST", f"{ARTICLES}/{article}/votes{query}", as_=as_, body=body)


def counts(api: Api, article: str) -> tuple[int, int]:
    found = api.call("GET", f"{ARTICLES}/{article}", as_=SUPERVISOR).json_body
    return found["helpful"], found["not_helpful"]


def test_given_a_signed_in_voter_when_voting_twice_then_it_counts_once(api: Api):
    article = publish(api)["id"]

    first = vote(api, article, True, as_=REQUESTER)
    again = vote(api, article, True, as_=REQUESTER)

    assert first.status_code == again.status_code == 200, again.body
    assert (again.json_body["helpful"], again.json_body["not_helpful"]) == (1, 0)
    assert counts(api, article) == (1, 0)


def test_given_a_vote_when_the_voter_changes_their_mind_then_the_count_moves(api: Api):
    article = publish(api)["id"]
    vote(api, article, True, as_=REQUESTER)

    changed = vote(api, article, False, as_=REQUESTER)
    vote(api, article, False, as_=REQUESTER)

    assert (changed.json_body["helpful"], changed.json_body["not_helpful"]) == (0, 1)
    assert counts(api, article) == (0, 1)
    back = vote(api, article, True, as_=REQUESTER)
    assert (back.json_body["helpful"], back.json_body["not_helpful"]) == (1, 0)
    assert counts(api, article) == (1, 0)


def test_given_two_people_then_each_vote_counts(api: Api):
    article = publish(api)["id"]

    vote(api, article, True, as_=REQUESTER)
    vote(api, article, True, as_=SUPERVISOR)
    vote(api, article, False, voter=VOTER)

    assert counts(api, article) == (2, 1)


def test_given_no_sign_in_then_a_vote_needs_a_voter_and_counts_once_per_voter(api: Api):
    article = publish(api)["id"]

    missing = vote(api, article, True)
    malformed = vote(api, article, True, voter="short")
    vote(api, article, True, voter=VOTER)
    vote(api, article, True, voter=VOTER)
    vote(api, article, True, voter=VOTER.replace("0", "1"))

    assert missing.status_code == 422, missing.body
    assert malformed.status_code == 422
    assert counts(api, article) == (2, 0)


def test_given_votes_then_their_items_hold_only_a_digest_and_go_with_the_article(api: Api):
    article = publish(api)["id"]
    vote(api, article, True, as_=REQUESTER)

    (item,) = [i for i in table_items(f"T#demo#KBART#{article}") if i["SK"].startswith("VOTE#")]
    assert REQUESTER not in str(item)
    assert item["helpful"] is True

    removed = api.call("DELETE", f"{ARTICLES}/{article}", as_=SUPERVISOR)
    assert removed.status_code == 204
    assert table_items(f"T#demo#KBART#{article}") == []


def test_given_votes_then_top_solutions_follow_the_moved_counts(api: Api):
    first = publish(api, title="First", body="Alpha text.", category="accounts")["id"]
    second = publish(api, title="Second", body="Beta text.", category="accounts")["id"]
    vote(api, first, True, as_=REQUESTER)
    assert ids(api.call("GET", f"{ARTICLES}?sort=top&category=accounts", as_=REQUESTER)) == [
        first,
        second,
    ]

    vote(api, first, False, as_=REQUESTER)

    top = ids(api.call("GET", f"{ARTICLES}?sort=top&category=accounts", as_=REQUESTER))
    assert top == [second, first]


def test_given_a_stale_read_of_the_same_voter_then_the_conditional_write_counts_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    """The race a read-modify-write would lose: two requests of one voter both read "no
    vote yet". The second one's conditional Put fails, it reads again and counts nothing."""
    from chalicelib.adapters.dynamo import kb as adapter
    from chalicelib.services.kb import voter_digest
    from chalicelib.wiring import kb_service

    article_id = publish(api)["id"]
    vote(api, article_id, True, as_=REQUESTER)
    service = kb_service()
    store = service.store
    article = store.get("demo", article_id, consistent=True)
    assert article is not None
    real_client = adapter.client
    reads = {"stale": 1}

    class StaleOnce:
        def __init__(self, db: Any) -> None:
            self._db = db

        def get_item(self, **params: Any) -> Any:
            if reads["stale"]:
                reads["stale"] -= 1
                return {}  # as read before the other request's vote landed
            return self._db.get_item(**params)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._db, name)

    monkeypatch.setattr(adapter, "client", lambda name: StaleOnce(real_client(name)))
    requester_voter = voter_digest(_principal(REQUESTER), None)

    after = store.vote(article, requester_voter, True, article.updated_at)

    assert reads["stale"] == 0
    assert (after.helpful, after.not_helpful) == (1, 0)
    assert counts(api, article_id) == (1, 0)


def _principal(email: str) -> Any:
    from chalicelib.domain.principal import Principal, Role

    return Principal(tenant="demo", role=Role.REQUESTER, kind="user", id=email, name="R")


# --- the portal's article page ----------------------------------------------------------------


def portal_vote(browser: Browser, page: str, helpful: str) -> Any:
    """Open the article page (its form's CSRF token) and press Yes or No."""
    assert browser.get(page).status_code == 200
    path, _, query = page.partition("?")
    form = {"helpful": helpful, **({"tenant": "demo"} if "tenant=demo" in query else {})}
    return browser.post(f"{path}/vote", form)


def test_given_an_anonymous_browser_when_voting_twice_then_once_and_another_browser_counts(
    api: Api, visitor: Browser
):
    article = publish(api)["id"]
    page = f"/kb/articles/{article}?tenant=demo"

    first = portal_vote(visitor, page, "yes")
    portal_vote(visitor, page, "yes")
    assert first.status_code == 303
    assert counts(api, article) == (1, 0)
    portal_vote(visitor, page, "no")
    assert counts(api, article) == (0, 1)

    portal_vote(Browser(api.client), page, "no")
    assert counts(api, article) == (0, 2)


def test_given_a_signed_in_requester_on_the_portal_then_their_vote_counts_once(
    api: Api, signed_in: Browser
):
    article = publish(api)["id"]
    portal_vote(signed_in, f"/kb/articles/{article}", "yes")
    portal_vote(signed_in, f"/kb/articles/{article}", "yes")

    assert counts(api, article) == (1, 0)
