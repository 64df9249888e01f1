"""The built-in starter rule sets against hand-written Moodle-, cmi5- and offline-shaped statements.

The statements in data/statements/ were written for these tests (shapes follow logstore_xapi
5.0.1, cmi5 and Trellis's offline vocabulary in docs/rules.md), so the core's tests run without
../shared.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from competency_models.evidence import CompetencyRef, EvidenceKind
from competency_models.mapping import (
    CompetencyBinding,
    RuleSet,
    builtin_ruleset_names,
    evidence_for,
    load_builtin_ruleset,
)
from competency_models.mapping import vocabulary as vocab

STATEMENTS = Path(__file__).parent / "data" / "statements"

TDL = "cn-moe-jyt0646-2022-teacher-digital-literacy"
DIGCOMPEDU = "eu-jrc-digcompedu"
SITE = "https://peixun.example.edu.cn"
RUBRIC = "https://trellis.example.edu.cn/rubrics/digital-lesson-v1"

QUIZ_SKILL = CompetencyRef(TDL, "3.1.1")
DESIGN_SKILL = CompetencyRef(TDL, "3.1.2")
RESOURCE_SKILL = CompetencyRef(TDL, "3.2.1")
WORKSHOP_SKILL = CompetencyRef(TDL, "2.2.1")
READING_SKILL = CompetencyRef(TDL, "1.1.1")
COURSE_SKILL = CompetencyRef(TDL, "3")
AU_SKILL = CompetencyRef(DIGCOMPEDU, "2.1")
OBSERVED_SKILL = CompetencyRef(TDL, "3.2.2")
PLAN_SKILL = CompetencyRef(TDL, "3.1.3")
SESSION_SKILL = CompetencyRef(TDL, "5.1")

MODULE_COMPETENCIES = {
    f"{SITE}/mod/quiz/view.php?id=301": [QUIZ_SKILL],
    f"{SITE}/mod/assign/view.php?id=302": [DESIGN_SKILL, RESOURCE_SKILL],
    f"{SITE}/mod/facetoface/view.php?id=303": [WORKSHOP_SKILL],
    f"{SITE}/mod/page/view.php?id=304": [READING_SKILL],
    f"{SITE}/course/view.php?id=12": [COURSE_SKILL],
    "https://lms.example.edu.cn/cmi5/course/17/au/3": [AU_SKILL],
    f"{RUBRIC}/criteria/2": [OBSERVED_SKILL],
    "https://trellis.example.edu.cn/artefacts/lesson-plan-551/criteria/1": [PLAN_SKILL],
    "https://trellis.example.edu.cn/sessions/2026-04-20-workshop": [SESSION_SKILL],
}

TEST, ARTEFACT, PARTICIPATION = EvidenceKind.TEST, EvidenceKind.ARTEFACT, EvidenceKind.PARTICIPATION
OBSERVATION, SELF_REPORT = EvidenceKind.OBSERVATION, EvidenceKind.SELF_REPORT

# file → [(competency, value, kind, weight, rule set, rule)]
EXPECTED = {
    "moodle_quiz_attempt_submitted.json": [
        (QUIZ_SKILL, 72 / 80, TEST, 1.0, "moodle-logstore-xapi", "quiz-attempt-submitted")
    ],
    "moodle_quiz_question_answered.json": [],
    "moodle_quiz_question_manually_graded.json": [
        (QUIZ_SKILL, 0.75, TEST, 0.5, "moodle-logstore-xapi", "quiz-question-manually-graded")
    ],
    "moodle_assign_graded.json": [
        (DESIGN_SKILL, 0.85, ARTEFACT, 1.0, "moodle-logstore-xapi", "assignment-graded"),
        (RESOURCE_SKILL, 0.85, ARTEFACT, 1.0, "moodle-logstore-xapi", "assignment-graded"),
    ],
    "moodle_module_completed.json": [
        (READING_SKILL, 1.0, PARTICIPATION, 1.0, "moodle-logstore-xapi", "module-completed")
    ],
    "moodle_module_uncompleted.json": [],
    "moodle_course_completed.json": [
        (COURSE_SKILL, 1.0, PARTICIPATION, 1.0, "moodle-logstore-xapi", "course-completed")
    ],
    "moodle_facetoface_attended.json": [
        (WORKSHOP_SKILL, 1.0, PARTICIPATION, 1.0, "moodle-logstore-xapi", "face-to-face-attended")
    ],
    "moodle_module_viewed.json": [
        (QUIZ_SKILL, 1.0, PARTICIPATION, 0.25, "moodle-logstore-xapi", "module-viewed")
    ],
    "cmi5_launched.json": [],
    "cmi5_initialized.json": [(AU_SKILL, 1.0, PARTICIPATION, 0.25, "cmi5", "au-initialized")],
    "cmi5_passed_with_score.json": [(AU_SKILL, 0.85, TEST, 1.0, "cmi5", "au-passed")],
    "cmi5_failed_without_score.json": [(AU_SKILL, 0.0, TEST, 1.0, "cmi5", "au-failed")],
    "cmi5_completed.json": [(AU_SKILL, 1.0, PARTICIPATION, 1.0, "cmi5", "au-completed")],
    "cmi5_waived.json": [],
    "cmi5_terminated.json": [],
    "trellis_lesson_observation.json": [
        (OBSERVED_SKILL, 2 / 3, OBSERVATION, 1.0, "trellis-offline", "lesson-observation-scored")
    ],
    "trellis_lesson_observation_without_observer.json": [],
    "trellis_artefact_assessed.json": [
        (PLAN_SKILL, 0.8, ARTEFACT, 1.0, "trellis-offline", "artefact-assessed")
    ],
    "trellis_self_assessment.json": [
        (OBSERVED_SKILL, 1 / 3, SELF_REPORT, 1.0, "trellis-offline", "self-assessed")
    ],
    "trellis_attended.json": [
        (SESSION_SKILL, 1.0, PARTICIPATION, 1.0, "trellis-offline", "session-attended")
    ],
}


def _statement(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((STATEMENTS / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def starter_rulesets() -> tuple[RuleSet, ...]:
    return tuple(load_builtin_ruleset(name) for name in builtin_ruleset_names())


def test_every_statement_file_has_an_expectation() -> None:
    assert sorted(path.name for path in STATEMENTS.glob("*.json")) == sorted(EXPECTED)


def test_builtin_names_are_the_three_starter_sets() -> None:
    assert builtin_ruleset_names() == ("cmi5", "moodle-logstore-xapi", "trellis-offline")


def test_unknown_builtin_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        load_builtin_ruleset("blackboard")


def test_starter_rule_sets_are_templates_bound_per_programme(
    starter_rulesets: tuple[RuleSet, ...],
) -> None:
    """No starter rule names a competency: a programme binds its modules (docs/rules.md)."""
    for ruleset in starter_rulesets:
        for rule in ruleset.rules:
            assert all(spec.competencies is CompetencyBinding.MODULE for spec in rule.yields)


def test_moodle_rule_set_reads_scaled_as_minus_one_to_one(
    starter_rulesets: tuple[RuleSet, ...],
) -> None:
    moodle = next(ruleset for ruleset in starter_rulesets if ruleset.id == "moodle-logstore-xapi")
    assert {rule.scaled_range for rule in moodle.rules} == {(-1.0, 1.0)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_starter_rules_map_statement_to_expected_evidence(
    name: str, starter_rulesets: tuple[RuleSet, ...]
) -> None:
    statement = _statement(name)
    evidence = evidence_for(
        statement, "person-1024", starter_rulesets, module_competencies=MODULE_COMPETENCIES
    )
    got = [
        (
            item.competency,
            pytest.approx(item.value),
            item.kind,
            item.weight,
            item.provenance.ruleset_id,
            item.provenance.rule_id,
        )
        for item in evidence
    ]
    assert got == EXPECTED[name]
    for item in evidence:
        assert item.person_id == "person-1024"
        assert item.provenance.statement_id == statement["id"]
        assert item.provenance.ruleset_version == 1
        assert item.observed_at.tzinfo is UTC


def test_observed_at_is_the_statement_timestamp_in_utc(
    starter_rulesets: tuple[RuleSet, ...],
) -> None:
    (evidence,) = evidence_for(
        _statement("moodle_quiz_attempt_submitted.json"),
        "person-1024",
        starter_rulesets,
        module_competencies=MODULE_COMPETENCIES,
    )
    assert evidence.observed_at == datetime(2026, 3, 9, 2, 15, tzinfo=UTC)


def test_cmi5_publisher_id_in_grouping_can_be_bound_instead_of_the_au(
    starter_rulesets: tuple[RuleSet, ...],
) -> None:
    binding = {"https://content.example.com/ai-literacy/au-prompting": [AU_SKILL]}
    (evidence,) = evidence_for(
        _statement("cmi5_passed_with_score.json"),
        "person-1024",
        starter_rulesets,
        module_competencies=binding,
    )
    assert evidence.competency == AU_SKILL


def test_unbound_modules_yield_nothing(starter_rulesets: tuple[RuleSet, ...]) -> None:
    statement = _statement("moodle_assign_graded.json")
    assert evidence_for(statement, "person-1024", starter_rulesets) == ()
    assert evidence_for(statement, "person-1024", starter_rulesets, module_competencies={}) == ()


def test_trellis_offline_rules_name_the_vocabulary_constants(
    starter_rulesets: tuple[RuleSet, ...],
) -> None:
    """The YAML spells IRIs out; this keeps them in step with the constants in vocabulary.py."""
    offline = next(ruleset for ruleset in starter_rulesets if ruleset.id == "trellis-offline")
    named_types = {
        activity_type
        for rule in offline.rules
        if rule.match.object is not None
        for activity_type in rule.match.object.types
    }
    assert named_types == {
        vocab.TYPE_LESSON_OBSERVATION,
        vocab.TYPE_TEACHING_ARTEFACT,
        vocab.TYPE_SELF_ASSESSMENT,
    }
    for rule in offline.rules:
        assert rule.match.context is not None
        categories = dict(rule.match.context.activities)["category"]
        assert categories.ids == {vocab.CATEGORY_TRELLIS_OFFLINE}
