"""Fixtures for the xAPI endpoint: sources with credentials and a client that speaks xAPI."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lti_tool.db import database
from lti_tool.lrs.sources import NewCredential, add_source


@dataclass
class XapiClient:
    """A test client that sends one source's credentials and an xAPI version header."""

    client: FlaskClient
    credential: NewCredential
    version: str = "1.0.3"

    def headers(self, **extra: str) -> dict[str, str]:
        token = base64.b64encode(
            f"{self.credential.key}:{self.credential.secret}".encode()
        ).decode()
        return {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": self.version,
            **extra,
        }

    def post(self, body: Any, **kwargs: Any) -> TestResponse:
        return self.client.post(
            "/xapi/statements",
            data=json.dumps(body),
            headers=self.headers(**{"Content-Type": "application/json"}),
            **kwargs,
        )

    def put(self, body: Any, statement_id: str) -> TestResponse:
        return self.client.put(
            f"/xapi/statements?statementId={statement_id}",
            data=json.dumps(body),
            headers=self.headers(**{"Content-Type": "application/json"}),
        )

    def get(self, query: str = "", **headers: str) -> TestResponse:
        path = "/xapi/statements" + (f"?{query}" if query else "")
        return self.client.get(path, headers=self.headers(**headers))


def make_source(app: Flask, name: str, *, admin: bool = False) -> NewCredential:
    with database(app).session_scope() as session:
        return add_source(session, name, admin=admin, now=datetime.now(UTC))


@pytest.fixture
def xapi(app: Flask, client: FlaskClient) -> XapiClient:
    """A client with an ordinary source's credentials (Moodle, say)."""
    return XapiClient(client, make_source(app, "moodle"))


@pytest.fixture
def admin_xapi(app: Flask, client: FlaskClient) -> XapiClient:
    """A client with an admin credential, which reads every statement."""
    return XapiClient(client, make_source(app, "admin", admin=True))


@pytest.fixture
def new_source(app: Flask, client: FlaskClient) -> Callable[[str], XapiClient]:
    """Make further sources by name."""
    return lambda name: XapiClient(client, make_source(app, name))


MOODLE = "https://moodle.example.edu"


def moodle_statement(
    user_id: str = "42",
    *,
    verb: str = "http://adlnet.gov/expapi/verbs/completed",
    activity: str = f"{MOODLE}/mod/quiz/view.php?id=7",
    statement_id: str | None = None,
    registration: str | None = None,
    raw: float | None = None,
) -> dict[str, Any]:
    """A statement shaped like Moodle's logstore_xapi output."""
    statement: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {"name": f"教师 {user_id}", "account": {"homePage": MOODLE, "name": user_id}},
        "verb": {"id": verb, "display": {"en": "completed"}},
        "object": {
            "id": activity,
            "objectType": "Activity",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/assessment",
                "name": {"en": "Quiz 1"},
            },
        },
        "timestamp": "2026-11-20T08:00:00+08:00",
        "context": {
            "platform": "Moodle",
            "contextActivities": {
                "grouping": [{"id": f"{MOODLE}/course/view.php?id=3", "objectType": "Activity"}],
                "category": [
                    {
                        "id": MOODLE,
                        "objectType": "Activity",
                        "definition": {"type": "http://id.tincanapi.com/activitytype/lms"},
                    }
                ],
            },
        },
    }
    if registration:
        statement["context"]["registration"] = registration
    if raw is not None:
        statement["result"] = {"score": {"raw": raw, "min": 0, "max": 100}, "completion": True}
    return statement
