"""Export a framework as a CASE 1.1 CFPackage (see `competency_models.case` for the mapping)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from competency_models.case._common import (
    CASE_VERSION,
    EXTENSION_KEY,
    NOTE_PREFIX,
    UNKNOWN_CHANGE_TIME,
    derived_identifier,
)
from competency_models.framework_io import dumps_stable, scale_to_dict
from competency_models.frameworks import CompetencyItem, Framework, Rubric


def framework_to_case(
    framework: Framework, *, last_change: datetime | None = None
) -> dict[str, Any]:
    """Return the framework as a CASE 1.1 CFPackage (a JSON-ready dict).

    Args:
        framework: the framework to export.
        last_change: the ``lastChangeDateTime`` to stamp on every record (timezone-aware). When
            None, the one recorded at CASE import (note ``case.lastChangeDateTime``) is used, else
            `UNKNOWN_CHANGE_TIME`; the core keeps no clock, so the same framework always exports
            the same way.

    Raises:
        ValueError: if ``last_change`` is naive.
    """
    if last_change is not None and last_change.utcoffset() is None:
        raise ValueError("last_change must be timezone-aware")
    stamp = (
        last_change.isoformat()
        if last_change is not None
        else framework.notes.get(f"{NOTE_PREFIX}lastChangeDateTime", UNKNOWN_CHANGE_TIME)
    )
    exporter = _Exporter(framework, stamp)
    return exporter.package()


def framework_to_case_json(framework: Framework, *, last_change: datetime | None = None) -> bytes:
    """Return the CFPackage as UTF-8 JSON with sorted keys: byte-identical for equal frameworks.

    Args:
        framework: the framework to export.
        last_change: see `framework_to_case`.
    """
    return dumps_stable(framework_to_case(framework, last_change=last_change))


class _Exporter:
    def __init__(self, framework: Framework, stamp: str) -> None:
        self.framework = framework
        self.stamp = stamp
        self.document_id = framework.document_identifier

    def package(self) -> dict[str, Any]:
        return {
            "CFDocument": self.document(),
            "CFItems": [self.item(item) for item in self.framework.items],
            "CFAssociations": [self.child_of(item) for item in self.framework.items],
            "CFRubrics": [
                self.scale_rubric(),
                *(self.data_rubric(rubric) for rubric in self.framework.rubrics),
            ],
        }

    def document(self) -> dict[str, Any]:
        fw = self.framework
        notes = dict(fw.notes)
        document: dict[str, Any] = {
            "identifier": self.document_id,
            "uri": fw.document_uri,
            "caseVersion": CASE_VERSION,
            "title": fw.title,
            "language": "zh" if fw.title_zh.strip() else "en",
            "version": fw.version,
            "creator": notes.get(f"{NOTE_PREFIX}creator", "Trellis"),
            "lastChangeDateTime": self.stamp,
            "extensions": {
                EXTENSION_KEY: {
                    "id": fw.id,
                    "title": {"zh": fw.title_zh, "en": fw.title_en},
                    "description": {"zh": fw.description_zh, "en": fw.description_en},
                    "source": fw.source,
                    "notes": notes,
                    "hierarchy_levels": [
                        {"depth": lv.depth, "zh": lv.name_zh, "en": lv.name_en, "count": lv.count}
                        for lv in fw.hierarchy
                    ],
                }
            },
        }
        if fw.description_zh or fw.description_en:
            document["description"] = fw.description_zh or fw.description_en
        for field in ("publisher", "officialSourceURL", "adoptionStatus"):
            if f"{NOTE_PREFIX}{field}" in notes:
                document[field] = notes[f"{NOTE_PREFIX}{field}"]
        # Other CASE tools show notes: a reader there must see the provenance (what is verified,
        # what is paraphrase) as well as the publisher's own notes.
        readable = [f"source: {fw.source}"] if fw.source else []
        readable += [
            f"{key}: {notes[key]}" for key in sorted(notes) if not key.startswith(NOTE_PREFIX)
        ]
        if f"{NOTE_PREFIX}notes" in notes:
            readable.append(notes[f"{NOTE_PREFIX}notes"])
        if readable:
            document["notes"] = "\n\n".join(readable)
        return document

    def link(self, item: CompetencyItem | None) -> dict[str, str]:
        if item is None:
            fw = self.framework
            return {
                "title": fw.title,
                "identifier": self.document_id,
                "uri": fw.document_uri,
            }
        return {
            "title": item.title,
            "identifier": self.framework.identifier_of(item.code),
            "uri": self.framework.uri_of(item.code),
        }

    def item(self, item: CompetencyItem) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "identifier": self.framework.identifier_of(item.code),
            "uri": self.framework.uri_of(item.code),
            "fullStatement": item.title,
            "humanCodingScheme": item.code,
            "lastChangeDateTime": self.stamp,
            "extensions": {
                EXTENSION_KEY: {
                    "code": item.code,
                    "title": {"zh": item.title_zh, "en": item.title_en},
                    "description": {"zh": item.description_zh, "en": item.description_en},
                }
            },
        }
        optional = {
            "abbreviatedStatement": item.abbreviated_statement,
            "CFItemType": item.item_type,
            "language": item.language,
        }
        entry.update({key: value for key, value in optional.items() if value is not None})
        return entry

    def child_of(self, item: CompetencyItem) -> dict[str, Any]:
        origin = self.framework.identifier_of(item.code)
        identifier = derived_identifier(self.document_id, "isChildOf", origin)
        parent = None if item.parent_code is None else self.framework.item(item.parent_code)
        return {
            "identifier": identifier,
            "uri": f"urn:uuid:{identifier}",
            "associationType": "isChildOf",
            "originNodeURI": self.link(item),
            "destinationNodeURI": self.link(parent),
            "sequenceNumber": item.sequence,
            "lastChangeDateTime": self.stamp,
        }

    def scale_rubric(self) -> dict[str, Any]:
        scale = self.framework.scale
        rubric_id = derived_identifier(self.document_id, "scale", scale.id)
        criterion_id = derived_identifier(rubric_id, "criterion")
        levels = []
        for level in scale.levels:
            level_id = derived_identifier(criterion_id, level.code)
            levels.append(
                {
                    "identifier": level_id,
                    "uri": f"urn:uuid:{level_id}",
                    "quality": level.label_zh or level.label_en,
                    "description": " ".join(
                        part for part in (level.code, level.label_zh, level.label_en) if part
                    ),
                    "score": float(level.rank),
                    "position": level.rank,
                    "rubricCriterionId": criterion_id,
                    "lastChangeDateTime": self.stamp,
                }
            )
        return {
            "identifier": rubric_id,
            "uri": f"urn:uuid:{rubric_id}",
            "title": f"熟练等级 Proficiency levels ({scale.id})",
            "lastChangeDateTime": self.stamp,
            "CFRubricCriteria": [
                {
                    "identifier": criterion_id,
                    "uri": f"urn:uuid:{criterion_id}",
                    "category": "proficiency",
                    "position": 1,
                    "rubricId": rubric_id,
                    "lastChangeDateTime": self.stamp,
                    "CFRubricCriterionLevels": levels,
                }
            ],
            "extensions": {EXTENSION_KEY: {"scale": scale_to_dict(scale)}},
        }

    def data_rubric(self, rubric: Rubric) -> dict[str, Any]:
        criteria = []
        for criterion in rubric.criteria:
            entry: dict[str, Any] = {
                "identifier": criterion.identifier,
                "uri": criterion.uri,
                "category": criterion.category,
                "description": criterion.description,
                "rubricId": rubric.identifier,
                "lastChangeDateTime": self.stamp,
                "CFRubricCriterionLevels": [
                    {
                        key: value
                        for key, value in {
                            "identifier": level.identifier,
                            "uri": level.uri,
                            "description": level.description,
                            "quality": level.quality,
                            "score": level.score,
                            "feedback": level.feedback,
                            "position": level.position,
                            "rubricCriterionId": criterion.identifier,
                            "lastChangeDateTime": self.stamp,
                        }.items()
                        if value is not None
                    }
                    for level in criterion.levels
                ],
            }
            if criterion.item_code is not None and criterion.item_code in self.framework:
                entry["CFItemURI"] = self.link(self.framework.item(criterion.item_code))
            if criterion.weight is not None:
                entry["weight"] = criterion.weight
            if criterion.position is not None:
                entry["position"] = criterion.position
            criteria.append(entry)
        return {
            "identifier": rubric.identifier,
            "uri": rubric.uri,
            "title": rubric.title,
            "description": rubric.description,
            "lastChangeDateTime": self.stamp,
            "CFRubricCriteria": criteria,
        }
