"""Rule-set parsing and validation: the schema of docs/rules.md, and errors with paths."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from competency_models.evidence import CompetencyRef, EvidenceKind
from competency_models.mapping import (
    CompetencyBinding,
    RuleSetError,
    ScopeKind,
    ValueSource,
    load_ruleset_text,
    parse_ruleset,
)

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


def _valid() -> dict[str, Any]:
    return {
        "id": "programme-rules",
        "version": 3,
        "title": "示范项目",
        "rules": [
            {
                "id": "quiz",
                "match": {
                    "verb": [COMPLETED, "http://adlnet.gov/expapi/verbs/passed"],
                    "object": {"id_prefix": "https://lms.example/mod/quiz/"},
                    "context": {"platform": "Moodle", "instructor": False},
                    "result": {"completion": True, "score": {"at_least": 0.2}},
                },
                "scaled_range": [-1, 1],
                "final": True,
                "yields": [
                    {
                        "competency": {"framework": "tdl", "code": "3.1"},
                        "value": "score",
                        "kind": "test",
                        "weight": 2,
                    },
                    {"competencies": "$module", "value": 1, "kind": "participation"},
                ],
            },
            {
                "id": "anything",
                "match": {},
                "yields": [
                    {"competencies": ["tdl#1", "tdl#2"], "value": 0.5, "kind": "self_report"}
                ],
            },
        ],
    }


def test_valid_ruleset_parses_into_the_model() -> None:
    ruleset = parse_ruleset(_valid())
    assert (ruleset.id, ruleset.version, ruleset.title) == ("programme-rules", 3, "示范项目")
    assert ruleset.scope.kind is ScopeKind.GLOBAL
    quiz, anything = ruleset.rules
    assert quiz.final and not anything.final
    assert quiz.scaled_range == (-1.0, 1.0)
    assert anything.scaled_range == (0.0, 1.0)
    assert quiz.match.verbs == {COMPLETED, "http://adlnet.gov/expapi/verbs/passed"}
    first, second = quiz.yields
    assert first.competencies == (CompetencyRef("tdl", "3.1"),)
    assert (first.value, first.weight, first.kind) == (ValueSource.SCORE, 2.0, EvidenceKind.TEST)
    assert second.competencies is CompetencyBinding.MODULE
    assert (second.value, second.weight) == (1.0, 1.0)
    assert anything.yields[0].competencies == (CompetencyRef("tdl", "1"), CompetencyRef("tdl", "2"))


def test_ruleset_level_scaled_range_is_the_default_for_its_rules() -> None:
    data = _valid()
    data["scaled_range"] = [-1, 1]
    ruleset = parse_ruleset(data)
    assert [rule.scaled_range for rule in ruleset.rules] == [(-1.0, 1.0), (-1.0, 1.0)]


def test_json_and_yaml_text_load_the_same_ruleset() -> None:
    import yaml

    data = _valid()
    from_json = load_ruleset_text(json.dumps(data), "json")
    from_yaml = load_ruleset_text(yaml.safe_dump(data, allow_unicode=True), "yaml")
    assert from_json == from_yaml


@pytest.mark.parametrize(
    ("text", "fmt"),
    [("{not json", "json"), ("rules: [unclosed", "yaml"), ("- a list", "yaml"), ("42", "json")],
)
def test_unparseable_or_non_object_text_is_a_ruleset_error(text: str, fmt: str) -> None:
    with pytest.raises(RuleSetError) as caught:
        load_ruleset_text(text, fmt)  # type: ignore[arg-type]
    assert caught.value.problems[0].startswith("<root>:")


def test_yaml_tags_are_not_executed() -> None:
    with pytest.raises(RuleSetError):
        load_ruleset_text("!!python/object/apply:os.system ['true']", "yaml")


@pytest.mark.parametrize(
    ("scope", "kind", "target"),
    [
        ("global", ScopeKind.GLOBAL, None),
        ({"programme": "jiangsu-2026"}, ScopeKind.PROGRAMME, "jiangsu-2026"),
        (
            {"course": "https://lms.example/course/view.php?id=7"},
            ScopeKind.COURSE,
            "https://lms.example/course/view.php?id=7",
        ),
    ],
)
def test_scope_forms(scope: object, kind: ScopeKind, target: str | None) -> None:
    data = _valid()
    data["scope"] = scope
    parsed = parse_ruleset(data).scope
    assert (parsed.kind, parsed.target) == (kind, target)


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    """Set a dotted path (with [n] indexes) in the document."""

    def apply(document: dict[str, Any]) -> None:
        parts = path.replace("[", ".").replace("]", "").split(".")
        target: Any = document
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return apply


def _delete(path: str) -> Mutation:
    def apply(document: dict[str, Any]) -> None:
        parts = path.replace("[", ".").replace("]", "").split(".")
        target: Any = document
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[parts[-1]]

    return apply


INVALID_CASES: list[tuple[Mutation, str]] = [
    (_delete("id"), "id: must be a non-empty string without spaces"),
    (_set("id", "has space"), "id: must be a non-empty string without spaces"),
    (_set("version", 0), "version: must be a positive integer"),
    (_set("version", "1"), "version: must be a positive integer"),
    (_set("version", True), "version: must be a positive integer"),
    (_set("colour", "red"), "colour: unknown key"),
    (_set("scope", {"school": "x"}), "scope.school: unknown key"),
    (_set("scope", {"course": "not an iri"}), "scope.course: not an IRI"),
    (_set("scaled_range", [1, -1]), "scaled_range: must be [low, high] with low < high"),
    (_set("rules", []), "rules: must be a non-empty list"),
    (_set("rules[1]", "rule"), "rules[1]: must be an object"),
    (_set("rules[0].match.verb", "completed"), "rules[0].match.verb: not an IRI"),
    (_set("rules[0].match.verb", [COMPLETED, 3]), "rules[0].match.verb[1]: not an IRI"),
    (_set("rules[0].match.verb", []), "rules[0].match.verb: must not be an empty list"),
    (_set("rules[0].match.actor", {}), "rules[0].match.actor: unknown key"),
    (_delete("rules[0].match"), "rules[0].match: is required"),
    (_set("rules[0].match.object", {}), "rules[0].match.object: must name at least one of"),
    (_set("rules[0].match.object", {"id": "x y"}), "rules[0].match.object.id: not an IRI"),
    (
        _set("rules[0].match.object", {"id_regex": "(unclosed"}),
        "rules[0].match.object.id_regex: invalid regular expression",
    ),
    (_set("rules[0].match.object", {"type": 5}), "rules[0].match.object.type: not an IRI"),
    (
        _set("rules[0].match.context.parent", {"kind": "x"}),
        "rules[0].match.context.parent.kind: unknown key",
    ),
    (
        _set("rules[0].match.context.instructor", "yes"),
        "rules[0].match.context.instructor: must be true or false",
    ),
    (
        _set("rules[0].match.context.extensions", {"info": 1}),
        "rules[0].match.context.extensions.info: extension key is not an IRI",
    ),
    (
        _set("rules[0].match.context.platform", ""),
        "rules[0].match.context.platform: must be a non-empty string",
    ),
    (_set("rules[0].match.result.sucess", True), "rules[0].match.result.sucess: unknown key"),
    (
        _set("rules[0].match.result.completion", 1),
        "rules[0].match.result.completion: must be true or false",
    ),
    (
        _set("rules[0].match.result.score", {"at_least": 60}),
        "rules[0].match.result.score.at_least: must be a number between 0 and 1",
    ),
    (
        _set("rules[0].match.result.score", {"at_least": 0.8, "at_most": 0.2}),
        "rules[0].match.result.score: at_least is above at_most",
    ),
    (_set("rules[0].final", "yes"), "rules[0].final: must be true or false"),
    (_set("rules[0].scaled_range", [0]), "rules[0].scaled_range: must be [low, high]"),
    (_set("rules[1].id", "quiz"), "rules[1].id: duplicate rule id 'quiz'"),
    (_set("rules[0].yields", []), "rules[0].yields: must be a non-empty list"),
    (_set("rules[0].yields[0].value", "grade"), "rules[0].yields[0].value: unknown expression"),
    (
        _set("rules[0].yields[0].value", 1.5),
        "rules[0].yields[0].value: must be a number between 0 and 1",
    ),
    (
        _set("rules[0].yields[0].value", float("nan")),
        "rules[0].yields[0].value: must be a number between 0 and 1",
    ),
    (_delete("rules[0].yields[0].value"), "rules[0].yields[0].value: is required"),
    (_set("rules[0].yields[0].weight", 0), "rules[0].yields[0].weight: must be a positive number"),
    (_set("rules[0].yields[0].kind", "performance"), "rules[0].yields[0].kind: must be one of"),
    (
        _set("rules[0].yields[0].competencies", "$course"),
        "rules[0].yields[0]: needs exactly one of competency, competencies",
    ),
    (
        _set("rules[0].yields[1].competencies", "$course"),
        "rules[0].yields[1].competencies: unknown binding",
    ),
    (
        _set("rules[1].yields[0].competencies", ["tdl"]),
        'rules[1].yields[0].competencies[0]: must be "framework#code"',
    ),
    (
        _set("rules[0].yields[0].competency", {"framework": "tdl"}),
        "rules[0].yields[0].competency.code: must be a non-empty string",
    ),
]


@pytest.mark.parametrize(("mutate", "problem"), INVALID_CASES)
def test_invalid_ruleset_names_the_problem_with_its_path(mutate: Mutation, problem: str) -> None:
    data = _valid()
    mutate(data)
    with pytest.raises(RuleSetError) as caught:
        parse_ruleset(data)
    assert any(line.startswith(problem) for line in caught.value.problems), caught.value.problems


def test_all_problems_are_listed_in_one_error() -> None:
    data = _valid()
    data["rules"][0]["match"]["verb"] = "not-an-iri"
    data["rules"][1]["yields"][0]["value"] = "grade"
    data["version"] = -1
    with pytest.raises(RuleSetError) as caught:
        parse_ruleset(data)
    problems = caught.value.problems
    assert "version: must be a positive integer" in problems
    assert "rules[0].match.verb: not an IRI" in problems
    assert any(line.startswith("rules[1].yields[0].value: unknown expression") for line in problems)
    assert str(caught.value).startswith("invalid rule set:")


def test_parsing_does_not_mutate_its_input() -> None:
    data = _valid()
    snapshot = copy.deepcopy(data)
    parse_ruleset(data)
    assert data == snapshot


def test_non_mapping_root_is_rejected() -> None:
    with pytest.raises(RuleSetError):
        parse_ruleset([])  # type: ignore[arg-type]
