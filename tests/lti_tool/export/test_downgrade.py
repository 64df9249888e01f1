"""xapi.downgrade: what a 1.0.3 LRS receives of a 2.0 statement (pure; read back by tincan,
an independent xAPI 1.0.3 implementation)."""

from __future__ import annotations

import copy
import json
from typing import Any

import tincan

from xapi.downgrade import (
    EXTENSION_CONTEXT_AGENTS,
    EXTENSION_CONTEXT_GROUPS,
    downgrade_statement,
    may_need_downgrade,
)
from xapi.validation import validate_statement
from xapi.versions import XapiVersion

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"mbox": "mailto:mentor@example.edu"},
        "relevantTypes": ["https://w3id.org/xapi/trellis/roles/mentor"],
    }
]
CONTEXT_GROUPS = [
    {
        "objectType": "contextGroup",
        "group": {"objectType": "Group", "mbox": "mailto:cohort@example.edu"},
    }
]


def _statement_2_0() -> dict[str, Any]:
    return {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": {"mbox": "mailto:teacher@example.edu", "name": "王老师"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://trellis.example.edu.cn/sessions/1", "objectType": "Activity"},
        "timestamp": "2026-11-20T00:00:00Z",
        "context": {
            "contextAgents": CONTEXT_AGENTS,
            "contextGroups": CONTEXT_GROUPS,
            "extensions": {"https://example.edu/x": 1},
        },
        "version": "2.0.0",
    }


def test_context_agents_and_groups_move_to_extensions_and_version_becomes_1_0_3() -> None:
    original = _statement_2_0()
    frozen = copy.deepcopy(original)

    downgraded = downgrade_statement(original)

    assert original == frozen, "the input must not be mutated"
    assert "contextAgents" not in downgraded["context"]
    assert "contextGroups" not in downgraded["context"]
    assert downgraded["context"]["extensions"] == {
        "https://example.edu/x": 1,
        EXTENSION_CONTEXT_AGENTS: CONTEXT_AGENTS,
        EXTENSION_CONTEXT_GROUPS: CONTEXT_GROUPS,
    }
    assert downgraded["version"] == "1.0.3"
    validate_statement(downgraded, XapiVersion.V1_0_3)


def test_a_substatement_context_is_downgraded_too() -> None:
    outer = {
        **_statement_2_0(),
        "object": {
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:a@example.edu"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": "https://example.edu/a"},
            "context": {"contextAgents": CONTEXT_AGENTS},
        },
    }

    downgraded = downgrade_statement(outer)

    inner = downgraded["object"]["context"]
    assert inner == {"extensions": {EXTENSION_CONTEXT_AGENTS: CONTEXT_AGENTS}}
    validate_statement(downgraded, XapiVersion.V1_0_3)


def test_tincan_a_1_0_3_only_library_reads_the_downgraded_statement() -> None:
    downgraded = downgrade_statement(_statement_2_0())

    # tincan mutates what it is given; it refuses contextAgents outright.
    parsed = tincan.Statement(copy.deepcopy(downgraded))

    assert str(parsed.id) == downgraded["id"]
    extensions = json.loads(parsed.context.extensions.to_json())
    assert extensions[EXTENSION_CONTEXT_AGENTS] == CONTEXT_AGENTS


def test_a_1_0_3_statement_is_left_exactly_as_it_is() -> None:
    statement = {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": {"mbox": "mailto:teacher@example.edu"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "https://example.edu/a"},
        "context": {"platform": "Moodle"},
        "version": "1.0.0",
    }

    assert downgrade_statement(statement) == statement
    assert not may_need_downgrade(json.dumps(statement))
    assert may_need_downgrade(json.dumps(_statement_2_0()))
