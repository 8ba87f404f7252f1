"""The supervisor's rule form (/agent/rules): between a stored rule and the form's fields.

The form covers the common conditions and actions with plain fields; whatever else a rule
holds (more conditions, other operators) is shown and edited as JSON in two "advanced"
boxes. Both halves are put together into one body and checked by the API's own model
(`api.schemas.rules.RuleIn`), so the page accepts exactly what `POST /v1/rules` accepts; its
complaints come back as catalog messages on the field they are about.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.tickets import Channel, Priority, TicketType
from chalicelib.web.forms import Form
from chalicelib.web.i18n import N_

CHANNELS = tuple(c.value for c in Channel)
PRIORITIES = tuple(p.value for p in Priority)
TYPES = tuple(t.value for t in TicketType)
TRIGGERS = ("created", "updated", "both")
STRATEGIES = ("round_robin", "least_loaded", "agent")
# The plain fields, in the order they are shown; checkboxes are `channel.<value>` and
# `priority_is.<value>`.
TEXT_FIELDS = (
    "name", "trigger", "match", "domains", "terms", "category", "hours",
    "set_group", "assign", "assign_group", "assign_agent", "set_priority", "add_tags",
    "set_type", "add_watcher", "reply_nl", "reply_en", "more_conditions", "more_actions",
)  # fmt: skip
FLAGS = ("active", "stop_processing")

NAME_NEEDED = N_("Give the rule a name.")
NOT_JSON = N_("This is not a JSON list. Leave it empty, or write a list like [ … ].")
NO_ACTION = N_("Choose at least one thing the rule does.")
CHECK_FIELD = N_("Check this field.")
CHECK_JSON = N_("Something in this list is not a valid rule part (at %(path)s): %(detail)s")
CHECK_RULE = N_("The rule is not valid: %(detail)s")


@dataclass
class RuleForm(Form):
    # Values for a message's placeholders, per field (the path and the model's complaint).
    details: dict[str, dict[str, str]] = field(default_factory=dict)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def values_of(rule: dict[str, Any] | None) -> dict[str, str]:
    """The form's fields for a stored rule (or a new one): the first condition or action of
    each common kind goes into its plain field, everything else into the advanced boxes."""
    values = dict.fromkeys((*TEXT_FIELDS, *FLAGS), "")
    values.update({"trigger": "created", "match": "all", "active": "on"})
    if rule is None:
        return values
    values.update(name=rule["name"], trigger=rule.get("trigger", "created"),
                  match=rule.get("match", "all"))  # fmt: skip
    values["active"] = "on" if rule.get("active", True) else ""
    values["stop_processing"] = "on" if rule.get("stop_processing") else ""
    rest_conditions = []
    for condition in rule.get("conditions", []):
        if not _take_condition(values, condition):
            rest_conditions.append(condition)
    rest_actions = []
    for action in rule.get("actions", []):
        if not _take_action(values, action):
            rest_actions.append(action)
    if rest_conditions:
        values["more_conditions"] = json.dumps(rest_conditions, indent=1, ensure_ascii=False)
    if rest_actions:
        values["more_actions"] = json.dumps(rest_actions, indent=1, ensure_ascii=False)
    return values


def _take_condition(values: dict[str, str], c: dict[str, Any]) -> bool:
    kind, op = c.get("type"), c.get("op")
    if kind == "field" and c.get("field") == "channel" and op == "in":
        if any(k.startswith("channel.") for k in values):
            return False
        values.update({f"channel.{v}": "on" for v in c["values"]})
        return True
    if kind == "field" and c.get("field") == "priority" and op == "in":
        if any(k.startswith("priority_is.") for k in values):
            return False
        values.update({f"priority_is.{v}": "on" for v in c["values"]})
        return True
    plain = {
        ("requester_domain", "in"): ("domains", lambda: ", ".join(c["values"])),
        ("text", "any"): ("terms", lambda: ", ".join(c["terms"])),
        ("field", "starts_with"): ("category", lambda: str(c.get("value", ""))),
        ("business_hours", "within"): ("hours", lambda: "within"),
        ("business_hours", "outside"): ("hours", lambda: "outside"),
    }.get((kind, op))
    if plain is None or values[plain[0]]:
        return False
    if kind == "text" and c.get("in", "subject_or_body") != "subject_or_body":
        return False
    if kind == "field" and c.get("field") != "category":
        return False
    values[plain[0]] = plain[1]()
    return True


def _take_action(values: dict[str, str], a: dict[str, Any]) -> bool:
    kind = a.get("type")
    if kind == "set_group" and not values["set_group"]:
        values["set_group"] = a["group"]
    elif kind == "assign" and not values["assign"]:
        values.update(assign=a["strategy"], assign_group=a.get("group") or "",
                      assign_agent=a.get("agent") or "")  # fmt: skip
    elif kind == "set_priority" and not values["set_priority"]:
        values["set_priority"] = a["priority"]
    elif kind == "add_tags" and not values["add_tags"]:
        values["add_tags"] = ", ".join(a["tags"])
    elif kind == "set_type" and not values["set_type"]:
        values["set_type"] = a["ticket_type"]
    elif kind == "add_watcher" and not values["add_watcher"]:
        values["add_watcher"] = a["email"]
    elif kind == "reply" and not (values["reply_nl"] or values["reply_en"]):
        values.update(reply_nl=a["text"].get("nl") or "", reply_en=a["text"].get("en") or "")
    else:
        return False
    return True


def read(submitted: dict[str, str]) -> tuple[RuleForm, dict[str, Any] | None]:
    """The submitted form and, when it is a valid rule, the body to store (as the API's
    `RuleIn` dumps it); else the form carries errors per field."""
    from chalicelib.api.schemas.rules import RuleIn

    values = {name: submitted.get(name, "").strip() for name in TEXT_FIELDS}
    for name in FLAGS:
        values[name] = "on" if submitted.get(name) else ""
    for choice in CHANNELS:
        if submitted.get(f"channel.{choice}"):
            values[f"channel.{choice}"] = "on"
    for choice in PRIORITIES:
        if submitted.get(f"priority_is.{choice}"):
            values[f"priority_is.{choice}"] = "on"
    form = RuleForm(values)
    if not values["name"]:
        form.errors["name"] = NAME_NEEDED
    conditions, condition_fields = _conditions(values)
    actions, action_fields = _actions(values)
    extra_conditions = _json_list(form, "more_conditions")
    extra_actions = _json_list(form, "more_actions")
    if not form.ok:
        return form, None
    conditions += extra_conditions
    actions += extra_actions
    condition_fields += ["more_conditions"] * len(extra_conditions)
    action_fields += ["more_actions"] * len(extra_actions)
    if not actions:
        form.errors["actions"] = NO_ACTION
        return form, None
    body = {
        "name": values["name"],
        "trigger": values["trigger"] if values["trigger"] in TRIGGERS else "created",
        "match": "any" if values["match"] == "any" else "all",
        "active": bool(values["active"]),
        "stop_processing": bool(values["stop_processing"]),
        "conditions": conditions,
        "actions": actions,
    }
    try:
        rule = RuleIn.model_validate(body)
    except ValidationError as refused:
        _place(form, refused, condition_fields, action_fields)
        return form, None
    return form, rule.model_dump(mode="json", by_alias=True, exclude_none=True)


def _conditions(values: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    found: list[tuple[str, dict[str, Any]]] = []
    channels = [c for c in CHANNELS if values.get(f"channel.{c}")]
    if channels:
        found.append(("channel", {"type": "field", "field": "channel", "op": "in",
                                  "values": channels}))  # fmt: skip
    priorities = [p for p in PRIORITIES if values.get(f"priority_is.{p}")]
    if priorities:
        found.append(("priority_is", {"type": "field", "field": "priority", "op": "in",
                                      "values": priorities}))  # fmt: skip
    if values["domains"]:
        domains = _split(values["domains"].lower())
        found.append(("domains", {"type": "requester_domain", "op": "in", "values": domains}))
    if values["terms"]:
        found.append(("terms", {"type": "text", "in": "subject_or_body", "op": "any",
                                "terms": _split(values["terms"])}))  # fmt: skip
    if values["category"]:
        found.append(("category", {"type": "field", "field": "category", "op": "starts_with",
                                   "value": values["category"]}))  # fmt: skip
    if values["hours"] in ("within", "outside"):
        found.append(("hours", {"type": "business_hours", "op": values["hours"]}))
    return [c for _, c in found], [name for name, _ in found]


def _actions(values: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if values["set_group"]:
        found.append(("set_group", {"type": "set_group", "group": values["set_group"]}))
    if values["assign"] in STRATEGIES:
        action: dict[str, Any] = {"type": "assign", "strategy": values["assign"]}
        if values["assign"] == "agent":
            action["agent"] = values["assign_agent"]
        elif values["assign_group"]:
            action["group"] = values["assign_group"]
        found.append(("assign", action))
    if values["set_priority"]:
        found.append(("set_priority", {"type": "set_priority",
                                       "priority": values["set_priority"]}))  # fmt: skip
    if values["add_tags"]:
        found.append(("add_tags", {"type": "add_tags", "tags": _split(values["add_tags"])}))
    if values["set_type"]:
        found.append(("set_type", {"type": "set_type", "ticket_type": values["set_type"]}))
    if values["add_watcher"]:
        found.append(("add_watcher", {"type": "add_watcher", "email": values["add_watcher"]}))
    texts = {k: values[f"reply_{k}"] for k in ("nl", "en") if values[f"reply_{k}"]}
    if texts:
        found.append(("reply_nl" if "nl" in texts else "reply_en",
                      {"type": "reply", "text": texts}))  # fmt: skip
    return [a for _, a in found], [name for name, _ in found]


def _json_list(form: Form, name: str) -> list[dict[str, Any]]:
    text = form.values[name]
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list) or not all(isinstance(p, dict) for p in parsed):
        form.errors[name] = NOT_JSON
        return []
    return parsed


def _place(
    form: RuleForm, refused: ValidationError, conditions: list[str], actions: list[str]
) -> None:
    """Each complaint of the model on the form field that produced the part it is about."""
    for error in refused.errors():
        where = [str(p) for p in error["loc"]]
        place = "form"
        if len(where) >= 2 and where[0] in ("conditions", "actions") and where[1].isdigit():
            fields = conditions if where[0] == "conditions" else actions
            index = int(where[1])
            place = fields[index] if index < len(fields) else "form"
            if place in ("more_conditions", "more_actions"):
                # Counted within the box, as the supervisor wrote it.
                where[1] = str(index - fields.index(place))
        elif where and where[0] == "name":
            place = "name"
        if place in form.errors:
            continue
        if place in ("more_conditions", "more_actions"):
            form.errors[place] = CHECK_JSON
            form.details[place] = {"path": ".".join(where), "detail": error["msg"]}
        elif place == "form":
            form.errors[place] = CHECK_RULE
            form.details[place] = {"detail": error["msg"]}
        else:
            form.errors[place] = CHECK_FIELD
