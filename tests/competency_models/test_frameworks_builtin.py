"""The built-in frameworks: carried in the package, counts as the sources state, notes intact."""

from __future__ import annotations

import pytest

from competency_models.builtin import builtin_framework, load_builtin
from competency_models.frameworks import Framework
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE

DIGITAL_LITERACY = "cn-moe-jyt0646-2022-teacher-digital-literacy"
SUBJECT_LITERACY = "cn-subject-teaching-literacy"
DIGCOMPEDU = "eu-jrc-digcompedu"


def depth_counts(framework: Framework) -> list[int]:
    return [len(framework.at_depth(depth)) for depth in (1, 2, 3)]


@pytest.mark.parametrize(
    ("framework_id", "counts"),
    [
        (DIGITAL_LITERACY, [5, 13, 33]),
        (DIGCOMPEDU, [6, 22, 0]),
        (SUBJECT_LITERACY, [8, 5, 0]),
    ],
)
def test_builtin_framework_has_the_item_counts_of_its_source(
    framework_id: str, counts: list[int]
) -> None:
    assert depth_counts(builtin_framework(framework_id)) == counts


@pytest.mark.parametrize(
    ("framework_id", "scale"),
    [
        (DIGITAL_LITERACY, DEFAULT_SCALE),
        (SUBJECT_LITERACY, DEFAULT_SCALE),
        (DIGCOMPEDU, DIGCOMPEDU_SCALE),
    ],
)
def test_builtin_framework_uses_its_scale(framework_id: str, scale: object) -> None:
    assert builtin_framework(framework_id).scale == scale


def test_digital_literacy_names_its_three_hierarchy_levels() -> None:
    hierarchy = builtin_framework(DIGITAL_LITERACY).hierarchy
    assert [(level.name_zh, level.count) for level in hierarchy] == [
        ("一级维度", 5),
        ("二级维度", 13),
        ("三级维度", 33),
    ]


@pytest.mark.parametrize(
    ("framework_id", "note_keys", "source_mentions"),
    [
        (DIGITAL_LITERACY, {"verified", "unverified", "codes", "levels"}, "moe.gov.cn"),
        (DIGCOMPEDU, {"verified", "translation", "levels"}, "joint-research-centre"),
        (SUBJECT_LITERACY, {"status"}, "跨学科主题学习"),
    ],
)
def test_builtin_framework_carries_its_provenance_notes_and_source(
    framework_id: str, note_keys: set[str], source_mentions: str
) -> None:
    framework = builtin_framework(framework_id)
    assert set(framework.notes) == note_keys
    assert all(text.strip() for text in framework.notes.values())
    assert source_mentions in framework.source


def test_digital_literacy_notes_warn_that_names_are_unverified() -> None:
    notes = builtin_framework(DIGITAL_LITERACY).notes
    assert "Check against the MOE PDF before shipping" in notes["unverified"]


def test_every_builtin_item_has_both_titles_and_a_resolvable_uri() -> None:
    for framework in load_builtin():
        for item in framework.items:
            assert item.title_zh and item.title_en, (framework.id, item.code)
            assert framework.item_by_uri(framework.uri_of(item.code)) == item


def test_load_builtin_returns_the_same_immutable_frameworks_each_time() -> None:
    first, second = load_builtin(), load_builtin()
    assert first is second
    assert [framework.id for framework in first] == [DIGITAL_LITERACY, SUBJECT_LITERACY, DIGCOMPEDU]


def test_builtin_fingerprints_are_distinct() -> None:
    assert len({framework.fingerprint for framework in load_builtin()}) == 3


def test_unknown_builtin_framework_raises_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match=DIGCOMPEDU):
        builtin_framework("no-such-framework")
