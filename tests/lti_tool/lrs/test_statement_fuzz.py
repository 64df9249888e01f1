"""Malformed statements over HTTP: never a 500, a 400 always names the path and the rule."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lti_tool.lrs.conftest import XapiClient
from tests.xapi.builders import value_paths
from tests.xapi.test_validation_properties import VALID_SEEDS, json_values

_ANSWERS = {200, 400, 409}


def _assert_clear_answer(xapi: XapiClient, body: Any) -> None:
    response = xapi.post(body)
    assert response.status_code in _ANSWERS, (response.status_code, response.get_data())
    if response.status_code == 400:
        problems = response.json["error"]["problems"]  # type: ignore[index]
        assert problems
        assert all(": " in problem or problem.startswith("$") for problem in problems)


@given(
    seed=st.sampled_from(VALID_SEEDS),
    choice=st.integers(min_value=0),
    replacement=json_values,
    as_batch=st.booleans(),
)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_statement_with_any_value_replaced_is_stored_or_refused_with_a_path(
    xapi: XapiClient, seed: dict[str, Any], choice: int, replacement: Any, as_batch: bool
) -> None:
    statement = copy.deepcopy(seed)
    paths = [path for path in value_paths(statement) if path]
    trail = paths[choice % len(paths)]
    parent: Any = statement
    for step in trail[:-1]:
        parent = parent[step]
    parent[trail[-1]] = replacement

    _assert_clear_answer(xapi, [statement] if as_batch else statement)


@given(body=json_values)
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_json_body_is_stored_or_refused_with_a_path(xapi: XapiClient, body: Any) -> None:
    _assert_clear_answer(xapi, body)


@given(raw=st.binary(max_size=200))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_bytes_as_a_json_body_are_refused_not_crashed(xapi: XapiClient, raw: bytes) -> None:
    response = xapi.client.post(
        "/xapi/statements", data=raw, headers=xapi.headers(**{"Content-Type": "application/json"})
    )
    try:
        json.loads(raw)
    except ValueError:
        assert response.status_code == 400
    else:
        assert response.status_code in _ANSWERS
