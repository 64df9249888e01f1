"""Fixtures for the competency engine: xAPI clients, statements shaped like real producers."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti_tool.competencies.processing import process_all
from lti_tool.db import database
from tests.lti_tool.lrs.conftest import XapiClient, make_source

STATEMENTS_DIR = Path(__file__).resolve().parents[2] / "competency_models" / "data" / "statements"
MOODLE = "https://peixun.example.edu.cn"
COURSE = f"{MOODLE}/course/view.php?id=12"
QUIZ = f"{MOODLE}/mod/quiz/view.php?id=301"
ASSIGNMENT = f"{MOODLE}/mod/assign/view.php?id=302"
FACE_TO_FACE = f"{MOODLE}/mod/facetoface/view.php?id=303"
CRITERION = "https://trellis.example.edu.cn/rubrics/digital-lesson-v1/criteria/2"
TDL = "cn-moe-jyt0646-2022-teacher-digital-literacy"


def producer_statement(
    name: str,
    *,
    user: str,
    timestamp: str,
    score: tuple[float, float, float] | None = None,
    statement_id: str | None = None,
) -> dict[str, Any]:
    """A statement from the core's fixtures (real producer shapes), for another teacher/time.

    The actor becomes Moodle user ``user`` (offline capture names teachers by their Moodle
    account too, so both reach one person).
    """
    statement = copy.deepcopy(
        json.loads((STATEMENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    )
    statement["id"] = statement_id or str(uuid.uuid4())
    statement["actor"] = {"name": f"教师{user}", "account": {"homePage": MOODLE, "name": user}}
    statement["timestamp"] = timestamp
    if "language" in statement.get("context", {}):
        # The core's fixtures copy Moodle's "zh_cn", which /xapi refuses (not RFC 5646).
        statement["context"]["language"] = "zh-CN"
    if score is not None:
        raw, low, high = score
        statement.setdefault("result", {})["score"] = {"raw": raw, "min": low, "max": high}
    return statement


@pytest.fixture
def admin_api(app: Flask, client: FlaskClient) -> XapiClient:
    """A client with an admin source's credentials (the /api and /xapi authentication)."""
    return XapiClient(client, make_source(app, "admin", admin=True))


@pytest.fixture
def moodle(app: Flask, client: FlaskClient) -> XapiClient:
    """A Moodle site posting statements."""
    return XapiClient(client, make_source(app, "moodle"))


@pytest.fixture
def process(app: Flask) -> Callable[[], int]:
    """Process every queued competency batch, as the worker would."""
    return lambda: process_all(database(app).sessionmaker, home_page="http://localhost/xapi")


def basic_auth(key: str, secret: str) -> dict[str, str]:
    """An Authorization header."""
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
