"""The document resources over HTTP: state, activity profile, agent profile.

Spec references are xAPI 1.0.3 Communication 2.2–2.7 and 3.1 unless a test says 2.0.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.lti_tool.lrs.conftest import XapiClient

ACTIVITY = "https://cmi5.example.org/course/au/1"
LEARNER = {
    "objectType": "Agent",
    "account": {"homePage": "https://moodle.example.edu", "name": "42"},
}
OTHER_LEARNER = {"mbox": "mailto:other@example.org"}
TEAM = {
    "objectType": "Group",
    "name": "Team",
    "mbox": "mailto:team@example.org",
}
REGISTRATION = "0f4a7a4e-7f3c-4c3e-9c1e-1d0b5c1e2f3a"

STATE = "activities/state"
ACTIVITY_PROFILE = "activities/profile"
AGENT_PROFILE = "agents/profile"


def url(resource: str, **params: Any) -> str:
    """The path of a document resource with JSON-encoded object parameters."""
    encoded = {
        name: json.dumps(value) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return f"/xapi/{resource}?{urlencode(encoded)}"


def state(**extra: Any) -> dict[str, Any]:
    return {"activityId": ACTIVITY, "agent": LEARNER, **extra}


def request(
    xapi: XapiClient,
    method: str,
    resource: str,
    params: dict[str, Any],
    body: Any = None,
    *,
    content_type: str = "application/json",
    **headers: str,
) -> TestResponse:
    """One request to a document resource; dicts and lists are sent as JSON."""
    data = json.dumps(body) if isinstance(body, dict | list) else body
    if data is not None:
        headers["Content-Type"] = content_type
    return xapi.client.open(
        url(resource, **params), method=method, data=data, headers=xapi.headers(**headers)
    )


def problems(response: TestResponse) -> list[str]:
    body = response.json
    assert body is not None
    found: list[str] = body["error"]["problems"]
    return found


# --- round trips ---------------------------------------------------------------------------------


def test_state_put_then_get_returns_the_document_with_etag(xapi: XapiClient) -> None:
    """Communication 2.3: PUT answers 204; GET returns the document; 3.1: with a quoted ETag
    (the 1.0.3 suite wants the SHA-1 of the content)."""
    params = state(stateId="bookmark")
    put = request(xapi, "PUT", STATE, params, {"location": "page-3"})

    got = request(xapi, "GET", STATE, params)

    assert put.status_code == 204
    assert got.status_code == 200
    assert got.json == {"location": "page-3"}
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["ETag"] == f'"{hashlib.sha1(got.data).hexdigest()}"'
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


def test_document_get_carries_last_modified(xapi: XapiClient) -> None:
    """xAPI 2.0 4.1.6.2: a document GET says when the document last changed."""
    xapi.version = "2.0.0"
    params = state(stateId="bookmark")
    request(xapi, "PUT", STATE, params, {"location": "page-3"})

    got = request(xapi, "GET", STATE, params)

    assert got.headers["X-Experience-API-Version"] == "2.0.0"
    assert parsedate_to_datetime(got.headers["Last-Modified"]).tzinfo is not None


def test_last_modified_advances_when_the_document_changes(xapi: XapiClient) -> None:
    """xAPI 2.0 4.1.6.2: Last-Modified is updated when the document is updated."""
    xapi.version = "2.0.0"
    params = state(stateId="bookmark")
    request(xapi, "POST", STATE, params, {"a": 1})
    before = parsedate_to_datetime(request(xapi, "GET", STATE, params).headers["Last-Modified"])
    time.sleep(1.1)  # HTTP dates have whole seconds

    request(xapi, "POST", STATE, params, {"b": 2})

    after = parsedate_to_datetime(request(xapi, "GET", STATE, params).headers["Last-Modified"])
    assert after > before


def test_binary_content_round_trips_with_its_content_type(xapi: XapiClient) -> None:
    """Communication 2.2: a document is any content; the LRS keeps its Content-Type."""
    params = {"activityId": ACTIVITY, "profileId": "thumbnail"}
    content = bytes(range(256)) * 4

    put = request(
        xapi,
        "PUT",
        ACTIVITY_PROFILE,
        params,
        content,
        content_type="image/png",
        **{"If-None-Match": "*"},
    )
    got = request(xapi, "GET", ACTIVITY_PROFILE, params)

    assert put.status_code == 204
    assert got.data == content
    assert got.headers["Content-Type"] == "image/png"


def test_content_type_parameters_are_kept_as_sent(xapi: XapiClient) -> None:
    params = state(stateId="notes")
    request(xapi, "PUT", STATE, params, "ünïcode", content_type="text/plain; charset=utf-8")

    got = request(xapi, "GET", STATE, params)

    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert got.get_data(as_text=True) == "ünïcode"


def test_get_of_a_missing_document_is_404(xapi: XapiClient) -> None:
    """Communication 3.2: 404 for a single document that is not there."""
    response = request(xapi, "GET", STATE, state(stateId="never-stored"))

    assert response.status_code == 404


def test_head_answers_the_headers_of_get_without_a_body(xapi: XapiClient) -> None:
    """Communication 1.1: HEAD is GET without the content."""
    params = {"agent": LEARNER, "profileId": "prefs"}
    request(xapi, "PUT", AGENT_PROFILE, params, {"lang": "zh"}, **{"If-None-Match": "*"})

    head = request(xapi, "HEAD", AGENT_PROFILE, params)

    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"].startswith('"')


def test_documents_are_shared_by_every_source(
    xapi: XapiClient, new_source: Callable[[str], XapiClient]
) -> None:
    """Documents belong to the LRS: a cmi5 player reads the state the LMS wrote."""
    params = state(stateId="LMS.LaunchData")
    request(xapi, "PUT", STATE, params, {"launchMode": "Normal"})

    got = request(new_source("cmi5-player"), "GET", STATE, params)

    assert got.status_code == 200
    assert got.json == {"launchMode": "Normal"}


def test_an_identified_group_may_own_state(xapi: XapiClient) -> None:
    """Communication 2.3: the state's agent is an Agent or an Identified Group."""
    params = {"activityId": ACTIVITY, "agent": TEAM, "stateId": "progress"}

    assert request(xapi, "PUT", STATE, params, {"done": 3}).status_code == 204
    assert request(xapi, "GET", STATE, params).json == {"done": 3}


