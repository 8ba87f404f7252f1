"""Sign-in, /v1/me and API keys over HTTP, against Cognito and DynamoDB under moto."""

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters import aws
from chalicelib.domain.errors import Conflict, Invalid
from chalicelib.domain.principal import Principal, Role
from chalicelib.services import api_keys, users
from chalicelib.settings import get_settings

PASSWORD = "Balie-identity-2026!"
ADMIN = "admin@demo.example.com"
AGENT = "agent@demo.example.com"
REQUESTER = "requester@demo.example.com"
ACME_ADMIN = "admin@acme.example.com"

PEOPLE: dict[str, dict[str, Any]] = {
    ADMIN: {"tenant": "demo", "name": "Ada Admin", "role": Role.ADMIN, "locale": "nl"},
    AGENT: {
        "tenant": "demo",
        "name": "Aart Agent",
        "role": Role.AGENT,
        "tier": 2,
        "groups": ["network"],
        "locale": "nl",
    },
    REQUESTER: {"tenant": "demo", "name": "Rita Requester", "role": Role.REQUESTER},
    ACME_ADMIN: {"tenant": "acme", "name": "Alan Acme", "role": Role.ADMIN},
}


def _ensure(email: str, **changes: Any) -> None:
    person = {"password": PASSWORD, **PEOPLE[email], **changes}
    users.ensure_user(person.pop("tenant"), email=email, **person)


@pytest.fixture
def people(aws_env: dict[str, str]) -> None:
    for email in PEOPLE:
        _ensure(email)


class Http:
    def __init__(self, client: Client) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.call("POST", "/v1/auth/login", body={"email": email, "password": password})

    def token(self, email: str) -> str:
        if email not in self._tokens:
            answer = self.login(email)
            assert answer.status_code == 200, answer.body
            self._tokens[email] = answer.json_body["id_token"]
        return self._tokens[email]

    def call(
        self, method: str, path: str, *, as_: str | None = None, body: Any = None, bearer: str = ""
    ) -> Any:
        headers = {}
        if as_ or bearer:
            credential = bearer or (as_ if as_.startswith("bk_") else self.token(as_))
            headers["Authorization"] = f"Bearer {credential}"
        payload = b""
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        return self.client.http.request(method, path, headers=headers, body=payload)

    def new_key(self, as_: str = ADMIN, name: str = "CRM sync", role: str = "agent") -> Any:
        answer = self.call("POST", "/v1/api-keys", as_=as_, body={"name": name, "role": role})
        assert answer.status_code == 201, answer.body
        return answer.json_body


@pytest.fixture
def http(people: None) -> Iterator[Http]:
    # The real app, not a small one of our own: chalice's route registration consumes the
    # blueprint's stored options, so a blueprint can join only one app per process and
    # a second app here would break every later test that uses app.py.
    from app import app

    with Client(app) as client:
        yield Http(client)


def assert_problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.body
    headers = {k.lower(): v for k, v in answer.headers.items()}
    assert headers["content-type"] == "application/problem+json"
    body = answer.json_body
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def assert_unauthorized(answer: Any) -> dict[str, Any]:
    body = assert_problem(answer, 401)
    assert {k.lower(): v for k, v in answer.headers.items()}["www-authenticate"] == "Bearer"
    return body


def moto_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# --- sign-in -------------------------------------------------------------------------------


def test_given_a_provisioned_user_when_signing_in_then_tokens_come_back(http: Http):
    answer = http.login("Admin@Demo.example.com")

    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert set(body) == {"id_token", "refresh_token", "expires_in"}
    assert body["expires_in"] > 0
    assert answer.headers["Cache-Control"] == "no-store"
    claims = moto_claims(body["id_token"])
    assert claims["token_use"] == "id"
    assert claims["custom:tenant"] == "demo"
    assert claims["cognito:groups"] == ["admin"]


def test_given_a_wrong_password_or_an_unknown_user_when_signing_in_then_the_same_401(
    http: Http,
):
    wrong_password = http.login(ADMIN, "Not-the-password-1!")
    unknown_user = http.login("nobody@demo.example.com")

    assert assert_unauthorized(wrong_password) == assert_unauthorized(unknown_user)
    assert PASSWORD not in wrong_password.body.decode()


def test_given_a_sign_in_body_that_is_not_json_when_signing_in_then_415_problem(http: Http):
    answer = http.client.http.post(
        "/v1/auth/login",
        headers={"Content-Type": "text/plain"},
        body=f"email={ADMIN}&password={PASSWORD}".encode(),
    )

    assert_problem(answer, 415)


