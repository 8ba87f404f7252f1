"""Read infra/template.yaml the way CloudFormation does, for local provisioning and tests.

The template is the one definition of every resource; nothing here restates a property.
"""

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML plus CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, …)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        # Short form "Resource.Attribute"; attribute names may themselves contain dots.
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@cache
def _parsed(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as JSON-shaped data with long-form intrinsics; a fresh copy per call."""
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))


class UnresolvedError(LookupError):
    """A reference to something that has no value (yet)."""


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_PSEUDO_PARAMETERS = frozenset(
    {"AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId", "AWS::Partition"}
)


def references(value: Any) -> set[str]:
    """Logical ids of the resources and parameters `value` refers to."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            found.add(value["Ref"])
        elif set(value) == {"Fn::GetAtt"}:
            found.add(value["Fn::GetAtt"][0])
        elif set(value) == {"Fn::Sub"}:
            text, variables = _sub_parts(value["Fn::Sub"])
            for name in _SUB_VARIABLE.findall(text):
                if not name.startswith("!") and name not in variables:
                    found.add(name.split(".", 1)[0])
            found |= references(variables)
        else:
            for item in value.values():
                found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found - _PSEUDO_PARAMETERS


def _sub_parts(argument: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(argument, str):
        return argument, {}
    text, variables = argument
    return text, variables


class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub and Fn::Join against known values.

    `refs` maps parameters, pseudo parameters and logical ids to what `Ref` returns;
    `attribute(logical_id, name)` answers `Fn::GetAtt`.
    """

    def __init__(self, refs: dict[str, str], attribute: Any) -> None:
        self.refs = refs
        self._attribute = attribute

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, name = value["Fn::GetAtt"]
            return self._attribute(logical_id, name)
        if set(value) == {"Fn::Sub"}:
            return self._sub(*_sub_parts(value["Fn::Sub"]))
        if set(value) == {"Fn::Join"}:
            separator, items = value["Fn::Join"]
            return separator.join(str(self.resolve(item)) for item in items)
        unsupported = [key for key in value if key.startswith("Fn::")]
        if unsupported:
            raise NotImplementedError(f"local provisioning cannot evaluate {unsupported[0]}")
        return {key: self.resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        try:
            return self.refs[name]
        except KeyError:
            raise UnresolvedError(name) from None

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        values = {name: str(self.resolve(item)) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return values[name]
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self._attribute(logical_id, attribute))
            return self._ref(name)

        return _SUB_VARIABLE.sub(replace, text)
