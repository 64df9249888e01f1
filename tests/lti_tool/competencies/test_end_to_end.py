"""End to end: a synthetic cohort's Moodle and offline statements posted to /xapi become levels,
trajectory points and explanations (issue 4, acceptance: the end-to-end test)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models.competencies import EstimateRecord
from lti_tool.models.identity import PersonIdentifier
from lti_tool.models.lrs import Statement
from tests.lti_tool.competencies.conftest import (
    ASSIGNMENT,
    COURSE,
    CRITERION,
    FACE_TO_FACE,
    MOODLE,
    QUIZ,
    TDL,
    producer_statement,
)
from tests.lti_tool.lrs.conftest import XapiClient
from xapi.trellis_vocabulary import VERB_REACHED_LEVEL

PROGRAMME = "js2026"


def set_up_programme(runner: FlaskCliRunner, *, method: str | None = '{"method": "mean"}') -> None:
    """Starter rule sets, a programme with one course, its phases, and three bindings.

    ``method``: the programme's estimation method (JSON), or None for a programme without one.
    """
    for args in (
        ["rulesets", "load-builtin"],
        [
            "programmes",
            "add",
            PROGRAMME,
            "--title",
            "江苏省2026年数字素养提升",
            "--starts",
            "2026-03-01T00:00:00+00:00",
            "--ends",
            "2026-06-01T00:00:00+00:00",
            *(["--method", method] if method is not None else []),
            "--course",
            COURSE,
        ],
        ["programmes", "bind", PROGRAMME, QUIZ, TDL, "3.1.1"],
        ["programmes", "bind", PROGRAMME, ASSIGNMENT, TDL, "3.1.1"],
        ["programmes", "bind", PROGRAMME, FACE_TO_FACE, TDL, "3.1.1"],
        ["programmes", "bind", PROGRAMME, CRITERION, TDL, "3.1.1"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def cohort_statements() -> dict[str, list[dict[str, object]]]:
    """Teacher 1024 grows through a quiz, an assignment and an observed lesson; teacher 2048
    only attends; statement ids are fixed so the explanation can be checked."""
    return {
        "1024": [
            producer_statement(
                "moodle_quiz_attempt_submitted",
                user="1024",
                timestamp="2026-02-20T02:00:00Z",
                score=(40, 0, 80),
                statement_id="00000000-0000-4000-8000-000000000001",
            ),
            producer_statement(
                "moodle_assign_graded",
                user="1024",
                timestamp="2026-04-10T02:00:00Z",
                score=(17, 0, 20),
                statement_id="00000000-0000-4000-8000-000000000002",
            ),
            producer_statement(
                "trellis_lesson_observation",
                user="1024",
                timestamp="2026-06-10T02:00:00Z",
                score=(4, 1, 4),
                statement_id="00000000-0000-4000-8000-000000000003",
            ),
            # Not evidence: quiz views are participation for the quiz module, but a question
            # "answered" statement matches no rule.
            producer_statement(
                "moodle_quiz_question_answered",
                user="1024",
                timestamp="2026-02-20T01:59:00Z",
                statement_id="00000000-0000-4000-8000-000000000004",
            ),
        ],
        "2048": [
            producer_statement(
                "moodle_facetoface_attended", user="2048", timestamp=f"2026-04-0{day}T06:00:00Z"
            )
            for day in (2, 3)
        ],
    }


def person_of(session: Session, user: str) -> str:
    person_id = session.scalar(
        select(PersonIdentifier.person_id).where(PersonIdentifier.key == f"account:{MOODLE}|{user}")
    )
    assert person_id is not None
    return person_id


def test_cohort_statements_posted_to_xapi_give_levels_trajectories_and_explanations(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    admin_api: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    set_up_programme(runner)
    for statements in cohort_statements().values():
        response = moodle.post(statements)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert process() >= 2

    grower, attender = person_of(db_session, "1024"), person_of(db_session, "2048")
    estimates = {
        (row.person_id, row.code): row
        for row in db_session.scalars(
            select(EstimateRecord).where(EstimateRecord.scope == PROGRAMME)
        )
    }
    assert set(estimates) == {(grower, "3.1.1"), (attender, "3.1.1")}
    # mean of 0.5 (test, w 0.8), 0.85 (artefact, w 0.9), 1.0 (observation, w 1.0)
    grown = estimates[(grower, "3.1.1")]
    assert grown.value == pytest.approx((0.8 * 0.5 + 0.9 * 0.85 + 1.0) / 2.7)
    assert (grown.level_rank, grown.evidence_count) == (4, 3)
    assert grown.interval_low < grown.value < grown.interval_high
    # Attendance alone never passes the second step.
    attended = estimates[(attender, "3.1.1")]
    assert (attended.level_rank, attended.evidence_count) == (2, 2)

    headers = admin_api.headers()
    base = f"/api/teachers/{grower}"
    trajectory = admin_api.client.get(
        f"{base}/trajectories/{TDL}/3.1.1?programme={PROGRAMME}", headers=headers
    ).get_json()
    assert [point["level_rank"] for point in trajectory["points"]] == [2, 3, 4]
    assert [point["value"] for point in trajectory["points"]] == pytest.approx(
        [0.5, 1.165 / 1.7, 2.165 / 2.7]
    )
    for phase, expected in (("pre", 1), ("during", 1), ("post", 1)):
        cut = admin_api.client.get(
            f"{base}/trajectories/{TDL}/3.1.1?programme={PROGRAMME}&phase={phase}",
            headers=headers,
        ).get_json()
        assert len(cut["points"]) == expected, phase

    explanation = admin_api.client.get(
        f"{base}/explanations/{TDL}/3.1.1?programme={PROGRAMME}", headers=headers
    ).get_json()
    assert [item["statement_id"] for item in explanation["items"]] == [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
    ]
    assert [item["rule_id"] for item in explanation["items"]] == [
        "quiz-attempt-submitted",
        "assignment-graded",
        "lesson-observation-scored",
    ]
    assert [item["share"] for item in explanation["items"]] == pytest.approx(
        [0.8 / 2.7, 0.9 / 2.7, 1.0 / 2.7]
    )
    assert sum(item["contribution"] for item in explanation["items"]) == pytest.approx(
        explanation["value"]
    )

    matrix = admin_api.client.get(f"/api/programmes/{PROGRAMME}/matrix", headers=headers).get_json()
    levels = {
        row["person_id"]: row["cells"][f"{TDL}#3.1.1"]["level_rank"] for row in matrix["rows"]
    }
    assert levels == {grower: 4, attender: 2}


def test_levels_reached_are_stored_once_as_trellis_statements_and_never_mapped(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    set_up_programme(runner)
    moodle.post(cohort_statements()["1024"])
    process()
    process()  # the level statements' own outbox entries: read, ignored

    level_statements = list(
        db_session.scalars(select(Statement).where(Statement.verb_id == VERB_REACHED_LEVEL))
    )
    assert len(level_statements) == 3  # levels 2, 3 and 4 of item 3.1.1
    grower = person_of(db_session, "1024")
    assert {statement.person_id for statement in level_statements} == {grower}

    result = runner.invoke(args=["competencies", "rebuild"])
    assert result.exit_code == 0, result.output
    replayed = db_session.scalars(
        select(Statement.id).where(Statement.verb_id == VERB_REACHED_LEVEL)
    ).all()
    assert sorted(replayed) == sorted(statement.id for statement in level_statements)
