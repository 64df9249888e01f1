"""``GET /xapi/agents`` and ``GET /xapi/activities`` (xAPI 1.0.3 Communication 2.4, 2.5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from lti_tool.lrs.person_resources import definitions_of, merge_definitions, person_object
from lti_tool.models.identity import Person, PersonIdentifier
from tests.lti_tool.lrs.conftest import MOODLE, XapiClient, moodle_statement

QUIZ = f"{MOODLE}/mod/quiz/view.php?id=7"


def get(xapi: XapiClient, resource: str, **params: Any) -> TestResponse:
    encoded = {
        name: json.dumps(value) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return xapi.client.get(f"/xapi/{resource}?{urlencode(encoded)}", headers=xapi.headers())


def _first_problem(response: TestResponse) -> str:
    body = response.json
    assert body is not None
    problem: str = body["error"]["problems"][0]
    return problem


# --- agents --------------------------------------------------------------------------------------


def test_agents_returns_a_person_with_the_agents_own_identifier_when_nothing_is_known(
    xapi: XapiClient,
) -> None:
    """Communication 2.4: without more information, the Person holds the requested agent."""
    agent = {"objectType": "Agent", "name": "Wang Fang", "mbox": "mailto:wang@Example.ORG"}

    response = get(xapi, "agents", agent=agent)

    assert response.status_code == 200
    assert response.json == {
        "objectType": "Person",
        "name": ["Wang Fang"],
        "mbox": ["mailto:wang@example.org"],
    }


def test_agents_combines_every_identifier_of_the_trellis_person(
    xapi: XapiClient, db_session: Session
) -> None:
    """Communication 2.4: a Person may carry several identifiers, each property an array."""
    now = datetime.now(UTC)
    db_session.add(Person(id="p-1", display_name="李老师", created_at=now))
    db_session.flush()
    for key in (
        f"account:{MOODLE}|42",
        "mbox:mailto:li@school.example.cn",
        "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975",
        "openid:https://id.example.cn/li",
    ):
        db_session.add(PersonIdentifier(key=key, person_id="p-1", created_at=now))
    db_session.commit()

    response = get(xapi, "agents", agent={"account": {"homePage": MOODLE, "name": "42"}})

    person = response.json
    assert person is not None
    assert person["objectType"] == "Person"
    assert person["name"] == ["李老师"]
    assert person["account"] == [{"homePage": MOODLE, "name": "42"}]
    assert person["mbox"] == ["mailto:li@school.example.cn"]
    assert person["mbox_sha1sum"] == ["cd9b00a5611f94eaa7b1661edab976068e364975"]
    assert person["openid"] == ["https://id.example.cn/li"]


def test_agents_finds_the_person_a_stored_statement_created(xapi: XapiClient) -> None:
    """Storing a statement links its actor to a person, whom the Agents Resource then knows."""
    assert xapi.post(moodle_statement("7")).status_code == 200

    response = get(xapi, "agents", agent={"account": {"homePage": MOODLE, "name": "7"}})

    assert response.status_code == 200
    assert response.json["account"] == [{"homePage": MOODLE, "name": "7"}]  # type: ignore[index]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "agent"),
        ({"agent": {"objectType": "Agent", "name": "no identifier"}}, "agent"),
        ({"agent": "not json"}, "agent"),
        ({"agent": {"objectType": "Group", "mbox": "mailto:team@example.org"}}, "agent.objectType"),
        ({"agent": {"mbox": "mailto:a@example.org"}, "profileId": "p"}, "profileId"),
    ],
)
def test_agents_with_a_bad_parameter_is_400_naming_it(
    xapi: XapiClient, params: dict[str, Any], named: str
) -> None:
    """Communication 2.4: the agent parameter must be a valid Agent; nothing else is taken."""
    response = get(xapi, "agents", **params)

    assert response.status_code == 400
    assert _first_problem(response).startswith(f"{named}:")


# --- activities ----------------------------------------------------------------------------------


def test_activities_returns_a_bare_activity_when_no_statement_defines_it(
    xapi: XapiClient,
) -> None:
    """xAPI 2.0 4.1.6.4: without a canonical definition, still an Activity object."""
    activity_id = "https://example.org/never-seen"

    response = get(xapi, "activities", activityId=activity_id)

    assert response.status_code == 200
    assert response.json == {"objectType": "Activity", "id": activity_id}


def test_activities_returns_the_definition_a_statement_gave(xapi: XapiClient) -> None:
    """Communication 2.5: the complete Activity object."""
    xapi.post(moodle_statement())

    response = get(xapi, "activities", activityId=QUIZ)

    assert response.json == {
        "objectType": "Activity",
        "id": QUIZ,
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/assessment",
            "name": {"en": "Quiz 1"},
        },
    }


def test_activities_merges_what_every_statement_says_about_the_activity(
    xapi: XapiClient,
) -> None:
    """Communication 2.5 (XAPI-00254): two statements describing the activity in two languages
    yield both descriptions; later statements win for the same language."""
    english = moodle_statement()
    chinese = moodle_statement()
    chinese["object"]["definition"] = {"name": {"zh-CN": "测验 1"}, "moreInfo": "https://x.example"}
    renamed = moodle_statement()
    renamed["object"]["definition"] = {"name": {"en": "Quiz one"}}
    xapi.post([english, chinese])
    xapi.post(renamed)

    definition = get(xapi, "activities", activityId=QUIZ).json["definition"]  # type: ignore[index]

    assert definition == {
        "type": "http://adlnet.gov/expapi/activities/assessment",
        "name": {"en": "Quiz one", "zh-CN": "测验 1"},
        "moreInfo": "https://x.example",
    }


def test_activities_reads_definitions_given_in_context_activities(xapi: XapiClient) -> None:
    xapi.post(moodle_statement())

    response = get(xapi, "activities", activityId=MOODLE)

    assert response.json == {
        "objectType": "Activity",
        "id": MOODLE,
        "definition": {"type": "http://id.tincanapi.com/activitytype/lms"},
    }


def test_activities_shows_an_ordinary_source_only_its_own_statements_definitions(
    xapi: XapiClient, new_source: Callable[[str], XapiClient]
) -> None:
    """Sources without admin rights read only their own statements; definitions likewise."""
    xapi.post(moodle_statement())

    response = get(new_source("cmi5-player"), "activities", activityId=QUIZ)

    assert response.json == {"objectType": "Activity", "id": QUIZ}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "activityId"),
        ({"activityId": "not an iri"}, "activityId"),
        ({"activityId": QUIZ, "activity": QUIZ}, "activity"),
    ],
)
def test_activities_with_a_bad_parameter_is_400_naming_it(
    xapi: XapiClient, params: dict[str, Any], named: str
) -> None:
    """Communication 2.5: activityId is required and an IRI; nothing else is taken."""
    response = get(xapi, "activities", **params)

    assert response.status_code == 400
    assert _first_problem(response).startswith(f"{named}:")


# --- the pure pieces -----------------------------------------------------------------------------


def test_person_object_sorts_keys_into_their_arrays_once_each() -> None:
    person = person_object(
        ["A", "A", "B"],
        ["mbox:mailto:a@x.org", "account:https://h.example|n|with|bars", "mbox:mailto:a@x.org"],
    )

    assert person == {
        "objectType": "Person",
        "name": ["A", "B"],
        "mbox": ["mailto:a@x.org"],
        "account": [{"homePage": "https://h.example", "name": "n|with|bars"}],
    }


def test_definitions_of_finds_the_activity_inside_a_substatement() -> None:
    statement = {
        "object": {
            "objectType": "SubStatement",
            "object": {"id": "https://a.example", "definition": {"name": {"en": "A"}}},
            "context": {
                "contextActivities": {
                    "parent": {"id": "https://a.example", "definition": {"type": "https://t"}}
                }
            },
        }
    }

    found = list(definitions_of("https://a.example", statement))

    assert found == [{"name": {"en": "A"}}, {"type": "https://t"}]


def test_merge_definitions_merges_extensions_key_by_key() -> None:
    merged = merge_definitions(
        [[{"extensions": {"https://e/1": 1}}], [{"extensions": {"https://e/2": 2}}]]
    )

    assert merged == {"extensions": {"https://e/1": 1, "https://e/2": 2}}