@pytest.mark.parametrize(
    "body",
    [
        {"email": ADMIN},
        {"email": "not-an-address", "password": PASSWORD},
        {"email": ADMIN, "password": "x" * 257},
        {"email": ADMIN, "password": PASSWORD, "remember": True},
    ],
    ids=["no-password", "bad-email", "password-too-long", "unknown-field"],
)
def test_given_an_invalid_sign_in_body_when_signing_in_then_422_without_echoing_it(
    http: Http, body: dict[str, Any]
):
    answer = http.call("POST", "/v1/auth/login", body=body)

    problem = assert_problem(answer, 422)
    assert PASSWORD not in answer.body.decode()
    assert problem["errors"]


# --- who am I ------------------------------------------------------------------------------


def test_given_a_signed_in_agent_when_asking_me_then_the_principal_of_the_token(http: Http):
    answer = http.call("GET", "/v1/me", as_=AGENT)

    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert body["email"] == AGENT
    assert body["tenant"] == "demo"
    assert (body["role"], body["roles"], body["kind"]) == ("agent", ["agent"], "user")
    # Present only because the app client's ReadAttributes (infra/) lists them.
    assert (body["name"], body["locale"]) == ("Aart Agent", "nl")


def test_given_an_api_key_when_asking_me_then_the_key_is_the_principal(http: Http):
    created = http.new_key(name="Monitoring", role="agent")

    answer = http.call("GET", "/v1/me", as_=created["key"])

    assert answer.status_code == 200, answer.body
    assert answer.json_body == {
        "email": None,
        "name": "Monitoring",
        "tenant": "demo",
        "roles": ["agent"],
        "role": "agent",
        "locale": "en",
        "kind": "api_key",
    }


def test_given_no_authorization_header_when_asking_me_then_401(http: Http):
    assert http.call("GET", "/v1/me").status_code == 401


def test_given_a_token_signed_by_another_key_when_asking_me_then_401_problem(http: Http):
    genuine = moto_claims(http.token(ADMIN))
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {**genuine, "cognito:groups": ["admin"]},
        forger,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )

    assert_unauthorized(http.call("GET", "/v1/me", bearer=forged))


def test_given_an_alg_none_token_when_asking_me_then_401_problem(http: Http):
    genuine = moto_claims(http.token(REQUESTER))
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"dummy"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(
        json.dumps({**genuine, "cognito:groups": ["admin"]}).encode()
    ).rstrip(b"=")

    assert_unauthorized(http.call("GET", "/v1/me", bearer=f"{header}.{payload.decode()}."))


def test_given_an_expired_token_when_asking_me_then_401_problem(http: Http):
    token = http.token(ADMIN)

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        assert_unauthorized(http.call("GET", "/v1/me", bearer=token))


def test_given_a_tampered_token_when_asking_me_then_401_problem(http: Http):
    head, payload, signature = http.token(REQUESTER).split(".")
    claims = moto_claims(f"{head}.{payload}.{signature}")
    promoted = base64.urlsafe_b64encode(
        json.dumps({**claims, "cognito:groups": ["admin"]}).encode()
    ).rstrip(b"=")

    assert_unauthorized(
        http.call("GET", "/v1/me", bearer=f"{head}.{promoted.decode()}.{signature}")
    )


def test_given_a_cognito_account_balie_never_provisioned_when_asking_me_then_401(http: Http):
    cognito = aws.client("cognito-idp")
    settings = get_settings()
    cognito.admin_create_user(
        UserPoolId=settings.user_pool_id,
        Username="stray@demo.example.com",
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=settings.user_pool_id,
        Username="stray@demo.example.com",
        Password=PASSWORD,
        Permanent=True,
    )

    assert http.login("stray@demo.example.com").status_code == 200
    assert_unauthorized(http.call("GET", "/v1/me", as_="stray@demo.example.com"))


# --- API keys ------------------------------------------------------------------------------


