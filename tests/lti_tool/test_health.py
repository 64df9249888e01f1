"""GET /healthz tells a load balancer whether this node can serve."""

from __future__ import annotations

from flask.testing import FlaskClient

from lti_tool import create_app
from lti_tool.settings import Settings


def test_healthz_is_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_naming_the_database_when_it_is_down(settings: Settings) -> None:
    unreachable = settings.with_changes(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    app = create_app(unreachable)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    body = response.json
    assert body is not None
    assert body["status"] == "unavailable"
    assert body["database"].startswith("unavailable")
