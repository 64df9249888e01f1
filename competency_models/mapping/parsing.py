"""Parse and validate a rule set from already-loaded data (dicts and lists from JSON or YAML).

Parsing never partially loads: it walks the whole document, collects every problem with its
path (``rules[2].match.verb: not an IRI``) and raises one :class:`RuleSetError` listing them all,
or returns a complete :class:`RuleSet`. Unknown keys are problems too, so a typo such as
``sucess`` cannot silently widen a rule. The schema is documented in docs/rules.md.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from competency_models.evidence import CompetencyRef, EvidenceKind
from competency_models.mapping.conditions import (
    ActivityCondition,
    ContextCondition,
    IdPattern,
    MatchCondition,
    ResultCondition,
    ScoreBounds,
)
from competency_models.mapping.rules import (
    CompetencyBinding,
    EvidenceValue,
    Rule,
    RuleSet,
    Scope,
    ScopeKind,
    ValueSource,
    YieldSpec,
)
from competency_models.mapping.statement import (
    CONTEXT_ACTIVITY_KINDS,
    STANDARD_SCALED_RANGE,
    ScaledRange,
)

_IRI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
"""RFC 3987 in spirit: a scheme, a colon, and no characters an IRI may never contain."""

_IDENTIFIER: Final = re.compile(r"[^\s]+")
_NOT_TEXT: Final = "must be a non-empty string"

_RULESET_KEYS: Final = frozenset(
    {"id", "version", "title", "description", "scope", "scaled_range", "rules"}
)
_RULE_KEYS: Final = frozenset({"id", "description", "match", "yields", "scaled_range", "final"})
_MATCH_KEYS: Final = frozenset({"verb", "object", "context", "result"})
_ACTIVITY_KEYS: Final = frozenset({"id", "id_prefix", "id_glob", "id_regex", "type"})
_CONTEXT_KEYS: Final = frozenset(
    {*CONTEXT_ACTIVITY_KINDS, "registration", "platform", "extensions", "instructor"}
)
_RESULT_KEYS: Final = frozenset({"success", "completion", "score"})
_SCORE_KEYS: Final = frozenset({"at_least", "at_most"})
_YIELD_KEYS: Final = frozenset({"competency", "competencies", "value", "weight", "kind"})
_SCOPE_KEYS: Final = frozenset({"programme", "course"})

T = TypeVar("T")


class RuleSetError(ValueError):
    """A rule set that cannot be loaded; ``problems`` lists every problem with its path.

    Attributes:
        problems: one ``"path: what is wrong"`` line per problem, in document order.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid rule set:\n  " + "\n  ".join(self.problems))


