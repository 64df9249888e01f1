"""Normalisation into the stored form (xAPI 1.0.3 Data 2.4.1, 2.4.6.2, 2.4.7-2.4.10)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone

from tests.xapi.builders import full_statement, load_data, substatement
from xapi.normalise import normalise_statement, timestamp_in_utc
from xapi.syntax import is_uuid
from xapi.versions import XapiVersion

STORED = datetime(2026, 3, 20, 8, 0, 0, 250000, tzinfo=UTC)
AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "https://lrs.example", "name": "moodle"},
}
FIXED_ID = "7d0c9e1a-0000-4000-8000-000000000001"


def _normalise(statement: dict, version: XapiVersion = XapiVersion.V1_0_3) -> dict:
    return normalise_statement(
        statement, stored=STORED, authority=AUTHORITY, version=version, new_id=lambda: FIXED_ID
    )


def test_missing_id_is_assigned() -> None:
    """Data 2.4.1: the LRS MUST generate an id when the statement has none."""
    statement = load_data("moodle_attendance.json")
    assert _normalise(statement)["id"] == FIXED_ID


def test_default_id_source_makes_time_ordered_uuids() -> None:
    """Data 2.4.1: generated ids are UUIDs (version 7 here: xapi.statement_ids)."""
    statement = load_data("moodle_attendance.json")
    normalised = normalise_statement(statement, stored=STORED, authority=AUTHORITY)
    assert is_uuid(normalised["id"])
    assert normalised["id"][14] == "7"


def test_existing_id_is_kept() -> None:
    """Data 2.4.1: an id sent by the client is the statement's id."""
    statement = full_statement()
    assert _normalise(statement)["id"] == statement["id"]


def test_stored_is_set_by_the_lrs_even_when_sent() -> None:
    """Data 2.4.8: the LRS MUST set "stored" when it stores the statement."""
    assert _normalise(full_statement())["stored"] == "2026-03-20T08:00:00.250Z"


def test_timestamp_defaults_to_stored() -> None:
    """Data 2.4.7: without a timestamp, the LRS SHOULD set it to the value of stored."""
    statement = load_data("moodle_attendance.json")
    del statement["timestamp"]
    assert _normalise(statement)["timestamp"] == "2026-03-20T08:00:00.250Z"


def test_authority_comes_from_the_credential_not_the_body() -> None:
    """Data 2.4.9: the LRS MUST ensure authority is the credential's, overwriting the body."""
    statement = full_statement()
    normalised = _normalise(statement)
    assert normalised["authority"] == AUTHORITY
    assert normalised["authority"] is not AUTHORITY


def test_version_defaults_per_negotiated_version() -> None:
    """Data 2.4.10: "If not provided, the LRS MUST set version to 1.0.0" (2.0: 2.0.0)."""
    statement = load_data("moodle_attendance.json")
    assert _normalise(statement)["version"] == "1.0.0"
    assert _normalise(statement, XapiVersion.V2_0_0)["version"] == "2.0.0"
    assert _normalise(full_statement())["version"] == "1.0.3"


def test_single_context_activities_become_arrays() -> None:
    """Data 2.4.6.2: "the LRS MUST return single Activity Objects as an array of length one"."""
    statement = full_statement()
    context_activities = _normalise(statement)["context"]["contextActivities"]
    assert context_activities["grouping"] == [{"id": "https://trellis.example/programmes/2026"}]
    assert context_activities["parent"] == [{"id": "https://trellis.example/courses/5"}]


def test_substatement_context_activities_become_arrays() -> None:
    """Data 2.4.6.2 applies inside a SubStatement too."""
    statement = {**full_statement(), "object": substatement()}
    normalised = _normalise(statement)
    assert normalised["object"]["context"]["contextActivities"]["parent"] == [
        {"id": "https://trellis.example/c"}
    ]


def test_input_is_never_mutated() -> None:
    """Normalisation is pure: the request's statement is untouched."""
    statement = {**full_statement(), "object": substatement()}
    del statement["id"], statement["timestamp"]
    before = copy.deepcopy(statement)
    _normalise(statement, XapiVersion.V2_0_0)
    assert statement == before


def test_offset_timestamps_are_converted_to_utc_under_2_0() -> None:
    """IEEE 9274.1.1 4.2.4.2: timestamps with offsets are converted to UTC, not rejected."""
    statement = load_data("xapi2_observation.json")
    normalised = _normalise(statement, XapiVersion.V2_0_0)
    assert normalised["timestamp"] == "2026-03-17T02:05:00.5Z"


def test_offset_timestamps_are_kept_under_1_0_3() -> None:
    """xAPI 1.0.3 keeps the statement as sent (conversion is only a SHOULD there)."""
    statement = load_data("moodle_module_viewed.json")
    assert _normalise(statement)["timestamp"] == "2026-03-13T23:59:59.999+08:00"


def test_timestamp_in_utc_keeps_fraction_and_crosses_dates() -> None:
    """The instant is preserved exactly, digits of the fraction included."""
    assert timestamp_in_utc("2026-01-01T01:00:00.123456-0230") == "2026-01-01T03:30:00.123456Z"
    assert timestamp_in_utc("2026-01-01T05:00:00+08:00") == "2025-12-31T21:00:00Z"
    assert timestamp_in_utc("2026-01-01T05:00:00Z") == "2026-01-01T05:00:00Z"
    moment = datetime(2026, 1, 1, 5, tzinfo=timezone(timedelta(hours=8)))
    assert timestamp_in_utc(moment.isoformat()) == "2025-12-31T21:00:00Z"
