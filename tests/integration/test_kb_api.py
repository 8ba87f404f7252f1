"""The knowledge base over the API: roles, tenancy, public reading, If-Match, versions,
search, suggestions, votes, views, top solutions, drafts from tickets and deflections."""

from typing import Any

import pytest

from tests.integration.conftest import Api

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
ACME_AGENT = "agent@acme.example.com"
ARTICLES = "/v1/kb/articles"
VOTER = "visitor-0123456789abcdef"


def write(api: Api, as_: str = SUPERVISOR, **fields: Any) -> Any:
    body = {
        "title": "Reset your password",
        "body": "Forgot your password? Choose *Forgot password* on the sign-in page.",
        "language": "en",
        "visibility": "public",
        "status": "published",
        **fields,
    }
    return api.call("POST", ARTICLES, as_=as_, body=body)


def publish(api: Api, **fields: Any) -> dict[str, Any]:
    answer = write(api, **fields)
    assert answer.status_code == 201, answer.body
    return answer.json_body


def put(api: Api, article: dict[str, Any], version: int | None = None, **changes: Any) -> Any:
    fields = ("title", "body", "language", "category", "tags", "visibility", "status")
    body = {name: article[name] for name in fields} | changes
    headers = {} if version is None else {"If-Match": f'"{version}"'}
    return api.call(
        "PUT", f"{ARTICLES}/{article['id']}", as_=SUPERVISOR, body=body, headers=headers
    )


def ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.body
    return [a["id"] for a in answer.json_body["items"]]


def table_items(pk_prefix: str) -> list[dict[str, Any]]:
    """Every item whose PK starts with the prefix (test inspection only: a Scan)."""
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.dynamo.codec import from_item
    from chalicelib.settings import get_settings

    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": get_settings().table_name}
    while True:
        answer = client("dynamodb").scan(**params)
        found += [from_item(i) for i in answer["Items"] if i["PK"]["S"].startswith(pk_prefix)]
        if "LastEvaluatedKey" not in answer:
            return found
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def postings_of(article_id: str) -> list[dict[str, Any]]:
    return [i for i in table_items("T#demo#KBTERM#") if i.get("article") == article_id]


# --- writing and roles ----------------------------------------------------------------------


@pytest.mark.parametrize("who", [REQUESTER, AGENT])
def test_given_a_requester_or_agent_when_writing_an_article_then_403(api: Api, who: str):
    assert write(api, as_=who).status_code == 403


def test_given_a_supervisor_when_writing_then_201_with_location_etag_and_the_contract_shape(
    api: Api,
):
    answer = write(api, category="accounts", tags=["password"])

    assert answer.status_code == 201, answer.body
    article = answer.json_body
    assert answer.headers["Location"] == f"{ARTICLES}/{article['id']}"
    assert answer.headers["ETag"] == '"1"'
    assert {k: article[k] for k in ("version", "status", "views", "helpful", "not_helpful")} == {
        "version": 1, "status": "published", "views": 0, "helpful": 0, "not_helpful": 0,
    }  # fmt: skip
    assert article["tenant"] == "demo" and article["translation_of"] is None


def test_given_missing_fields_then_422_naming_them(api: Api):
    answer = api.call("POST", ARTICLES, as_=SUPERVISOR, body={"title": "Only a title"})
    assert answer.status_code == 422


# --- reading by role and tenant --------------------------------------------------------------


def test_given_each_visibility_then_each_caller_lists_what_their_role_may_read(api: Api):
    public = publish(api, title="Public printer help", visibility="public")["id"]
    requesters = publish(api, title="Requester printer help", visibility="requesters")["id"]
    agents = publish(api, title="Agent printer runbook", visibility="agents")["id"]
    draft = publish(api, title="Draft printer text", status="draft")["id"]

    anonymous = ids(api.call("GET", f"{ARTICLES}?tenant=demo"))
    requester = ids(api.call("GET", ARTICLES, as_=REQUESTER))
    agent = ids(api.call("GET", ARTICLES, as_=AGENT))

    assert set(anonymous) == {public}
    assert set(requester) == {public, requesters}
    assert set(agent) == {public, requesters, agents}
    assert draft in ids(api.call("GET", f"{ARTICLES}?status=draft", as_=AGENT))
    assert api.call("GET", f"{ARTICLES}/{agents}", as_=REQUESTER).status_code == 404
    assert api.call("GET", f"{ARTICLES}/{requesters}?tenant=demo").status_code == 404
    assert api.call("GET", f"{ARTICLES}/{draft}", as_=REQUESTER).status_code == 404
    assert api.call("GET", f"{ARTICLES}/{public}?tenant=demo").status_code == 200


