"""HTML out: Jinja2 templates (autoescaped, translated) and the headers every page carries.

One Jinja environment per language, built on first use and kept: each has its catalog
installed, so concurrent requests in different languages never share gettext state.
Jinja2 is imported on the first page, never at `import app`.
"""

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.web import assets, i18n

if TYPE_CHECKING:
    import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    # Pages show personal data and carry CSRF tokens: no cache may keep them.
    "Cache-Control": "no-store",
}
HTML = "text/html; charset=utf-8"


def allow_uploads(response: Response) -> Response:
    """A page whose script sends files straight to the bucket (web/uploads.py) may reach the
    bucket's origin, and only that one besides ours; taken from settings, so locally it is
    moto's address."""
    from chalicelib.settings import get_settings

    origins = " ".join(get_settings().upload_origins)
    policy = f"{CONTENT_SECURITY_POLICY}; connect-src 'self' {origins}"
    response.headers["Content-Security-Policy"] = policy
    return response


@cache
def environment(locale: str) -> "jinja2.Environment":
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # {% trans %} blocks are extracted and looked up with their whitespace collapsed.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["static"] = lambda name: assets.static_path(name)
    return env


def render(locale: str, template: str, context: dict[str, Any]) -> str:
    return environment(locale).get_template(template).render(context)


def page_response(
    body: str, *, status: int = 200, headers: dict[str, Any] | None = None
) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": HTML, **PAGE_HEADERS, **(headers or {})},
    )


# When even the error page cannot be rendered (a broken template), this is what is left: no
# detail, both languages.
FALLBACK_ERROR = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Balie</title></head><body><main>"
    "<h1>Something went wrong</h1><p>Please try again in a moment.</p>"
    '<h1 lang="nl">Er ging iets mis</h1><p lang="nl">Probeer het zo nog eens.</p>'
    "</main></body></html>"
)
