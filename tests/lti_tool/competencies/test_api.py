"""The competency JSON API: admin-only, one error shape, 4xx never 500, documented in OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from competency_models.builtin import load_builtin
from lti_tool.competencies.openapi import openapi_path
from tests.lti_tool.competencies.conftest import TDL
from tests.lti_tool.competencies.test_end_to_end import (
    PROGRAMME,
    cohort_statements,
    person_of,
    set_up_programme,
)
from tests.lti_tool.competencies.test_frameworks_cli import CASE_PACKAGE
from tests.lti_tool.lrs.conftest import XapiClient


def get(api: XapiClient, path: str) -> tuple[int, dict[str, object]]:
    response = api.client.get(path, headers=api.headers())
    return response.status_code, response.get_json()


def post(api: XapiClient, path: str, data: bytes, content_type: str) -> tuple[int, dict]:
    response = api.client.post(
        path, data=data, headers=api.headers(**{"Content-Type": content_type})
    )
    return response.status_code, response.get_json()


def test_every_api_route_is_in_the_openapi_document(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()

    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes and routes <= documented
    assert document["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"


@pytest.mark.parametrize("credential", ["none", "wrong", "not-admin", "garbage"])
def test_api_wants_an_admin_source_credential(
    client: FlaskClient, moodle: XapiClient, credential: str
) -> None:
    headers = {
        "none": {},
        "wrong": {"Authorization": "Basic " + "eDp5"},
        "not-admin": {"Authorization": moodle.headers()["Authorization"]},
        "garbage": {"Authorization": "Basic %%%"},
    }[credential]

    response = client.get("/api/frameworks", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_frameworks_import_export_round_trip_through_the_api(admin_api: XapiClient) -> None:
    status, created = post(
        admin_api, "/api/frameworks", CASE_PACKAGE.read_bytes(), "application/json"
    )
    assert status == 201 and created["created"] is True
    framework_id = created["id"]

    status, listed = get(admin_api, "/api/frameworks")
    assert status == 200
    assert [f["id"] for f in listed["frameworks"]] == [framework_id]

    exported = admin_api.client.get(
        f"/api/frameworks/{framework_id}/export?format=case", headers=admin_api.headers()
    )
    assert exported.status_code == 200
    status, again = post(admin_api, "/api/frameworks", exported.data, "application/json")
    assert (status, again["created"]) == (200, False)

    status, detail = get(admin_api, f"/api/frameworks/{framework_id}")
    assert status == 200
    assert detail["fingerprint"].startswith("sha256:")
    assert {"source", "notes", "levels", "items"} <= detail.keys()


def test_builtin_frameworks_show_their_source_and_notes_to_administrators(
    admin_api: XapiClient, runner: FlaskCliRunner
) -> None:
    runner.invoke(args=["frameworks", "load-builtin"])

    for framework in load_builtin():
        status, detail = get(admin_api, f"/api/frameworks/{framework.id}")
        assert status == 200
        assert detail["source"] == framework.source
        assert detail["notes"] == dict(framework.notes)


def test_invalid_framework_is_a_400_listing_problems_and_imports_nothing(
    admin_api: XapiClient,
) -> None:
    package = json.loads(CASE_PACKAGE.read_text(encoding="utf-8"))
    package["CFItems"][0]["identifier"] = "not-a-uuid"

    status, body = post(
        admin_api, "/api/frameworks", json.dumps(package).encode(), "application/json"
    )

    assert status == 400
    assert body["error"]["code"] == "invalid_framework"
    assert any("CFItems[0]" in problem for problem in body["error"]["fields"]["problems"])
    assert get(admin_api, "/api/frameworks")[1]["frameworks"] == []


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe not utf-8", b"{not json", b"[1, 2]", b"just some words\n"],
    ids=["empty", "binary", "broken-json", "json-array", "not-a-framework"],
)
def test_framework_import_of_garbage_is_a_400(admin_api: XapiClient, body: bytes) -> None:
    status, answer = post(admin_api, "/api/frameworks", body, "application/json")

    assert status == 400, answer
    assert answer["error"]["status"] == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/frameworks/nope",
        "/api/frameworks/nope/export",
        "/api/rulesets/nope",
        "/api/programmes/nope/matrix",
        "/api/teachers/nobody/estimates",
        f"/api/teachers/nobody/trajectories/{TDL}/3.1.1",
        "/api/teachers/nobody/evidence",
        f"/api/teachers/nobody/explanations/{TDL}/3.1.1",
    ],
)
def test_unknown_things_are_404_in_the_json_error_shape(admin_api: XapiClient, path: str) -> None:
    status, body = get(admin_api, path)

    assert status == 404
    assert body["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=many", "since=yesterday", "phase=later", "format=pdf"],
)
def test_bad_query_parameters_are_400_with_the_field_named(
    admin_api: XapiClient, runner: FlaskCliRunner, query: str
) -> None:
    runner.invoke(args=["frameworks", "load-builtin"])
    path = {
        "limit": "/api/teachers/x/evidence",
        "since": f"/api/teachers/x/trajectories/{TDL}/1.1.1",
        "phase": f"/api/teachers/x/trajectories/{TDL}/1.1.1",
        "format": f"/api/frameworks/{TDL}/export",
    }[query.split("=")[0]]

    status, body = get(admin_api, f"{path}?{query}")

    assert status == 400
    assert query.split("=")[0] in body["error"]["fields"]


def test_rule_sets_add_conflict_and_activate_through_the_api(admin_api: XapiClient) -> None:
    text = (
        "id: js\nversion: 1\nrules:\n  - id: r\n"
        "    match: {verb: http://adlnet.gov/expapi/verbs/attended}\n"
        "    yields: [{competency: 'x#1', value: completion, kind: participation}]\n"
    )

    status, created = post(admin_api, "/api/rulesets", text.encode(), "application/yaml")
    assert (status, created["active"], created["version"]) == (201, True, 1)
    clash = text.replace("value: completion", "value: success")
    status, body = post(admin_api, "/api/rulesets", clash.encode(), "application/yaml")
    assert status == 409 and body["error"]["code"] == "conflict"
    status, body = post(admin_api, "/api/rulesets", b"id: [", "application/yaml")
    assert status == 400 and body["error"]["code"] == "invalid_ruleset"
    v2 = text.replace("version: 1", "version: 2")
    status, added = post(admin_api, "/api/rulesets", v2.encode(), "application/yaml")
    assert (status, added["active"]) == (201, False)

    response = admin_api.client.post(
        "/api/rulesets/js/versions/2/activate", headers=admin_api.headers()
    )
    assert response.status_code == 200 and response.get_json()["active"] is True
    assert get(admin_api, "/api/rulesets/js")[1]["version"] == 2
    missing = admin_api.client.post(
        "/api/rulesets/js/versions/9/activate", headers=admin_api.headers()
    )
    assert missing.status_code == 404


def test_teacher_estimates_roll_up_to_the_framework(
    admin_api: XapiClient,
    runner: FlaskCliRunner,
    moodle: XapiClient,
    process: Callable[[], int],
    db_session: Session,
) -> None:
    set_up_programme(runner)
    moodle.post(cohort_statements()["1024"])
    process()
    grower = person_of(db_session, "1024")

    status, body = get(admin_api, f"/api/teachers/{grower}/estimates?programme={PROGRAMME}")

    assert status == 200
    assert [(e["code"], e["level_rank"]) for e in body["estimates"]] == [("3.1.1", 4)]
    rollup = body["rollups"][0]
    assert rollup["framework"]["assessed_children"] == 1
    assert {node["code"]: node["level_rank"] for node in rollup["nodes"]}["3.1"] == 4
    status, evidence = get(admin_api, f"/api/teachers/{grower}/evidence?limit=2")
    assert status == 200
    assert [item["statement_id"] for item in evidence["evidence"]] == [
        "00000000-0000-4000-8000-000000000003",
        "00000000-0000-4000-8000-000000000002",
    ]


def test_openapi_document_is_public_json(client: FlaskClient, tmp_path: Path) -> None:
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")
