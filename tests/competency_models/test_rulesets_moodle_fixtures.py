"""Every statement logstore_xapi 5.0.1 expects to send, through the starter rule sets.

The fixtures are the plugin's own expected statements (../shared/logstore_xapi_fixtures), each
deep-merged with tests/common/statement.json as the plugin's test harness does. The tests skip
when ../shared is absent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind
from competency_models.mapping import (
    RuleSet,
    builtin_ruleset_names,
    evidence_for,
    load_builtin_ruleset,
)
from tests.moodle_fixtures import fixture_cases, fixtures_present

pytestmark = pytest.mark.skipif(
    not fixtures_present(), reason="../shared/logstore_xapi_fixtures is not available"
)

SITE = "http://www.example.org"
QUIZ = CompetencyRef("tdl", "quiz")
ASSIGN = CompetencyRef("tdl", "assign")
FACE_TO_FACE = CompetencyRef("tdl", "face-to-face")
BOOK = CompetencyRef("tdl", "book")
COURSE = CompetencyRef("tdl", "course")

MODULE_COMPETENCIES = {
    f"{SITE}/mod/quiz/view.php?id=1": [QUIZ],
    f"{SITE}/mod/assign/view.php?id=1": [ASSIGN],
    f"{SITE}/mod/facetoface/view.php?id=1": [FACE_TO_FACE],
    f"{SITE}/mod/book/view.php?id=1": [BOOK],
    f"{SITE}/course/view.php?id=2": [COURSE],
}


def _fixture_statements() -> Iterator[tuple[str, int, dict[str, object]]]:
    for case in fixture_cases():
        for index, statement in enumerate(case.statements):
            yield case.name, index, statement


@pytest.fixture(scope="module")
def evidence_by_case() -> dict[str, list[Evidence]]:
    rulesets: tuple[RuleSet, ...] = tuple(
        load_builtin_ruleset(name) for name in builtin_ruleset_names()
    )
    by_case: dict[str, list[Evidence]] = {}
    for case, index, statement in _fixture_statements():
        # Moodle leaves statement ids to the LRS; the pipeline passes the stored id.
        evidence = evidence_for(
            statement,
            "teacher-1",
            rulesets,
            module_competencies=MODULE_COMPETENCIES,
            statement_id=f"{case}#{index}",
        )
        by_case.setdefault(case, []).extend(evidence)
    return by_case


def _summary(
    evidence: list[Evidence],
) -> list[tuple[CompetencyRef, float, EvidenceKind, float, str]]:
    return [
        (item.competency, item.value, item.kind, item.weight, item.provenance.rule_id or "")
        for item in evidence
    ]


def test_all_190_fixture_statements_are_read(evidence_by_case: dict[str, list[Evidence]]) -> None:
    assert sum(1 for _ in _fixture_statements()) == 190
    assert len(evidence_by_case) == 171


def test_quiz_attempt_submitted_counts_the_attempt_once_from_raw_score(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    """Moodle sends scaled 0.0 for raw 50/100 (−1..1); the evidence must say 0.5.

    The per-question "answered" statements sent with the attempt add nothing.
    """
    cases = [case for case in evidence_by_case if case.startswith("mod_quiz/attempt_submitted/")]
    assert len(cases) == 15
    for case in cases:
        assert _summary(evidence_by_case[case]) == [
            (QUIZ, 0.5, EvidenceKind.TEST, 1.0, "quiz-attempt-submitted")
        ], case


def test_quiz_question_manually_graded_is_half_weight_test_evidence(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    assert _summary(evidence_by_case["mod_quiz/question_manually_graded"]) == [
        (QUIZ, 0.5, EvidenceKind.TEST, 0.5, "quiz-question-manually-graded")
    ]


@pytest.mark.parametrize(
    "case",
    [
        "mod_assign/assignment_graded/existing_assignment_graded_comment",
        "mod_assign/assignment_graded/existing_assignment_graded_nocomment",
    ],
)
def test_assignment_graded_is_artefact_evidence_for_the_assignment_module(
    case: str, evidence_by_case: dict[str, list[Evidence]]
) -> None:
    assert _summary(evidence_by_case[case]) == [
        (ASSIGN, 0.5, EvidenceKind.ARTEFACT, 1.0, "assignment-graded")
    ]


def test_course_completed_is_participation_for_the_course(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    assert _summary(evidence_by_case["core/course_completed/completing_existing_course"]) == [
        (COURSE, 1.0, EvidenceKind.PARTICIPATION, 1.0, "course-completed")
    ]


def test_module_completion_counts_and_uncompletion_does_not(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    completing = "core/course_module_completion_update/completing_existing_module"
    uncompleting = "core/course_module_completion_update/uncompleting_existing_module"
    assert _summary(evidence_by_case[completing]) == [
        (BOOK, 1.0, EvidenceKind.PARTICIPATION, 1.0, "module-completed")
    ]
    assert evidence_by_case[uncompleting] == []


def test_face_to_face_attendance_is_participation(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    case = "mod_facetoface/take_attendance/existing_attendance_taken"
    assert _summary(evidence_by_case[case]) == [
        (FACE_TO_FACE, 1.0, EvidenceKind.PARTICIPATION, 1.0, "face-to-face-attended")
    ]


def test_signing_up_or_cancelling_a_session_is_no_evidence(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    assert evidence_by_case["mod_facetoface/signup_success/existing_signup_success"] == []
    assert evidence_by_case["mod_facetoface/cancel_booking/existing_booking_cancelled"] == []


def test_administrative_events_are_no_evidence(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    administrative = [
        case
        for case in evidence_by_case
        if any(word in case for word in ("created", "deleted", "updated", "imported", "logged"))
        and "completion" not in case
    ]
    assert administrative
    for case in administrative:
        assert evidence_by_case[case] == [], case


def test_only_participation_comes_from_views(evidence_by_case: dict[str, list[Evidence]]) -> None:
    for case, evidence in evidence_by_case.items():
        for item in evidence:
            if item.provenance.rule_id == "module-viewed":
                assert (item.kind, item.value, item.weight) == (
                    EvidenceKind.PARTICIPATION,
                    1.0,
                    0.25,
                ), case


def test_every_value_is_in_unit_interval_and_time_is_utc(
    evidence_by_case: dict[str, list[Evidence]],
) -> None:
    for evidence in evidence_by_case.values():
        for item in evidence:
            assert 0.0 <= item.value <= 1.0
            assert item.observed_at.utcoffset() is not None
            assert item.observed_at.isoformat() == "2015-06-10T14:31:41+00:00"


def test_without_a_stored_id_moodle_statements_yield_nothing() -> None:
    """logstore_xapi sends no statement id; evidence without provenance is refused."""
    rulesets = [load_builtin_ruleset("moodle-logstore-xapi")]
    for _case, _index, statement in _fixture_statements():
        assert "id" not in statement
        assert evidence_for(statement, "t", rulesets, module_competencies=MODULE_COMPETENCIES) == ()
