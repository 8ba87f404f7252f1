"""The service catalog in the pages: tiles on the portal home, the request form, a request on
the ticket pages, the approver's decision in the workspace, and the approval that gates
work (API and pages alike)."""

import re
from typing import Any

import pytest

from tests.integration.conftest import Api, SignIn
from tests.integration.test_catalog import ADMIN, LAPTOP, define
from tests.integration.test_tickets_api import problem
from tests.integration.test_web_portal import Browser, html

REQUESTER = "requester@demo.example.com"
AGENT = "agent@demo.example.com"
AGENT2 = "agent2@demo.example.com"
SUPERVISOR = "supervisor@demo.example.com"
_NONCE = re.compile(r'name="nonce" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')

# The approver is an agent here, so the workspace is where they decide.
APPROVED_LAPTOP = {**LAPTOP, "approval": {"approver": AGENT}}
SHARE = {
    "id": "shared-drive",
    "name": {"nl": "Toegang tot gedeelde map", "en": "Access to a shared folder"},
    "description": {"nl": "Lezen of schrijven in een map.", "en": "Read or write a folder."},
    "category": "access",
    "fields": [
        {"key": "folder", "label": {"nl": "Map", "en": "Folder"}, "kind": "text",
         "required": True},
        {"key": "access", "label": {"nl": "Rechten", "en": "Access"}, "kind": "choice",
         "required": True, "options": ["read", "write"]},
    ],
    "default_group": "servicedesk",
}  # fmt: skip


def nonce(page: Any) -> str:
    found = _NONCE.search(html(page))
    assert found
    return found.group(1)


def request_form(visitor: Browser, service: str = "new-laptop", **fields: str) -> dict[str, str]:
    page = visitor.get(f"/services/{service}/request")
    assert page.status_code == 200, html(page)
    return {"nonce": nonce(page), **fields}


def file_laptop(sign_in: SignIn, api: Api, service: dict = APPROVED_LAPTOP) -> int:
    define(api, service)
    requester = sign_in(REQUESTER)
    form = request_form(
        requester,
        subject="Laptop voor Fatma",
        **{"field-model": "developer", "field-start_date": "2026-12-01"},
    )
    answer = requester.post("/services/new-laptop/request", form)
    assert answer.status_code == 303, html(answer)
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def ticket(api: Api, number: int) -> dict[str, Any]:
    return api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body


# --- tiles ------------------------------------------------------------------------------------


def test_given_a_catalog_of_two_categories_then_home_shows_tiles_by_category_in_dutch_and_english(
    api: Api, sign_in: SignIn
):
    define(api, APPROVED_LAPTOP)
    define(api, SHARE)
    requester = sign_in(REQUESTER)

    dutch = html(requester.get("/?lang=nl"))
    english = html(requester.get("/?lang=en"))

    assert "Iets aanvragen" in dutch and "Request something" in english
    for page, names in (
        (dutch, ("Nieuwe laptop", "Toegang tot gedeelde map", "Lezen of schrijven in een map.")),
        (english, ("New laptop", "Access to a shared folder", "Read or write a folder.")),
    ):
        for name in names:
            assert name in page
        assert 'href="/services/new-laptop/request"' in page
        assert 'href="/services/shared-drive/request"' in page
        # Two categories: a heading each, in name order.
        assert page.index(">Access</h3>") < page.index(">Workplace / hardware</h3>")
    assert "Vraagt goedkeuring" in dutch and "Needs approval" in english


def test_given_an_empty_catalog_then_home_shows_no_catalog_section(api: Api, sign_in: SignIn):
    requester = sign_in(REQUESTER)
    page = html(requester.get("/"))
    assert "catalog-heading" not in page


# --- the request form -------------------------------------------------------------------------


def test_given_the_form_then_each_field_is_rendered_by_its_kind_with_labels_and_required_marks(
    api: Api, sign_in: SignIn
):
    define(api, APPROVED_LAPTOP)
    requester = sign_in(REQUESTER)
    page = html(requester.get("/services/new-laptop/request?lang=en"))

    assert '<select id="field-model" name="field-model" required' in page
    assert '<option value="developer">developer</option>' in page
    assert 'id="field-start_date" name="field-start_date" type="date"' in page
    assert 'id="field-for_user" name="field-for_user" type="email"' in page
    assert 'id="field-screens" name="field-screens" type="number"' in page
    assert 'min="0"' in page and 'max="3"' in page
    assert 'id="field-note" name="field-note" type="text"' in page
    assert '<label for="field-model">Model <span class="required">(required)</span>' in page
    assert '<label for="field-note">Note</label>' in page
    assert "needs approval by agent@demo.example.com" in page
    assert 'name="csrf_token"' in page
    dutch = html(requester.get("/services/new-laptop/request?lang=nl"))
    assert '<label for="field-start_date">Vanaf <span class="required">(verplicht)</span>' in dutch


