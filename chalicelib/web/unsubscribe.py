"""The unsubscribe link of announcement mailings and watcher copies (docs/web.md).

Signed out on purpose: the signed token in the path stands in for signing in, for one
address and one kind of mail (domain/unsubscribe.py).

- `GET /unsubscribe/{token}` changes nothing (mail scanners open links): it shows what the
  link stops and one button, a form with the pre-session CSRF token like every form.
- `POST /unsubscribe/{token}` with that form leaves (or, for announcements, rejoins).
- `POST /unsubscribe/{token}` with the body `List-Unsubscribe=One-Click` is RFC 8058's
  one-click unsubscribe that mail providers send for the `List-Unsubscribe-Post` header.
  It carries no CSRF token, and needs none. CSRF is about a cross-site page borrowing the
  authority a browser holds (its session cookie); this request uses no cookie and no
  session, only the unguessable token in its own URL, which a forging site does not know.
  Whoever does know it (the recipient, or whom they forwarded the mail to) could post it
  directly just as well, so a CSRF check would stop nobody, and it cannot be met by a
  provider, which sends no cookies (RFC 8058 §3.2). The worst a misuse can do is stop mail
  to that one address, which the page can undo (announcements) or the desk can (watching).
"""

from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from chalicelib.domain.errors import Conflict
from chalicelib.services.unsubscribe import InvalidLink
from chalicelib.web.views import FORM_TYPE, Page, page
from chalicelib.wiring import unsubscribe_service

unsubscribe_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
# RFC 8058's body is one short field; anything much larger is not a one-click request.
_ONE_CLICK_MAX = 4096


@unsubscribe_bp.route("/unsubscribe/{token}", methods=["GET"])
@page(unsubscribe_bp, public=True)
def show(current: Page, token: str) -> Response:
    try:
        opened = unsubscribe_service().open(token)
    except InvalidLink:
        return current.render("unsubscribe.html", status=400, state="invalid")
    current.speak_for(opened.settings)
    state = "ask" if opened.subscribed else "left"
    return current.render("unsubscribe.html", state=state, opened=opened, token=token, done=False)


@unsubscribe_bp.route("/unsubscribe/{token}", methods=["POST"], content_types=ANY_BODY)
@page(unsubscribe_bp, public=True)
def act(current: Page, token: str) -> Response:
    service = unsubscribe_service()
    # Switching the language on the answer comes back to this link's page, not home.
    current.return_to = current.path
    one_click = _is_one_click(current)
    # The form (and its CSRF token) is read before anything changes; one-click is exempt.
    action = "leave" if one_click else current.form().get("action", "leave")
    try:
        opened = service.rejoin(token) if action == "rejoin" else service.leave(token)
    except InvalidLink:
        return current.render("unsubscribe.html", status=400, state="invalid")
    except Conflict:
        # A watch link asked to rejoin: only the desk or the requester adds watchers.
        opened = service.open(token)
        current.speak_for(opened.settings)
        return current.render("unsubscribe.html", status=409, state="left", opened=opened,
                              token=token, done=False)  # fmt: skip
    current.speak_for(opened.settings)
    state = "rejoined" if action == "rejoin" else "left"
    return current.render("unsubscribe.html", state=state, opened=opened, token=token,
                          done=True)  # fmt: skip


def _is_one_click(current: Page) -> bool:
    """Whether the body is RFC 8058's `List-Unsubscribe=One-Click`, url-encoded or (as the
    RFC prefers) multipart/form-data."""
    request = current.request
    raw = request.raw_body or b""
    if len(raw) > _ONE_CLICK_MAX:
        return False
    content_type = (request.headers or {}).get("content-type") or ""
    kind = content_type.split(";")[0].strip().lower()
    if kind == FORM_TYPE:
        pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return ("List-Unsubscribe", "One-Click") in pairs
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode("ascii", "replace")
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
        if not message.is_multipart():
            return False
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "List-Unsubscribe":
                payload = part.get_payload(decode=True) or b""
                return payload.decode("utf-8", "replace").strip() == "One-Click"
    return False
