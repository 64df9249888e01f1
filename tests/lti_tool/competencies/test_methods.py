"""The estimation method per framework or programme (issue 4, Inference): the programme's own
method if it sets one, else the framework's, else the built-in default; set from the CLI,
used by incremental processing and rebuilds alike, and previewed with a dry run."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.competencies import programmes
from lti_tool.competencies import rebuild as rebuild_module
from lti_tool.competencies.frameworks_store import (
    FrameworkStoreError,
    framework_method_config,
    set_framework_method,
)
from lti_tool.competencies.mapping_setup import GLOBAL_SCOPE, load_setup, stream_method
from lti_tool.models.competencies import EstimateRecord
from tests.lti_tool.competencies.conftest import TDL
from tests.lti_tool.competencies.test_end_to_end import (
    PROGRAMME,
    cohort_statements,
    person_of,
    set_up_programme,
)
from tests.lti_tool.competencies.test_rebuild import dump
from tests.lti_tool.lrs.conftest import XapiClient

NOW = datetime(2026, 11, 22, tzinfo=UTC)
DEFAULT = "exponential_decay(rate=0.5)"
MEAN = {"method": "mean"}
LATEST = {"method": "latest"}
# Teacher 1024's 3.1.1 evidence is 0.5, 0.85 and 1.0: level 4 by the default decay (0.83) and
# by the mean (0.80); mastery (≥ 0.6) is shown twice, not three times, so this method keeps the
# estimate below 0.6: level 2.
STRICT = {"method": "n_times_mastery", "n": 3, "threshold": 0.6}
STRICT_NAME = "n_times_mastery(n=3, threshold=0.6)"


@pytest.mark.parametrize(
    ("programme_method", "framework_method", "in_programme", "outside"),
    [
        (MEAN, LATEST, "mean", "latest"),
        (None, LATEST, "latest", "latest"),
        (MEAN, None, "mean", DEFAULT),
        (None, None, DEFAULT, DEFAULT),
    ],
    ids=["programme-wins", "framework-next", "programme-only", "default-last"],
)
def test_the_programme_method_wins_then_the_framework_method_then_the_default(
    db_session: Session,
    programme_method: dict[str, object] | None,
    framework_method: dict[str, object] | None,
    in_programme: str,
    outside: str,
) -> None:
    programmes.add_programme(db_session, "p", "国培", now=NOW, method_config=programme_method)
    set_framework_method(db_session, TDL, framework_method, now=NOW)
    db_session.commit()

    setup = load_setup(db_session)

    assert setup.method_for("p", TDL).describe() == in_programme
    assert setup.method_for(GLOBAL_SCOPE, TDL).describe() == outside
    other = "eu-jrc-digcompedu-2017"
    assert setup.method_for(GLOBAL_SCOPE, other).describe() == DEFAULT
    # Explanations resolve the method without the whole setup, the same way.
    assert stream_method(db_session, "p", TDL).describe() == in_programme
    assert stream_method(db_session, GLOBAL_SCOPE, TDL).describe() == outside


@pytest.mark.parametrize(
    ("framework_id", "config", "status", "field"),
    [
        ("nope", MEAN, 404, None),
        (TDL, {"method": "decaying_average"}, 400, "method"),
        (TDL, {"method": "exponential_decay", "rate": 2}, 400, "method"),
        (TDL, ["mean"], 400, "method"),
    ],
)
def test_setting_an_unusable_framework_method_is_refused_and_stores_nothing(
    db_session: Session, framework_id: str, config: object, status: int, field: str | None
) -> None:
    with pytest.raises(FrameworkStoreError) as raised:
        set_framework_method(db_session, framework_id, config, now=NOW)  # type: ignore[arg-type]

    assert (raised.value.status, raised.value.field) == (status, field)
    assert framework_method_config(db_session, TDL) is None


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_frameworks_method_shows_sets_and_clears_a_framework_method(
    runner: FlaskCliRunner,
) -> None:
    unset = invoke(runner, "frameworks", "method", TDL)
    assert unset.startswith(f"method: - (the default applies: {DEFAULT}")

    shown = invoke(runner, "frameworks", "method", TDL, "--set", json.dumps(STRICT))

    assert shown == f"method: {json.dumps(STRICT, sort_keys=True)} ({STRICT_NAME})\n"
    assert invoke(runner, "frameworks", "method", TDL) == shown
    assert shown in invoke(runner, "frameworks", "show", TDL)
    assert "default" in invoke(runner, "frameworks", "method", TDL, "--clear")
    assert invoke(runner, "frameworks", "method", TDL).startswith("method: -")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no framework nope is stored"),
        (["nope", "--set", '{"method": "mean"}'], "no framework nope is stored"),
        ([TDL, "--set", '{"method": "median"}'], "unknown estimation method 'median'"),
        ([TDL, "--set", "{not json"], "--set: not JSON"),
        ([TDL, "--set", '{"method": "mean"}', "--clear"], "exclude each other"),
    ],
)
def test_frameworks_method_refuses_bad_input_with_a_message(
    runner: FlaskCliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["frameworks", "method", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert invoke(runner, "frameworks", "method", TDL).startswith("method: -")


def grower_estimate(session: Session) -> EstimateRecord:
    session.expire_all()
    record = session.scalar(
        select(EstimateRecord).where(
            EstimateRecord.scope == PROGRAMME,
            EstimateRecord.person_id == person_of(session, "1024"),
            EstimateRecord.code == "3.1.1",
        )
    )
    assert record is not None
    return record


def test_incremental_processing_estimates_with_the_framework_method(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    set_up_programme(runner, method=None)
    invoke(runner, "frameworks", "method", TDL, "--set", json.dumps(STRICT))

    moodle.post(cohort_statements()["1024"])
    process()

    estimate = grower_estimate(db_session)
    assert (estimate.method, estimate.level_rank) == (STRICT_NAME, 2)


def test_a_dry_run_shows_the_level_changes_of_a_framework_method_before_and_after_it_is_set(
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_up_programme(runner, method=None)
    for statements in cohort_statements().values():
        assert moodle.post(statements).status_code == 200
    process()
    assert (grower_estimate(db_session).method, grower_estimate(db_session).level_rank) == (
        DEFAULT,
        4,
    )
    before = dump(runner)
    change = f"{person_of(db_session, '1024')}\t{PROGRAMME}\t{TDL}#3.1.1\t4 -> 2"
    monkeypatch.setattr(rebuild_module, "PEOPLE_PER_BATCH", 1)  # worker processes load it too

    preview = invoke(
        runner,
        *("competencies", "rebuild", "--dry-run", "--diff", "--workers", "2"),
        *("--framework", TDL, "--method", json.dumps(STRICT)),
    )

    assert "1 teachers' levels would change" in preview
    assert change in preview
    assert dump(runner) == before
    assert invoke(runner, "frameworks", "method", TDL).startswith("method: -")

    invoke(runner, "frameworks", "method", TDL, "--set", json.dumps(STRICT))
    after_setting = invoke(runner, "competencies", "rebuild", "--dry-run", "--diff")
    assert change in after_setting
    assert dump(runner) == before

    invoke(runner, "competencies", "rebuild")
    assert (grower_estimate(db_session).method, grower_estimate(db_session).level_rank) == (
        STRICT_NAME,
        2,
    )
    settled = invoke(runner, "competencies", "rebuild", "--dry-run", "--diff")
    assert "0 teachers' levels would change" in settled


def test_a_dry_run_previews_a_programme_method_too(
    runner: FlaskCliRunner, moodle: XapiClient, process: Callable[[], int], db_session: Session
) -> None:
    set_up_programme(runner)  # the programme estimates with the mean
    moodle.post(cohort_statements()["1024"])
    process()

    preview = invoke(
        runner,
        *("competencies", "rebuild", "--dry-run", "--diff"),
        *("--programme", PROGRAMME, "--method", json.dumps(STRICT)),
    )

    assert f"{person_of(db_session, '1024')}\t{PROGRAMME}\t{TDL}#3.1.1\t4 -> 2" in preview
    unset = invoke(
        runner,
        *("competencies", "rebuild", "--dry-run", "--diff"),
        *("--programme", PROGRAMME, "--method", "null"),
    )
    assert "0 teachers' levels would change" in unset  # the default decay gives 4 as well


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", '{"method": "mean"}', "--framework", TDL], "goes with --dry-run"),
        (["--dry-run", "--framework", TDL], "--framework goes with --method"),
        (["--dry-run", "--method", '{"method": "mean"}'], "needs --framework ID or --programme"),
        (["--dry-run", "--framework", TDL, "--method", '{"method": "x"}'], "unknown estimation"),
        (["--dry-run", "--framework", "nope", "--method", "null"], "no framework nope"),
    ],
)
def test_rebuild_refuses_a_method_preview_it_cannot_run(
    runner: FlaskCliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["competencies", "rebuild", *args])

    assert result.exit_code != 0
    assert message in result.output


# --- the JSON API ----------------------------------------------------------------------------


def patch(api: XapiClient, path: str, body: object) -> tuple[int, dict[str, Any]]:
    response = api.client.patch(
        path,
        data=body if isinstance(body, bytes) else json.dumps(body),
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    return response.status_code, response.get_json()


def test_an_administrator_sets_and_clears_a_framework_method_through_the_api(
    admin_api: XapiClient, moodle: XapiClient
) -> None:
    path = f"/api/frameworks/{TDL}"

    status, changed = patch(admin_api, path, {"method": STRICT})

    assert (status, changed["id"], changed["method"]) == (200, TDL, STRICT)
    shown = admin_api.client.get(path, headers=admin_api.headers()).get_json()
    assert shown["method"] == STRICT
    assert patch(moodle, path, {"method": MEAN})[0] == 401
    status, cleared = patch(admin_api, path, {"method": None})
    assert (status, cleared["method"]) == (200, None)


@pytest.mark.parametrize(
    ("body", "field", "why"),
    [
        (b"{not json", "body", "not a JSON object"),
        ([MEAN], "body", "not a JSON object"),
        ({}, "method", "Missing data"),
        ({"method": "mean"}, "method", "Not a valid mapping"),
        ({"method": {"method": "median"}}, "method", "unknown estimation method 'median'"),
        ({"method": {"method": "exponential_decay", "rate": 2}}, "method", "must be in (0, 1]"),
        (b'{"method": {"method": "exponential_decay", "rate": NaN}}', "method", "must be finite"),
        (
            b'{"method": {"method": "weighted_recent_average", "half_life_days": 1e400}}',
            "method",
            "must be finite",
        ),
        ({"method": MEAN, "colour": "red"}, "colour", "Unknown field"),
    ],
    ids=[
        "broken-json",
        "array",
        "empty",
        "method-a-string",
        "unknown-method",
        "rate-out-of-range",
        "nan",
        "infinite-half-life",
        "unknown-field",
    ],
)
def test_an_unusable_framework_method_is_a_400_naming_the_field_and_why(
    admin_api: XapiClient, runner: FlaskCliRunner, body: object, field: str, why: str
) -> None:
    invoke(runner, "frameworks", "load-builtin")

    status, answer = patch(admin_api, f"/api/frameworks/{TDL}", body)

    assert status == 400, answer
    assert why in " ".join(answer["error"]["fields"][field])
    shown = admin_api.client.get(f"/api/frameworks/{TDL}", headers=admin_api.headers())
    assert shown.get_json()["method"] is None


def test_setting_the_method_of_an_unknown_framework_is_a_404(admin_api: XapiClient) -> None:
    status, answer = patch(admin_api, "/api/frameworks/nope", {"method": MEAN})

    assert (status, answer["error"]["code"]) == (404, "not_found")


def test_the_openapi_document_describes_the_method_body(admin_api: XapiClient) -> None:
    document = admin_api.client.get("/api/openapi.json").get_json()

    operation = document["paths"]["/api/frameworks/{framework_id}"]["patch"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FrameworkSettings"}
    settings = document["components"]["schemas"]["FrameworkSettings"]
    assert settings["required"] == ["method"]
    assert settings["properties"]["method"]["type"] == ["object", "null"]
    assert "method" in document["components"]["schemas"]["FrameworkDetail"]["properties"]