def test_given_an_admin_when_creating_a_key_then_201_with_the_secret_once(http: Http):
    answer = http.call("POST", "/v1/api-keys", as_=ADMIN, body={"name": "CRM", "role": "admin"})

    assert answer.status_code == 201, answer.body
    created = answer.json_body
    assert set(created) == {"id", "name", "role", "created_at", "key"}
    assert created["key"].startswith("bk_") and len(created["key"]) == 46
    assert answer.headers["Location"] == f"/v1/api-keys/{created['id']}"
    listed = http.call("GET", "/v1/api-keys", as_=ADMIN)
    assert listed.status_code == 200, listed.body
    assert created["key"] not in listed.body.decode()
    assert listed.json_body["items"] == [
        {
            "id": created["id"],
            "name": "CRM",
            "role": "admin",
            "created_at": created["created_at"],
            "created_by": ADMIN,
            "last4": created["key"][-4:],
        }
    ]


def test_given_a_key_when_stored_then_only_its_hash_is_in_the_table(http: Http):
    created = http.new_key()

    items = aws.client("dynamodb").scan(TableName=get_settings().table_name)["Items"]

    assert created["key"] not in json.dumps(items)
    assert created["key"][3:] not in json.dumps(items)


def test_given_a_revoked_key_when_used_then_401_and_it_is_gone_from_the_list(http: Http):
    created = http.new_key()
    assert http.call("GET", "/v1/me", as_=created["key"]).status_code == 200

    revoked = http.call("DELETE", f"/v1/api-keys/{created['id']}", as_=ADMIN)

    assert revoked.status_code == 204
    assert_unauthorized(http.call("GET", "/v1/me", as_=created["key"]))
    assert http.call("GET", "/v1/api-keys", as_=ADMIN).json_body["items"] == []
    assert_problem(http.call("DELETE", f"/v1/api-keys/{created['id']}", as_=ADMIN), 404)


def test_given_several_keys_when_listing_by_pages_then_each_once_newest_first(http: Http):
    http.token(ADMIN)
    start = datetime.now(UTC)
    ids = []
    for n in range(3):
        # A minute apart, so creation order is the ids' order; forward, so the token holds.
        with time_machine.travel(start + timedelta(minutes=n + 1)):
            ids.append(http.new_key(name=f"key {n}")["id"])

    first = http.call("GET", "/v1/api-keys?limit=2", as_=ADMIN).json_body
    second = http.call(
        "GET", f"/v1/api-keys?limit=2&cursor={first['next_cursor']}", as_=ADMIN
    ).json_body

    assert [k["id"] for k in first["items"] + second["items"]] == ids[::-1]
    assert first["next_cursor"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "cursor=bm90LWEtY3Vyc29y", "x=1"])
def test_given_bad_list_parameters_when_listing_keys_then_422(http: Http, query: str):
    assert_problem(http.call("GET", f"/v1/api-keys?{query}", as_=ADMIN), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "role": "requester"},
        {"name": "x", "role": "supervisor"},
        {"name": "", "role": "agent"},
        {"role": "agent"},
        {"name": "x", "role": "agent", "tenant": "acme"},
    ],
    ids=["requester-role", "supervisor-role", "empty-name", "no-name", "tenant-field"],
)
def test_given_an_invalid_key_request_when_creating_then_422(http: Http, body: dict[str, Any]):
    assert_problem(http.call("POST", "/v1/api-keys", as_=ADMIN, body=body), 422)


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.SUPERVISOR])
def test_given_a_role_keys_cannot_carry_when_the_service_is_asked_then_invalid_and_no_key(
    people: None, role: Role
):
    # The HTTP schema already refuses these; other callers of the service must be refused too.
    admin = Principal(tenant="demo", role=Role.ADMIN, kind="user", id=ADMIN, name="A", email=ADMIN)

    with pytest.raises(Invalid):
        api_keys.create_api_key(admin, name="x", role=role)
    assert api_keys.list_api_keys(admin) == ([], None)


@pytest.mark.parametrize("who", [REQUESTER, AGENT, "agent-key"])
def test_given_a_non_admin_when_managing_keys_then_403(http: Http, who: str):
    existing = http.new_key()
    caller = http.new_key(role="agent")["key"] if who == "agent-key" else who

    assert_problem(http.call("GET", "/v1/api-keys", as_=caller), 403)
    assert_problem(
        http.call("POST", "/v1/api-keys", as_=caller, body={"name": "x", "role": "agent"}), 403
    )
    assert_problem(http.call("DELETE", f"/v1/api-keys/{existing['id']}", as_=caller), 403)
    assert http.call("GET", "/v1/me", as_=existing["key"]).status_code == 200


