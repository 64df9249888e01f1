"""Index keys for the GET /statements filters (xAPI 1.0.3 Communication 2.1.3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.xapi.builders import full_statement, load_data, substatement
from xapi import vocabulary
from xapi.indexing import agent_key, index_keys
from xapi.normalise import normalise_statement

AUTHORITY = {
    "objectType": "Group",
    "member": [
        {"account": {"homePage": "https://lrs.example", "name": "moodle-app"}},
        {"mbox": "mailto:admin@lrs.example"},
    ],
}


def _stored(statement: dict) -> dict:
    return normalise_statement(
        statement, stored=datetime(2026, 4, 1, tzinfo=UTC), authority=AUTHORITY
    )


@pytest.mark.parametrize(
    ("agent", "key"),
    [
        ({"mbox": "mailto:Liu@School.Example.CN"}, "mbox:mailto:Liu@school.example.cn"),
        (
            {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"},
            "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975",
        ),
        ({"openid": "https://openid.example/u/1"}, "openid:https://openid.example/u/1"),
        (
            {"account": {"homePage": "https://moodle.example", "name": "42"}},
            "account:https://moodle.example|42",
        ),
        ({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}, None),
    ],
)
def test_agent_key(agent: dict, key: str | None) -> None:
    """Data 2.4.2.3: Agents are the same when their IFIs are equal."""
    assert agent_key(agent) == key


def test_moodle_statement_keys() -> None:
    """The agent, verb, activity and registration filters of a Moodle attendance record."""
    keys = index_keys(_stored(load_data("moodle_attendance.json")))
    learner = "account:https://moodle.trellis.example|1042"
    instructor = "account:https://moodle.trellis.example|7"
    assert keys.actor == learner
    assert keys.agents == {learner}
    assert keys.related_agents == {
        learner,
        instructor,
        "account:https://lrs.example|moodle-app",
        "mbox:mailto:admin@lrs.example",
    }
    assert keys.verb == vocabulary.VERB_ATTENDED
    assert keys.activity == "https://moodle.trellis.example/mod/facetoface/view.php?id=77"
    assert keys.related_activities == {
        "https://moodle.trellis.example/mod/facetoface/view.php?id=77",
        "https://moodle.trellis.example",
        "https://moodle.trellis.example/course/section.php?id=12",
        "https://moodle.trellis.example/course/view.php?id=5",
    }
    assert keys.registration == "3f2c7f0e-8a1d-5b62-9c41-2d7e5a0b9c13"
    assert keys.voided_statement_id is None


def test_group_members_match_the_agent_filter() -> None:
    """Communication 2.1.3 agent: "Groups that have members which match the specified Agent
    ... are considered a match"."""
    statement = full_statement()
    statement["actor"] = {
        "objectType": "Group",
        "openid": "https://groups.example/4",
        "member": [{"mbox": "mailto:a@x.cn"}],
    }
    keys = index_keys(_stored(statement))
    assert keys.agents == {"openid:https://groups.example/4", "mbox:mailto:a@x.cn"}
    assert keys.actor == "openid:https://groups.example/4"


def test_substatement_contents_are_related() -> None:
    """Communication 2.1.3 related_activities / related_agents include a contained
    SubStatement's object, context activities, actor, instructor and team."""
    statement = full_statement()
    for key in ("revision", "platform"):
        del statement["context"][key]
    statement["object"] = {
        **substatement(),
        "context": {
            "instructor": {"mbox": "mailto:coach@x.cn"},
            "contextActivities": {"parent": {"id": "https://trellis.example/c"}},
        },
    }
    keys = index_keys(_stored(statement))
    assert keys.activity is None
    assert "https://trellis.example/tasks/1" in keys.related_activities
    assert "https://trellis.example/c" in keys.related_activities
    assert {"mbox:mailto:mentor@school.example.cn", "mbox:mailto:coach@x.cn"} <= keys.related_agents
    assert "mbox:mailto:mentor@school.example.cn" not in keys.agents


def test_context_agents_and_groups_are_related_agents() -> None:
    """IEEE 9274.1.1: related_agents also covers contextAgents and contextGroups."""
    keys = index_keys(_stored(load_data("xapi2_observation.json")))
    assert "mbox:mailto:mentor.zhou@school.example.cn" in keys.related_agents
    assert "account:https://trellis.example|group-4-maths" in keys.related_agents


def test_voiding_statement_names_its_target() -> None:
    """Data 2.3.2: a voided verb with a StatementRef voids that statement."""
    target = "8F87CCDE-BB56-4C2E-AB83-44982EF22DF0"
    statement = {
        "actor": {"mbox": "mailto:admin@x.cn"},
        "verb": {"id": vocabulary.VERB_VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
    }
    keys = index_keys(_stored(statement))
    assert keys.voided_statement_id == target.lower()
    assert keys.statement_ref == target.lower()
    assert keys.activity is None


def test_index_keys_are_frozen() -> None:
    """A plain value object: storage cannot change it by accident."""
    keys = index_keys(_stored(load_data("cmi5_passed.json")))
    with pytest.raises(AttributeError):
        keys.verb = "x"  # type: ignore[misc]
