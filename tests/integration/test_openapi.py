"""The served contract matches the routes that exist and what they answer."""

from app import app
from chalicelib.api.meta import document


def api_routes() -> dict[str, dict]:
    """The API's routes; pages (chalicelib/web) are not part of the contract and answer
    errors as HTML pages."""
    return {path: methods for path, methods in app.routes.items() if path.startswith("/v1/")}


def registered_routes() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, methods in api_routes().items()
        for method in methods
        if method != "OPTIONS"
    }


def test_given_the_app_then_every_route_is_documented_and_every_documented_route_exists():
    documented = {
        (method.upper(), path)
        for path, operations in document()["paths"].items()
        for method in operations
    }
    assert documented == registered_routes()


def test_given_the_app_then_every_view_answers_errors_as_problem_documents():
    unwrapped = [
        f"{method} {path}"
        for path, methods in api_routes().items()
        for method, entry in methods.items()
        if not hasattr(entry.view_function, "__wrapped__")
    ]
    assert unwrapped == []


def test_given_a_request_then_the_served_document_is_openapi_3_1_with_problem_errors(api):
    answer = api.call("GET", "/v1/openapi.json")
    assert answer.status_code == 200
    served = answer.json_body
    assert served["openapi"] == "3.1.0"
    create = served["paths"]["/v1/tickets"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketCreate"
    }
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert served["components"]["schemas"]["TicketCreate"]["additionalProperties"] is False


def test_given_the_document_then_uploading_a_file_is_described_with_its_presigned_form(api):
    served = api.call("GET", "/v1/openapi.json").json_body
    upload = served["paths"]["/v1/tickets/{number}/attachments"]["post"]
    assert upload["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AttachmentUploadCreate"
    }
    assert set(upload["responses"]) >= {"201", "404", "409", "422"}
    created = served["components"]["schemas"]["AttachmentUploadOut"]
    assert set(created["properties"]) == {"id", "upload", "expires_at"}
