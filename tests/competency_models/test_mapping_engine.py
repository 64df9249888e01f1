"""The matching engine: provenance, time, values, scope, `final`, binding and order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from competency_models.evidence import CompetencyRef, EvidenceKind, Provenance
from competency_models.mapping import RuleSet, StatementView, evidence_for, parse_ruleset

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
VIEWED = "http://id.tincanapi.com/verb/viewed"
MODULE = "https://lms.example/mod/quiz/view.php?id=7"
COURSE = "https://lms.example/course/view.php?id=2"
ATTEMPT = "https://lms.example/mod/quiz/attempt.php?attempt=3&cmid=7"

A = CompetencyRef("tdl", "1.1")
B = CompetencyRef("tdl", "2.1")
C = CompetencyRef("tdl", "3.1")


def _statement(**overrides: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": "st-1",
        "verb": {"id": COMPLETED},
        "object": {
            "id": ATTEMPT,
            "definition": {"type": "http://adlnet.gov/expapi/activities/attempt"},
        },
        "result": {"score": {"raw": 6, "max": 8}, "success": True, "completion": True},
        "context": {"contextActivities": {"parent": [{"id": MODULE}, {"id": COURSE}]}},
        "timestamp": "2026-02-01T12:00:00+08:00",
    }
    statement.update(overrides)
    return statement


def _ruleset(*rules: dict[str, Any], **extra: Any) -> RuleSet:
    return parse_ruleset({"id": "rs", "version": 2, "rules": list(rules), **extra})


def _rule(rule_id: str, verb: str | list[str] | None = COMPLETED, **fields: Any) -> dict[str, Any]:
    match = {} if verb is None else {"verb": verb}
    rule: dict[str, Any] = {
        "id": rule_id,
        "match": match,
        "yields": [{"competency": "tdl#1.1", "value": "score", "kind": "test"}],
    }
    rule.update(fields)
    return rule


def test_evidence_carries_provenance_time_and_values() -> None:
    (evidence,) = evidence_for(_statement(), "person-9", _ruleset(_rule("quiz")))
    assert evidence.person_id == "person-9"
    assert evidence.competency == A
    assert evidence.value == 0.75
    assert evidence.weight == 1.0
    assert evidence.kind is EvidenceKind.TEST
    assert evidence.observed_at == datetime(2026, 2, 1, 4, 0, tzinfo=UTC)
    assert evidence.provenance == Provenance("st-1", "rs", 2, "quiz")


def test_statement_id_argument_wins_over_the_statement_field() -> None:
    (evidence,) = evidence_for(_statement(), "p", _ruleset(_rule("quiz")), statement_id="lrs-42")
    assert evidence.provenance.statement_id == "lrs-42"


@pytest.mark.parametrize(
    "overrides",
    [{"id": None}, {"id": ""}, {"timestamp": None}, {"timestamp": "not a time"}],
)
def test_no_id_or_no_time_means_no_evidence(overrides: dict[str, Any]) -> None:
    assert evidence_for(_statement(**overrides), "p", _ruleset(_rule("quiz"))) == ()


@pytest.mark.parametrize(
    ("value", "result", "expected"),
    [
        ("score", {"score": {"raw": 6, "max": 8}}, 0.75),
        ("score", {"success": True}, None),
        ("success", {"success": True}, 1.0),
        ("success", {"success": False}, 0.0),
        ("success", {}, None),
        ("completion", {"completion": True}, 1.0),
        ("completion", {"completion": False}, 0.0),
        ("completion", {}, None),
        ("score_or_success", {"score": {"scaled": 0.4}, "success": True}, 0.4),
        ("score_or_success", {"success": False}, 0.0),
        ("score_or_success", {}, None),
        (0.3, {}, 0.3),
        (1, {}, 1.0),
    ],
)
def test_value_expressions(value: object, result: dict[str, Any], expected: float | None) -> None:
    rule = _rule("r", yields=[{"competency": "tdl#1.1", "value": value, "kind": "test"}])
    evidence = evidence_for(_statement(result=result), "p", _ruleset(rule))
    assert [item.value for item in evidence] == ([] if expected is None else [expected])


def test_final_rule_shadows_later_rules_of_its_set_only() -> None:
    specific = _rule("attempt", final=True)
    general = _rule("any-completion", verb=None)
    other_set = parse_ruleset({"id": "other", "version": 1, "rules": [_rule("also")]})
    evidence = evidence_for(_statement(), "p", [_ruleset(specific, general), other_set])
    assert [(e.provenance.ruleset_id, e.provenance.rule_id) for e in evidence] == [
        ("rs", "attempt"),
        ("other", "also"),
    ]


def test_non_final_rules_all_yield_in_file_order() -> None:
    evidence = evidence_for(
        _statement(), "p", _ruleset(_rule("first"), _rule("any", verb=None), _rule("third"))
    )
    assert [e.provenance.rule_id for e in evidence] == ["first", "any", "third"]


def test_verb_agnostic_rule_keeps_its_place_before_a_final_verb_rule() -> None:
    """The verb index must not reorder rules: `final` means the same as a linear scan."""
    ruleset = _ruleset(_rule("any", verb=None, final=True), _rule("quiz"))
    assert [e.provenance.rule_id for e in evidence_for(_statement(), "p", ruleset)] == ["any"]


def test_candidates_are_indexed_by_verb_then_object_type() -> None:
    attempt = "http://adlnet.gov/expapi/activities/attempt"
    course = "https://w3id.org/xapi/cmi5/activitytype/course"
    ruleset = _ruleset(
        _rule("c", verb=COMPLETED),
        _rule("p", verb=[PASSED, COMPLETED]),
        _rule("any", verb=None),
        _rule("v", verb=VIEWED),
        _rule("c-attempt", verb=COMPLETED, match={"verb": COMPLETED, "object": {"type": attempt}}),
        _rule("any-course", verb=None, match={"object": {"type": [course, attempt]}}),
    )

    def ids(verb: str | None, object_type: str | None = None) -> list[str]:
        return [rule.id for rule in ruleset.candidates(verb, object_type)]

    assert ids(COMPLETED) == ["c", "p", "any"]
    assert ids(COMPLETED, attempt) == ["c", "p", "any", "c-attempt", "any-course"]
    assert ids(COMPLETED, course) == ["c", "p", "any", "any-course"]
    assert ids(COMPLETED, "https://unnamed/type") == ["c", "p", "any"]
    assert ids(VIEWED, attempt) == ["any", "v", "any-course"]
    assert ids("https://unknown/verb") == ["any"]
    assert ids("https://unknown/verb", course) == ["any", "any-course"]
    assert ids(None) == ["any"]


def test_indexed_candidates_agree_with_a_linear_scan() -> None:
    attempt = "http://adlnet.gov/expapi/activities/attempt"
    ruleset = _ruleset(
        _rule("typed", match={"verb": COMPLETED, "object": {"type": attempt}}, final=True),
        _rule("untyped"),
    )
    typed = _statement()
    untyped = _statement(object={"id": ATTEMPT})
    assert [e.provenance.rule_id for e in evidence_for(typed, "p", ruleset)] == ["typed"]
    assert [e.provenance.rule_id for e in evidence_for(untyped, "p", ruleset)] == ["untyped"]


def test_yields_expand_to_every_competency_in_order() -> None:
    rule = _rule(
        "r",
        yields=[
            {
                "competencies": ["tdl#2.1", "tdl#1.1"],
                "value": 1.0,
                "weight": 0.5,
                "kind": "participation",
            },
            {"competency": {"framework": "tdl", "code": "3.1"}, "value": "success", "kind": "test"},
        ],
    )
    evidence = evidence_for(_statement(), "p", _ruleset(rule))
    assert [(e.competency, e.value, e.weight, e.kind) for e in evidence] == [
        (B, 1.0, 0.5, EvidenceKind.PARTICIPATION),
        (A, 1.0, 0.5, EvidenceKind.PARTICIPATION),
        (C, 1.0, 1.0, EvidenceKind.TEST),
    ]


def test_module_binding_uses_the_most_specific_bound_activity() -> None:
    rule = _rule("r", yields=[{"competencies": "$module", "value": "score", "kind": "test"}])
    ruleset = _ruleset(rule)
    both = {MODULE: [A, B], COURSE: [C]}
    assert [
        e.competency for e in evidence_for(_statement(), "p", ruleset, module_competencies=both)
    ] == [A, B]
    course_only = {COURSE: [C]}
    assert [
        e.competency
        for e in evidence_for(_statement(), "p", ruleset, module_competencies=course_only)
    ] == [C]
    object_bound = {ATTEMPT: [B], MODULE: [A]}
    assert [
        e.competency
        for e in evidence_for(_statement(), "p", ruleset, module_competencies=object_bound)
    ] == [B]
    assert evidence_for(_statement(), "p", ruleset, module_competencies={MODULE: []}) == ()


@pytest.mark.parametrize(
    ("scope", "programme_id", "applies"),
    [
        ("global", None, True),
        ({"programme": "jiangsu-2026"}, "jiangsu-2026", True),
        ({"programme": "jiangsu-2026"}, "anhui-2026", False),
        ({"programme": "jiangsu-2026"}, None, False),
        ({"course": COURSE}, None, True),
        ({"course": "https://lms.example/course/view.php?id=99"}, None, False),
    ],
)
def test_scope_selects_rule_sets(scope: object, programme_id: str | None, applies: bool) -> None:
    ruleset = _ruleset(_rule("quiz"), scope=scope)
    evidence = evidence_for(_statement(), "p", ruleset, programme_id=programme_id)
    assert bool(evidence) is applies


def test_output_is_deterministic_across_calls() -> None:
    rulesets = [_ruleset(_rule("a"), _rule("b", verb=None))]
    first = evidence_for(_statement(), "p", rulesets, alignment={ATTEMPT: C})
    assert first == evidence_for(_statement(), "p", rulesets, alignment={ATTEMPT: C})
    assert [e.provenance.rule_id for e in first] == ["a", "b", None]


def test_statement_is_not_mutated() -> None:
    statement = _statement()
    snapshot = repr(statement)
    evidence_for(statement, "p", _ruleset(_rule("quiz")), alignment={ATTEMPT: C})
    assert repr(statement) == snapshot


def test_non_positive_alignment_weight_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="alignment_weight"):
        evidence_for(_statement(), "p", [], alignment={}, alignment_weight=0.0)


def test_rule_sets_are_hashable_even_with_structured_extension_values() -> None:
    rule = _rule(
        "r",
        match={
            "verb": COMPLETED,
            "context": {"extensions": {"https://example/ext": {"a": [1, 2]}}},
        },
    )
    ruleset = _ruleset(rule)
    assert hash(ruleset) == hash(_ruleset(rule))
    assert ruleset == _ruleset(rule)


def test_rule_named_in_provenance_can_be_looked_up_for_explanations() -> None:
    ruleset = _ruleset(_rule("quiz", description="第二单元测验"))
    (evidence,) = evidence_for(_statement(), "p", ruleset)
    rule = ruleset.rule(evidence.provenance.rule_id or "")
    assert rule is not None and rule.description == "第二单元测验"
    assert ruleset.rule("missing") is None


def test_voiding_statement_is_never_evidence() -> None:
    """xAPI 1.0.3 §2.3.2: voiding cancels another statement; even a catch-all rule ignores it."""
    voiding = _statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
    )
    catch_all = _rule(
        "any", verb=None, yields=[{"competency": "tdl#1", "value": 1.0, "kind": "test"}]
    )
    assert evidence_for(voiding, "p", _ruleset(catch_all), alignment=lambda uri: A) == ()


def test_a_statement_view_maps_like_its_statement_and_serves_several_programmes() -> None:
    programme_rules = parse_ruleset(
        {
            "id": "js",
            "version": 1,
            "scope": {"programme": "js2026"},
            "rules": [
                _rule(
                    "module",
                    yields=[{"competencies": "$module", "value": "score", "kind": "test"}],
                )
            ],
        }
    )
    binding = {MODULE: [B, C]}
    statement = _statement()
    view = StatementView(statement)

    for programme_id in ("js2026", "other", None):
        assert evidence_for(
            view,
            "person-9",
            [_ruleset(_rule("quiz")), programme_rules],
            programme_id=programme_id,
            module_competencies=binding,
            alignment={ATTEMPT: A},
        ) == evidence_for(
            statement,
            "person-9",
            [_ruleset(_rule("quiz")), programme_rules],
            programme_id=programme_id,
            module_competencies=binding,
            alignment={ATTEMPT: A},
        )
    assert (
        len(
            evidence_for(
                view, "p", programme_rules, programme_id="js2026", module_competencies=binding
            )
        )
        == 2
    )
