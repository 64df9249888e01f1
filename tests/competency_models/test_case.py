"""1EdTech CASE 1.0 / 1.1 packages: import, export, lossless round trip, errors with JSON paths."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from competency_models.builtin import builtin_framework, load_builtin
from competency_models.case import (
    framework_from_case,
    framework_from_case_json,
    framework_to_case,
    framework_to_case_json,
)
from competency_models.frameworks import (
    CompetencyItem,
    Framework,
    FrameworkImportError,
    Rubric,
    RubricCriterion,
    RubricLevel,
)
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE

PACKAGE_PATH = Path(__file__).parent / "data" / "case" / "district-teaching-research.json"
DOCUMENT_ID = "b601e5b8-f0c5-46d9-89b6-2663a0b60e34"

# CASE 1.1 JSON binding: identifiers are lower-case RFC 4122 UUIDs.
CASE_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[8-9a-b][0-9a-f]{3}-[0-9a-f]{12}$")
# Required properties per class in the CASE 1.1 CFPackage schema.
REQUIRED = {
    "CFDocument": {"identifier", "uri", "creator", "title", "lastChangeDateTime"},
    "CFItems": {"identifier", "fullStatement", "uri", "lastChangeDateTime"},
    "CFAssociations": {
        "identifier",
        "associationType",
        "uri",
        "originNodeURI",
        "destinationNodeURI",
        "lastChangeDateTime",
    },
    "CFRubrics": {"identifier", "uri", "lastChangeDateTime"},
}

# Properties each class may carry in the CASE 1.1 CFPackage schema (additionalProperties: false).
ALLOWED = {
    "package": {
        "CFDocument",
        "CFItems",
        "CFAssociations",
        "CFDefinitions",
        "CFRubrics",
        "extensions",
    },
    "CFDocument": {
        "identifier",
        "uri",
        "frameworkType",
        "caseVersion",
        "creator",
        "title",
        "lastChangeDateTime",
        "officialSourceURL",
        "publisher",
        "description",
        "subject",
        "subjectURI",
        "language",
        "version",
        "adoptionStatus",
        "statusStartDate",
        "statusEndDate",
        "licenseURI",
        "notes",
        "extensions",
    },
    "CFItems": {
        "identifier",
        "fullStatement",
        "alternativeLabel",
        "CFItemType",
        "uri",
        "humanCodingScheme",
        "listEnumeration",
        "abbreviatedStatement",
        "conceptKeywords",
        "conceptKeywordsURI",
        "notes",
        "subject",
        "subjectURI",
        "language",
        "educationLevel",
        "CFItemTypeURI",
        "licenseURI",
        "statusStartDate",
        "statusEndDate",
        "lastChangeDateTime",
        "extensions",
    },
    "CFAssociations": {
        "identifier",
        "associationType",
        "sequenceNumber",
        "uri",
        "originNodeURI",
        "destinationNodeURI",
        "CFAssociationGroupingURI",
        "lastChangeDateTime",
        "notes",
        "extensions",
    },
    "CFRubrics": {
        "identifier",
        "uri",
        "title",
        "description",
        "lastChangeDateTime",
        "CFRubricCriteria",
        "extensions",
    },
    "CFRubricCriteria": {
        "identifier",
        "uri",
        "category",
        "description",
        "CFItemURI",
        "weight",
        "position",
        "rubricId",
        "lastChangeDateTime",
        "CFRubricCriterionLevels",
        "extensions",
    },
    "CFRubricCriterionLevels": {
        "identifier",
        "uri",
        "description",
        "quality",
        "score",
        "feedback",
        "position",
        "rubricCriterionId",
        "lastChangeDateTime",
        "extensions",
    },
    "link": {"title", "identifier", "uri", "targetType"},
}


def package() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PACKAGE_PATH.read_text("utf-8"))
    return loaded


def district() -> Framework:
    return framework_from_case(package())


# --- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", load_builtin(), ids=lambda fw: fw.id)
def test_case_round_trip_of_builtin_is_lossless(framework: Framework) -> None:
    again = framework_from_case_json(framework_to_case_json(framework))
    assert again == framework
    assert again.fingerprint == framework.fingerprint
    assert dict(again.notes) == dict(framework.notes)
    assert again.scale == framework.scale


@pytest.mark.parametrize("framework", load_builtin(), ids=lambda fw: fw.id)
def test_case_export_is_byte_stable(framework: Framework) -> None:
    data = framework_to_case_json(framework)
    assert framework_to_case_json(framework) == data
    assert framework_to_case_json(framework_from_case_json(data)) == data
    assert json.dumps(json.loads(data), ensure_ascii=False, sort_keys=True, indent=1) + "\n" == (
        data.decode()
    )


@pytest.mark.parametrize("framework", load_builtin(), ids=lambda fw: fw.id)
def test_case_export_has_the_required_fields_and_well_formed_identifiers(
    framework: Framework,
) -> None:
    exported = framework_to_case(framework)
    assert REQUIRED["CFDocument"] <= set(exported["CFDocument"])
    for section in ("CFItems", "CFAssociations", "CFRubrics"):
        for entry in exported[section]:
            assert REQUIRED[section] <= set(entry), (section, entry)
    identifiers = [exported["CFDocument"]["identifier"]]
    identifiers += [
        entry["identifier"]
        for s in ("CFItems", "CFAssociations", "CFRubrics")
        for entry in exported[s]
    ]
    assert all(CASE_UUID.match(identifier) for identifier in identifiers)
    assert len(set(identifiers)) == len(identifiers)


@pytest.mark.parametrize("framework", [*load_builtin(), district()], ids=lambda fw: fw.id)
def test_case_export_uses_only_properties_the_case_1_1_schema_allows(framework: Framework) -> None:
    exported = framework_to_case(framework)
    assert set(exported) <= ALLOWED["package"]
    assert set(exported["CFDocument"]) <= ALLOWED["CFDocument"]
    for section in ("CFItems", "CFAssociations", "CFRubrics"):
        for entry in exported[section]:
            assert set(entry) <= ALLOWED[section], (section, set(entry) - ALLOWED[section])
    for association in exported["CFAssociations"]:
        assert set(association["originNodeURI"]) <= ALLOWED["link"]
        assert set(association["destinationNodeURI"]) <= ALLOWED["link"]
    for rubric in exported["CFRubrics"]:
        for criterion in rubric["CFRubricCriteria"]:
            assert set(criterion) <= ALLOWED["CFRubricCriteria"]
            for level in criterion["CFRubricCriterionLevels"]:
                assert set(level) <= ALLOWED["CFRubricCriterionLevels"]


def test_case_export_associations_point_at_the_document_or_an_item() -> None:
    framework = builtin_framework("cn-moe-jyt0646-2022-teacher-digital-literacy")
    exported = framework_to_case(framework)
    known = {item["identifier"] for item in exported["CFItems"]}
    known.add(exported["CFDocument"]["identifier"])
    child_of = [a for a in exported["CFAssociations"] if a["associationType"] == "isChildOf"]
    assert len(child_of) == 51
    for association in child_of:
        assert association["originNodeURI"]["identifier"] in known
        assert association["destinationNodeURI"]["identifier"] in known
    top = [
        a
        for a in child_of
        if a["destinationNodeURI"]["identifier"] == framework.document_identifier
    ]
    assert len(top) == 5


def test_case_export_puts_chinese_in_full_statement_and_english_in_the_extension() -> None:
    framework = builtin_framework("eu-jrc-digcompedu")
    exported = framework_to_case(framework)
    first = exported["CFItems"][0]
    assert first["fullStatement"] == "专业参与"
    assert first["humanCodingScheme"] == "1"
    assert first["extensions"]["trellis"]["title"]["en"] == "Professional Engagement"
    assert exported["CFDocument"]["language"] == "zh"
    assert exported["CFDocument"]["caseVersion"] == "1.1"


def test_case_export_shows_provenance_notes_to_other_case_tools() -> None:
    exported = framework_to_case(builtin_framework("cn-moe-jyt0646-2022-teacher-digital-literacy"))
    notes = exported["CFDocument"]["notes"]
    assert "Check against the MOE PDF before shipping" in notes
    assert notes.startswith("source: MOE notice page")


def test_case_export_writes_the_scale_as_a_rubric_of_levels() -> None:
    exported = framework_to_case(builtin_framework("eu-jrc-digcompedu"))
    (scale_rubric,) = exported["CFRubrics"]
    levels = scale_rubric["CFRubricCriteria"][0]["CFRubricCriterionLevels"]
    assert [(lv["position"], lv["quality"]) for lv in levels][:2] == [(1, "新手"), (2, "探索者")]
    assert scale_rubric["extensions"]["trellis"]["scale"]["id"] == DIGCOMPEDU_SCALE.id


def test_case_export_identifiers_are_uuid5_of_framework_and_code() -> None:
    framework = builtin_framework("eu-jrc-digcompedu")
    exported = framework_to_case(framework)
    assert exported["CFItems"][0]["identifier"] == framework.identifier_of("1")
    assert exported["CFItems"][0]["uri"] == framework.uri_of("1")
    assert exported["CFDocument"]["identifier"] == framework.document_identifier


def test_case_export_stamps_the_given_change_time() -> None:
    when = datetime(2025, 9, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    exported = framework_to_case(builtin_framework("eu-jrc-digcompedu"), last_change=when)
    assert exported["CFDocument"]["lastChangeDateTime"] == "2025-09-01T08:00:00+08:00"
    assert exported["CFItems"][0]["lastChangeDateTime"] == "2025-09-01T08:00:00+08:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        framework_to_case(builtin_framework("eu-jrc-digcompedu"), last_change=datetime(2025, 9, 1))
    assert framework_to_case(
        builtin_framework("eu-jrc-digcompedu"), last_change=when.astimezone(UTC)
    )


# --- import of a publisher's package ----------------------------------------------------------


def test_case_import_of_a_publisher_package_builds_the_tree() -> None:
    framework = district()
    assert framework.id == DOCUMENT_ID
    assert framework.version == "2024.1"
    assert framework.title_zh == "区域教研能力框架（示例）"
    assert [item.code for item in framework.roots] == ["TR.1", "TR.2"]
    # sequenceNumber, not document order: TR.1.2 comes first.
    assert [item.code for item in framework.children("TR.1")] == ["TR.1.2", "TR.1.1"]
    assert len(framework.leaves()) == 4


def test_case_import_maps_statements_by_declared_or_detected_language() -> None:
    framework = district()
    assert framework.item("TR.1.1").title_zh == "理解课程标准对本学科的要求"
    english = framework.item("TR.2.1")
    assert (english.title_zh, english.title_en) == (
        "",
        "Plans and runs a lesson study cycle with colleagues",
    )
    assert english.language == "en"
    # TR.2 declares no language; its statement is Chinese by its characters.
    assert framework.item("TR.2").title_zh == "课堂研究"


def test_case_import_keeps_case_fields_and_publisher_identity() -> None:
    framework = district()
    report = framework.item("a0c4b98f-6381-4d24-9818-e2e36f468376")  # no humanCodingScheme
    assert report.parent_code == "TR.2"
    assert report.abbreviated_statement == "教研报告"
    assert report.item_type == "Competency"
    uri = "https://case.example.org/uri/569c4de6-c6a3-4b73-aff4-a24233057ffa"
    assert framework.uri_of("TR.1.1") == uri
    assert framework.item_by_uri(uri) == framework.item("TR.1.1")
    assert framework.document_uri == f"https://case.example.org/uri/{DOCUMENT_ID}"


def test_case_import_keeps_document_provenance_as_notes_and_source() -> None:
    framework = district()
    assert framework.notes["case.creator"] == "示例区教师发展中心"
    assert framework.notes["case.adoptionStatus"] == "Draft"
    assert framework.notes["case.notes"].startswith("Invented for Trellis tests")
    assert "示例区教育局" in framework.source
    assert "https://case.example.org/frameworks/teaching-research" in framework.source


def test_case_import_turns_a_level_rubric_into_the_scale_and_keeps_it_as_data() -> None:
    framework = district()
    assert [(lv.code, lv.label_zh) for lv in framework.scale.levels] == [
        ("1", "合格"),
        ("2", "良好"),
        ("3", "优秀"),
    ]
    assert [lv.min_estimate for lv in framework.scale.levels] == pytest.approx([0, 1 / 3, 2 / 3])
    (rubric,) = framework.rubrics
    assert [c.item_code for c in rubric.criteria] == ["TR.1.1", "TR.2.1"]
    assert rubric.criteria[0].levels[0] == RubricLevel(
        identifier="5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c40",
        uri="https://case.example.org/uri/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c40",
        description="能结合学情解读课程标准",
        quality="优秀",
        score=3.0,
    )


def test_case_import_keeps_a_rubric_that_is_no_scale_as_data_only() -> None:
    data = package()
    levels = data["CFRubrics"][0]["CFRubricCriteria"][1]["CFRubricCriterionLevels"]
    levels[0]["quality"] = "入门"  # the criteria no longer share one list of levels
    framework = framework_from_case(data)
    assert framework.scale == DEFAULT_SCALE
    assert len(framework.rubrics) == 1


def test_case_round_trip_of_a_publisher_package_is_lossless() -> None:
    framework = district()
    data = framework_to_case_json(framework)
    again = framework_from_case_json(data)
    assert again == framework
    assert framework_to_case_json(again) == data
    assert json.loads(data)["CFDocument"]["lastChangeDateTime"] == "2024-03-01T08:00:00+00:00"


def test_case_import_reads_an_opensalt_style_case_1_0_package() -> None:
    # Shape of OpenSALT's SequenceNumberFramework fixture: CASE 1.0, no language, no
    # version, identifiers that are UUID-shaped but not RFC 4122 variants.
    doc = "d0000000-0000-0000-0000-000000000000"
    items = ["e144c2e6-c0ea-11e7-95f7-5d664f4d8844", "ea98ab46-c0ea-11e7-820f-a71b35976453"]
    legacy = {
        "CFDocument": {
            "uri": f"http://server/ims/case/v1p0/CFDocuments/{doc}",
            "identifier": doc,
            "lastChangeDateTime": "2017-11-03T23:00:33+00:00",
            "creator": "OpenSALT Testing",
            "title": "Sequence Number Test",
        },
        "CFItems": [
            {
                "uri": f"http://server/ims/case/v1p0/CFItems/{identifier}",
                "identifier": identifier,
                "lastChangeDateTime": "2017-11-03T23:02:07+00:00",
                "humanCodingScheme": f"SNT.{n}",
                "fullStatement": f"Item {n}",
            }
            for n, identifier in enumerate(items, start=1)
        ],
        "CFAssociations": [
            {
                "uri": f"http://server/ims/case/v1p0/CFAssociations/{n}",
                "identifier": f"0434307a-c0eb-11e7-bad9-1f2b8d8c4f6{n}",
                "lastChangeDateTime": "2017-11-03T23:02:07+00:00",
                "originNodeURI": {"title": f"SNT.{n}", "identifier": identifier, "uri": "x"},
                "associationType": "isChildOf",
                "destinationNodeURI": {
                    "title": "Sequence Number Test",
                    "identifier": doc,
                    "uri": "y",
                },
                "sequenceNumber": 3 - n,
            }
            for n, identifier in enumerate(items, start=1)
        ],
        "CFDefinitions": {"CFConcepts": [], "CFSubjects": [], "CFItemTypes": []},
    }
    framework = framework_from_case(legacy)
    assert [item.code for item in framework.items] == ["SNT.2", "SNT.1"]
    assert framework.item("SNT.1").title_en == "Item 1"
    assert framework.version == "2017-11-03T23:00:33+00:00"
    assert framework.notes["case.creator"] == "OpenSALT Testing"


def test_case_import_treats_items_without_a_parent_association_as_top_level() -> None:
    data = package()
    data["CFAssociations"] = []
    framework = framework_from_case(data)
    assert len(framework.roots) == 6


def test_case_import_ignores_another_publishers_nodes_in_other_association_types() -> None:
    framework = district()
    assert (
        framework.item_by_uri("https://other.example.org/uri/6c22c4d8-45cc-418d-b1e2-b45b30a20052")
        is None
    )


# --- invalid packages -------------------------------------------------------------------------


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = re.findall(r"[^.\[\]]+", path)
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()


def _second_parent(data: dict[str, Any]) -> None:
    extra = copy.deepcopy(data["CFAssociations"][1])
    extra["identifier"] = "11111111-2222-4333-8444-555555555555"
    extra["destinationNodeURI"] = copy.deepcopy(data["CFAssociations"][3]["originNodeURI"])
    data["CFAssociations"].append(extra)


def _cycle(data: dict[str, Any]) -> None:
    # TR.1 becomes the child of its own child TR.1.1.
    data["CFAssociations"][0]["destinationNodeURI"] = copy.deepcopy(
        data["CFAssociations"][1]["originNodeURI"]
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("CFItems.3.identifier", "TR-2"), "CFItems[3].identifier: not a UUID"),
        (
            _set(
                "CFAssociations.5.destinationNodeURI.identifier",
                "99999999-9999-4999-8999-999999999999",
            ),
            "CFAssociations[5].destinationNodeURI: refers to unknown item",
        ),
        (
            _set(
                "CFAssociations.2.originNodeURI.identifier", "99999999-9999-4999-8999-999999999999"
            ),
            "CFAssociations[2].originNodeURI: refers to unknown item",
        ),
        (_set("CFItems.1.fullStatement", _DELETE), "CFItems[1].fullStatement: missing"),
        (_set("CFItems.1.fullStatement", "  "), "CFItems[1].fullStatement: empty"),
        (
            _set("CFItems.2.identifier", "569c4de6-c6a3-4b73-aff4-a24233057ffa"),
            "CFItems[2].identifier: duplicate of CFItems[1]",
        ),
        (_set("CFItems.0.uri", _DELETE), "CFItems[0].uri: missing"),
        (_set("CFDocument.identifier", "doc-1"), "CFDocument.identifier: not a UUID"),
        (_set("CFDocument.title", 42), "CFDocument.title: expected a string, got int"),
        (
            _set("CFAssociations.0.associationType", _DELETE),
            "CFAssociations[0].associationType: missing",
        ),
        (
            _set("CFAssociations.0.originNodeURI", "TR.1"),
            "CFAssociations[0].originNodeURI: expected an object",
        ),
        (
            _set("CFAssociations.1.sequenceNumber", "2"),
            "CFAssociations[1].sequenceNumber: expected an integer",
        ),
        (_set("CFItems", {"not": "a list"}), "$.CFItems: expected a list"),
        (_set("CFRubrics.0.identifier", "rubric-1"), "CFRubrics[0].identifier: not a UUID"),
        (_second_parent, "an item has one parent"),
        (_cycle, "cycle among items"),
    ],
)
def test_case_import_rejects_invalid_package_naming_the_json_path(
    change: Any, expected: str
) -> None:
    data = package()
    change(data)
    with pytest.raises(FrameworkImportError) as raised:
        framework_from_case(data)
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


def test_case_import_rejects_association_to_unknown_item() -> None:
    data = package()
    data["CFAssociations"][5]["destinationNodeURI"] = {
        "title": "gone",
        "identifier": "99999999-9999-4999-8999-999999999999",
        "uri": "https://case.example.org/uri/99999999-9999-4999-8999-999999999999",
    }
    with pytest.raises(FrameworkImportError, match=r"CFAssociations\[5\]\.destinationNodeURI"):
        framework_from_case(data)


def test_case_import_lists_several_problems_at_once() -> None:
    data = package()
    data["CFItems"][0]["identifier"] = "x"
    data["CFItems"][4]["identifier"] = "y"
    with pytest.raises(FrameworkImportError) as raised:
        framework_from_case(data)
    assert "CFItems[0].identifier: not a UUID" in raised.value.problems
    assert "CFItems[4].identifier: not a UUID" in raised.value.problems


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"CFItems": []}, "$.CFDocument: missing"),
        ([], "$.CFDocument: missing"),
        ({"CFDocument": "doc"}, "$.CFDocument: missing"),
    ],
)
def test_case_import_rejects_what_is_not_a_package(document: Any, expected: str) -> None:
    with pytest.raises(FrameworkImportError, match=re.escape(expected)):
        framework_from_case(document)


def test_case_import_of_bad_json_raises_the_import_error() -> None:
    with pytest.raises(FrameworkImportError, match="not JSON"):
        framework_from_case_json(b'{"CFDocument": ')


def test_case_import_rejects_a_broken_trellis_extension() -> None:
    data = framework_to_case(builtin_framework("eu-jrc-digcompedu"))
    data["CFItems"][2]["extensions"]["trellis"] = "1.1"
    data["CFDocument"]["extensions"]["trellis"]["notes"] = ["x"]
    with pytest.raises(FrameworkImportError) as raised:
        framework_from_case(data)
    assert "CFItems[2].extensions.trellis: expected an object" in raised.value.problems
    assert "CFDocument.extensions.trellis.notes: expected an object of strings" in (
        raised.value.problems
    )


def test_case_round_trip_keeps_rubrics_kept_as_data() -> None:
    rubric = Rubric(
        identifier="1347ae3a-b961-4c9f-aa46-b37508887f00",
        uri="https://case.example.org/uri/r",
        title="观课量规",
        criteria=(
            RubricCriterion(
                identifier="0e7f3a52-8d0b-4c1e-9f5a-3b6c2d1e4f70",
                uri="https://case.example.org/uri/c",
                category="提问",
                item_code="1",
                weight=1.0,
                levels=(RubricLevel("5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c40", "u", quality="好"),),
            ),
        ),
    )
    framework = Framework(
        id="observed",
        version="1",
        title_zh="观课",
        title_en="",
        items=(CompetencyItem("1", None, "提问", "Questioning"),),
        rubrics=(rubric,),
    )
    assert framework_from_case_json(framework_to_case_json(framework)) == framework


def test_case_import_codes_items_with_a_shared_human_coding_scheme_by_identifier() -> None:
    data = package()
    data["CFItems"][2]["humanCodingScheme"] = "TR.1.1"  # now shared by two items
    framework = framework_from_case(data)
    assert "TR.1.1" not in framework
    assert framework.item("569c4de6-c6a3-4b73-aff4-a24233057ffa").parent_code == "TR.1"
    assert framework.item("d2d27a97-72b0-43a4-b632-5ce48ba5e3e7").title_zh.startswith("分析教材")


def test_case_import_uses_the_given_default_scale_when_no_rubric_defines_one() -> None:
    data = package()
    del data["CFRubrics"]
    assert framework_from_case(data, default_scale=DIGCOMPEDU_SCALE).scale is DIGCOMPEDU_SCALE


def test_case_export_of_a_publisher_package_keeps_their_notes_visible() -> None:
    notes = framework_to_case(district())["CFDocument"]["notes"]
    assert "Invented for Trellis tests" in notes
    assert notes.startswith("source: 示例区教师发展中心; 示例区教育局")


def test_case_import_reports_an_item_that_breaks_an_invariant_by_its_path() -> None:
    data = framework_to_case(builtin_framework("eu-jrc-digcompedu"))
    data["CFItems"][3]["extensions"]["trellis"]["title"] = {"zh": "", "en": " "}
    with pytest.raises(FrameworkImportError) as raised:
        framework_from_case(data)
    assert raised.value.problems == ("CFItems[3]: 1.3: needs a Chinese or an English title",)