def test_given_wrong_values_when_filing_then_each_error_is_at_its_field_and_values_are_kept(
    api: Api, sign_in: SignIn
):
    define(api, APPROVED_LAPTOP)
    requester = sign_in(REQUESTER)
    form = request_form(
        requester,
        subject="",
        description="Voor de nieuwe collega",
        **{
            "field-model": "",
            "field-start_date": "2026-02-30",
            "field-for_user": "not an address",
            "field-screens": "9",
            "field-note": "Graag met tas",
        },
    )
    answer = requester.post("/services/new-laptop/request?lang=en", form)

    assert answer.status_code == 422
    page = html(answer)
    for name, message in (
        ("subject", "Please fill this in."),
        ("field-model", "Please fill this in."),
        ("field-start_date", "Enter a date, like 2026-12-01."),
        ("field-for_user", "Enter an e-mail address, like name@example.com."),
        ("field-screens", "Enter a number from 0 to 3."),
    ):
        assert f'<small class="error" id="{name}-error">{message}</small>' in page
        assert f'aria-describedby="{name}-error"' in page
    assert 'value="2026-02-30"' in page and 'value="not an address"' in page
    assert 'value="9"' in page and 'value="Graag met tas"' in page
    assert "Voor de nieuwe collega</textarea>" in page
    assert 'id="field-note-error"' not in page
    assert api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"] == []


def test_given_only_a_field_is_wrong_then_the_service_refuses_it_and_nothing_is_filed(
    api: Api, sign_in: SignIn
):
    define(api, APPROVED_LAPTOP)
    requester = sign_in(REQUESTER)
    form = request_form(
        requester,
        subject="Laptop",
        **{"field-model": "gaming", "field-start_date": "2026-12-01", "field-screens": "two"},
    )
    answer = requester.post("/services/new-laptop/request?lang=nl", form)

    assert answer.status_code == 422
    page = html(answer)
    assert 'id="field-model-error">Kies een van de mogelijkheden.' in page
    assert 'id="field-screens-error">Vul een getal in van 0 tot en met 3.' in page
    assert api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"] == []


def test_given_a_valid_form_then_a_service_request_is_filed_with_its_fields_and_shown(
    api: Api, sign_in: SignIn
):
    define(api, SHARE)
    requester = sign_in(REQUESTER)
    form = request_form(
        requester,
        "shared-drive",
        subject="Toegang tot Marketing",
        **{"field-folder": "  \\\\files\\marketing ", "field-access": "write"},
    )
    answer = requester.post("/services/shared-drive/request", form)

    assert answer.status_code == 303
    number = int(answer.headers["Location"].rsplit("/", 1)[1])
    filed = ticket(api, number)
    assert filed["type"] == "service_request" and filed["service"] == "shared-drive"
    assert filed["custom_fields"] == {"folder": "\\\\files\\marketing", "access": "write"}
    assert filed["group"] == "servicedesk" and filed["channel"] == "portal"
    # Without more words, the service's name is the description.
    assert filed["description"] == "Toegang tot gedeelde map"
    assert filed["status"] == "new" and filed.get("approval") is None
    page = html(requester.get(f"/tickets/{number}?lang=en"))
    assert "Your request" in page
    assert "<dt>Folder</dt><dd>\\\\files\\marketing</dd>" in page
    assert "<dt>Access</dt><dd>write</dd>" in page
    # A second submit of the same form files nothing new.
    again = requester.post("/services/shared-drive/request", form)
    assert again.status_code == 303 and again.headers["Location"] == f"/tickets/{number}"


def test_given_a_service_that_needs_approval_then_the_portal_says_who_must_approve(
    api: Api, sign_in: SignIn
):
    number = file_laptop(sign_in, api)
    assert ticket(api, number)["status"] == "on_hold"
    requester = sign_in(REQUESTER)
    assert "Waiting for approval by agent@demo.example.com." in html(
        requester.get(f"/tickets/{number}?lang=en")
    )
    assert "Wacht op goedkeuring door agent@demo.example.com." in html(
        requester.get(f"/tickets/{number}?lang=nl")
    )