def test_the_same_agent_in_another_spelling_finds_the_same_state(xapi: XapiClient) -> None:
    """Agents are the same when their identifier is: name and objectType do not matter."""
    request(xapi, "PUT", STATE, state(stateId="s"), {"x": 1})
    same = {"name": "教师 42", "account": LEARNER["account"]}

    got = request(xapi, "GET", STATE, {"activityId": ACTIVITY, "agent": same, "stateId": "s"})

    assert got.json == {"x": 1}


# --- POST merge ----------------------------------------------------------------------------------


def test_state_post_merges_json_objects_one_level_deep(xapi: XapiClient) -> None:
    """Communication 2.2 (JSON procedure): top-level properties of the posted object replace
    those stored; nested objects are replaced whole, not merged."""
    params = state(stateId="suspend")
    request(xapi, "POST", STATE, params, {"car": {"make": "Ford", "model": "Escape"}, "k": 1})

    merged = request(xapi, "POST", STATE, params, {"car": {"make": "Dodge"}, "driver": "Jeff"})

    assert merged.status_code == 204
    assert request(xapi, "GET", STATE, params).json == {
        "car": {"make": "Dodge"},
        "k": 1,
        "driver": "Jeff",
    }


def test_post_of_a_new_document_stores_it(xapi: XapiClient) -> None:
    """Communication 2.2: without a stored document, POST acts as PUT."""
    params = {"agent": LEARNER, "profileId": "prefs"}

    response = request(xapi, "POST", AGENT_PROFILE, params, {"theme": "dark"})

    assert response.status_code == 204
    assert request(xapi, "GET", AGENT_PROFILE, params).json == {"theme": "dark"}


def test_post_merge_gives_the_merged_document_a_new_etag(xapi: XapiClient) -> None:
    params = state(stateId="s")
    request(xapi, "POST", STATE, params, {"a": 1})
    first = request(xapi, "GET", STATE, params).headers["ETag"]

    request(xapi, "POST", STATE, params, {"b": 2})

    second = request(xapi, "GET", STATE, params)
    assert second.headers["ETag"] != first
    assert second.headers["ETag"] == f'"{hashlib.sha1(second.data).hexdigest()}"'