class _Problems:
    """Collects problems while parsing carries on, so one error can list them all."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}")

    def unknown_keys(self, data: Mapping[Any, object], allowed: frozenset[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.add(f"{path}.{key}" if path else str(key), "unknown key")


def _finite(value: object) -> float | None:
    """The value as a float if it is a finite number (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _as_mapping(value: object, path: str, problems: _Problems) -> Mapping[object, object] | None:
    if isinstance(value, Mapping):
        return value
    problems.add(path, "must be an object")
    return None


def _one_or_many(
    value: object,
    path: str,
    problems: _Problems,
    check: Callable[[object], T | None],
    expected: str,
) -> tuple[T, ...]:
    """Accept one value or a non-empty list of them, checking each."""
    items: list[object] = list(value) if isinstance(value, list) else [value]
    if not items:
        problems.add(path, "must not be an empty list")
    checked: list[T] = []
    for index, item in enumerate(items):
        result = check(item)
        if result is None:
            item_path = f"{path}[{index}]" if isinstance(value, list) else path
            problems.add(item_path, expected)
        else:
            checked.append(result)
    return tuple(checked)


def _iri(value: object) -> str | None:
    return value if isinstance(value, str) and _IRI.fullmatch(value) else None


def _nonempty_string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _identifier(value: object, path: str, problems: _Problems) -> str | None:
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
        return value
    problems.add(path, "must be a non-empty string without spaces")
    return None


def _flag(value: object, path: str, problems: _Problems) -> bool | None:
    if isinstance(value, bool):
        return value
    problems.add(path, "must be true or false")
    return None


_GLOB_WILDCARDS: Final = re.compile(r"[*?\[]")


def _pattern(source: str, path: str, problems: _Problems, *, glob: bool) -> IdPattern:
    """Compile a glob (``*`` spans any characters, ``/`` included) or a regex, once."""
    if glob:
        wildcard = _GLOB_WILDCARDS.search(source)
        literal_prefix = source if wildcard is None else source[: wildcard.start()]
        return IdPattern(source, re.compile(fnmatch.translate(source)), literal_prefix)
    try:
        return IdPattern(source, re.compile(source))
    except re.error as error:
        problems.add(path, f"invalid regular expression: {error}")
        return IdPattern(source, re.compile(r"(?!)"))


def _activity_condition(value: object, path: str, problems: _Problems) -> ActivityCondition:
    data = _as_mapping(value, path, problems)
    if data is None:
        return ActivityCondition()
    problems.unknown_keys(data, _ACTIVITY_KEYS, path)
    if not data:
        problems.add(path, "must name at least one of id, id_prefix, id_glob, id_regex, type")
    ids: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    patterns: list[IdPattern] = []
    if "id" in data:
        ids = _one_or_many(data["id"], f"{path}.id", problems, _iri, "not an IRI")
    if "id_prefix" in data:
        prefixes = _one_or_many(
            data["id_prefix"], f"{path}.id_prefix", problems, _nonempty_string, _NOT_TEXT
        )
    for key, glob in (("id_glob", True), ("id_regex", False)):
        if key in data:
            sources = _one_or_many(
                data[key], f"{path}.{key}", problems, _nonempty_string, _NOT_TEXT
            )
            patterns.extend(
                _pattern(source, f"{path}.{key}", problems, glob=glob) for source in sources
            )
    if "type" in data:
        types = _one_or_many(data["type"], f"{path}.type", problems, _iri, "not an IRI")
    return ActivityCondition(
        ids=frozenset(ids),
        id_prefixes=tuple(prefixes),
        id_patterns=tuple(patterns),
        types=frozenset(types),
    )


def _context_condition(value: object, path: str, problems: _Problems) -> ContextCondition:
    data = _as_mapping(value, path, problems)
    if data is None:
        return ContextCondition()
    problems.unknown_keys(data, _CONTEXT_KEYS, path)
    activities = tuple(
        (kind, _activity_condition(data[kind], f"{path}.{kind}", problems))
        for kind in CONTEXT_ACTIVITY_KINDS
        if kind in data
    )
    registrations: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    if "registration" in data:
        registrations = _one_or_many(
            data["registration"],
            f"{path}.registration",
            problems,
            _nonempty_string,
            _NOT_TEXT,
        )
    if "platform" in data:
        platforms = _one_or_many(
            data["platform"], f"{path}.platform", problems, _nonempty_string, _NOT_TEXT
        )
    extensions: list[tuple[str, object]] = []
    if "extensions" in data:
        extension_map = _as_mapping(data["extensions"], f"{path}.extensions", problems) or {}
        for key, expected in extension_map.items():
            if _iri(key) is None:
                problems.add(f"{path}.extensions.{key}", "extension key is not an IRI")
            else:
                extensions.append((str(key), expected))
    instructor = None
    if "instructor" in data:
        instructor = _flag(data["instructor"], f"{path}.instructor", problems)
    return ContextCondition(
        activities=activities,
        registrations=frozenset(registrations),
        platforms=frozenset(platforms),
        extensions=tuple(extensions),
        instructor=instructor,
    )


def _unit_interval(value: object, path: str, problems: _Problems) -> float | None:
    number = _finite(value)
    if number is not None and 0.0 <= number <= 1.0:
        return number
    problems.add(path, "must be a number between 0 and 1")
    return None


def _result_condition(value: object, path: str, problems: _Problems) -> ResultCondition:
    data = _as_mapping(value, path, problems)
    if data is None:
        return ResultCondition()
    problems.unknown_keys(data, _RESULT_KEYS, path)
    success = _flag(data["success"], f"{path}.success", problems) if "success" in data else None
    completion = (
        _flag(data["completion"], f"{path}.completion", problems) if "completion" in data else None
    )
    score = None
    if "score" in data:
        score_path = f"{path}.score"
        bounds = _as_mapping(data["score"], score_path, problems) or {}
        problems.unknown_keys(bounds, _SCORE_KEYS, score_path)
        at_least = at_most = None
        if "at_least" in bounds:
            at_least = _unit_interval(bounds["at_least"], f"{score_path}.at_least", problems)
        if "at_most" in bounds:
            at_most = _unit_interval(bounds["at_most"], f"{score_path}.at_most", problems)
        if at_least is not None and at_most is not None and at_least > at_most:
            problems.add(score_path, "at_least is above at_most")
        score = ScoreBounds(at_least=at_least, at_most=at_most)
    return ResultCondition(success=success, completion=completion, score=score)


def _match_condition(value: object, path: str, problems: _Problems) -> MatchCondition:
    data = _as_mapping(value, path, problems)
    if data is None:
        return MatchCondition()
    problems.unknown_keys(data, _MATCH_KEYS, path)
    verbs: tuple[str, ...] = ()
    if "verb" in data:
        verbs = _one_or_many(data["verb"], f"{path}.verb", problems, _iri, "not an IRI")
    return MatchCondition(
        verbs=frozenset(verbs),
        object=_activity_condition(data["object"], f"{path}.object", problems)
        if "object" in data
        else None,
        context=_context_condition(data["context"], f"{path}.context", problems)
        if "context" in data
        else None,
        result=_result_condition(data["result"], f"{path}.result", problems)
        if "result" in data
        else None,
    )


def _scaled_range(value: object, path: str, problems: _Problems) -> ScaledRange | None:
    bounds = [_finite(bound) for bound in value] if isinstance(value, list) else []
    low, high = (bounds[0], bounds[1]) if len(bounds) == 2 else (None, None)
    if low is not None and high is not None and low < high:
        return (low, high)
    problems.add(path, "must be [low, high] with low < high, e.g. [-1, 1] for Moodle")
    return None


def _competency_ref(value: object, path: str, problems: _Problems) -> CompetencyRef | None:
    """Read ``{"framework": ..., "code": ...}`` or the short form ``"framework#code"``."""
    if isinstance(value, str):
        framework, separator, code = value.partition("#")
        if separator and framework and code:
            return CompetencyRef(framework_id=framework, code=code)
        problems.add(path, 'must be "framework#code" or {framework, code}')
        return None
    data = _as_mapping(value, path, problems)
    if data is None:
        return None
    problems.unknown_keys(data, frozenset({"framework", "code"}), path)
    framework_id = _identifier(data.get("framework"), f"{path}.framework", problems)
    item_code = data.get("code")
    if not isinstance(item_code, str) or not item_code:
        problems.add(f"{path}.code", "must be a non-empty string")
        return None
    if framework_id is None:
        return None
    return CompetencyRef(framework_id=framework_id, code=item_code)


def _competencies(
    data: Mapping[object, object], path: str, problems: _Problems
) -> tuple[CompetencyRef, ...] | CompetencyBinding | None:
    if ("competency" in data) == ("competencies" in data):
        problems.add(path, "needs exactly one of competency, competencies")
        return None
    if "competency" in data:
        ref = _competency_ref(data["competency"], f"{path}.competency", problems)
        return None if ref is None else (ref,)
    value = data["competencies"]
    if isinstance(value, str):
        try:
            return CompetencyBinding(value)
        except ValueError:
            known = ", ".join(binding.value for binding in CompetencyBinding)
            problems.add(f"{path}.competencies", f"unknown binding (known: {known})")
            return None
    if not isinstance(value, list) or not value:
        problems.add(f"{path}.competencies", "must be a binding or a non-empty list")
        return None
    refs = [
        _competency_ref(item, f"{path}.competencies[{index}]", problems)
        for index, item in enumerate(value)
    ]
    return tuple(ref for ref in refs if ref is not None)


def _evidence_value(value: object, path: str, problems: _Problems) -> EvidenceValue | None:
    if isinstance(value, str):
        try:
            return ValueSource(value)
        except ValueError:
            known = ", ".join(source.value for source in ValueSource)
            problems.add(path, f"unknown expression (known: {known})")
            return None
    return _unit_interval(value, path, problems)


def _yield_spec(value: object, path: str, problems: _Problems) -> YieldSpec | None:
    data = _as_mapping(value, path, problems)
    if data is None:
        return None
    problems.unknown_keys(data, _YIELD_KEYS, path)
    competencies = _competencies(data, path, problems)
    evidence_value: EvidenceValue | None = None
    if "value" in data:
        evidence_value = _evidence_value(data["value"], f"{path}.value", problems)
    else:
        problems.add(f"{path}.value", "is required")
    weight: float | None = 1.0
    if "weight" in data:
        weight = _finite(data["weight"])
        if weight is None or weight <= 0.0:
            weight = None
            problems.add(f"{path}.weight", "must be a positive number")
    kind = None
    try:
        kind = EvidenceKind(str(data.get("kind")))
    except ValueError:
        known = ", ".join(kind.value for kind in EvidenceKind)
        problems.add(f"{path}.kind", f"must be one of {known}")
    if competencies is None or evidence_value is None or weight is None or kind is None:
        return None
    return YieldSpec(competencies=competencies, value=evidence_value, weight=weight, kind=kind)


def _rule(value: object, path: str, problems: _Problems, default_range: ScaledRange) -> Rule | None:
    data = _as_mapping(value, path, problems)
    if data is None:
        return None
    problems.unknown_keys(data, _RULE_KEYS, path)
    rule_id = _identifier(data.get("id"), f"{path}.id", problems)
    if "match" in data:
        match = _match_condition(data["match"], f"{path}.match", problems)
    else:
        problems.add(f"{path}.match", "is required")
        match = MatchCondition()
    raw_yields = data.get("yields")
    yields: list[YieldSpec | None] = []
    if isinstance(raw_yields, list) and raw_yields:
        yields = [
            _yield_spec(item, f"{path}.yields[{index}]", problems)
            for index, item in enumerate(raw_yields)
        ]
    else:
        problems.add(f"{path}.yields", "must be a non-empty list")
    scaled_range: ScaledRange | None = default_range
    if "scaled_range" in data:
        scaled_range = _scaled_range(data["scaled_range"], f"{path}.scaled_range", problems)
    final: bool | None = False
    if "final" in data:
        final = _flag(data["final"], f"{path}.final", problems)
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.add(f"{path}.description", "must be a string")
        description = ""
    if rule_id is None or scaled_range is None or final is None or None in yields:
        return None
    return Rule(
        id=rule_id,
        match=match,
        yields=tuple(spec for spec in yields if spec is not None),
        scaled_range=scaled_range,
        final=final,
        description=description,
    )


def _scope(value: object, problems: _Problems) -> Scope:
    if value == "global":
        return Scope()
    data = _as_mapping(value, "scope", problems)
    if data is None:
        return Scope()
    problems.unknown_keys(data, _SCOPE_KEYS, "scope")
    if len(data) != 1:
        problems.add("scope", 'must be "global", {programme: id} or {course: activity IRI}')
        return Scope()
    if "programme" in data:
        target = _identifier(data["programme"], "scope.programme", problems)
        return Scope(ScopeKind.PROGRAMME, target)
    if "course" in data:
        course = _iri(data["course"])
        if course is None:
            problems.add("scope.course", "not an IRI")
        return Scope(ScopeKind.COURSE, course)
    return Scope()


def parse_ruleset(data: Mapping[str, object]) -> RuleSet:
    """Validate already-loaded rule-set data and build an immutable, indexed :class:`RuleSet`.

    Args:
        data: the rule set as loaded from JSON or YAML (see docs/rules.md for the schema).

    Returns:
        The complete rule set.

    Raises:
        RuleSetError: listing every problem with its path; nothing is loaded.
    """
    problems = _Problems()
    if not isinstance(data, Mapping):
        raise RuleSetError(["<root>: must be an object"])
    problems.unknown_keys(data, _RULESET_KEYS, "")
    ruleset_id = _identifier(data.get("id"), "id", problems)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.add("version", "must be a positive integer")
    for text_key in ("title", "description"):
        if not isinstance(data.get(text_key, ""), str):
            problems.add(text_key, "must be a string")
    scope = _scope(data.get("scope", "global"), problems)
    default_range: ScaledRange = STANDARD_SCALED_RANGE
    if "scaled_range" in data:
        default_range = _scaled_range(data["scaled_range"], "scaled_range", problems) or (
            STANDARD_SCALED_RANGE
        )
    raw_rules = data.get("rules")
    rules: list[Rule | None] = []
    if isinstance(raw_rules, list) and raw_rules:
        rules = [
            _rule(item, f"rules[{index}]", problems, default_range)
            for index, item in enumerate(raw_rules)
        ]
    else:
        problems.add("rules", "must be a non-empty list")
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule is not None:
            if rule.id in seen:
                problems.add(f"rules[{index}].id", f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
    if problems.lines:
        raise RuleSetError(problems.lines)
    assert ruleset_id is not None and isinstance(version, int)  # guaranteed by no problems
    title = data.get("title", "")
    return RuleSet(
        id=ruleset_id,
        version=version,
        rules=tuple(rule for rule in rules if rule is not None),
        scope=scope,
        title=title if isinstance(title, str) else "",
    )
