"""Trellis JSON and format detection: `read_framework` knows CASE, Trellis JSON and CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from competency_models.builtin import builtin_framework, load_builtin
from competency_models.case import framework_to_case_json
from competency_models.csv_format import framework_to_csv
from competency_models.framework_io import (
    framework_from_trellis_json,
    framework_to_trellis_json,
    read_framework,
)
from competency_models.frameworks import Framework, FrameworkImportError
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE

CASE_PACKAGE = Path(__file__).parent / "data" / "case" / "district-teaching-research.json"

MINIMAL = {
    "id": "mini",
    "version": "1",
    "title": {"zh": "最小框架", "en": "Minimal"},
    "items": [
        {"code": "1", "parent": None, "title": {"zh": "一", "en": "One"}},
        {"code": "1.1", "parent": "1", "title": {"zh": "一之一", "en": "One.one"}},
    ],
}


@pytest.mark.parametrize("framework", load_builtin(), ids=lambda fw: fw.id)
def test_trellis_json_round_trip_of_builtin_is_lossless_and_byte_stable(
    framework: Framework,
) -> None:
    data = framework_to_trellis_json(framework)
    again = framework_from_trellis_json(json.loads(data))
    assert again == framework
    assert again.fingerprint == framework.fingerprint
    assert framework_to_trellis_json(again) == data


def test_trellis_json_defaults_sequence_to_order_among_siblings() -> None:
    document = dict(MINIMAL)
    document["items"] = [
        {"code": "b", "parent": None, "title": {"zh": "乙"}},
        {"code": "a", "parent": None, "title": {"zh": "甲"}},
    ]
    framework = framework_from_trellis_json(document)
    assert [item.code for item in framework.items] == ["b", "a"]
    assert framework.scale is DEFAULT_SCALE


@pytest.mark.parametrize(
    ("levels", "expected_id"),
    [
        ([], DEFAULT_SCALE.id),
        (
            [{"code": c, "zh": "", "en": ""} for c in ("A1", "A2", "B1", "B2", "C1", "C2")],
            DIGCOMPEDU_SCALE.id,
        ),
        (
            [{"code": "低", "zh": "低", "en": "low"}, {"code": "高", "zh": "高", "en": "high"}],
            "mini-levels",
        ),
    ],
)
def test_research_draft_levels_list_becomes_a_scale(levels: list[object], expected_id: str) -> None:
    framework = framework_from_trellis_json({**MINIMAL, "levels": levels})
    assert framework.scale.id == expected_id


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"id": None}, "$.id: missing"),
        ({"version": 3}, "$.version: expected a string, got int"),
        ({"scale": "no-such-scale"}, "$.scale: unknown scale 'no-such-scale'"),
        ({"items": [{"parent": None, "title": {"zh": "无码"}}]}, "$.items[0].code: missing"),
        (
            {"items": [{"code": "1", "parent": "9", "title": {"zh": "孤儿"}}]},
            "parent '9' is not in",
        ),
        ({"notes": ["not", "a", "dict"]}, "$.notes: expected an object of strings"),
        (
            {"scale": {"id": "s", "levels": [{"code": "1"}]}},
            "$.scale.levels[0].min_estimate: missing",
        ),
    ],
)
def test_trellis_json_problems_name_their_json_path(
    change: dict[str, object], expected: str
) -> None:
    with pytest.raises(FrameworkImportError) as raised:
        framework_from_trellis_json({**MINIMAL, **change})
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


def test_read_framework_detects_case_json() -> None:
    framework = read_framework(CASE_PACKAGE.read_bytes(), "district.json")
    assert framework.id == "b601e5b8-f0c5-46d9-89b6-2663a0b60e34"


def test_read_framework_detects_trellis_json_with_a_bom() -> None:
    digcompedu = builtin_framework("eu-jrc-digcompedu")
    data = "\ufeff".encode() + framework_to_trellis_json(digcompedu)
    assert read_framework(data, None) == digcompedu


def test_read_framework_detects_case_export_of_a_builtin() -> None:
    framework = builtin_framework("cn-subject-teaching-literacy")
    assert read_framework(framework_to_case_json(framework), "export.json") == framework


def test_read_framework_detects_csv_regardless_of_file_name() -> None:
    framework = builtin_framework("cn-moe-jyt0646-2022-teacher-digital-literacy")
    read = read_framework(framework_to_csv(framework), "upload.txt")
    assert read.items == framework.items


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is not a framework file Trellis can read"),
        (b"name,age\nx,1\n", "is not a framework file Trellis can read"),
        (b'{"hello": "world"}', "neither a CASE package nor a Trellis framework"),
        (b"[1, 2, 3]", "neither a CASE package nor a Trellis framework"),
        (b'{"CFDocument": {', "looks like JSON but does not parse"),
        ("编码,父编码\n".encode("gbk"), "is not UTF-8 text"),
    ],
)
def test_read_framework_says_clearly_what_it_cannot_read(data: bytes, expected: str) -> None:
    with pytest.raises(FrameworkImportError, match=expected) as raised:
        read_framework(data, "upload.dat")
    assert "'upload.dat'" in str(raised.value)


def test_read_framework_reports_a_missing_csv_column_instead_of_an_unknown_format() -> None:
    with pytest.raises(FrameworkImportError) as raised:
        read_framework("code,title_zh\n1,一\n".encode(), "sheet.csv")
    assert "row 1: required column 'parent_code' is missing" in raised.value.problems
