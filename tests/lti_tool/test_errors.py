"""Every error has one JSON shape (or a readable page for browsers); no client input is a 500."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from lti_tool.errors import ApiError
from lti_tool.lrs import statement_resource
from lti_tool.request_log import REQUEST_ID_HEADER
from tests.lti_tool.lrs.conftest import XapiClient, make_source, moodle_statement


def test_unknown_api_path_is_a_json_404_with_the_request_id(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")

    assert response.status_code == 404
    error = response.json["error"]  # type: ignore[index]
    assert error["status"] == 404
    assert error["code"] == "not_found"
    assert error["request_id"] == response.headers[REQUEST_ID_HEADER]


def test_a_browser_gets_a_readable_page_in_chinese_and_english(client: FlaskClient) -> None:
    response = client.get("/nothing-here", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "请求编号 Request id" in page


def test_wrong_method_is_405_with_allow_header(client: FlaskClient) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_api_error_carries_status_code_and_fields(app: Flask) -> None:
    @app.get("/api/test-conflict")
    def conflict() -> str:
        raise ApiError(409, "already stored with other content", fields={"id": ["conflict"]})

    response = app.test_client().get("/api/test-conflict")

    assert response.status_code == 409
    assert response.json == {
        "error": {
            "status": 409,
            "code": "conflict",
            "message": "already stored with other content",
            "fields": {"id": ["conflict"]},
            "request_id": response.headers[REQUEST_ID_HEADER],
        }
    }


def test_marshmallow_validation_error_is_400_with_field_paths(app: Flask) -> None:
    from marshmallow import Schema, fields

    class NameSchema(Schema):
        name = fields.String(required=True)

    @app.post("/api/test-validate")
    def validate() -> str:
        NameSchema().load({})
        return "unreachable"

    response = app.test_client().post("/api/test-validate", json={})

    assert response.status_code == 400
    assert response.json["error"]["fields"] == {  # type: ignore[index]
        "name": ["Missing data for required field."]
    }


def test_unexpected_exception_is_logged_and_answered_without_details(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/api/test-crash")
    def crash() -> str:
        raise RuntimeError("database password is hunter2")

    logging.getLogger("trellis").propagate = True
    try:
        with caplog.at_level(logging.ERROR, logger="trellis.errors"):
            response = app.test_client().get("/api/test-crash")
    finally:
        logging.getLogger("trellis").propagate = False

    assert response.status_code == 500
    assert "hunter2" not in json.dumps(response.json)
    assert any("unhandled error" in record.message for record in caplog.records)


def test_body_over_the_configured_size_is_413(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/api/test-body")
    def body() -> str:
        from flask import request

        return str(len(request.get_data()))

    response = app.test_client().post("/api/test-body", data=b"x" * 100)

    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"  # type: ignore[index]


def test_a_database_that_is_locked_or_unreachable_is_503_with_retry_after(app: Flask) -> None:
    """SQLite locked past its timeout (a long rebuild) or PostgreSQL down: the request was
    rolled back, so the client is told to send it again, not that it broke something."""

    @app.get("/api/test-locked")
    def locked() -> str:
        raise OperationalError("INSERT …", None, Exception("database is locked"))

    response = app.test_client().get("/api/test-locked")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json is not None
    assert response.json["error"]["code"] == "database_unavailable"
    assert "database is locked" not in json.dumps(response.json)


def test_a_statement_batch_refused_for_a_locked_database_is_503(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object, **_kwargs: object) -> list[str]:
        raise OperationalError("INSERT …", None, Exception("database is locked"))

    monkeypatch.setattr(statement_resource, "store_statements", locked)
    xapi = XapiClient(app.test_client(), make_source(app, "moodle"))

    response = xapi.post([moodle_statement()])

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
