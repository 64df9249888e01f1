"""The framework domain model: invariants, canonical order, navigation, identity, fingerprint."""

from __future__ import annotations

import random
from dataclasses import FrozenInstanceError, replace

import pytest

from competency_models.evidence import CompetencyRef
from competency_models.frameworks import (
    CompetencyItem,
    Framework,
    FrameworkError,
    HierarchyLevel,
    code_sort_key,
    mint_document_identifier,
    mint_identifier,
    uri_index,
)
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE


def item(code: str, parent: str | None = None, **extra: object) -> CompetencyItem:
    return CompetencyItem(
        code=code, parent_code=parent, title_zh=f"条目{code}", title_en=code, **extra
    )  # type: ignore[arg-type]


TREE = (
    item("1"),
    item("1.1", "1"),
    item("1.1.1", "1.1"),
    item("1.1.2", "1.1"),
    item("1.2", "1"),
    item("2"),
    item("2.1", "2"),
)


def framework(*items: CompetencyItem, **extra: object) -> Framework:
    fields: dict[str, object] = {
        "id": "test-fw",
        "version": "v1",
        "title_zh": "测试框架",
        "title_en": "Test framework",
        "items": items or TREE,
    }
    fields.update(extra)
    return Framework(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("items", "fields", "expected"),
    [
        ((item("1"), item("1")), {}, "1: duplicate code"),
        ((item("1"), item("1.1", "9")), {}, "1.1: parent '9' is not in the framework"),
        ((item("a", "b"), item("b", "a")), {}, "cycle among items a, b"),
        ((item("1"), item("2", "3"), item("3", "2")), {}, "cycle among items 2, 3"),
        (TREE, {"id": " "}, "id: must be non-empty"),
        (TREE, {"version": ""}, "version: must be non-empty"),
        (TREE, {"title_zh": "", "title_en": ""}, "title: needs a Chinese or an English title"),
        (TREE, {"case_identifier": "not-a-uuid"}, "not a UUID"),
        (
            TREE,
            {"hierarchy": (HierarchyLevel(1, "一级", "first", count=3),)},
            "3 items expected at depth 1 (first), found 2",
        ),
        (
            TREE,
            {"hierarchy": (HierarchyLevel(2, "二级", "second"),)},
            "hierarchy[0]: depth 2, expected 1",
        ),
        (
            (item("1", uri="https://x.example/a"), item("2", uri="https://x.example/a")),
            {},
            "2: uri 'https://x.example/a' is also used by 1",
        ),
    ],
)
def test_framework_rejects_broken_invariants_with_the_reason(
    items: tuple[CompetencyItem, ...], fields: dict[str, object], expected: str
) -> None:
    with pytest.raises(FrameworkError) as raised:
        framework(*items, **fields)
    assert expected in str(raised.value)
    assert any(expected in problem for problem in raised.value.problems)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"code": ""}, "must be non-empty"),
        ({"code": " 1"}, "without surrounding spaces"),
        ({"parent_code": "1"}, "is its own parent"),
        ({"parent_code": ""}, "parent code is empty"),
        ({"title_zh": "", "title_en": " "}, "needs a Chinese or an English title"),
        ({"identifier": "12345"}, "is not a UUID"),
        ({"uri": ""}, "uri is empty"),
    ],
)
def test_competency_item_rejects_bad_fields(fields: dict[str, object], expected: str) -> None:
    values: dict[str, object] = {
        "code": "1",
        "parent_code": None,
        "title_zh": "标题",
        "title_en": "Title",
    }
    values.update(fields)
    with pytest.raises(FrameworkError, match=expected):
        CompetencyItem(**values)  # type: ignore[arg-type]


def test_framework_error_lists_at_most_twenty_problems_and_counts_the_rest() -> None:
    items = tuple(item(f"{n}", "missing") for n in range(25))
    with pytest.raises(FrameworkError) as raised:
        framework(*items)
    assert len(raised.value.problems) == 20
    assert raised.value.total == 25
    assert "… and 5 more" in str(raised.value)


def test_items_are_ordered_depth_first_siblings_by_sequence_then_code() -> None:
    shuffled = list(TREE)
    random.Random(7).shuffle(shuffled)
    fw = framework(*shuffled)
    assert [i.code for i in fw.items] == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1"]
    by_sequence = framework(item("a", sequence=2), item("b", sequence=1), item("c", sequence=1))
    assert [i.code for i in by_sequence.items] == ["b", "c", "a"]


def test_codes_sort_naturally_not_as_strings() -> None:
    assert sorted(["1.10", "1.2", "10", "2", "A"], key=code_sort_key) == [
        "1.2",
        "1.10",
        "2",
        "10",
        "A",
    ]


def test_two_loads_of_the_same_data_are_equal_and_share_a_fingerprint() -> None:
    shuffled = list(TREE)
    random.Random(3).shuffle(shuffled)
    first, second = framework(*TREE), framework(*shuffled)
    assert first == second
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint.startswith("sha256:") and len(first.fingerprint) == 7 + 64


@pytest.mark.parametrize(
    "change",
    [
        {"version": "v2"},
        {"title_en": "Other"},
        {"scale": DIGCOMPEDU_SCALE},
        {"notes": {"status": "paraphrase"}},
        {"items": (*TREE, item("3"))},
        {"items": (*TREE[:-1], replace(TREE[-1], description_zh="改过的描述"))},
    ],
)
def test_any_change_gives_a_new_fingerprint(change: dict[str, object]) -> None:
    assert framework(**change).fingerprint != framework().fingerprint


