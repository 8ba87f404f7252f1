"""The supervisor's rules page (/agent/rules): the tenant's routing rules in evaluation
order, and forms to add, edit, reorder, switch on/off and delete them (docs/rules.md).

Every change goes through RuleService, as `/v1/rules` does: it decides who may (supervisor
and up; others get its Forbidden as the 403 page) and guards each rule's version, so a form
based on an old version is refused and the page shows the rule as it is now.
"""

from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.errors import Invalid, NotFound, PreconditionFailed
from chalicelib.web import rule_forms
from chalicelib.web.agent import _groups
from chalicelib.web.i18n import N_
from chalicelib.web.views import Page, page
from chalicelib.wiring import rule_service

rules_page_bp = Blueprint(__name__)

ANY_BODY = ["*/*"]
# A tenant has at most 100 rules (domain.rules.MAX_RULES): the page shows them all.
SHOWN = 100
STALE = N_("Someone changed this rule meanwhile. Below is the rule as it is now.")
UNKNOWN_REFERENCE = N_("The rule names a group or agent that does not exist: %(fields)s")
FLASHES = {
    "saved": N_("The rule has been saved."),
    "deleted": N_("The rule has been deleted."),
    "moved": N_("The rule has been moved."),
    "switched": N_("The rule has been switched."),
    "stale": STALE,
}


def _rules(current: Page) -> list[dict[str, Any]]:
    return rule_service().list_rules(current.user, SHOWN, None).items


def _version(values: dict[str, str]) -> int:
    raw = values.get("version", "")
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No such rule version.")
    return int(raw)


@rules_page_bp.route("/agent/rules", methods=["GET"])
@page(rules_page_bp)
def rules(current: Page) -> Response:
    done = current.query("done")
    return current.render(
        "agent_rules.html",
        rules=_rules(current),
        done=FLASHES.get(done or ""),
    )


@rules_page_bp.route("/agent/rules/new", methods=["GET"])
@page(rules_page_bp)
def new_rule(current: Page) -> Response:
    rule_service().list_rules(current.user, 1, None)  # who may: the service's Forbidden
    return _form(current, None, rule_forms.RuleForm(rule_forms.values_of(None)))


@rules_page_bp.route("/agent/rules/new", methods=["POST"], content_types=ANY_BODY)
@page(rules_page_bp)
def create_rule(current: Page) -> Response:
    form, body = rule_forms.read(current.form())
    if body is None:
        return _form(current, None, form, status=422)
    try:
        rule_service().create(current.user, body)
    except Invalid as refused:
        return _refused(current, None, form, refused)
    return current.redirect("/agent/rules", done="saved")


@rules_page_bp.route("/agent/rules/{rule_id}", methods=["GET"])
@page(rules_page_bp)
def edit_rule(current: Page, rule_id: str) -> Response:
    rule = rule_service().get(current.user, rule_id[:40])
    return _form(current, rule, rule_forms.RuleForm(rule_forms.values_of(rule)))


@rules_page_bp.route("/agent/rules/{rule_id}", methods=["POST"], content_types=ANY_BODY)
@page(rules_page_bp)
def save_rule(current: Page, rule_id: str) -> Response:
    submitted = current.form()
    expected = _version(submitted)
    rule = rule_service().get(current.user, rule_id[:40])
    form, body = rule_forms.read(submitted)
    if body is None:
        return _form(current, rule, form, status=422, version=expected)
    # The form does not show the position: an edit keeps the rule where it is.
    body["position"] = rule["position"]
    try:
        rule_service().replace_rule(current.user, rule["id"], body, expected)
    except PreconditionFailed:
        fresh = rule_service().get(current.user, rule["id"])
        form = rule_forms.RuleForm(rule_forms.values_of(fresh), {"form": STALE})
        return _form(current, fresh, form, status=412)
    except Invalid as refused:
        return _refused(current, rule, form, refused, version=expected)
    return current.redirect("/agent/rules", done="saved")


@rules_page_bp.route("/agent/rules/{rule_id}/move", methods=["POST"], content_types=ANY_BODY)
@page(rules_page_bp)
def move_rule(current: Page, rule_id: str) -> Response:
    values = current.form()
    step = -1 if values.get("direction") == "up" else 1
    return _act(
        current,
        "moved",
        lambda: rule_service().move(current.user, rule_id[:40], step, _version(values)),
    )


@rules_page_bp.route("/agent/rules/{rule_id}/active", methods=["POST"], content_types=ANY_BODY)
@page(rules_page_bp)
def switch_rule(current: Page, rule_id: str) -> Response:
    values = current.form()
    active = values.get("active") == "on"
    return _act(
        current,
        "switched",
        lambda: rule_service().set_active(current.user, rule_id[:40], active, _version(values)),
    )


@rules_page_bp.route("/agent/rules/{rule_id}/delete", methods=["GET"])
@page(rules_page_bp)
def confirm_delete(current: Page, rule_id: str) -> Response:
    rule = rule_service().get(current.user, rule_id[:40])
    return current.render("agent_rule_delete.html", rule=rule)


@rules_page_bp.route("/agent/rules/{rule_id}/delete", methods=["POST"], content_types=ANY_BODY)
@page(rules_page_bp)
def delete_rule(current: Page, rule_id: str) -> Response:
    values = current.form()
    return _act(
        current,
        "deleted",
        lambda: rule_service().delete(current.user, rule_id[:40], _version(values)),
    )


def _act(current: Page, done: str, action: Any) -> Response:
    try:
        action()
    except PreconditionFailed:
        done = "stale"
    return current.redirect("/agent/rules", done=done)


def _refused(
    current: Page,
    rule: dict[str, Any] | None,
    form: rule_forms.RuleForm,
    refused: Invalid,
    *,
    version: int | None = None,
) -> Response:
    """The service found a group or agent that does not exist: say which."""
    paths = ", ".join(e["field"] for e in refused.errors) or "-"
    form.errors["form"] = UNKNOWN_REFERENCE
    form.details["form"] = {"fields": paths}
    return _form(current, rule, form, status=422, version=version)


def _form(
    current: Page,
    rule: dict[str, Any] | None,
    form: rule_forms.RuleForm,
    *,
    status: int = 200,
    version: int | None = None,
) -> Response:
    return current.render(
        "agent_rule_form.html",
        status=status,
        rule=rule,
        version=version if version is not None else (rule["version"] if rule else None),
        form=form,
        groups=_groups(current),
        channels=rule_forms.CHANNELS,
        priorities=rule_forms.PRIORITIES,
        types=rule_forms.TYPES,
        triggers=rule_forms.TRIGGERS,
        strategies=rule_forms.STRATEGIES,
    )
