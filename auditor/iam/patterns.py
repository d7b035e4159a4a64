"""IAM wildcard patterns (``*`` any run of characters, ``?`` one character, over the whole text) and the
matchers a parsed statement keeps for its Action / NotAction and Resource / NotResource elements, so that
evaluation compares strings instead of re-reading patterns (§2.1, §2.5)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from auditor.iam.logic import FALSE, TRUE, UNKNOWN, Tri

SERVICE = "elasticfilesystem"


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character, over the whole text."""
    return glob_regex(pattern, ignore_case).fullmatch(text) is not None


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def full_action(action: str) -> str:
    """'ClientMount' -> 'elasticfilesystem:ClientMount'; a name with a service prefix is kept."""
    return action if ":" in action else f"{SERVICE}:{action}"


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action pattern covers an action, case-insensitively with ``*`` / ``?`` (§2.1).
    ``action`` may omit the service prefix ("ClientMount")."""
    return glob_match(pattern, full_action(action), ignore_case=True)


class Globs:
    """A set of wildcard patterns matched against whole strings: literal patterns by set membership,
    ``*`` by nothing at all, the rest by one compiled alternation. With ``ignore_case`` literals are
    compared with ``str.lower`` on both sides, which is what IGNORECASE does for ASCII text; non-ASCII
    patterns and texts go through the regexes."""

    __slots__ = ("anything", "ignore_case", "literals", "regex")

    def __init__(self, patterns: Iterable[str], ignore_case: bool = False) -> None:
        literals: set[str] = set()
        wild: list[str] = []
        self.anything = False
        for p in patterns:
            if p == "*":
                self.anything = True
            elif has_wildcard(p) or (ignore_case and not p.isascii()):
                wild.append(p)
            else:
                literals.add(p.lower() if ignore_case else p)
        self.literals = frozenset(literals)
        self.ignore_case = ignore_case
        # fullmatch of "(?:a)|(?:b)" is a full match of a or of b: the engine backtracks across branches
        self.regex = (
            None
            if not wild
            else glob_regex(wild[0], ignore_case)
            if len(wild) == 1
            else re.compile(
                "|".join(f"(?:{glob_regex(p, ignore_case).pattern})" for p in wild),
                re.DOTALL | (re.IGNORECASE if ignore_case else 0),
            )
        )

    def match(self, text: str) -> bool:
        if self.anything:
            return True
        if not self.ignore_case:
            if text in self.literals:
                return True
        elif text.isascii():
            if text.lower() in self.literals:
                return True
        elif any(glob_regex(p, True).fullmatch(text) is not None for p in self.literals):
            return True  # re.IGNORECASE folds some non-ASCII letters onto ASCII ones (K, the Kelvin sign)
        return self.regex is not None and self.regex.fullmatch(text) is not None


class Actions:
    """Action / NotAction: whether the statement covers an action (§2.1). Shared by every statement
    with the same patterns (``actions_matcher``); answers are remembered per action name."""

    __slots__ = ("_seen", "globs", "negated")

    def __init__(self, patterns: tuple[str, ...], negated: bool) -> None:
        self.globs = Globs(patterns, ignore_case=True)
        self.negated = negated
        self._seen: dict[str, bool] = {}

    def covers(self, act: str) -> bool:
        """``act`` is a full action name (``elasticfilesystem:ClientMount``)."""
        hit = self._seen.get(act)
        if hit is None:
            hit = self.globs.match(act) is not self.negated
            if len(self._seen) < 64:
                self._seen[act] = hit
        return hit


@lru_cache(maxsize=1024)
def actions_matcher(patterns: tuple[str, ...], negated: bool) -> Actions:
    return Actions(patterns, negated)


class Resources:
    """Resource / NotResource against the file system ARN (§2.5). A policy variable (``${...}``) in a
    pattern that does not match makes the answer UNKNOWN when the policy version expands variables.
    Shared by every statement with the same patterns (``resources_matcher``); answers are remembered
    per ARN."""

    __slots__ = ("_seen", "globs", "negated", "variables")

    def __init__(self, patterns: tuple[str, ...], negated: bool, expand: bool) -> None:
        self.globs = Globs(patterns)
        self.negated = negated
        self.variables = expand and any("${" in p for p in patterns)
        self._seen: dict[str, Tri] = {}

    def test(self, arn: str) -> Tri:
        answer = self._seen.get(arn)
        if answer is None:
            if self.globs.match(arn):
                answer = FALSE if self.negated else TRUE
            elif self.variables:
                answer = UNKNOWN
            else:
                answer = TRUE if self.negated else FALSE
            if len(self._seen) < 256:
                self._seen[arn] = answer
        return answer


@lru_cache(maxsize=1024)
def resources_matcher(patterns: tuple[str, ...], negated: bool, expand: bool) -> Resources:
    """Shared by every statement with the same patterns (typically one file system ARN or ``*``)."""
    return Resources(patterns, negated, expand)