def test_navigation_helpers_walk_the_tree() -> None:
    fw = framework()
    assert [i.code for i in fw.roots] == ["1", "2"]
    assert [i.code for i in fw.children("1")] == ["1.1", "1.2"]
    assert fw.children("1.2") == ()
    assert [i.code for i in fw.ancestors("1.1.2")] == ["1.1", "1"]
    assert fw.ancestors("2") == ()
    assert [fw.depth(c) for c in ("1", "1.1", "1.1.1")] == [1, 2, 3]
    assert [i.code for i in fw.leaves()] == ["1.1.1", "1.1.2", "1.2", "2.1"]
    assert [i.code for i in fw.at_depth(2)] == ["1.1", "1.2", "2.1"]
    assert fw.item("1.1").title_zh == "条目1.1"
    assert fw.get("9") is None
    assert "1.1" in fw and "9" not in fw
    assert len(fw) == 7
    assert fw.ref("1.1") == CompetencyRef("test-fw", "1.1")


@pytest.mark.parametrize("method", ["item", "children", "ancestors", "depth", "uri_of", "ref"])
def test_navigation_of_an_unknown_code_raises_key_error(method: str) -> None:
    with pytest.raises(KeyError, match=r"no item '9\.9'"):
        getattr(framework(), method)("9.9")


def test_minted_item_uris_are_stable_uuid5_of_framework_id_and_code() -> None:
    fw = framework()
    # Pinned: changing the namespace or the recipe would orphan every alignment made so far.
    assert mint_identifier("test-fw", "1.1") == "8d1b114d-40f2-588c-853d-1855e44df838"
    assert fw.identifier_of("1.1") == mint_identifier("test-fw", "1.1")
    assert fw.uri_of("1.1") == "urn:uuid:8d1b114d-40f2-588c-853d-1855e44df838"
    assert framework(version="v2").uri_of("1.1") == fw.uri_of("1.1")


def test_item_by_uri_resolves_minted_and_publisher_uris() -> None:
    publisher = item(
        "9",
        identifier="c3e08260-0e02-49a8-8b8e-eb27640493fe",
        uri="https://case.example.org/uri/c3e08260-0e02-49a8-8b8e-eb27640493fe",
    )
    fw = framework(*TREE, publisher)
    assert fw.item_by_uri(fw.uri_of("1.1")) == fw.item("1.1")
    assert fw.item_by_uri(publisher.uri or "") == publisher
    assert fw.item_by_uri("urn:uuid:c3e08260-0e02-49a8-8b8e-eb27640493fe") == publisher
    assert fw.item_by_uri("https://nowhere.example/x") is None


def test_minted_identifiers_written_out_normalise_to_none() -> None:
    minted = mint_identifier("test-fw", "1")
    explicit = framework(item("1", identifier=minted, uri=f"urn:uuid:{minted}"))
    assert explicit.items[0].identifier is None and explicit.items[0].uri is None
    assert explicit == framework(item("1"))
    doc = mint_document_identifier("test-fw", "v1")
    assert framework(case_identifier=doc, uri=f"urn:uuid:{doc}") == framework()


def test_framework_is_immutable_and_notes_are_read_only() -> None:
    fw = framework(notes={"verified": "counts", "unverified": "names"})
    with pytest.raises(FrozenInstanceError):
        fw.version = "v2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fw.notes["verified"] = "everything"  # type: ignore[index]
    assert dict(fw.notes) == {"verified": "counts", "unverified": "names"}
    assert hash(fw) == hash(framework(notes={"other": "note"}))


def test_default_scale_is_trellis_default() -> None:
    assert framework().scale is DEFAULT_SCALE


def test_empty_framework_is_allowed() -> None:
    empty = Framework(id="e", version="1", title_zh="空", title_en="", items=())
    assert empty.roots == () and empty.leaves() == ()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"uri": " "}, "uri: empty"),
        ({"notes": {"verified": 5}}, "notes: keys and texts must be strings"),
    ],
)
def test_framework_rejects_bad_metadata(fields: dict[str, object], expected: str) -> None:
    with pytest.raises(FrameworkError, match=expected):
        framework(**fields)


def test_resolve_turns_an_activity_uri_into_a_competency_ref() -> None:
    fw = framework()
    assert fw.resolve(fw.uri_of("1.1.2")) == CompetencyRef("test-fw", "1.1.2")
    assert fw.resolve("https://moodle.example/mod/page/view.php?id=7") is None


def test_parent_codes_is_the_child_to_parent_mapping_roll_up_needs() -> None:
    assert dict(framework().parent_codes()) == {
        "1": None,
        "1.1": "1",
        "1.1.1": "1.1",
        "1.1.2": "1.1",
        "1.2": "1",
        "2": None,
        "2.1": "2",
    }


def test_uri_index_covers_several_frameworks_and_versions() -> None:
    v1, v2 = framework(), framework(version="v2")
    other = framework(id="other-fw")
    index = uri_index([v1, v2, other])
    assert index[v1.uri_of("1.1")] == CompetencyRef("test-fw", "1.1")
    assert index[other.uri_of("1.1")] == CompetencyRef("other-fw", "1.1")
    assert len(index) == 2 * len(TREE)  # a minted uri is urn:uuid:<identifier>: one key per item


def test_uri_index_rejects_a_uri_naming_two_competencies() -> None:
    shared = "https://case.example.org/uri/shared"
    first = framework(item("1", uri=shared))
    second = framework(item("9", uri=shared), id="other-fw")
    with pytest.raises(FrameworkError, match="names both test-fw#1 and other-fw#9"):
        uri_index([first, second])
