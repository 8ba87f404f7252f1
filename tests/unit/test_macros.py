"""Macro placeholders: what is refused when saved, and how values are filled in."""

import pytest

from chalicelib.domain.macros import fill, pick_language, placeholder_errors


@pytest.mark.parametrize(
    "template",
    ["Hi {{requester_name}}", "#{{ ticket_number }} {{portal_link}}\n{{agent_name}}", "no braces",
     "single { braces } are text"],
)  # fmt: skip
def test_given_known_placeholders_or_none_then_no_errors(template):
    assert placeholder_errors(template) == []


@pytest.mark.parametrize(
    ("template", "count"),
    [("{{name}}", 1), ("{{}}", 1), ("{{ requester_name", 1), ("{{x}} and {{y}} {{", 3),
     ("{{Requester_Name}}", 1)],
)  # fmt: skip
def test_given_unknown_empty_or_unclosed_placeholders_then_each_is_an_error(template, count):
    assert len(placeholder_errors(template)) == count


def test_given_values_then_each_placeholder_is_filled_once_and_values_stay_one_line():
    values = {"requester_name": "{{agent_name}}\r\nBcc: x", "agent_name": "Eva"}
    assert fill("{{requester_name}} / {{ agent_name }}", values) == "{{agent_name}} Bcc: x / Eva"


def test_given_a_language_missing_then_the_other_is_picked():
    assert pick_language({"nl": "a", "en": "b"}, "en") == "en"
    assert pick_language({"nl": "a"}, "en") == "nl"
    assert pick_language({"en": "b"}, None) == "en"
    assert pick_language({"nl": "a", "en": "b"}, "de") == "nl"
