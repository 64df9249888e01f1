"""The read models the LTI pages render, and the programme an LTI course launch creates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from competency_models.builtin import builtin_framework
from lti_tool.competencies.frameworks_store import FrameworkStoreError, save_framework
from lti_tool.competencies.programmes import ensure_programme_for_context
from lti_tool.competencies.queries import cohort_overview, teacher_overview
from tests.lti_tool.competencies.conftest import TDL
from tests.lti_tool.competencies.test_end_to_end import (
    PROGRAMME,
    cohort_statements,
    person_of,
    set_up_programme,
)
from tests.lti_tool.lrs.conftest import XapiClient

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_teacher_overview_lists_estimates_and_newest_evidence_first(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    set_up_programme(runner)
    moodle.post(cohort_statements()["1024"])
    process()
    grower = person_of(db_session, "1024")

    overview = teacher_overview(db_session, grower, programme_id=PROGRAMME, evidence_limit=2)

    assert overview.display_name == "教师1024"
    [estimate] = overview.estimates
    assert (estimate.framework_id, estimate.code, estimate.level_rank) == (TDL, "3.1.1", 4)
    assert (estimate.level_code, estimate.level_label_zh) == ("4", "引领")
    assert estimate.title_zh and estimate.framework_title_zh.startswith("教师数字素养")
    assert estimate.updated_at == datetime(2026, 6, 10, 2, tzinfo=UTC)
    assert [row.statement_id[-1] for row in overview.recent_evidence] == ["3", "2"]
    assert overview.recent_evidence[0].kind == "observation"
    assert overview.recent_evidence[0].activity_name == "数字资源的选择与使用"


def test_teacher_overview_of_someone_without_evidence_is_empty(db_session: Session) -> None:
    overview = teacher_overview(db_session, "nobody")

    assert (overview.estimates, overview.recent_evidence, overview.display_name) == ((), (), None)


def test_cohort_overview_counts_statements_and_evidence_per_teacher(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    set_up_programme(runner)
    for statements in cohort_statements().values():
        moodle.post(statements)
    process()
    grower, attender = person_of(db_session, "1024"), person_of(db_session, "2048")

    rows = cohort_overview(db_session, [grower, attender, "absent"], programme_id=PROGRAMME)

    assert rows[attender].statement_count == 2
    assert rows[attender].evidence_count == 2
    assert rows[attender].last_activity_at == datetime(2026, 4, 3, 6, tzinfo=UTC)
    assert rows[grower].evidence_count == 3
    assert rows[grower].statement_count == 4  # Trellis's level statements are not activity
    assert (rows["absent"].statement_count, rows["absent"].last_activity_at) == (0, None)


def test_first_trainer_launch_from_a_course_creates_its_programme_once(
    db_session: Session,
) -> None:
    first = ensure_programme_for_context(
        db_session, issuer="https://moodle.example/", context_id="42", title="数学2班", now=NOW
    )
    again = ensure_programme_for_context(
        db_session, issuer="https://moodle.example", context_id="42", title="renamed", now=NOW
    )
    other = ensure_programme_for_context(
        db_session, issuer="https://moodle.example", context_id="43", title="语文", now=NOW
    )
    db_session.commit()

    assert first.id == again.id != other.id
    assert (first.title, first.id.startswith("lti-")) == ("数学2班", True)


def test_a_changed_framework_under_an_existing_version_is_refused(db_session: Session) -> None:
    framework = builtin_framework(TDL)
    save_framework(db_session, framework, now=NOW)
    changed = replace(framework, title_en=framework.title_en + " (edited)")

    with pytest.raises(FrameworkStoreError, match="new version") as raised:
        save_framework(db_session, changed, now=NOW)

    assert raised.value.status == 409
    newer, created = save_framework(db_session, replace(changed, version="2"), now=NOW)
    assert created and newer.framework.version == "2"