def test_post_of_non_json_onto_a_json_document_is_400_and_changes_nothing(
    xapi: XapiClient,
) -> None:
    """Communication 2.2: either document not application/json → 400, target untouched."""
    params = state(stateId="s")
    request(xapi, "POST", STATE, params, {"a": 1})

    response = request(xapi, "POST", STATE, params, "abcdefg", content_type="not/json")

    assert response.status_code == 400
    assert "Content-Type" in problems(response)[0]
    assert request(xapi, "GET", STATE, params).json == {"a": 1}


def test_post_of_json_onto_a_binary_document_is_400_and_changes_nothing(
    xapi: XapiClient,
) -> None:
    """Communication 2.2: the stored document must be application/json too."""
    params = state(stateId="s")
    request(xapi, "PUT", STATE, params, "/ asdf /", content_type="application/octet-stream")

    response = request(xapi, "POST", STATE, params, {"a": 1})

    assert response.status_code == 400
    assert request(xapi, "GET", STATE, params).data == b"/ asdf /"


@pytest.mark.parametrize("body", ['{"a": 1}{', "[1, 2]", '"text"'])
def test_post_of_json_that_is_not_an_object_is_400(xapi: XapiClient, body: str) -> None:
    """Communication 2.2: a posted application/json document must parse as a JSON object."""
    params = state(stateId="s")
    request(xapi, "POST", STATE, params, {"a": 1})

    response = request(xapi, "POST", STATE, params, body)

    assert response.status_code == 400
    assert request(xapi, "GET", STATE, params).json == {"a": 1}


# --- concurrency (Communication 3.1) -------------------------------------------------------------


def test_profile_put_without_a_precondition_to_a_new_document_is_400(xapi: XapiClient) -> None:
    """Communication 3.1: a client must send If-Match or If-None-Match on a profile PUT; the
    ADL suite expects 400 when it does not."""
    params = {"activityId": ACTIVITY, "profileId": "p"}

    response = request(xapi, "PUT", ACTIVITY_PROFILE, params, {"a": 1})

    assert response.status_code == 400
    assert "If-None-Match" in problems(response)[0]
    assert request(xapi, "GET", ACTIVITY_PROFILE, params).status_code == 404


@pytest.mark.parametrize(
    ("resource", "params"),
    [
        (ACTIVITY_PROFILE, {"activityId": ACTIVITY, "profileId": "p"}),
        (AGENT_PROFILE, {"agent": LEARNER, "profileId": "p"}),
    ],
)
def test_profile_put_without_a_precondition_to_an_existing_document_is_409(
    xapi: XapiClient, resource: str, params: dict[str, Any]
) -> None:
    """Communication 3.1: a PUT without either header to an existing document → 409 with a
    message, and the document stays."""
    request(xapi, "POST", resource, params, {"original": True})

    response = request(xapi, "PUT", resource, params, {"replacement": True})

    assert response.status_code == 409
    assert problems(response)[0]
    assert request(xapi, "GET", resource, params).json == {"original": True}


def test_state_put_without_a_precondition_overwrites_under_1_0_3(xapi: XapiClient) -> None:
    """cmi5 content (written for 1.0.3) PUTs bookmarks without ETags; they must be kept."""
    params = state(stateId="bookmark")
    request(xapi, "PUT", STATE, params, {"page": 1})

    response = request(xapi, "PUT", STATE, params, {"page": 2})

    assert response.status_code == 204
    assert request(xapi, "GET", STATE, params).json == {"page": 2}


def test_state_put_without_a_precondition_to_an_existing_document_is_409_under_2_0(
    xapi: XapiClient,
) -> None:
    """xAPI 2.0 4.1.4: concurrency control covers the State Resource as well."""
    xapi.version = "2.0.0"
    params = state(stateId="bookmark")
    assert request(xapi, "PUT", STATE, params, {"page": 1}).status_code == 204

    response = request(xapi, "PUT", STATE, params, {"page": 2})

    assert response.status_code == 409
    assert request(xapi, "GET", STATE, params).json == {"page": 1}


