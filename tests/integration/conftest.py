"""Integration fixtures: the stack from infra/ under moto, the app under chalice.test."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from chalice.test import Client
from moto import mock_aws

if TYPE_CHECKING:
    from tests.integration.test_web_portal import Browser

PASSWORD = "Balie-test-2026!"


def reset_caches() -> None:
    """Process-wide caches hold clients and settings; every test gets fresh ones."""
    from chalicelib import wiring
    from chalicelib.adapters import aws, tokens
    from chalicelib.api import meta
    from chalicelib.settings import get_settings
    from chalicelib.web import views
    from chalicelib.workers import inbound_email

    get_settings.cache_clear()
    aws.reset_clients()
    wiring.reset()
    inbound_email.idempotency_store.cache_clear()
    views.forget_tenant_settings()
    meta.document.cache_clear()
    tokens.reset()


@pytest.fixture(scope="session")
def moto_jwks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """moto signs ID tokens with a bundled key; the app reads its public half from a file."""
    from moto.utilities.utils import load_resource

    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(load_resource("cognitoidp/resources/jwks-public.json")))
    return path


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_jwks: Path) -> Iterator[dict[str, str]]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "BALIE_JWKS_URL": moto_jwks.as_uri(),
        # Botocore sends calls naming a stream ARN to <account>.streams-ddb…, which moto's
        # in-process routing does not recognise.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "BalieTest",
    }.items():
        monkeypatch.setenv(name, value)
    # Keeping botocore's session spares every test re-reading service models (~0.1 s each).
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        from local.provision import provision

        env = provision()
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reset_caches()
        yield env
    reset_caches()


@pytest.fixture
def tenants(aws_env: dict[str, str]) -> None:
    """The demo tenants and users of `make run`, without the demo tickets."""
    from local.seed import seed_people

    seed_people(PASSWORD)


class Api:
    """The app over chalice.test, signed in as whoever a call names."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def sign_out_everyone(self) -> None:
        """After travelling in time, tokens issued at the old moment may have expired."""
        self._tokens.clear()

    def token(self, who: str) -> str:
        if who.startswith("bk_"):
            return who
        if who not in self._tokens:
            answer = self.call("POST", "/v1/auth/login", body={"email": who, "password": PASSWORD})
            assert answer.status_code == 200, answer.body
            self._tokens[who] = answer.json_body["id_token"]
        return self._tokens[who]

    def call(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if as_:
            sent.setdefault("Authorization", f"Bearer {self.token(as_)}")
        payload = None
        if body is not None:
            payload = body if isinstance(body, str | bytes) else json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        return self.client.http.request(method, path, headers=sent, body=payload or b"")

    def create_ticket(self, as_: str = "requester@demo.example.com", **fields: Any) -> Any:
        body = {"subject": "Printer on 3rd floor jams", "description": "Paper jam on every job"}
        answer = self.call("POST", "/v1/tickets", as_=as_, body={**body, **fields})
        assert answer.status_code == 201, answer.body
        return answer.json_body


@pytest.fixture
def api(tenants: None) -> Iterator[Api]:
    from app import app

    with Client(app) as client:
        yield Api(client)


# --- web pages -------------------------------------------------------------------------------

# `sign_in(email)`: a browser of its own (cookie jar, CSRF), signed in on the portal as `email`.
SignIn = Callable[[str], "Browser"]


@pytest.fixture
def sign_in(api: Api) -> SignIn:
    # The Browser is the portal tests' (it imports this module, so it is imported late).
    from tests.integration.test_web_portal import Browser

    def signed_in(email: str) -> Browser:
        browser = Browser(api.client)
        browser.sign_in(email)
        return browser

    return signed_in
