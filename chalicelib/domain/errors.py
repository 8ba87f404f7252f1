"""Domain errors. api/errors.py maps each class to one HTTP status, once."""


class BalieError(Exception):
    """Base of every error a caller can cause."""

    title = "Request failed"

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class BadRequest(BalieError):
    title = "Malformed request"


class Unauthenticated(BalieError):
    title = "Not signed in"


class Forbidden(BalieError):
    title = "Not allowed"


class NotFound(BalieError):
    title = "Not found"


class Conflict(BalieError):
    title = "Conflict with the current state"


class PreconditionFailed(BalieError):
    title = "Version mismatch"


class PreconditionRequired(BalieError):
    title = "If-Match required"


class PayloadTooLarge(BalieError):
    title = "Request too large"


class UnsupportedMediaType(BalieError):
    title = "Unsupported content type"


class Invalid(BalieError):
    title = "Validation failed"
