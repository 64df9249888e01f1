"""Programmes through the JSON API (issue 4, Programmes): created, read and changed with what
``trellis programmes add`` takes and checks; every refusal a 4xx naming the field and why, and
nothing written by a refused request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.models.competencies import (
    EstimateRecord,
    Programme,
    ProgrammeContext,
    ProgrammeFramework,
    ProgrammeRuleSet,
)
from tests.lti_tool.competencies.conftest import (
    ASSIGNMENT,
    COURSE,
    CRITERION,
    FACE_TO_FACE,
    MOODLE,
    QUIZ,
    TDL,
)
from tests.lti_tool.competencies.test_end_to_end import cohort_statements, person_of
from tests.lti_tool.lrs.conftest import XapiClient

OTHER_COURSE = f"{MOODLE}/course/view.php?id=99"
MOODLE_RULES = "moodle-logstore-xapi"
FULL = {
    "id": "gp2026",
    "title": "国培计划2026 骨干教师",
    "starts_at": "2026-03-01",
    "ends_at": "2026-06-01T00:00:00+08:00",
    "method": {"method": "mean"},
    "rollup": {"rule": "all_at_least", "rank": 3},
    "courses": [COURSE],
    "frameworks": [TDL],
    "rulesets": [MOODLE_RULES],
}


def send(api: XapiClient, method: str, path: str, body: object) -> tuple[int, dict[str, Any]]:
    response = api.client.open(
        path,
        method=method,
        data=body if isinstance(body, bytes) else json.dumps(body),
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    return response.status_code, response.get_json()


def get(api: XapiClient, path: str) -> tuple[int, dict[str, Any]]:
    response = api.client.get(path, headers=api.headers())
    return response.status_code, response.get_json()


@pytest.fixture
def rulesets(runner: FlaskCliRunner) -> None:
    """The starter rule sets, which a programme may name."""
    result = runner.invoke(args=["rulesets", "load-builtin"])
    assert result.exit_code == 0, result.output


def stored_rows(session: Session) -> tuple[int, ...]:
    """How many programme rows of each kind are stored (a refused request adds none)."""
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Programme, ProgrammeContext, ProgrammeFramework, ProgrammeRuleSet)
    )


@pytest.mark.usefixtures("rulesets")
def test_a_programme_is_created_and_read_back_with_everything_it_was_given(
    admin_api: XapiClient,
) -> None:
    status, created = send(admin_api, "POST", "/api/programmes", FULL)

    assert status == 201, created
    assert created == {
        "id": "gp2026",
        "title": "国培计划2026 骨干教师",
        "starts_at": "2026-03-01T00:00:00+00:00",
        "ends_at": "2026-05-31T16:00:00+00:00",
        "method": {"method": "mean"},
        "rollup": {"rule": "all_at_least", "rank": 3},
        "courses": [COURSE],
        "lti_contexts": [],
        "frameworks": [TDL],
        "rulesets": [MOODLE_RULES],
        "created_at": created["created_at"],
    }
    assert get(admin_api, "/api/programmes/gp2026") == (200, created)
    listed = get(admin_api, "/api/programmes")[1]["programmes"]
    assert [programme["id"] for programme in listed] == ["gp2026"]


def test_only_id_and_title_are_needed(admin_api: XapiClient) -> None:
    status, created = send(admin_api, "POST", "/api/programmes", {"id": "p", "title": "校本研修"})

    assert status == 201
    assert (created["method"], created["courses"], created["starts_at"]) == (None, [], None)


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"id": None}, "id", "Field may not be null"),
        ({"id": "bad id!"}, "id", "use 1–100 letters"),
        ({"title": ""}, "title", "1–500 characters"),
        ({"title": "长" * 501}, "title", "1–500 characters"),
        ({"starts_at": "2026-07-01"}, "ends_at", "cannot end before it starts"),
        ({"starts_at": "next spring"}, "starts_at", "ISO 8601"),
        ({"method": {"method": "median"}}, "method", "unknown estimation method 'median'"),
        ({"method": "mean"}, "method", "Not a valid mapping"),
        ({"method": {"method": "exponential_decay", "rate": 0}}, "method", "(0, 1]"),
        ({"rollup": {"rule": "vote"}}, "rollup", "unknown roll-up rule"),
        ({"rollup": {"rule": "all_at_least"}}, "rollup", "'rank'"),
        ({"rollup": {"rule": "points_at_least", "threshold": 1e400}}, "rollup", "infinity"),
        ({"courses": ["course 12"]}, "courses", "course activity IRI"),
        ({"courses": COURSE}, "courses", "Not a valid list"),
        ({"frameworks": ["nope"]}, "frameworks", "no framework 'nope'"),
        ({"rulesets": ["nope"]}, "rulesets", "no rule set 'nope'"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
@pytest.mark.usefixtures("rulesets")
def test_a_refused_programme_is_a_400_naming_the_field_and_why_and_writes_nothing(
    admin_api: XapiClient, db_session: Session, change: dict[str, object], field: str, why: str
) -> None:
    before = stored_rows(db_session)

    status, answer = send(admin_api, "POST", "/api/programmes", {**FULL, **change})

    assert status == 400, answer
    assert why in " ".join(answer["error"]["fields"][field])
    assert stored_rows(db_session) == before


@pytest.mark.parametrize(
    "body",
    [b"", b"{not json", b"[]", b'"gp2026"'],
    ids=["empty", "broken", "array", "string"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(admin_api: XapiClient, body: bytes) -> None:
    status, answer = send(admin_api, "POST", "/api/programmes", body)

    assert (status, answer["error"]["fields"]) == (400, {"body": ["not a JSON object"]})


@pytest.mark.usefixtures("rulesets")
def test_a_taken_id_or_another_programmes_course_is_a_409_and_writes_nothing(
    admin_api: XapiClient, db_session: Session
) -> None:
    assert send(admin_api, "POST", "/api/programmes", FULL)[0] == 201
    before = stored_rows(db_session)

    status, taken = send(admin_api, "POST", "/api/programmes", FULL)
    assert (status, list(taken["error"]["fields"])) == (409, ["id"])
    status, clash = send(admin_api, "POST", "/api/programmes", {**FULL, "id": "gp2027"})
    assert (status, list(clash["error"]["fields"])) == (409, ["courses"])
    assert "already belongs to programme 'gp2026'" in clash["error"]["message"]

    assert stored_rows(db_session) == before
    assert get(admin_api, "/api/programmes/gp2027")[0] == 404


@pytest.mark.usefixtures("rulesets")
def test_patch_changes_what_is_sent_and_keeps_the_rest(admin_api: XapiClient) -> None:
    created = send(admin_api, "POST", "/api/programmes", FULL)[1]
    path = "/api/programmes/gp2026"

    status, changed = send(
        admin_api,
        "PATCH",
        path,
        {"title": "国培计划2026（调整）", "method": None, "courses": [OTHER_COURSE, COURSE]},
    )

    assert status == 200, changed
    assert changed == {
        **created,
        "title": "国培计划2026（调整）",
        "method": None,
        "courses": [COURSE, OTHER_COURSE],
    }
    assert send(admin_api, "PATCH", path, {"courses": [OTHER_COURSE]})[1]["courses"] == [
        OTHER_COURSE
    ]
    assert get(admin_api, path)[1]["courses"] == [OTHER_COURSE]


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"ends_at": "2026-02-01"}, "ends_at", "cannot end before it starts"),
        ({"title": None}, "title", "Field may not be null"),
        ({"id": "renamed"}, "id", "Unknown field"),
        ({"frameworks": ["nope"]}, "frameworks", "no framework 'nope'"),
        ({"title": "新", "courses": ["nope"]}, "courses", "course activity IRI"),
    ],
)
@pytest.mark.usefixtures("rulesets")
def test_a_refused_patch_is_a_400_naming_the_field_and_changes_nothing(
    admin_api: XapiClient, change: dict[str, object], field: str, why: str
) -> None:
    created = send(admin_api, "POST", "/api/programmes", FULL)[1]

    status, answer = send(admin_api, "PATCH", "/api/programmes/gp2026", change)

    assert status == 400, answer
    assert why in " ".join(answer["error"]["fields"][field])
    assert get(admin_api, "/api/programmes/gp2026") == (200, created)


@pytest.mark.usefixtures("rulesets")
def test_put_replaces_every_setting_and_clears_what_is_left_out(admin_api: XapiClient) -> None:
    created = send(admin_api, "POST", "/api/programmes", FULL)[1]

    status, replaced = send(admin_api, "PUT", "/api/programmes/gp2026", {"title": "新名称"})

    assert status == 200, replaced
    assert replaced == {
        **created,
        "title": "新名称",
        "starts_at": None,
        "ends_at": None,
        "method": None,
        "rollup": None,
        "courses": [],
        "frameworks": [],
        "rulesets": [],
    }
    status, answer = send(admin_api, "PUT", "/api/programmes/gp2026", {"method": None})
    assert (status, list(answer["error"]["fields"])) == (400, ["title"])


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT"])
def test_an_unknown_programme_is_a_404(admin_api: XapiClient, method: str) -> None:
    status, answer = send(admin_api, method, "/api/programmes/nope", {"title": "x"})

    assert (status, answer["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
def test_writing_a_programme_wants_an_admin_source(
    moodle: XapiClient, db_session: Session, method: str
) -> None:
    path = "/api/programmes" if method == "POST" else "/api/programmes/p"

    status, answer = send(moodle, method, path, {"id": "p", "title": "x"})

    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    assert stored_rows(db_session) == (0, 0, 0, 0)


def test_the_openapi_document_describes_the_programme_bodies(admin_api: XapiClient) -> None:
    document = admin_api.client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]

    for method, name in (("post", "ProgrammeCreate"), ("patch", "ProgrammeUpdate")):
        path = "/api/programmes" if method == "post" else "/api/programmes/{programme_id}"
        body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": f"#/components/schemas/{name}"}
    assert schemas["ProgrammeCreate"]["required"] == ["title", "id"]
    assert "required" not in schemas["ProgrammeUpdate"]
    assert {"method", "rollup", "courses", "frameworks", "rulesets", "starts_at"} <= set(
        schemas["ProgrammeCreate"]["properties"]
    )
    assert "lti_contexts" in schemas["ProgrammeDetail"]["properties"]


@pytest.mark.usefixtures("rulesets")
def test_a_programme_created_through_the_api_maps_and_estimates_and_a_patch_then_rebuild_applies(
    admin_api: XapiClient,
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    body = {**FULL, "frameworks": [], "rulesets": [], "rollup": None}
    assert send(admin_api, "POST", "/api/programmes", body)[0] == 201
    for module in (QUIZ, ASSIGNMENT, FACE_TO_FACE, CRITERION):
        bound = runner.invoke(args=["programmes", "bind", "gp2026", module, TDL, "3.1.1"])
        assert bound.exit_code == 0, bound.output
    moodle.post(cohort_statements()["1024"])
    process()
    grower = person_of(db_session, "1024")

    def estimate() -> tuple[str, int]:
        db_session.expire_all()
        record = db_session.get(EstimateRecord, ("gp2026", grower, TDL, "3.1.1"))
        assert record is not None
        return record.method, record.level_rank

    assert estimate() == ("mean", 4)
    strict = {"method": "n_times_mastery", "n": 3, "threshold": 0.6}
    assert send(admin_api, "PATCH", "/api/programmes/gp2026", {"method": strict})[0] == 200
    assert runner.invoke(args=["competencies", "rebuild"]).exit_code == 0
    assert estimate() == ("n_times_mastery(n=3, threshold=0.6)", 2)
