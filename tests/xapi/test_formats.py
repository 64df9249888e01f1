"""GET /statements ``format`` (xAPI 1.0.3 Communication 2.1.3; conformance XAPI-00168-00172)."""

from __future__ import annotations

import copy

import pytest

from tests.xapi.builders import full_statement, load_data, substatement
from xapi.errors import StatementValidationError
from xapi.formats import (
    ResponseFormat,
    choose_language,
    format_statement,
    parse_accept_language,
    parse_format,
)


def test_exact_returns_the_statement_as_stored() -> None:
    """XAPI-00170: "exact" returns objects exactly as they were received."""
    statement = full_statement()
    assert format_statement(statement, ResponseFormat.EXACT) == statement


def test_ids_reduces_agents_groups_activities_and_verbs() -> None:
    """XAPI-00171: "ids" keeps only identifiers: an Activity keeps only its id, a Group its
    objectType and IFI, a Verb its id."""
    statement = {
        **full_statement(),
        "object": {
            **substatement(),
            "actor": {"objectType": "Group", "name": "组", "mbox": "mailto:g@x.cn", "member": []},
            "object": {"objectType": "Activity", "id": "https://t.example/a", "definition": {}},
        },
    }
    reduced = format_statement(statement, ResponseFormat.IDS)
    assert reduced["actor"] == {"objectType": "Agent", "mbox": "mailto:liu@school.example.cn"}
    assert reduced["verb"] == {"id": statement["verb"]["id"]}
    assert reduced["object"]["actor"] == {"objectType": "Group", "mbox": "mailto:g@x.cn"}
    assert reduced["object"]["object"] == {"id": "https://t.example/a"}
    assert reduced["context"]["team"] == {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@school.example.cn"}],
    }
    assert reduced["context"]["contextActivities"]["grouping"] == [
        {"id": "https://trellis.example/programmes/2026"}
    ]


def test_canonical_keeps_one_language_per_map() -> None:
    """XAPI-00172: with "canonical" and Accept-Language, each language map of Activities and
    Verbs holds only the chosen language; Agents are returned as in "exact"."""
    statement = full_statement()
    statement["object"]["definition"]["name"] = {"en-US": "debrief", "en-GB": "debrief (GB)"}
    canonical = format_statement(
        statement, ResponseFormat.CANONICAL, languages=parse_accept_language("en-GB")
    )
    assert canonical["verb"]["display"] == {"en-US": "attended"}
    assert canonical["object"]["definition"]["name"] == {"en-GB": "debrief (GB)"}
    assert canonical["actor"] == statement["actor"]


def test_canonical_uses_the_lrs_definition_and_filters_components() -> None:
    """Communication 2.1.3: "canonical" returns the LRS's canonical Activity Definition."""
    statement = load_data("moodle_quiz_answered.json")
    activity_id = statement["object"]["id"]
    definition = copy.deepcopy(statement["object"]["definition"])
    definition["name"] = {"en": "Question", "zh-CN": "题目"}
    definition["choices"][0]["description"] = {"en": "recall", "zh-CN": "回忆"}
    canonical = format_statement(
        statement,
        ResponseFormat.CANONICAL,
        languages=("zh-CN",),
        canonical_definitions={activity_id: definition},
    )
    assert canonical["object"]["definition"]["name"] == {"zh-CN": "题目"}
    assert canonical["object"]["definition"]["choices"][0]["description"] == {"zh-CN": "回忆"}
    assert canonical["object"]["definition"]["choices"][2] == {
        "id": "yesno",
        "description": {"en": "Is this right?"},
    }


def test_formatting_never_mutates_the_stored_statement() -> None:
    """Formats are pure functions of the stored statement."""
    statement = {**full_statement(), "object": substatement()}
    before = copy.deepcopy(statement)
    for response_format in ResponseFormat:
        format_statement(statement, response_format, languages=("en",))
    assert statement == before


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        (("en-GB",), {"en-GB": "colour"}),
        (("EN-gb",), {"en-GB": "colour"}),
        (("en",), {"en-US": "color"}),
        (("fr", "zh-CN"), {"zh-CN": "颜色"}),
        (("*",), {"en-US": "color"}),
        (("fr",), {"en-US": "color"}),
        ((), {"en-US": "color"}),
    ],
)
def test_choose_language(preferences: tuple[str, ...], expected: dict[str, str]) -> None:
    """Communication 2.1.3 language filtering: exact tag, then prefix, then any."""
    language_map = {"en-US": "color", "en-GB": "colour", "zh-CN": "颜色"}
    assert choose_language(language_map, preferences) == expected


def test_choose_language_prefers_und_without_match() -> None:
    """Without a matching preference, the undetermined-language entry is the neutral one."""
    assert choose_language({"fr": "x", "und": "y"}, ("de",)) == {"und": "y"}
    assert choose_language({}, ("de",)) == {}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, ()),
        ("", ()),
        ("en-GB", ("en-GB",)),
        ("zh-CN,zh;q=0.9,en;q=0.8", ("zh-CN", "zh", "en")),
        ("en;q=0.5, fr;q=0.9, de", ("de", "fr", "en")),
        ("en;q=0, fr", ("fr",)),
        ("en;q=abc, fr", ("fr",)),
    ],
)
def test_parse_accept_language(header: str | None, expected: tuple[str, ...]) -> None:
    """RFC 9110 12.5.4: ranges ordered by weight, q=0 means "not acceptable"."""
    assert parse_accept_language(header) == expected


def test_parse_format() -> None:
    """Communication 2.1.3: format is ids, exact (default) or canonical; else 400."""
    assert parse_format(None) is ResponseFormat.EXACT
    assert parse_format("ids") is ResponseFormat.IDS
    with pytest.raises(StatementValidationError, match="format: must be ids, exact or canonical"):
        parse_format("IDS")