def test_put_with_the_current_etag_replaces_the_document(xapi: XapiClient) -> None:
    """Communication 3.1: If-Match with the current ETag lets the PUT through."""
    params = {"agent": LEARNER, "profileId": "p"}
    request(xapi, "PUT", AGENT_PROFILE, params, {"v": 1}, **{"If-None-Match": "*"})
    etag = request(xapi, "GET", AGENT_PROFILE, params).headers["ETag"]

    response = request(xapi, "PUT", AGENT_PROFILE, params, {"v": 2}, **{"If-Match": etag})

    assert response.status_code == 204
    assert request(xapi, "GET", AGENT_PROFILE, params).json == {"v": 2}


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_a_stale_if_match_is_412_and_changes_nothing(xapi: XapiClient, method: str) -> None:
    """Communication 3.1: If-Match that does not match → 412 Precondition Failed."""
    params = {"activityId": ACTIVITY, "profileId": "p"}
    request(xapi, "PUT", ACTIVITY_PROFILE, params, {"v": 1}, **{"If-None-Match": "*"})
    stale = '"' + "1" * 40 + '"'

    body = None if method == "DELETE" else {"v": 2}
    response = request(xapi, method, ACTIVITY_PROFILE, params, body, **{"If-Match": stale})

    assert response.status_code == 412
    assert request(xapi, "GET", ACTIVITY_PROFILE, params).json == {"v": 1}


def test_if_none_match_star_creates_but_never_overwrites(xapi: XapiClient) -> None:
    """Communication 3.1: If-None-Match: * succeeds only when no document exists."""
    params = {"activityId": ACTIVITY, "profileId": "p"}

    first = request(xapi, "PUT", ACTIVITY_PROFILE, params, {"v": 1}, **{"If-None-Match": "*"})
    second = request(xapi, "PUT", ACTIVITY_PROFILE, params, {"v": 2}, **{"If-None-Match": "*"})

    assert (first.status_code, second.status_code) == (204, 412)
    assert request(xapi, "GET", ACTIVITY_PROFILE, params).json == {"v": 1}


def test_if_match_on_a_missing_document_is_412(xapi: XapiClient) -> None:
    params = {"activityId": ACTIVITY, "profileId": "p"}

    response = request(xapi, "PUT", ACTIVITY_PROFILE, params, {"v": 1}, **{"If-Match": "*"})

    assert response.status_code == 412


def test_delete_with_the_current_etag_removes_the_document(xapi: XapiClient) -> None:
    params = {"activityId": ACTIVITY, "profileId": "p"}
    request(xapi, "PUT", ACTIVITY_PROFILE, params, {"v": 1}, **{"If-None-Match": "*"})
    etag = request(xapi, "GET", ACTIVITY_PROFILE, params).headers["ETag"]

    response = request(xapi, "DELETE", ACTIVITY_PROFILE, params, **{"If-Match": etag})

    assert response.status_code == 204
    assert request(xapi, "GET", ACTIVITY_PROFILE, params).status_code == 404


# --- many documents: ids, since, delete all ------------------------------------------------------


def test_state_get_without_state_id_lists_the_ids_of_the_context(xapi: XapiClient) -> None:
    """Communication 2.3: GET without stateId returns the ids of the context's states."""
    for state_id in ("b", "a"):
        request(xapi, "PUT", STATE, state(stateId=state_id), {"x": 1})
    request(
        xapi, "PUT", STATE, {"activityId": ACTIVITY, "agent": OTHER_LEARNER, "stateId": "c"}, {}
    )

    response = request(xapi, "GET", STATE, state())

    assert response.status_code == 200
    assert sorted(response.json) == ["a", "b"]  # type: ignore[arg-type]


def test_state_ids_without_registration_cover_every_registration(xapi: XapiClient) -> None:
    """Communication 2.3: registration narrows the context only when given."""
    request(xapi, "PUT", STATE, state(stateId="plain"), {})
    request(xapi, "PUT", STATE, state(stateId="registered", registration=REGISTRATION), {})

    every = request(xapi, "GET", STATE, state())
    registered = request(xapi, "GET", STATE, state(registration=REGISTRATION.upper()))

    assert sorted(every.json) == ["plain", "registered"]  # type: ignore[arg-type]
    assert registered.json == ["registered"]


def test_a_registration_keeps_states_apart(xapi: XapiClient) -> None:
    request(xapi, "PUT", STATE, state(stateId="s"), {"r": None})
    request(xapi, "PUT", STATE, state(stateId="s", registration=REGISTRATION), {"r": 1})

    assert request(xapi, "GET", STATE, state(stateId="s")).json == {"r": None}
    assert request(xapi, "GET", STATE, state(stateId="s", registration=REGISTRATION)).json == {
        "r": 1
    }