@pytest.mark.parametrize("path", ["/services/no-such/request", "/services/NOT%20A%20SLUG/request"])
def test_given_an_unknown_or_retired_service_then_404(api: Api, sign_in: SignIn, path: str):
    define(api, SHARE)
    api.call("DELETE", "/v1/services/shared-drive", as_=ADMIN, headers={"If-Match": '"1"'})
    requester = sign_in(REQUESTER)
    assert requester.get(path).status_code == 404
    assert requester.get("/services/shared-drive/request").status_code == 404


def test_given_a_post_without_the_csrf_token_then_403_and_nothing_is_filed(
    api: Api, sign_in: SignIn
):
    define(api, SHARE)
    requester = sign_in(REQUESTER)
    form = request_form(
        requester, "shared-drive", subject="x", **{"field-folder": "f", "field-access": "read"}
    )
    answer = requester.post("/services/shared-drive/request", form, csrf=False)
    assert answer.status_code == 403
    assert api.call("GET", "/v1/tickets", as_=REQUESTER).json_body["items"] == []


# --- the approval in the workspace ------------------------------------------------------------


def test_given_the_approver_in_the_workspace_when_approving_then_work_starts(
    api: Api, sign_in: SignIn
):
    number = file_laptop(sign_in, api)
    approver = sign_in(AGENT)
    page = html(approver.get(f"/agent/tickets/{number}?lang=en"))
    assert "Waiting for a decision" in page
    assert 'name="decision" value="approve"' in page and 'name="decision" value="reject"' in page
    assert "<dt>Model</dt><dd>developer</dd>" in page
    # While it waits, nobody takes it.
    assert "/take" not in page

    answer = approver.post(f"/agent/tickets/{number}/approval", {"decision": "approve"})

    assert answer.status_code == 303
    decided = ticket(api, number)
    assert decided["status"] == "open"
    assert decided["approval"]["state"] == "approved"
    assert decided["approval"]["decided_by"] == AGENT
    after = html(approver.get(f"/agent/tickets/{number}?lang=en"))
    assert "is approved; work can start." in after
    assert "<dt>Decided by</dt><dd>agent@demo.example.com</dd>" in after
    assert 'name="decision"' not in after and "/take" in after


def test_given_a_supervisor_when_rejecting_without_a_comment_then_the_field_asks_for_one(
    api: Api, sign_in: SignIn
):
    number = file_laptop(sign_in, api)
    supervisor = sign_in(SUPERVISOR)
    supervisor.get(f"/agent/tickets/{number}")

    refused = supervisor.post(
        f"/agent/tickets/{number}/approval?lang=en", {"decision": "reject", "comment": " "}
    )
    assert refused.status_code == 422
    assert 'id="comment-error">Tell the requester why' in html(refused)
    assert ticket(api, number)["approval"]["state"] == "pending"

    done = supervisor.post(
        f"/agent/tickets/{number}/approval", {"decision": "reject", "comment": "Geen budget"}
    )
    assert done.status_code == 303
    rejected = ticket(api, number)
    assert rejected["status"] == "resolved" and rejected["approval"]["state"] == "rejected"
    requester = sign_in(REQUESTER)
    page = html(requester.get(f"/tickets/{number}?lang=en"))
    assert "Not approved by supervisor@demo.example.com." in page and "Geen budget" in page


def test_given_another_agent_then_no_decision_is_offered_and_a_forged_one_is_refused(
    api: Api, sign_in: SignIn
):
    number = file_laptop(sign_in, api)
    other = sign_in(AGENT2)
    page = html(other.get(f"/agent/tickets/{number}"))
    assert 'name="decision"' not in page
    assert "agent@demo.example.com" in page  # the approval's state is shown to every agent

    forged = other.post(f"/agent/tickets/{number}/approval", {"decision": "approve"})

    assert forged.status_code == 403
    assert ticket(api, number)["approval"]["state"] == "pending"
    # A requester cannot decide either (even their own request).
    requester = sign_in(REQUESTER)
    requester.get("/")
    assert (
        requester.post(f"/agent/tickets/{number}/approval", {"decision": "approve"}).status_code
        == 403
    )
    assert ticket(api, number)["status"] == "on_hold"


