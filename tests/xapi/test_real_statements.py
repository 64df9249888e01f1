"""Real-world statements validate: Moodle's log store (logstore_xapi 5.0.1 fixtures, from
``../shared`` when present) and our own Moodle-shaped, cmi5 and xAPI 2.0 samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import moodle_fixtures
from tests.xapi.builders import data_files
from xapi.validation import validate_statement, validate_statements
from xapi.versions import XapiVersion

FIXTURES_DIR = moodle_fixtures.FIXTURES_DIR


def _fixture_files() -> list[Any]:
    if not FIXTURES_DIR.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared fixtures absent"))]
    return [
        pytest.param(path, id=str(path.parent.relative_to(FIXTURES_DIR)))
        for path in sorted(FIXTURES_DIR.glob("**/statements.json"))
    ]


@pytest.mark.parametrize("statements_file", _fixture_files())
def test_moodle_logstore_fixture_statements_validate(statements_file: Path) -> None:
    """What Moodle's log store really sends (each expected statement merged with
    tests/common/statement.json) is valid xAPI 1.0.3, alone and as one batch."""
    common = json.loads((FIXTURES_DIR / "common" / "statement.json").read_text(encoding="utf-8"))
    expected = json.loads(statements_file.read_text(encoding="utf-8"))
    statements = [moodle_fixtures.deep_merge(common, statement) for statement in expected]
    for statement in statements:
        validate_statement(statement, XapiVersion.V1_0_3)
    validate_statements(statements, XapiVersion.V1_0_3)


@pytest.mark.parametrize("path", data_files(), ids=lambda path: path.name)
def test_sample_statements_validate(path: Path) -> None:
    """Our own samples under tests/xapi/data: 1.0.3 ones under both versions, ``xapi2_`` ones
    (contextAgents, offset timestamps) under 2.0 only."""
    statement = json.loads(path.read_text(encoding="utf-8"))
    validate_statement(statement, XapiVersion.V2_0_0)
    if not path.name.startswith("xapi2_"):
        validate_statement(statement, XapiVersion.V1_0_3)
