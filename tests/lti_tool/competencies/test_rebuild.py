"""Replay: a rebuild recomputes the projections from the statements, byte for byte the same,
and a dry run of a new rule-set version reports whose levels would change (issue 4, Replay)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.competencies import rebuild as rebuild_module
from lti_tool.models.competencies import EvidenceRecord
from tests.lti_tool.competencies.conftest import TDL
from tests.lti_tool.competencies.test_end_to_end import (
    cohort_statements,
    person_of,
    set_up_programme,
)
from tests.lti_tool.lrs.conftest import XapiClient

QUIZ_RULES = """
id: js-quiz
version: {version}
title: 江苏 测验
rules:
  - id: quiz
    match:
      verb: http://adlnet.gov/expapi/verbs/completed
      object: {{type: http://adlnet.gov/expapi/activities/attempt}}
    yields:
      - {{competency: "{tdl}#3.1.2", value: {value}, kind: test}}
"""


def dump(runner: FlaskCliRunner) -> bytes:
    result = runner.invoke(args=["competencies", "dump"])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def post_cohort(runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int]) -> None:
    set_up_programme(runner)
    for statements in cohort_statements().values():
        assert moodle.post(statements).status_code == 200
    process()


def test_rebuild_twice_gives_byte_identical_projections_equal_to_incremental_processing(
    runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int]
) -> None:
    post_cohort(runner, moodle, process)
    incremental = dump(runner)

    first = runner.invoke(args=["competencies", "rebuild"])
    assert first.exit_code == 0, first.output
    rebuilt = dump(runner)
    assert runner.invoke(args=["competencies", "rebuild"]).exit_code == 0
    rebuilt_again = dump(runner)

    assert incremental.count(b'"table": "evidence"') == 5
    assert rebuilt == rebuilt_again
    assert rebuilt == incremental
    assert "rebuilt: 2 teachers," in first.output
    assert "5 evidence, 2 estimates" in first.output


def test_rebuild_of_one_programme_leaves_other_scopes_alone(
    runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int]
) -> None:
    post_cohort(runner, moodle, process)
    before = dump(runner)

    result = runner.invoke(args=["competencies", "rebuild", "--programme", "js2026"])

    assert result.exit_code == 0, result.output
    assert dump(runner) == before
    missing = runner.invoke(args=["competencies", "rebuild", "--programme", "nope"])
    assert missing.exit_code != 0
    assert "no programme 'nope'" in missing.output


def test_dry_run_diff_lists_level_changes_of_an_inactive_version_and_writes_nothing(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    tmp_path: Path,
    db_session: Session,
) -> None:
    version_1 = tmp_path / "v1.yaml"
    version_1.write_text(QUIZ_RULES.format(version=1, tdl=TDL, value="score"), encoding="utf-8")
    version_2 = tmp_path / "v2.yaml"
    version_2.write_text(QUIZ_RULES.format(version=2, tdl=TDL, value="success"), encoding="utf-8")
    assert runner.invoke(args=["rulesets", "add", str(version_1)]).exit_code == 0
    post_cohort(runner, moodle, process)
    added = runner.invoke(args=["rulesets", "add", str(version_2)])
    assert added.exit_code == 0, added.output
    assert "added" in added.output and "active" not in added.output
    before = dump(runner)

    result = runner.invoke(
        args=[
            "competencies",
            "rebuild",
            "--dry-run",
            "--diff",
            "--ruleset",
            "js-quiz",
            "--ruleset-version",
            "2",
        ]
    )

    assert result.exit_code == 0, result.output
    grower = person_of(db_session, "1024")
    # 40/80 = 0.5 (level 2) under v1; the attempt's success (1.0, level 4) under v2.
    assert "1 teachers' levels would change" in result.output
    assert f"{grower}\tjs2026\t{TDL}#3.1.2\t2 -> 4" in result.output
    assert dump(runner) == before

    assert runner.invoke(args=["rulesets", "activate", "js-quiz", "2"]).exit_code == 0
    assert runner.invoke(args=["competencies", "rebuild"]).exit_code == 0
    versions = db_session.scalars(
        select(func.max(EvidenceRecord.ruleset_version)).where(
            EvidenceRecord.ruleset_id == "js-quiz"
        )
    ).one()
    assert versions == 2


def test_dry_run_needs_the_rule_set_named_when_the_version_is_ambiguous(
    runner: FlaskCliRunner,
) -> None:
    assert runner.invoke(args=["rulesets", "load-builtin"]).exit_code == 0

    result = runner.invoke(args=["competencies", "rebuild", "--dry-run", "--ruleset-version", "1"])

    assert result.exit_code != 0
    assert "name the rule set with --ruleset" in result.output


def test_rebuild_in_worker_processes_writes_the_same_rows(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    post_cohort(runner, moodle, process)
    before = dump(runner)
    monkeypatch.setattr(rebuild_module, "PEOPLE_PER_BATCH", 1)  # one batch per teacher

    result = runner.invoke(args=["competencies", "rebuild", "--workers", "2"])

    assert result.exit_code == 0, result.output
    assert dump(runner) == before


def test_rebuild_restores_the_callers_gc_thresholds(
    runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int]
) -> None:
    post_cohort(runner, moodle, process)
    before = gc.get_threshold()

    assert runner.invoke(args=["competencies", "rebuild", "--workers", "1"]).exit_code == 0

    assert gc.get_threshold() == before


def test_rebuild_restores_the_sqlite_page_cache_of_its_connection(
    runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int], db_session: Session
) -> None:
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("an SQLite pragma")
    post_cohort(runner, moodle, process)
    connection = db_session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()

    report = rebuild_module.rebuild(db_session)

    assert report.evidence == 5
    assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