# --- approval gates work ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"status": "open"}, ["status"]),
        ({"status": "resolved"}, ["status"]),
        ({"assignee": AGENT2}, ["assignee"]),
        ({"status": "open", "assignee": AGENT}, ["status", "assignee"]),
    ],
)
def test_given_a_pending_approval_when_patching_work_then_409_says_why(
    api: Api, sign_in: SignIn, change: dict, fields: list[str]
):
    number = file_laptop(sign_in, api)
    version = ticket(api, number)["version"]
    answer = api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_=SUPERVISOR,
        body=change,
        headers={"If-Match": f'"{version}"'},
    )
    body = problem(answer, 409)
    assert body["title"] == "Waiting for approval"
    assert "waits for approval by agent@demo.example.com" in body["detail"]
    assert [e["field"] for e in body["errors"]] == fields
    assert ticket(api, number)["version"] == version


def test_given_a_pending_approval_then_routing_still_changes_and_after_approval_work_does(
    api: Api, sign_in: SignIn
):
    number = file_laptop(sign_in, api)
    version = ticket(api, number)["version"]
    routed = api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_=AGENT,
        body={"group": "servicedesk", "priority": "P3"},
        headers={"If-Match": f'"{version}"'},
    )
    assert routed.status_code == 200, routed.body
    api.call("POST", f"/v1/tickets/{number}/approval", as_=AGENT, body={"decision": "approve"})
    version = ticket(api, number)["version"]
    assigned = api.call(
        "PATCH",
        f"/v1/tickets/{number}",
        as_=AGENT,
        body={"assignee": AGENT},
        headers={"If-Match": f'"{version}"'},
    )
    assert assigned.status_code == 200, assigned.body


def test_given_a_pending_approval_when_an_agent_changes_the_status_on_the_page_then_409_explains(
    api: Api, sign_in: SignIn
):
    number = file_laptop(sign_in, api)
    agent = sign_in(AGENT2)
    page = html(agent.get(f"/agent/tickets/{number}"))
    version = _VERSION.search(page[page.index("/change") :]).group(1)
    form = {
        "version": version,
        "status": "open",
        "priority": "P4",
        "type": "service_request",
        "tier": "1",
        "group": "workplace",
        "assignee": "",
        "category": "workplace/hardware",
        "problem": "",
    }
    answer = agent.post(f"/agent/tickets/{number}/change?lang=en", form)

    assert answer.status_code == 409
    assert "This request waits for approval" in html(answer)
    assert ticket(api, number)["status"] == "on_hold"
    # Picking it up is refused the same way (a form from before it was hidden).
    take = agent.post(f"/agent/tickets/{number}/take?lang=en", {"version": version})
    assert take.status_code == 409 and "This request waits for approval" in html(take)
    assert ticket(api, number)["assignee"] is None


def test_given_an_incident_when_patched_into_a_service_request_then_its_form_is_checked(
    api: Api,
):
    define(api, SHARE)
    define(api, APPROVED_LAPTOP)
    number = api.create_ticket(subject="Map Marketing")["number"]

    def patch(body: dict) -> Any:
        version = ticket(api, number)["version"]
        return api.call(
            "PATCH",
            f"/v1/tickets/{number}",
            as_=AGENT,
            body=body,
            headers={"If-Match": f'"{version}"'},
        )

    into = {"type": "service_request", "service": "shared-drive"}
    missing = problem(patch(into), 422)
    assert {e["field"] for e in missing["errors"]} == {
        "custom_fields.folder",
        "custom_fields.access",
    }
    unknown = problem(patch({**into, "service": "no-such"}), 422)
    assert unknown["errors"] == [{"field": "service", "message": "Not a service of the catalog."}]
    gated = problem(
        patch({**into, "service": "new-laptop", "custom_fields": {"model": "standard"}}), 422
    )
    assert gated["errors"][0]["field"] == "service"
    done = patch({**into, "custom_fields": {"folder": " marketing ", "access": "read"}})
    assert done.status_code == 200, done.body
    assert done.json_body["custom_fields"] == {"folder": "marketing", "access": "read"}
    bad = problem(patch({"custom_fields": {"folder": "marketing", "access": "all"}}), 422)
    assert bad["errors"][0]["field"] == "custom_fields.access"
