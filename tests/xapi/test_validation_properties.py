"""Property tests: whatever JSON arrives, validation returns or raises its own error type,
and every reported problem has a path."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.xapi.builders import full_statement, load_data, substatement, value_paths
from xapi.comparison import statements_match
from xapi.errors import StatementValidationError
from xapi.formats import ResponseFormat, format_statement
from xapi.indexing import index_keys
from xapi.normalise import normalise_statement
from xapi.validation import validate_statement, validate_statements
from xapi.versions import XapiVersion

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["mailto:a@b.c", "http://x.y/z", "en-US", "Group", "Agent", "SubStatement"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
versions = st.sampled_from(list(XapiVersion))

VALID_SEEDS = [
    full_statement(),
    {
        **full_statement(),
        "object": substatement(),
        "context": {"registration": "9c1f6d0e-2a3b-4c5d-9e8f-7a6b5c4d3e2f"},
    },
    load_data("moodle_attendance.json"),
    load_data("moodle_quiz_answered.json"),
    load_data("cmi5_passed.json"),
]


def _assert_only_our_error(body: Any, version: XapiVersion) -> None:
    for validate in (validate_statement, validate_statements):
        try:
            validate(body, version)
        except StatementValidationError as error:
            assert error.problems
            assert all(problem.path and problem.rule for problem in error.problems)


@given(body=json_values, version=versions)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_random_json_raises_only_statement_validation_error(
    body: Any, version: XapiVersion
) -> None:
    """Any JSON-decoded value is either a valid statement or a StatementValidationError."""
    _assert_only_our_error(body, version)


@given(
    seed=st.sampled_from(VALID_SEEDS),
    choice=st.integers(min_value=0),
    action=st.sampled_from(["replace", "delete", "add"]),
    value=json_values,
    key=st.text(max_size=12),
    version=versions,
)
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_statements_raise_only_statement_validation_error(
    seed: dict[str, Any],
    choice: int,
    action: str,
    value: Any,
    key: str,
    version: XapiVersion,
) -> None:
    """A valid statement with one value replaced, removed or added anywhere is either still
    valid or rejected with paths; never a crash."""
    statement = copy.deepcopy(seed)
    locations = [trail for trail in value_paths(statement) if trail]
    trail = locations[choice % len(locations)]
    parent: Any = statement
    for step in trail[:-1]:
        parent = parent[step]
    last = trail[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][key] = value
    else:
        parent[last] = [parent[last], value]
    _assert_only_our_error(statement, version)
    _assert_only_our_error([statement, statement], version)


@given(value=json_values)
@settings(max_examples=100)
def test_unknown_top_level_property_is_always_rejected(value: Any) -> None:
    """Data 2.2: the LRS rejects statements with properties the specification does not allow."""
    statement = {**full_statement(), "trellisNote": value}
    try:
        validate_statement(statement)
    except StatementValidationError as error:
        assert "trellisNote: unknown property" in error.messages
    else:  # pragma: no cover - the assertion below always fails here
        raise AssertionError("an unknown property was accepted")


@given(
    seed=st.sampled_from(VALID_SEEDS),
    choice=st.integers(min_value=0),
    value=json_values,
    version=versions,
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_valid_statement_normalises_to_a_valid_matching_statement(
    seed: dict[str, Any], choice: int, value: Any, version: XapiVersion
) -> None:
    """Whatever valid statement arrives, its stored form is valid under the same version,
    matches it under the comparison rules (so a re-POST is not a conflict), and yields index
    keys and every response format without error."""
    statement = copy.deepcopy(seed)
    locations = [trail for trail in value_paths(statement) if trail]
    trail = locations[choice % len(locations)]
    parent: Any = statement
    for step in trail[:-1]:
        parent = parent[step]
    parent[trail[-1]] = value
    try:
        validate_statement(statement, version)
    except StatementValidationError:
        statement = copy.deepcopy(seed)
    stored = normalise_statement(
        statement,
        stored=datetime(2026, 5, 1, tzinfo=UTC),
        authority={"mbox": "mailto:lrs@trellis.example"},
        version=version,
    )
    validate_statement(stored, version)
    assert statements_match(stored, statement, version)
    index_keys(stored)
    for response_format in ResponseFormat:
        format_statement(stored, response_format, languages=("zh-CN", "en"))
