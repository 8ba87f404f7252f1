from types import SimpleNamespace

import pytest

from chalicelib.api.http import if_match_version, location
from chalicelib.domain.errors import PreconditionFailed, PreconditionRequired


@pytest.mark.parametrize(
    ("called", "expected"),
    [
        ("/api/v1/tickets/1042/messages", "/api/v1/tickets/1042"),  # API Gateway stage
        ("/v1/tickets/1042/messages", "/v1/tickets/1042"),  # local, or a custom domain
        (None, "/v1/tickets/1042"),
    ],
)
def test_given_a_stage_prefix_then_locations_keep_it(called, expected):
    request = SimpleNamespace(
        path="/v1/tickets/{number}/messages", context={"path": called} if called else {}
    )
    assert location(request, "/v1/tickets/1042") == expected


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('W/"3"', 3), ("3", 3)])
def test_given_an_if_match_then_the_version_is_read(header, version):
    assert if_match_version(SimpleNamespace(headers={"if-match": header})) == version


def test_given_no_or_a_foreign_if_match_then_428_or_412():
    with pytest.raises(PreconditionRequired):
        if_match_version(SimpleNamespace(headers={}))
    with pytest.raises(PreconditionFailed):
        if_match_version(SimpleNamespace(headers={"if-match": '"abc"'}))