def test_given_an_admin_key_when_managing_keys_then_it_may(http: Http):
    admin_key = http.new_key(role="admin")["key"]

    created = http.call("POST", "/v1/api-keys", as_=admin_key, body={"name": "n", "role": "agent"})

    assert created.status_code == 201, created.body
    assert http.call("GET", "/v1/api-keys", as_=admin_key).status_code == 200


def test_given_another_tenants_key_when_an_admin_revokes_it_then_404_and_it_still_works(
    http: Http,
):
    demo_key = http.new_key(as_=ADMIN)

    answer = http.call("DELETE", f"/v1/api-keys/{demo_key['id']}", as_=ACME_ADMIN)

    assert_problem(answer, 404)
    assert http.call("GET", "/v1/api-keys", as_=ACME_ADMIN).json_body["items"] == []
    assert http.call("GET", "/v1/me", as_=demo_key["key"]).json_body["tenant"] == "demo"


def test_given_an_unknown_or_malformed_key_id_when_revoking_then_404(http: Http):
    for key_id in ["01JD000000000000000000000Z", "not-a-ulid"]:
        assert_problem(http.call("DELETE", f"/v1/api-keys/{key_id}", as_=ADMIN), 404)


@pytest.mark.parametrize("credential", ["bk_" + "A" * 43, "bk_", "bk_" + "A" * 500])
def test_given_a_made_up_api_key_when_used_then_401(http: Http, credential: str):
    assert_unauthorized(http.call("GET", "/v1/me", bearer=credential))


# --- provisioning people -------------------------------------------------------------------


def cognito_user(email: str) -> tuple[dict[str, str], list[str], str]:
    cognito = aws.client("cognito-idp")
    pool = get_settings().user_pool_id
    user = cognito.admin_get_user(UserPoolId=pool, Username=email)
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    return attributes, sorted(g["GroupName"] for g in groups), user["UserStatus"]


def test_given_a_provisioned_agent_then_account_group_and_profile_match(people: None):
    attributes, groups, status = cognito_user(AGENT)
    profile = users.get_profile("demo", AGENT.upper())

    assert groups == ["agent"]
    assert status == "CONFIRMED"
    assert attributes["custom:tenant"] == "demo"
    assert attributes["custom:tier"] == "2"
    assert attributes["email_verified"] == "true"
    assert profile == users.UserProfile(
        tenant="demo",
        email=AGENT,
        name="Aart Agent",
        role=Role.AGENT,
        locale="nl",
        tier=2,
        groups=("network",),
    )
    assert profile.is_agent
    assert users.get_profile("acme", AGENT) is None


def test_given_ensure_user_run_twice_then_nothing_changes(people: None):
    table = get_settings().table_name
    before = (cognito_user(AGENT), aws.client("dynamodb").scan(TableName=table)["Items"])

    _ensure(AGENT, password="A-different-Password-9!")

    after = (cognito_user(AGENT), aws.client("dynamodb").scan(TableName=table)["Items"])
    assert after == before


def test_given_a_rerun_with_a_new_password_then_the_owners_password_is_kept(http: Http):
    _ensure(AGENT, password="A-different-Password-9!")

    assert http.login(AGENT).status_code == 200


def test_given_a_demoted_admin_when_ensured_again_then_the_admin_group_is_gone(people: None):
    _ensure(ADMIN, role=Role.AGENT, tier=1, groups=["network", "network", "workplace"])

    _, groups, _ = cognito_user(ADMIN)
    profile = users.get_profile("demo", ADMIN)
    assert groups == ["agent"]
    assert profile is not None
    assert (profile.role, profile.tier, profile.groups) == (
        Role.AGENT,
        1,
        ("network", "workplace"),
    )

    _ensure(ADMIN)

    attributes, groups, _ = cognito_user(ADMIN)
    assert groups == ["admin"]
    assert "custom:tier" not in attributes


def test_given_an_address_of_another_tenant_when_ensured_then_conflict(people: None):
    with pytest.raises(Conflict):
        users.ensure_user("acme", email=AGENT, name="Someone", role=Role.ADMIN, password=PASSWORD)

    attributes, groups, _ = cognito_user(AGENT)
    assert (attributes["custom:tenant"], groups) == ("demo", ["agent"])


def test_given_login_times_when_signing_in_then_moto_issues_an_hour(http: Http):
    # Guards the expiry test above: it relies on the ID token living less than two hours.
    claims = moto_claims(http.token(REQUESTER))

    assert claims["exp"] - claims["iat"] <= 3600
    assert claims["exp"] > time.time()
