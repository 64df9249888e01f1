"""Each request is logged as one JSON line carrying its request id."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient

from lti_tool.request_log import REQUEST_ID_HEADER, JsonFormatter


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "trellis.request"
    ]


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    logging.getLogger("trellis").propagate = True
    caplog.set_level(logging.INFO, logger="trellis.request")
    yield caplog
    logging.getLogger("trellis").propagate = False


def test_each_request_gets_an_id_echoed_in_the_response(client: FlaskClient) -> None:
    first = client.get("/healthz").headers[REQUEST_ID_HEADER]
    second = client.get("/healthz").headers[REQUEST_ID_HEADER]

    assert len(first) == 32
    assert first != second


def test_a_proxy_supplied_request_id_is_kept(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "nginx-4f2a9c1e"})

    assert response.headers[REQUEST_ID_HEADER] == "nginx-4f2a9c1e"


def test_a_request_id_that_is_not_an_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "<script>x</script>"})

    assert response.headers[REQUEST_ID_HEADER] != "<script>x</script>"


def test_request_log_line_is_json_with_method_path_status_and_request_id(
    client: FlaskClient, captured: pytest.LogCaptureFixture
) -> None:
    response = client.get("/healthz")

    lines = _request_lines(captured)
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)
    assert line["message"] == "GET /healthz 200"
    assert line["request_id"] == response.headers[REQUEST_ID_HEADER]
