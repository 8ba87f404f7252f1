"""The knowledge base as the portal sees it: search results and subject suggestions.

The knowledge base itself is another issue; until it lands there are no articles, and the
pages say so. This is the one place that will call its service.
"""

from dataclasses import dataclass

from chalicelib.domain.principal import Principal


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    summary: str


def find_articles(principal: Principal, text: str, *, limit: int = 10) -> list[Article]:
    """Articles of the principal's tenant that match `text`, best first."""
    return []
