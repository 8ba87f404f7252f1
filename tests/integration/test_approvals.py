"""Service requests that wait for approval: the mailed links, the API decision, the audit."""

import re

from tests.integration.test_catalog import GOOD, LAPTOP, define, file_request
from tests.integration.test_mail import Mailroom
from tests.integration.test_tickets_api import ACME_AGENT, AGENT, REQUESTER, REQUESTER2, problem

# The requester's manager approves; in Balie they are a requester themselves.
MANAGER = REQUESTER2
SUPERVISOR = "supervisor@demo.example.com"


def waiting(api) -> dict:
    define(api, {**LAPTOP, "approval": {"approver": MANAGER}})
    answer = file_request(api, GOOD)
    assert answer.status_code == 201, answer.body
    return answer.json_body


def links_in(mail) -> dict[str, str]:
    """The mail lists the approve link first, then the reject link."""
    tokens = re.findall(r"/approvals/(\S+)", mail.get_body(("plain",)).get_content())
    return {"approve": tokens[0], "reject": tokens[1]}


def decide(api, number, who, decision, comment=""):
    return api.call(
        "POST",
        f"/v1/tickets/{number}/approval",
        as_=who,
        body={"decision": decision, "comment": comment},
    )


def test_given_a_service_that_needs_approval_then_the_ticket_waits_on_hold_with_clocks_paused(
    api,
):
    ticket = waiting(api)
    assert ticket["status"] == "on_hold"
    assert ticket["approval"]["state"] == "pending" and ticket["approval"]["approver"] == MANAGER
    assert ticket["sla"]["first_response"]["state"] == "paused"


def test_given_the_approver_s_mail_when_the_approve_link_is_used_then_work_starts_once(
    api, aws_env
):
    room = Mailroom(aws_env)
    number = waiting(api)["number"]
    room.settle()
    (mail,) = [m for m in room.sent_to(MANAGER) if "Laptop for Fatma" in str(m["Subject"])]
    links = links_in(mail)
    shown = api.call("GET", f"/v1/approvals/{links['approve']}")
    assert shown.status_code == 200, shown.body
    assert shown.json_body == {
        "number": number,
        "subject": "Laptop for Fatma",
        "requester": "Sanne de Vries",
        "decision": "approve",
        "state": "pending",
    }
    # Looking at a link decided nothing.
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["status"] == "on_hold"
    done = api.call("POST", f"/v1/approvals/{links['approve']}", body={})
    assert done.status_code == 200, done.body
    assert done.json_body["state"] == "approved"
    ticket = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    assert ticket["status"] == "open" and ticket["approval"]["decided_by"] == MANAGER
    assert ticket["sla"]["first_response"]["state"] == "running"
    event = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"][-1]
    assert event["type"] == "approval.decided" and event["actor"]["kind"] == "approval_link"
    assert event["changes"]["status"] == {"from": "on_hold", "to": "open"}
    # Single use: neither link decides again.
    problem(api.call("POST", f"/v1/approvals/{links['approve']}", body={}), 409)
    problem(api.call("POST", f"/v1/approvals/{links['reject']}", body={"comment": "no"}), 409)


def test_given_a_forged_or_foreign_link_then_404(api):
    waiting(api)
    problem(api.call("GET", "/v1/approvals/not-a-token"), 404)
    problem(api.call("POST", "/v1/approvals/eyJ4Ijo.bad", body={}), 404)


def test_given_the_approver_rejects_in_the_api_then_the_requester_is_told_why_once(api, aws_env):
    room = Mailroom(aws_env)
    number = waiting(api)["number"]
    room.settle()
    before = len(room.sent_to(REQUESTER))
    problem(decide(api, number, MANAGER, "reject"), 422)  # a rejection says why
    answer = decide(api, number, MANAGER, "reject", "No budget until January.")
    assert answer.status_code == 200, answer.body
    assert answer.json_body["status"] == "resolved"
    assert answer.json_body["approval"]["state"] == "rejected"
    said = api.call("GET", f"/v1/tickets/{number}/messages", as_=REQUESTER).json_body["items"]
    assert [m["body"] for m in said] == ["No budget until January."]
    trail = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    assert [e["type"] for e in trail[-2:]] == ["approval.decided", "message.added"]
    room.settle()
    mails = room.sent_to(REQUESTER)[before:]
    assert len(mails) == 1
    assert "No budget until January." in mails[0].get_body(("plain",)).get_content()
    problem(decide(api, number, MANAGER, "approve"), 409)


def test_given_who_may_decide_then_the_approver_and_supervisors_do_and_others_do_not(api):
    number = waiting(api)["number"]
    problem(decide(api, number, REQUESTER, "approve"), 403)  # the requester themselves
    problem(decide(api, number, AGENT, "approve"), 403)
    problem(decide(api, number, ACME_AGENT, "approve"), 404)
    answer = decide(api, number, SUPERVISOR, "approve", "Urgent start")
    assert answer.status_code == 200 and answer.json_body["approval"]["state"] == "approved"
    plain = api.create_ticket()["number"]
    problem(decide(api, plain, SUPERVISOR, "approve"), 409)  # nothing to approve


# --- the page behind the mailed links ------------------------------------------------------


def test_given_the_reject_link_then_its_page_asks_why_and_decides_once(api, aws_env):
    from tests.integration.test_web_portal import Browser, html

    room = Mailroom(aws_env)
    number = waiting(api)["number"]
    room.settle()
    (mail,) = [m for m in room.sent_to(MANAGER) if "Laptop for Fatma" in str(m["Subject"])]
    link = f"/approvals/{links_in(mail)['reject']}"
    visitor = Browser(api.client)
    en = {"Accept-Language": "en"}

    shown = visitor.get(link, **en)
    assert shown.status_code == 200 and "Reject this request" in html(shown)
    assert api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body["status"] == "on_hold"
    assert visitor.post(link, {"comment": "  "}, **en).status_code == 422
    assert visitor.post(link, {"comment": "No budget"}, csrf=False, **en).status_code == 403
    visitor.get(link, **en)

    done = visitor.post(link, {"comment": "No budget until January."}, **en)

    assert done.status_code == 200 and "requester is told why" in html(done)
    ticket = api.call("GET", f"/v1/tickets/{number}", as_=AGENT).json_body
    assert ticket["status"] == "resolved" and ticket["approval"]["state"] == "rejected"
    again = visitor.get(link, **en)
    assert "decided already" in html(again) and 'name="comment"' not in html(again)
    assert Browser(api.client).get("/approvals/nope", **en).status_code == 404


def test_given_a_rule_that_assigns_every_new_ticket_then_a_waiting_request_stays_unassigned(api):
    from tests.integration.test_rules import add_rule

    add_rule(api, name="Everything to agent", conditions=[],
             actions=[{"type": "assign", "strategy": "agent", "agent": AGENT}])  # fmt: skip

    ticket = waiting(api)

    assert ticket.get("assignee") is None and ticket["status"] == "on_hold"
    trail = api.call("GET", f"/v1/tickets/{ticket['number']}/events", as_=AGENT).json_body
    (rule,) = [e for e in trail["items"] if e["type"] == "rule.applied"]
    assert rule["data"]["actions"] == [{"type": "assign", "skipped": "waiting for approval"}]
