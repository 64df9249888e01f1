"""Moodle's language codes (zh_cn) become the RFC 5646 tags they stand for (zh-CN)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.xapi.builders import full_statement
from xapi.moodle_compat import may_hold_moodle_codes, repair_language_codes, rfc5646_from_moodle
from xapi.validation import validate_statement


@pytest.mark.parametrize(
    ("code", "tag"),
    [
        ("zh_cn", "zh-CN"),
        ("zh_tw", "zh-TW"),
        ("pt_br", "pt-BR"),
        ("EN_us", "en-US"),
        ("en", "en"),
        ("zh-CN", "zh-CN"),
        ("de_kids", "de_kids"),
        ("a12345", "a12345"),
    ],
)
def test_only_moodle_language_region_codes_are_rewritten(code: str, tag: str) -> None:
    assert rfc5646_from_moodle(code) == tag


def _chinese_moodle_statement() -> dict[str, Any]:
    """What logstore_xapi sends from a course whose language is zh_cn."""
    return {
        "actor": {
            "name": "王老师",
            "account": {"homePage": "https://moodle.example.cn", "name": "7"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"zh_cn": "完成"}},
        "object": {
            "id": "https://moodle.example.cn/mod/quiz/view.php?id=3",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/assessment",
                "name": {"zh_cn": "单元测验"},
            },
        },
        "context": {
            "language": "zh_cn",
            "platform": "Moodle",
            "contextActivities": {
                "grouping": [
                    {
                        "id": "https://moodle.example.cn/course/view.php?id=2",
                        "definition": {"name": {"zh_cn": "信息技术应用能力提升"}},
                    }
                ]
            },
        },
    }


def test_a_chinese_moodle_statement_is_repaired_into_a_valid_one() -> None:
    sent = _chinese_moodle_statement()
    original = copy.deepcopy(sent)

    repaired = repair_language_codes(sent)

    validate_statement(repaired)
    assert repaired["context"]["language"] == "zh-CN"
    assert repaired["verb"]["display"] == {"zh-CN": "完成"}
    assert repaired["object"]["definition"]["name"] == {"zh-CN": "单元测验"}
    grouping = repaired["context"]["contextActivities"]["grouping"][0]
    assert grouping["definition"]["name"] == {"zh-CN": "信息技术应用能力提升"}
    assert sent == original, "the input must not be mutated"


def test_a_statement_without_moodle_codes_comes_back_as_the_same_object() -> None:
    statement = full_statement()

    assert repair_language_codes(statement) is statement
    batch = [statement, statement]
    assert repair_language_codes(batch) is batch


def test_a_map_that_already_has_the_proper_tag_keeps_its_own_entry() -> None:
    statement = _chinese_moodle_statement()
    statement["verb"]["display"] = {"zh_cn": "完成(旧)", "zh-CN": "完成"}

    assert repair_language_codes(statement)["verb"]["display"] == {"zh-CN": "完成"}


def test_invalid_tags_that_are_not_moodle_codes_are_left_for_the_validator() -> None:
    statement = _chinese_moodle_statement()
    statement["context"]["language"] = "a12345"

    assert repair_language_codes(statement)["context"]["language"] == "a12345"


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_the_text_of_a_statement_with_moodle_codes_is_seen_to_hold_them(ensure_ascii: bool) -> None:
    text = json.dumps([full_statement(), _chinese_moodle_statement()], ensure_ascii=ensure_ascii)

    assert may_hold_moodle_codes(text.encode())


def test_an_underscore_written_as_an_escape_counts_as_a_possible_code() -> None:
    assert may_hold_moodle_codes(b'{"context": {"language": "zh\\u005Fcn"}}')


def test_the_text_of_statements_without_moodle_codes_needs_no_repair() -> None:
    statement = full_statement()
    statement["result"] = {"response": "snake_case_answer"}  # an underscore, not a code

    assert not may_hold_moodle_codes(json.dumps([statement, statement]).encode())


#: The definition the scan implements, written plainly: a JSON string of two or three ASCII
#: letters, an underscore and two letters, or an underscore written as an escape.
_CODE_STRING = re.compile(rb'"[A-Za-z]{2,3}_[A-Za-z]{2}"')


def _holds_a_code_by_definition(text: bytes) -> bool:
    return _CODE_STRING.search(text) is not None or b"\\u005f" in text or b"\\u005F" in text


_FILLER = st.text(alphabet='a"_ é\\', max_size=4)
_LETTERS = st.one_of(
    st.text(alphabet="zhZH", min_size=1, max_size=4),  # codes and too short or long ones
    st.text(alphabet="zh1é", max_size=3),  # a digit or a letter beyond ASCII
)
_QUOTE_OR_NOT = st.sampled_from(['"', '"', "", "x"])


@st.composite
def _near_codes(draw: st.DrawFn) -> str:
    """Text around something shaped like a code — letters, an underscore (or its escape, or a
    hyphen), letters — each part drawn so that codes and near misses are both common."""
    separator = draw(st.sampled_from(["_", "_", "_", "\\u005f", "\\u005F", "-", "__"]))
    return "".join(
        [
            draw(_FILLER),
            draw(_QUOTE_OR_NOT),
            draw(_LETTERS),
            separator,
            draw(_LETTERS),
            draw(_QUOTE_OR_NOT),
            draw(_FILLER),
        ]
    )


@settings(max_examples=500)
@given(st.lists(_near_codes(), min_size=1, max_size=3).map("".join))
def test_the_scan_finds_a_code_exactly_when_the_definition_does(text: str) -> None:
    encoded = text.encode()

    assert may_hold_moodle_codes(encoded) == _holds_a_code_by_definition(encoded)


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        (b'{"language": "zh_cn"}', True),
        (b'{"display": {"zh_tw": "x"}}', True),
        (b'"fil_ph"', True),
        (b'"z_cn"', False),
        (b'"abcd_cn"', False),
        (b'"zh_c"', False),
        (b'zh_cn"', False),
        (b'"zh_cn', False),
        (b'"\\\\mod_quiz\\\\event\\\\attempt_submitted"', False),
    ],
)
def test_the_scan_on_examples(text: bytes, holds: bool) -> None:
    assert may_hold_moodle_codes(text) is holds