@pytest.mark.parametrize(
    ("resource", "context", "id_name"),
    [
        (STATE, state(), "stateId"),
        (ACTIVITY_PROFILE, {"activityId": ACTIVITY}, "profileId"),
        (AGENT_PROFILE, {"agent": LEARNER}, "profileId"),
    ],
)
def test_since_lists_only_documents_changed_after_it(
    xapi: XapiClient, resource: str, context: dict[str, Any], id_name: str
) -> None:
    """Communication 2.3–2.7: with since, only ids of documents stored after it (exclusive)."""
    request(xapi, "POST", resource, {**context, id_name: "old"}, {"v": 1})
    time.sleep(0.01)
    since = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    request(xapi, "POST", resource, {**context, id_name: "new"}, {"v": 2})

    listed = request(xapi, "GET", resource, {**context, "since": since})
    everything = request(xapi, "GET", resource, context)

    assert listed.status_code == 200
    assert listed.json == ["new"]
    assert sorted(everything.json) == ["new", "old"]  # type: ignore[arg-type]


def test_state_delete_without_state_id_clears_the_context_only(xapi: XapiClient) -> None:
    """Communication 2.3: DELETE without stateId deletes every state of the context."""
    request(xapi, "PUT", STATE, state(stateId="a"), {})
    request(xapi, "PUT", STATE, state(stateId="b", registration=REGISTRATION), {})
    elsewhere = {"activityId": ACTIVITY + "/other", "agent": LEARNER, "stateId": "c"}
    request(xapi, "PUT", STATE, elsewhere, {})

    response = request(xapi, "DELETE", STATE, state())

    assert response.status_code == 204
    assert request(xapi, "GET", STATE, state()).json == []
    assert request(xapi, "GET", STATE, elsewhere).status_code == 200


def test_state_delete_of_one_document_keeps_the_others(xapi: XapiClient) -> None:
    request(xapi, "PUT", STATE, state(stateId="a"), {})
    request(xapi, "PUT", STATE, state(stateId="b"), {})

    response = request(xapi, "DELETE", STATE, state(stateId="a"))

    assert response.status_code == 204
    assert request(xapi, "GET", STATE, state()).json == ["b"]


def test_deleting_a_missing_document_succeeds(xapi: XapiClient) -> None:
    response = request(xapi, "DELETE", AGENT_PROFILE, {"agent": LEARNER, "profileId": "gone"})

    assert response.status_code == 204


# --- parameters (Communication 2.3–2.7 tables; 3.2: 400 naming the parameter) --------------------

_NOT_JSON_AGENT = '{"objectType": "Agent", "account" {}}'


