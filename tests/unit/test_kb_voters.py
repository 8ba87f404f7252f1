"""Who a knowledge-base vote belongs to, how a moved vote changes the counts, and how the
workspace reads a stored diff and the editor's form."""

import pytest

from chalicelib.adapters.dynamo.kb import _moved
from chalicelib.domain.errors import Invalid
from chalicelib.domain.kb import ArticleVisibility, Counts, Language
from chalicelib.domain.principal import Principal, Role
from chalicelib.services.kb import voter_digest
from chalicelib.web.agent_kb import article_form, diff_lines

VOTER = "visitor-0123456789abcdef"


def person(email: str) -> Principal:
    return Principal("demo", Role.REQUESTER, "user", email, "Someone", email)


def key(key_id: str) -> Principal:
    return Principal("demo", Role.AGENT, "api_key", key_id, "Intranet")


def test_given_a_signed_in_person_then_their_votes_are_theirs_whatever_voter_they_send():
    assert voter_digest(person("a@x.nl"), None) == voter_digest(person("A@x.nl"), VOTER)
    assert voter_digest(person("a@x.nl"), None) != voter_digest(person("b@x.nl"), None)


def test_given_the_digest_then_it_holds_no_address():
    digest = voter_digest(person("a@x.nl"), None)
    assert "a@x.nl" not in digest and len(digest) == 32 and int(digest, 16) >= 0


def test_given_an_api_key_then_each_named_voter_is_apart_and_apart_from_anonymous():
    assert voter_digest(key("K1"), VOTER) != voter_digest(key("K1"), VOTER[::-1])
    assert voter_digest(key("K1"), VOTER) != voter_digest(key("K2"), VOTER)
    assert voter_digest(key("K1"), VOTER) != voter_digest(None, VOTER)
    assert voter_digest(key("K1"), None) == voter_digest(key("K1"), None)


@pytest.mark.parametrize("voter", [None, "short", "x" * 65, "has space in it 0123", "é" * 20])
def test_given_no_sign_in_then_the_voter_is_required_and_well_formed(voter: str | None):
    with pytest.raises(Invalid):
        voter_digest(None, voter)


@pytest.mark.parametrize(
    ("before", "helpful", "after"),
    [
        (None, True, (4, 2)),
        (None, False, (3, 3)),
        (True, False, (2, 3)),
        (False, True, (4, 1)),
    ],
)
def test_given_a_vote_then_the_counts_move_by_one(
    before: bool | None, helpful: bool, after: tuple[int, int]
):
    moved = _moved(Counts(views=9, helpful=3, not_helpful=2), before, helpful)
    assert (moved.helpful, moved.not_helpful, moved.views) == (*after, 9)


def test_given_a_unified_diff_then_each_line_has_its_kind():
    diff = "--- v1\n+++ v2\n@@ -1,2 +1,2 @@\n same\n-old <b>\n+new"

    assert diff_lines(diff) == [
        ("file", "--- v1"),
        ("file", "+++ v2"),
        ("hunk", "@@ -1,2 +1,2 @@"),
        ("same", " same"),
        ("remove", "-old <b>"),
        ("add", "+new"),
    ]


def test_given_the_editor_form_then_fields_are_cleaned_and_checked():
    form, fields = article_form(
        {
            "title": "  Printer  ",
            "body": "    code block\n",
            "language": "nl",
            "category": "printers",
            "tags": "a, b, a, ,c",
            "visibility": "public",
            "translation_of": " 01abc ",
        }
    )
    assert form.ok and fields is not None
    assert (fields.title, fields.body, fields.tags) == (
        "Printer",
        "    code block",
        ("a", "b", "c"),
    )
    assert (fields.language, fields.visibility) == (Language.NL, ArticleVisibility.PUBLIC)
    assert fields.translation_of == "01ABC"

    bad, none = article_form({"title": "", "body": " ", "language": "de", "category": "Bad Cat",
                              "tags": ",".join(f"t{n}" for n in range(21)), "visibility": "all",
                              "translation_of": "no-id"})  # fmt: skip
    assert none is None
    assert set(bad.errors) == {
        "title", "body", "language", "category", "tags", "visibility", "translation_of",
    }  # fmt: skip
