"""Administrators' commands for frameworks, rule sets and programmes; CASE and CSV round trips
of the built-in frameworks (issue 4, Frameworks and acceptance: CASE round trip)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from competency_models.builtin import load_builtin
from competency_models.framework_io import read_framework
from tests.lti_tool.competencies.conftest import TDL

CASE_PACKAGE = (
    Path(__file__).resolve().parents[2]
    / "competency_models"
    / "data"
    / "case"
    / "district-teaching-research.json"
)


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_frameworks_list_shows_one_version_a_line_id_first(runner: FlaskCliRunner) -> None:
    invoke(runner, "frameworks", "load-builtin")

    lines = invoke(runner, "frameworks", "list").splitlines()

    assert [line.split("\t")[0] for line in lines] == sorted(f.id for f in load_builtin())
    tdl = next(line.split("\t") for line in lines if line.startswith(TDL))
    assert tdl[1].startswith("教师数字素养")
    assert tdl[3] == "51"  # 5 + 13 + 33 items


def test_load_builtin_twice_stores_nothing_new(runner: FlaskCliRunner) -> None:
    invoke(runner, "frameworks", "load-builtin")

    again = invoke(runner, "frameworks", "load-builtin")

    assert again.count("already stored") == len(load_builtin())


@pytest.mark.parametrize("framework", load_builtin(), ids=lambda f: f.id)
def test_builtin_frameworks_round_trip_through_case_export_and_import(
    runner: FlaskCliRunner, tmp_path: Path, framework: object
) -> None:
    """Exported CASE, read back, is the same framework (same fingerprint): lossless."""
    invoke(runner, "frameworks", "load-builtin")
    framework_id = framework.id  # type: ignore[attr-defined]

    exported = runner.invoke(args=["frameworks", "export", framework_id, "--format", "case"])

    assert exported.exit_code == 0
    package = exported.stdout_bytes
    assert "CFDocument" in json.loads(package)
    assert read_framework(package).fingerprint == framework.fingerprint  # type: ignore[attr-defined]
    path = tmp_path / "package.json"
    path.write_bytes(package)
    assert "already stored" in invoke(runner, "frameworks", "import", str(path))


def test_csv_export_imports_as_a_framework_with_the_same_items(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    invoke(runner, "frameworks", "load-builtin")
    exported = runner.invoke(args=["frameworks", "export", TDL, "--format", "csv"])
    path = tmp_path / "school-digital-literacy.csv"
    path.write_bytes(exported.stdout_bytes)

    output = invoke(runner, "frameworks", "import", str(path))

    framework_id, _, items, state = output.strip().split("\t")
    assert (items, state) == ("51 items", "imported")
    assert framework_id in invoke(runner, "frameworks", "list")


def test_a_real_small_case_package_imports_with_its_provenance_visible(
    runner: FlaskCliRunner,
) -> None:
    output = invoke(runner, "frameworks", "import", str(CASE_PACKAGE))

    framework_id = output.split("\t")[0]
    assert output.strip().endswith("imported")
    shown = invoke(runner, "frameworks", "show", framework_id)
    assert "fingerprint: sha256:" in shown
    assert "source:" in shown


def test_invalid_case_package_lists_its_problems_and_imports_nothing(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    package = json.loads(CASE_PACKAGE.read_text(encoding="utf-8"))
    package["CFItems"][0]["identifier"] = "not-a-uuid"
    del package["CFItems"][1]["fullStatement"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(package), encoding="utf-8")

    result = runner.invoke(args=["frameworks", "import", str(path)])

    assert result.exit_code != 0
    assert "nothing imported" in result.output
    assert "CFItems[0]" in result.output
    assert invoke(runner, "frameworks", "list") == ""


def test_export_of_an_unknown_framework_is_a_clear_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["frameworks", "export", "nope"])

    assert result.exit_code != 0
    assert "no framework nope is stored" in result.output


def test_programmes_add_and_list(runner: FlaskCliRunner) -> None:
    invoke(
        runner,
        "programmes",
        "add",
        "gp2026",
        "--title",
        "国培计划2026",
        "--starts",
        "2026-03-01",
        "--ends",
        "2026-07-01",
        "--method",
        '{"method": "n_times_mastery", "n": 2, "threshold": 0.6}',
    )

    assert invoke(runner, "programmes", "list") == "gp2026\t国培计划2026\t2026-03-01\t2026-07-01\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad id!", "--title", "x"], "programme id"),
        (["p", "--title", "x", "--method", '{"method": "median"}'], "unknown estimation method"),
        (["p", "--title", "x", "--starts", "2026-05-01", "--ends", "2026-04-01"], "cannot end"),
        (["p", "--title", "x", "--rollup", '{"rule": "vote"}'], "unknown roll-up rule"),
        (["p", "--title", "x", "--method", '["mean"]'], "a method configuration is a mapping"),
        (["p", "--title", "x", "--rollup", "[3]"], "a roll-up rule is a mapping"),
        (["p", "--title", ""], "title has 1–500 characters"),
        (["p", "--title", "x", "--course", "course 12"], "course activity IRI"),
        (["p", "--title", "x", "--framework", "nope"], "no framework 'nope' is stored"),
        (["p", "--title", "x", "--ruleset", "nope"], "no rule set 'nope' is stored"),
    ],
)
def test_programmes_add_refuses_bad_input_with_a_message(
    runner: FlaskCliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["programmes", "add", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert invoke(runner, "programmes", "list") == ""


def test_binding_to_an_item_the_framework_lacks_is_refused(runner: FlaskCliRunner) -> None:
    invoke(runner, "programmes", "add", "p", "--title", "x")

    result = runner.invoke(args=["programmes", "bind", "p", "https://m/mod/quiz?id=1", TDL, "9.9"])

    assert result.exit_code != 0
    assert "has no item '9.9'" in result.output


def test_rulesets_load_builtin_and_list(runner: FlaskCliRunner) -> None:
    invoke(runner, "rulesets", "load-builtin")

    lines = invoke(runner, "rulesets", "list").splitlines()

    assert [line.split("\t")[:3] for line in lines] == [
        ["cmi5", "1", "active"],
        ["moodle-logstore-xapi", "1", "active"],
        ["trellis-offline", "1", "active"],
    ]


def test_invalid_rule_set_lists_every_problem_and_adds_nothing(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nversion: 0\nrules:\n  - id: r\n    match: {verb: nope}\n", "utf-8")

    result = runner.invoke(args=["rulesets", "add", str(path)])

    assert result.exit_code != 0
    assert "version: must be a positive integer" in result.output
    assert invoke(runner, "rulesets", "list") == ""
