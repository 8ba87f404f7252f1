"""The knowledge base in the portal: suggestions while typing, search, article pages with
and without a session, votes, the deflection button, and top solutions on the home page."""

from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.integration.test_web_portal import REQUESTER, Browser, html

SUPERVISOR = "supervisor@demo.example.com"


def publish(api: Api, **fields: Any) -> str:
    body = {
        "title": "VPN-verbinding valt steeds weg",
        "body": "Gebruik de **nieuwste** VPN-client.\n\n<script>alert(1)</script>"
        "[bad](javascript:alert(1))",
        "language": "nl",
        "visibility": "public",
        "status": "published",
        "category": "netwerk",
        **fields,
    }
    answer = api.call("POST", "/v1/kb/articles", as_=SUPERVISOR, body=body)
    assert answer.status_code == 201, answer.body
    return answer.json_body["id"]


@pytest.fixture
def visitor(api: Api) -> Browser:
    return Browser(api.client)


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    visitor.sign_in(REQUESTER)
    return visitor


def test_given_a_subject_being_typed_then_matching_articles_are_suggested_with_a_link(
    api: Api, signed_in: Browser
):
    article = publish(api)
    signed_in.get("/tickets/new")

    answer = signed_in.post("/kb/suggest-fragment", {"subject": "vpn valt weg"},
                            **{"HX-Request": "true"})  # fmt: skip

    assert answer.status_code == 200
    assert "VPN-verbinding valt steeds weg" in html(answer)
    assert f'href="/kb/articles/{article}?from=suggestion"' in html(answer)


def test_given_a_suggested_article_when_the_requester_confirms_it_solved_it_then_a_deflection(
    api: Api, signed_in: Browser
):
    article = publish(api)
    page = signed_in.get(f"/kb/articles/{article}?from=suggestion")
    assert "Ja, dit loste het op" in html(page)

    answer = signed_in.post(f"/kb/articles/{article}/solved", {})

    assert answer.status_code == 303
    from tests.integration.test_kb_api import table_items

    (item,) = table_items("T#demo#DEFLECTION#")
    assert (item["kind"], item["article"]) == ("deflection", article)
    assert "Er is geen melding aangemaakt" in html(signed_in.get(answer.headers["Location"]))


def test_given_a_confirmation_without_csrf_token_then_403_and_nothing_is_counted(
    api: Api, signed_in: Browser
):
    article = publish(api)
    signed_in.get(f"/kb/articles/{article}?from=suggestion")

    answer = signed_in.post(f"/kb/articles/{article}/solved", {}, csrf=False)

    assert answer.status_code == 403
    from tests.integration.test_kb_api import table_items

    assert table_items("T#demo#DEFLECTION#") == []


def test_given_no_session_then_a_public_article_is_readable_sanitised_and_votable(
    api: Api, visitor: Browser
):
    article = publish(api)
    hidden = publish(api, title="Alleen voor aanvragers", visibility="requesters")

    page = visitor.get(f"/kb/articles/{article}?tenant=demo&lang=nl")
    assert page.status_code == 200, html(page)
    body = html(page)
    assert "<strong>nieuwste</strong>" in body
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    assert 'href="javascript:' not in body
    assert "Ja, dit loste het op" not in body

    voted = visitor.post(f"/kb/articles/{article}/vote", {"helpful": "yes", "tenant": "demo"})
    assert voted.status_code == 303
    counted = api.call("GET", f"/v1/kb/articles/{article}", as_=SUPERVISOR).json_body
    assert (counted["helpful"], counted["views"]) == (1, 1)
    assert visitor.get(f"/kb/articles/{hidden}?tenant=demo").status_code == 404
    found = visitor.get("/kb/search?q=vpn&tenant=demo")
    assert f"/kb/articles/{article}?tenant=demo" in html(found)


def test_given_another_tenant_then_its_article_page_is_404(api: Api, visitor: Browser):
    article = publish(api)

    assert visitor.get(f"/kb/articles/{article}?tenant=acme").status_code == 404


def test_given_viewed_articles_then_home_shows_top_solutions(api: Api, signed_in: Browser):
    article = publish(api)
    signed_in.get(f"/kb/articles/{article}")

    home = html(signed_in.get("/"))

    assert "Meest gebruikte oplossingen" in home
    assert f'href="/kb/articles/{article}"' in home


def test_given_top_solutions_in_two_languages_then_home_shows_the_readers_own(
    api: Api, signed_in: Browser
):
    dutch = publish(api)
    english = publish(api, title="VPN keeps dropping", language="en", category="network")
    for article in (dutch, english):
        signed_in.get(f"/kb/articles/{article}")

    home = html(signed_in.get("/"))

    # The demo requester reads Dutch.
    assert f'href="/kb/articles/{dutch}"' in home
    assert f'href="/kb/articles/{english}"' not in home
