"""The custom authorizer every protected route uses: `@bp.route(..., authorizer=bearer)`.

How a rejection becomes a 401 differs by where the authorizer runs:

- API Gateway answers 401 only when the authorizer Lambda fails with exactly the message
  "Unauthorized"; a Deny policy is a 403 and any other failure a 500. Its body comes
  from the UNAUTHORIZED gateway response.
- `chalice local` and `chalice.test.Client` turn only their own NotAuthorizedError into a
  401 (any other exception escapes the local gateway). That class lives in chalice.local,
  which `chalice package` leaves out of the Lambda zip, so its import doubles as the
  "are we local?" test.
"""

from functools import cache

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest

from chalicelib.api.errors import from_domain
from chalicelib.api.principal import to_context
from chalicelib.domain.errors import Unauthenticated
from chalicelib.services import identity

auth_bp = Blueprint(__name__)

UNAUTHORIZED = "Unauthorized"


@auth_bp.authorizer(ttl_seconds=60)
def bearer(auth_request: AuthRequest) -> AuthResponse:
    try:
        principal = identity.authenticate(auth_request.token)
    except Unauthenticated as exc:
        raise _unauthorized(exc) from None
    # Every route, not just this one: API Gateway caches the policy per token for the TTL
    # and reuses it on other routes, which a narrower policy would turn into 403s.
    return AuthResponse(routes=["*"], principal_id=principal.id, context=to_context(principal))


def _unauthorized(error: Unauthenticated) -> Exception:
    local_error = _local_error_class()
    if local_error is None:
        return Exception(UNAUTHORIZED)
    # The same problem document a view's 401 gets, from the one error map.
    response = from_domain(error)
    return local_error(dict(response.headers), str(response.body).encode())


@cache
def _local_error_class() -> type[Exception] | None:
    try:
        from chalice.local import NotAuthorizedError
    except ImportError:
        return None

    class LocalUnauthorized(NotAuthorizedError):
        # Should a full chalice ever be deployed, the Lambda error message must still be
        # the exact word API Gateway maps to 401.
        def __str__(self) -> str:
            return UNAUTHORIZED

    return LocalUnauthorized
