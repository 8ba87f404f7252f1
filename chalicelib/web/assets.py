"""Static files under content-hashed URLs, cached by browsers for a year.

`static_url("pico.min.css")` names the file by a hash of its bytes
(`/static/pico.min.1a2b3c4d.css`), so a changed file gets a new URL and a cached one can
never be stale. The hashes are computed once per container, on the first page request, not
at `import app`: the API's cold start does not read these files.
"""

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

STATIC_DIR = Path(__file__).parent / "static"

# What is served, and as what; anything else in the folder (VENDORED.md) is not.
_CONTENT_TYPES = {
    "pico.min.css": "text/css; charset=utf-8",
    "portal.css": "text/css; charset=utf-8",
    "htmx.min.js": "text/javascript; charset=utf-8",
    "uPlot.iife.min.js": "text/javascript; charset=utf-8",
    "uPlot.min.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "uploads.js": "text/javascript; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"

assets_bp = Blueprint(__name__)


@dataclass(frozen=True)
class Asset:
    name: str
    hashed_name: str
    content_type: str
    # CSS and JS are text: Chalice sends text bodies as they are, without the base64 and
    # binary-type handling that bytes would need.
    body: str


def _hashed(name: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()[:8]
    stem, dot, extension = name.rpartition(".")
    return f"{stem}.{digest}{dot}{extension}"


@cache
def _assets() -> dict[str, Asset]:
    """Every served file by its hashed name."""
    assets = {}
    for name, content_type in _CONTENT_TYPES.items():
        raw = (STATIC_DIR / name).read_bytes()
        asset = Asset(name, _hashed(name, raw), content_type, raw.decode("utf-8"))
        assets[asset.hashed_name] = asset
    return assets


@cache
def _hashed_names() -> dict[str, str]:
    return {asset.name: hashed for hashed, asset in _assets().items()}


def static_path(name: str) -> str:
    """The path of a static file by its plain name; KeyError for a file that is not served."""
    return f"/static/{_hashed_names()[name]}"


@assets_bp.route("/static/{name}", methods=["GET"])
def serve(name: str) -> Response:
    asset = _assets().get(name)
    if asset is None:
        # Also an old hash after a deploy: the page that asked for it was old too.
        return Response(
            body="Not found",
            status_code=404,
            headers={
                "Content-Type": "text/plain; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
    return Response(
        body=asset.body,
        headers={
            "Content-Type": asset.content_type,
            "Cache-Control": IMMUTABLE,
            "X-Content-Type-Options": "nosniff",
        },
    )
