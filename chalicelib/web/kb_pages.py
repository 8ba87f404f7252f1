"""Knowledge-base article pages: read an article (public ones without signing in), say
whether it helped, and confirm that a suggested article solved the problem (a deflection).

A visitor without a session names the tenant in the address (`?tenant=demo`); signed in,
the session's tenant is used and any `tenant` in the address is ignored.
"""

from chalice import Blueprint, Response

from chalicelib.domain.errors import NotFound
from chalicelib.web import knowledge
from chalicelib.web.views import Page, page

kb_pages_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]


def _article_id(raw: str) -> str:
    if not raw.isalnum() or len(raw) > 40:
        raise NotFound("No such article.")
    return raw.upper()


def _visitor_tenant(current: Page, named: str | None) -> str | None:
    """The tenant to carry in links: only a visitor without a session needs it."""
    return None if current.principal else named


@kb_pages_bp.route("/kb/articles/{article_id}", methods=["GET"])
@page(kb_pages_bp, public=True)
def article_page(current: Page, article_id: str) -> Response:
    named = current.query("tenant")
    tenant = knowledge.tenant_for(current.principal, named)
    voted, solved = current.query("voted") == "1", current.query("solved") == "1"
    # The page a vote or a confirmation comes back to is not another view.
    article = knowledge.read(
        current.principal, tenant, _article_id(article_id), count_view=not (voted or solved)
    )
    from_suggestion = current.query("from") == "suggestion"
    return current.render(
        "kb_article.html",
        article=article,
        body=knowledge.render_markdown(article.body),
        tenant_param=_visitor_tenant(current, tenant),
        # Only a signed-in requester who came from the new-ticket form can be spared a ticket.
        offer_solved=from_suggestion and current.principal is not None,
        voted=voted,
        solved=solved,
    )


@kb_pages_bp.route("/kb/articles/{article_id}/vote", methods=["POST"], content_types=ANY_BODY)
@page(kb_pages_bp, public=True)
def vote(current: Page, article_id: str) -> Response:
    values = current.form()
    named = values.get("tenant") or None
    tenant = knowledge.tenant_for(current.principal, named)
    article = _article_id(article_id)
    helpful = values.get("helpful") == "yes"
    knowledge.vote(current.principal, tenant, article, helpful, current.anonymous_voter())
    return current.redirect(
        f"/kb/articles/{article}", tenant=_visitor_tenant(current, tenant), voted="1"
    )


@kb_pages_bp.route("/kb/articles/{article_id}/solved", methods=["POST"], content_types=ANY_BODY)
@page(kb_pages_bp)
def solved(current: Page, article_id: str) -> Response:
    """ "Yes, this solved it — no ticket needed": counted as one deflection."""
    current.form()
    article = _article_id(article_id)
    knowledge.solved(current.user, article)
    return current.redirect(f"/kb/articles/{article}", solved="1")
