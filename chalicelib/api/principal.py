"""The principal of the current request, as the authorizer established it."""

from chalice.app import Request

from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.principal import Principal, Role

# Keys of the authorizer context; api/auth.py writes them, this module reads them.
CONTEXT_FIELDS = ("tenant", "role", "kind", "id", "name", "email", "locale")


def to_context(principal: Principal) -> dict[str, str]:
    """API Gateway passes authorizer context as flat strings."""
    return {
        "tenant": principal.tenant,
        "role": principal.role.value,
        "kind": principal.kind,
        "id": principal.id,
        "name": principal.name,
        "email": principal.email or "",
        "locale": principal.locale,
    }


def from_context(context: dict[str, str]) -> Principal:
    return Principal(
        tenant=context["tenant"],
        role=Role(context["role"]),
        kind="api_key" if context["kind"] == "api_key" else "user",
        id=context["id"],
        name=context["name"],
        email=context.get("email") or None,
        locale=context.get("locale") or "en",
    )


def current_principal(request: Request) -> Principal:
    context = (request.context or {}).get("authorizer") or {}
    if not all(field in context for field in ("tenant", "role", "kind", "id", "name")):
        raise Unauthenticated("Sign in or send an API key.")
    return from_context(context)