def test_given_another_tenants_article_then_404_by_id_and_absent_from_search(api: Api):
    article = publish(api, title="Demo VPN guide", body="VPN drops every ten minutes.")

    assert api.call("GET", f"{ARTICLES}/{article['id']}", as_=ACME_AGENT).status_code == 404
    assert api.call("GET", f"{ARTICLES}/{article['id']}?tenant=acme").status_code == 404
    assert ids(api.call("GET", f"{ARTICLES}?q=vpn", as_=ACME_AGENT)) == []
    assert ids(api.call("GET", f"{ARTICLES}?q=vpn&tenant=acme")) == []


def test_given_no_sign_in_and_no_or_unknown_tenant_then_404(api: Api):
    assert api.call("GET", ARTICLES).status_code == 404
    assert api.call("GET", f"{ARTICLES}?tenant=nosuch").status_code == 404


def test_given_a_bad_token_then_401_even_on_public_routes(api: Api):
    answer = api.call("GET", ARTICLES, headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401


# --- replacing, versions, archiving, deleting ------------------------------------------------


def test_given_put_without_or_with_a_stale_if_match_then_428_or_412_and_nothing_changes(
    api: Api,
):
    article = publish(api)

    assert put(api, article, title="New").status_code == 428
    assert put(api, article, 7, title="New").status_code == 412
    again = api.call("GET", f"{ARTICLES}/{article['id']}", as_=AGENT).json_body
    assert (again["version"], again["title"]) == (1, "Reset your password")


def test_given_an_edit_then_a_new_version_with_who_when_and_a_unified_diff(api: Api):
    article = publish(api)

    answer = put(api, article, 1, body="Use the self-service page to reset it.")

    assert answer.status_code == 200, answer.body
    assert answer.headers["ETag"] == '"2"'
    versions = api.call("GET", f"{ARTICLES}/{article['id']}/versions", as_=AGENT).json_body
    assert [v["version"] for v in versions["items"]] == [2, 1]
    latest = versions["items"][0]
    assert latest["actor"]["id"] == SUPERVISOR
    assert "-Forgot your password?" in latest["diff"]
    assert "+Use the self-service page to reset it." in latest["diff"]
    assert api.call("GET", f"{ARTICLES}/{article['id']}/versions", as_=REQUESTER).status_code == 403


def test_given_an_edit_then_search_finds_the_new_words_and_not_the_old(api: Api):
    article = publish(api, title="Printer help", body="The toner is empty.")
    assert ids(api.call("GET", f"{ARTICLES}?q=toner", as_=AGENT)) == [article["id"]]

    put(api, article, 1, body="The drum unit needs replacing.")

    assert ids(api.call("GET", f"{ARTICLES}?q=toner", as_=AGENT)) == []
    assert ids(api.call("GET", f"{ARTICLES}?q=drum", as_=AGENT)) == [article["id"]]


def test_given_an_archived_article_then_it_has_no_postings_and_search_skips_it(api: Api):
    article = publish(api, title="Printer help", body="The toner is empty.")
    assert postings_of(article["id"])

    answer = put(api, article, 1, status="archived")

    assert answer.status_code == 200, answer.body
    assert postings_of(article["id"]) == []
    assert ids(api.call("GET", f"{ARTICLES}?q=toner", as_=AGENT)) == []


def test_given_a_move_the_workflow_forbids_then_409(api: Api):
    article = publish(api)
    archived = put(api, article, 1, status="archived").json_body

    assert put(api, archived, 2, status="published").status_code == 409


def test_given_a_delete_then_the_article_its_versions_and_postings_are_gone(api: Api):
    article = publish(api)
    assert api.call("DELETE", f"{ARTICLES}/{article['id']}", as_=AGENT).status_code == 403

    answer = api.call("DELETE", f"{ARTICLES}/{article['id']}", as_=SUPERVISOR)

    assert answer.status_code == 204
    assert api.call("GET", f"{ARTICLES}/{article['id']}", as_=AGENT).status_code == 404
    assert table_items(f"T#demo#KBART#{article['id']}") == []
    assert postings_of(article["id"]) == []


def test_given_a_translation_then_it_links_to_its_original_in_the_other_language(api: Api):
    original = publish(api)
    answer = write(api, title="Wachtwoord opnieuw instellen", body="Kies *Wachtwoord vergeten*.",
                   language="nl", translation_of=original["id"])  # fmt: skip
    same_language = write(api, translation_of=original["id"])

    assert answer.status_code == 201, answer.body
    assert answer.json_body["translation_of"] == original["id"]
    assert same_language.status_code == 422


# --- search and suggestions ------------------------------------------------------------------


def test_given_dutch_and_english_articles_then_search_ranks_the_matching_language(api: Api):
    en = publish(api)["id"]
    nl = publish(api, title="Wachtwoord vergeten", body="Stel je wachtwoord opnieuw in via "
                 "de selfservicepagina.", language="nl")["id"]  # fmt: skip
    publish(api, title="VPN drops", body="Check the VPN client version.")

    assert ids(api.call("GET", f"{ARTICLES}?q=wachtwoorden", as_=REQUESTER))[0] == nl
    assert ids(api.call("GET", f"{ARTICLES}?q=forgot%20password", as_=REQUESTER))[0] == en
    assert ids(api.call("GET", f"{ARTICLES}?q=password&language=nl", as_=REQUESTER)) == []
    assert ids(api.call("GET", f"{ARTICLES}?q=pasword", as_=REQUESTER))[0] == en


def test_given_a_ticket_being_written_then_suggest_ranks_articles_with_scores(api: Api):
    vpn = publish(api, title="VPN connection keeps dropping", body="Update the VPN client.")["id"]
    publish(api, title="Printer jams", body="Open tray 2.")

    typed = {"subject": "vpn keeps dropping", "text": "since this morning"}
    answer = api.call("POST", "/v1/kb/suggest?tenant=demo", body=typed)

    assert answer.status_code == 200, answer.body
    items = answer.json_body["items"]
    assert [a["id"] for a in items] == [vpn]
    assert items[0]["score"] > 0


# --- counters, votes, top solutions, deflection ----------------------------------------------


def test_given_reads_and_votes_then_views_and_votes_count_and_top_solutions_follow(api: Api):
    first = publish(api, title="First", body="Alpha text.", category="accounts")["id"]
    second = publish(api, title="Second", body="Beta text.", category="accounts")["id"]
    publish(api, title="Elsewhere", body="Gamma text.", category="network")

    api.call("GET", f"{ARTICLES}/{second}", as_=REQUESTER)
    api.call("GET", f"{ARTICLES}/{second}?tenant=demo")
    api.call("GET", f"{ARTICLES}/{first}", as_=AGENT)  # staff reads are not views
    voted = api.call("POST", f"{ARTICLES}/{second}/votes", as_=REQUESTER, body={"helpful": True})
    api.call(
        "POST", f"{ARTICLES}/{first}/votes?tenant=demo", body={"helpful": False, "voter": VOTER}
    )

    assert voted.status_code == 200, voted.body
    assert (voted.json_body["views"], voted.json_body["helpful"]) == (2, 1)
    top = ids(api.call("GET", f"{ARTICLES}?sort=top&category=accounts", as_=REQUESTER))
    assert top == [second, first]
    counted = api.call("GET", f"{ARTICLES}/{first}", as_=AGENT).json_body
    assert (counted["views"], counted["not_helpful"]) == (0, 1)


def test_given_a_requester_confirms_a_suggestion_solved_it_then_one_deflection_item(api: Api):
    article = publish(api)["id"]

    answer = api.call("POST", "/v1/kb/deflections", as_=REQUESTER, body={"article": article})

    assert answer.status_code == 201, answer.body
    (item,) = table_items("T#demo#DEFLECTION#")
    day = item["occurred_at"][:10]
    assert item["PK"] == f"T#demo#DEFLECTION#{day}"
    assert item["SK"] == item["id"] == answer.json_body["id"]
    assert (item["kind"], item["tenant"], item["article"]) == ("deflection", "demo", article)
    assert item["occurred_at"].endswith("Z")
    assert 399 * 86400 < item["expires_at"] - _epoch(item["occurred_at"]) <= 400 * 86400
    unknown = api.call("POST", "/v1/kb/deflections", as_=REQUESTER, body={"article": "01NOPE"})
    assert unknown.status_code == 404
    assert api.call("POST", "/v1/kb/deflections", body={"article": article}).status_code == 401


def _epoch(moment: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(moment).timestamp())


# --- draft from a ticket ---------------------------------------------------------------------


def test_given_a_resolved_ticket_then_an_agent_drafts_an_article_from_its_answer(api: Api):
    ticket = api.create_ticket(subject="Outlook keeps asking for my password")
    number = ticket["number"]
    reply = {"body": "Remove the old credentials in Credential Manager.", "visibility": "public"}
    api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT, body=reply)
    api.call("POST", f"/v1/tickets/{number}/messages", as_=AGENT,
             body={"body": "internal only", "visibility": "internal"})  # fmt: skip

    early = api.call("POST", ARTICLES, as_=AGENT, body={"from_ticket": number})
    version = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["version"]
    api.call("PATCH", f"/v1/tickets/{number}", as_=AGENT, body={"status": "resolved"},
             headers={"If-Match": f'"{version}"'})  # fmt: skip
    answer = api.call("POST", ARTICLES, as_=AGENT, body={"from_ticket": number, "language": "en"})

    assert early.status_code == 409
    assert answer.status_code == 201, answer.body
    draft = answer.json_body
    assert (draft["title"], draft["body"]) == (
        "Outlook keeps asking for my password",
        "Remove the old credentials in Credential Manager.",
    )
    assert (draft["status"], draft["from_ticket"]) == ("draft", number)
    refused = api.call("POST", ARTICLES, as_=REQUESTER, body={"from_ticket": number})
    assert refused.status_code == 403