@pytest.mark.parametrize(
    ("method", "resource", "params", "named"),
    [
        ("GET", STATE, {"agent": LEARNER, "stateId": "s"}, "activityId"),
        ("PUT", STATE, {"activityId": ACTIVITY, "stateId": "s"}, "agent"),
        ("PUT", STATE, {"activityId": ACTIVITY, "agent": LEARNER}, "stateId"),
        (
            "POST",
            STATE,
            {"activityId": "not an iri", "agent": LEARNER, "stateId": "s"},
            "activityId",
        ),
        ("PUT", STATE, {"activityId": ACTIVITY, "agent": "true", "stateId": "s"}, "agent"),
        ("GET", STATE, {"activityId": ACTIVITY, "agent": _NOT_JSON_AGENT}, "agent"),
        (
            "DELETE",
            STATE,
            {"activityId": ACTIVITY, "agent": {"objectType": "Agent"}, "stateId": "s"},
            "agent",
        ),
        ("PUT", STATE, state(stateId="s", registration="not-a-uuid"), "registration"),
        ("GET", STATE, state(since="yesterday"), "since"),
        ("PUT", STATE, state(stateId="s", since="2026-01-01T00:00:00Z"), "since"),
        ("GET", STATE, state(stateId="s", since="2026-01-01T00:00:00Z"), "since"),
        ("GET", STATE, state(stateId="s", color="red"), "color"),
        ("GET", STATE, {"activityID": ACTIVITY, "agent": LEARNER, "stateId": "s"}, "activityID"),
        ("POST", ACTIVITY_PROFILE, {"profileId": "p"}, "activityId"),
        ("DELETE", ACTIVITY_PROFILE, {"activityId": ACTIVITY}, "profileId"),
        ("GET", ACTIVITY_PROFILE, {"activityId": ACTIVITY, "agent": LEARNER}, "agent"),
        ("DELETE", AGENT_PROFILE, {"profileId": "p"}, "agent"),
        ("POST", AGENT_PROFILE, {"agent": TEAM, "profileId": "p"}, "agent.objectType"),
        ("GET", AGENT_PROFILE, {"agent": LEARNER, "since": "2026-13-01T00:00:00Z"}, "since"),
        ("GET", AGENT_PROFILE, {"agent": LEARNER, "ProfileId": "p"}, "ProfileId"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(
    xapi: XapiClient, method: str, resource: str, params: dict[str, Any], named: str
) -> None:
    body = {"v": 1} if method in ("PUT", "POST") else None

    response = request(xapi, method, resource, params, body, **{"If-None-Match": "*"})

    assert response.status_code == 400
    assert problems(response)[0].startswith(f"{named}:")


def test_a_repeated_parameter_is_400(xapi: XapiClient, client: FlaskClient) -> None:
    path = url(STATE, **state(stateId="a")) + "&stateId=b"

    response = client.get(path, headers=xapi.headers())

    assert response.status_code == 400
    assert problems(response)[0].startswith("stateId:")


def test_since_without_an_offset_is_400_under_2_0(xapi: XapiClient) -> None:
    """xAPI 2.0: timestamps are RFC 3339 and carry an offset."""
    xapi.version = "2.0.0"

    response = request(xapi, "GET", STATE, state(since="2026-01-01T00:00:00"))

    assert response.status_code == 400


def test_a_state_written_in_the_alternate_syntax_reads_back(
    xapi: XapiClient, client: FlaskClient
) -> None:
    """Communication 1.3 (1.0.3 only): the document arrives as the ``content`` form field."""
    form = {
        **{
            name: json.dumps(value) if isinstance(value, dict) else value
            for name, value in state(stateId="s").items()
        },
        "Authorization": xapi.headers()["Authorization"],
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": json.dumps({"via": "form"}),
    }

    response = client.post(
        f"/xapi/{STATE}?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 204
    assert request(xapi, "GET", STATE, state(stateId="s")).json == {"via": "form"}


def test_unknown_document_ids_stay_apart_from_lookalikes(xapi: XapiClient) -> None:
    """A stateId is opaque: ids differing only in case are different documents."""
    request(xapi, "PUT", STATE, state(stateId="Bookmark"), {"v": "upper"})
    request(xapi, "PUT", STATE, state(stateId="bookmark"), {"v": "lower"})

    assert request(xapi, "GET", STATE, state(stateId="Bookmark")).json == {"v": "upper"}
    assert request(xapi, "GET", STATE, state(stateId=str(uuid.uuid4()))).status_code == 404


def test_put_of_malformed_json_is_400(xapi: XapiClient) -> None:
    """A document typed application/json must be JSON, or every later POST merge would fail."""
    params = state(stateId="s")

    response = request(xapi, "PUT", STATE, params, '{"a": 1')

    assert response.status_code == 400
    assert request(xapi, "GET", STATE, params).status_code == 404


def test_put_of_any_json_value_is_kept(xapi: XapiClient) -> None:
    """PUT stores any JSON value; only POST needs an object to merge into."""
    params = state(stateId="s")

    request(xapi, "PUT", STATE, params, [1, "two"])

    assert request(xapi, "GET", STATE, params).json == [1, "two"]


def test_deeply_nested_json_is_400_not_a_crash(xapi: XapiClient) -> None:
    """Python's JSON parser gives up on deep nesting; that is the client's error, not ours."""
    deep = "[" * 100_000 + "]" * 100_000
    params = state(stateId="s")
    request(xapi, "POST", STATE, params, {"a": 1})

    put = request(xapi, "PUT", STATE, params, deep)
    post = request(xapi, "POST", STATE, params, deep)
    agent = request(xapi, "GET", STATE, {"activityId": ACTIVITY, "agent": deep, "stateId": "s"})

    assert (put.status_code, post.status_code, agent.status_code) == (400, 400, 400)


@pytest.mark.parametrize(
    ("since", "listed"),
    [("0001-01-01T00:00:00+01:00", ["s"]), ("9999-12-31T23:59:59-01:00", [])],
)
def test_since_at_the_ends_of_the_calendar_is_answered(
    xapi: XapiClient, since: str, listed: list[str]
) -> None:
    """A since that leaves datetime's range once converted to UTC still gets an answer."""
    request(xapi, "PUT", STATE, state(stateId="s"), {})

    response = request(xapi, "GET", STATE, state(since=since))

    assert response.status_code == 200
    assert response.json == listed
