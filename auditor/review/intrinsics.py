"""CloudFormation intrinsic functions, resolved where the value is known without deploying.

Known: parameters with defaults, pseudo parameters (account and region from the review settings),
mappings, conditions over known values, and references to resources of the same template (their
synthetic identities). Everything else (Fn::ImportValue, Fn::GetAZs, parameters without default,
SSM parameter types, attributes only known after creation) resolves to ``Unknown`` naming the
reference, never to a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from auditor.review.values import FieldError, Unknown, first_unknown

NOVALUE = object()  # AWS::NoValue: the property is removed
SUB_VAR = re.compile(r"\$\{([^}]*)\}")
MAX_DEPTH = 64


class Resolver:
    def __init__(
        self,
        template: dict,
        account: str,
        region: str,
        partition: str,
        ref: Callable[[str], object],
        getatt: Callable[[str, str], object],
    ) -> None:
        self.params: dict[str, object] = {}
        params = template.get("Parameters")
        for name, spec in (params if isinstance(params, dict) else {}).items():
            self.params[str(name)] = _param_value(str(name), spec)
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::NoValue": NOVALUE,
        }
        for name in ("AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"):
            self.pseudo[name] = Unknown(f"Ref {name}")
        self.mappings = template.get("Mappings") if isinstance(template.get("Mappings"), dict) else {}
        self.conditions = template.get("Conditions") if isinstance(template.get("Conditions"), dict) else {}
        self._condition_cache: dict[str, object] = {}
        self._busy: set[str] = set()
        self._ref, self._getatt = ref, getatt
        self._depth = 0
        self._path: list[str] = []  # keys from the value given to resolve() down to the current one

    # --- public ------------------------------------------------------------------------------------

    def resolve(self, value):
        """The value with every intrinsic evaluated; Unknown where it cannot be known before deploying.
        A call CloudFormation itself would refuse (an Fn::Select index out of range, an Fn::FindInMap key
        the mapping lacks, arguments of the wrong shape) raises FieldError naming the field."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise FieldError(self.where(), "intrinsic functions nested too deeply")
            if isinstance(value, dict):
                if len(value) == 1:
                    ((key, arg),) = value.items()
                    if (
                        key == "Ref"
                        or (isinstance(key, str) and key.startswith("Fn::"))
                        or key == "Condition"
                    ):
                        return self._call(str(key), arg)
                out = type(value)()
                if hasattr(value, "line"):
                    out.line = value.line
                for k, v in value.items():
                    self._path.append(str(k))
                    try:
                        r = self.resolve(v)
                    finally:
                        self._path.pop()
                    if r is not NOVALUE:
                        out[k] = r
                return out
            if isinstance(value, list):
                out = []
                for i, v in enumerate(value):
                    self._path.append(f"[{i}]")
                    try:
                        r = self.resolve(v)
                    finally:
                        self._path.pop()
                    if r is not NOVALUE:
                        out.append(r)
                return out
            return value
        finally:
            self._depth -= 1

    def where(self) -> str:
        return "".join(p if p.startswith("[") else f".{p}" for p in self._path).lstrip(".")

    def condition(self, name) -> object:
        """True / False, or Unknown."""
        name = str(name)
        if name not in self._condition_cache:
            if name not in self.conditions:
                raise FieldError(self.where(), f"Condition {name} is not declared in Conditions")
            if name in self._busy:
                raise FieldError(self.where(), f"Condition {name} refers to itself")
            self._busy.add(name)
            try:
                self._condition_cache[name] = self._truth(
                    self.resolve(self.conditions[name]), f"Condition {name}"
                )
            finally:
                self._busy.discard(name)
        return self._condition_cache[name]

    # --- functions ---------------------------------------------------------------------------------

    def _call(self, fn: str, arg):
        if fn == "Ref":
            return self._ref_value(arg)
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::ImportValue":
            name = self.resolve(arg)
            return Unknown(f"Fn::ImportValue {name.reason if isinstance(name, Unknown) else name}")
        if fn == "Fn::GetAtt":
            return self._getatt_value(arg)
        if fn == "Fn::Sub":
            return self._sub(arg)
        if fn == "Fn::If":
            if not isinstance(arg, list) or len(arg) != 3:
                raise FieldError(self.where(), "Fn::If needs [condition, value if true, value if false]")
            cond = self.condition(arg[0])
            if isinstance(cond, Unknown):
                return cond
            return self.resolve(arg[1] if cond else arg[2])
        if fn in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._logic(fn, self.resolve(arg))
        args = self.resolve(arg)
        bad = first_unknown(args)
        if bad:
            return bad
        try:
            return self._plain_fn(fn, args)
        except FieldError:
            raise
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            raise FieldError(
                self.where(),
                f"{fn} with arguments {json.dumps(args, default=str)[:80]}: "
                "malformed (CloudFormation would refuse the template)",
            ) from None

    def _plain_fn(self, fn: str, args):
        if fn == "Fn::Join":
            delim, items = args
            return str(delim).join(_text(i) for i in items)
        if fn == "Fn::Select":
            index, items = args
            if not isinstance(items, list):
                raise TypeError
            i = int(index)
            if not 0 <= i < len(items):
                raise FieldError(
                    self.where(), f"Fn::Select index {i} is out of range for a list of {len(items)}"
                )
            return items[i]
        if fn == "Fn::Split":
            delim, text = args
            return str(text).split(str(delim))
        if fn == "Fn::FindInMap":
            name, top, second = (str(a) for a in args[:3])
            default = (
                args[3].get("DefaultValue", NOVALUE)
                if len(args) > 3 and isinstance(args[3], dict)
                else NOVALUE
            )
            mapping = self.mappings.get(name)
            level = mapping.get(top) if isinstance(mapping, dict) else None
            if isinstance(level, dict) and second in level:
                return level[second]
            if default is not NOVALUE:
                return default
            missing = (
                f"no mapping {name}"
                if not isinstance(mapping, dict)
                else f"mapping {name} has no key {top}"
                if not isinstance(level, dict)
                else f"mapping {name}.{top} has no key {second}"
            )
            raise FieldError(self.where(), f"Fn::FindInMap: {missing}")
        if fn == "Fn::Base64":
            return args
        if fn == "Fn::Length":
            return len(args)
        if fn == "Fn::ToJsonString":
            return json.dumps(args, separators=(",", ":"))
        if fn == "Fn::GetAZs":
            return Unknown("Fn::GetAZs")
        return Unknown(f"{fn} (not supported)")

    def _ref_value(self, arg):
        if not isinstance(arg, str):
            raise FieldError(self.where(), "Ref to a non-string")
        if arg in self.pseudo:
            return self.pseudo[arg]
        if arg in self.params:
            return self.params[arg]
        return self._ref(arg)

    def _getatt_value(self, arg):
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            raise FieldError(self.where(), "Fn::GetAtt needs [resource, attribute]")
        name, attr = arg[0], self.resolve(arg[1])
        if isinstance(attr, Unknown):
            return attr
        return self._getatt(str(name), str(attr))

    def _sub(self, arg):
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, local = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, local = arg, {}
        if not isinstance(text, str):
            raise FieldError(self.where(), "Fn::Sub needs a string")

        missing: list[Unknown] = []

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                value = local[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self._getatt(*name.split(".", 1))
            else:
                value = self._ref_value(name)
            if isinstance(value, Unknown):
                missing.append(value)
                return ""
            return _text(value)

        out = SUB_VAR.sub(replace, text)
        return missing[0] if missing else out

    def _logic(self, fn: str, args):
        bad = first_unknown(args)
        if bad:
            return bad
        if not isinstance(args, list):
            raise FieldError(self.where(), f"{fn} needs a list")
        if fn == "Fn::Equals":
            return len(args) == 2 and _text(args[0]) == _text(args[1])
        truths = [self._truth(a, fn) for a in args]
        bad = first_unknown(truths)
        if bad:
            return bad
        if fn == "Fn::And":
            return all(truths)
        if fn == "Fn::Or":
            return any(truths)
        if len(truths) != 1:
            raise FieldError(self.where(), "Fn::Not needs one condition")
        return not truths[0]

    def _truth(self, value, where: str):
        if isinstance(value, (bool, Unknown)):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise FieldError(self.where(), f"{where} is not a condition")


def _param_value(name: str, spec) -> object:
    if not isinstance(spec, dict):
        return Unknown(f"Ref {name} (malformed parameter)")
    ptype = str(spec.get("Type", "String"))
    if ptype.startswith("AWS::SSM::Parameter"):
        return Unknown(f"Ref {name} (SSM parameter, read at deploy time)")
    if "Default" not in spec:
        return Unknown(f"Ref {name} (parameter without a default)")
    default = spec["Default"]
    if ptype.startswith("List<") or ptype == "CommaDelimitedList":
        return [s.strip() for s in str(default).split(",")] if not isinstance(default, list) else default
    return default if isinstance(default, (str, list)) else _text(default)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
