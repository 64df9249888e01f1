"""What Moodle's logstore_xapi plugin really sends is accepted and reads back equal.

The plugin posts batches of up to 30 as a JSON array with Basic auth and counts anything but
exactly 200 as failure (../shared/notes/xapi.md). Skips when ../shared is absent.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests import moodle_fixtures
from tests.lti_tool.lrs.conftest import XapiClient
from xapi.comparison import statements_match

pytestmark = pytest.mark.skipif(
    not moodle_fixtures.fixtures_present(), reason="../shared/logstore_xapi_fixtures is absent"
)

BATCH = 30


def _all_fixture_statements() -> list[dict[str, Any]]:
    statements = [s for case in moodle_fixtures.fixture_cases() for s in case.statements]
    # The plugin leaves ids to the LRS; give each one so it can be read back by id.
    return [{**statement, "id": str(uuid.uuid4())} for statement in statements]


def test_every_fixture_statement_is_accepted_in_batches_of_30_and_reads_back_equal(
    xapi: XapiClient,
) -> None:
    statements = _all_fixture_statements()
    assert len(statements) == 190

    for start in range(0, len(statements), BATCH):
        batch = statements[start : start + BATCH]
        response = xapi.post(batch)
        assert response.status_code == 200, response.json
        assert response.json == [statement["id"] for statement in batch]

    for sent in statements:
        stored = xapi.get(f"statementId={sent['id']}").json
        assert stored is not None
        assert statements_match(sent, stored), sent["id"]
        for key in ("actor", "verb", "object", "result", "timestamp"):
            assert stored.get(key) == sent.get(key), key


def test_a_resent_fixture_batch_is_answered_200_again(xapi: XapiClient) -> None:
    """The plugin resends failed batches; one already stored must not become a failure."""
    batch = _all_fixture_statements()[:BATCH]
    assert xapi.post(batch).status_code == 200

    assert xapi.post(batch).status_code == 200
