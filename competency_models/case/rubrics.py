"""CFRubrics on import: the proficiency scale, or rubrics kept as data.

A rubric carrying ``extensions.trellis.scale`` is a scale Trellis exported: it comes back exactly.
A publisher's rubric "looks like a level scale" when it has criteria and every criterion lists
the same level labels (``quality``, else ``description``) in the same order, at least two and all
different; the first such rubric becomes the scale when no Trellis scale is present, with cut
points evenly spaced. Levels are ordered by ``position`` when all have one, else by ascending
``score`` when all have one, else as listed. Publishers' rubrics are always kept as data too,
so nothing of theirs is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from competency_models.case._common import EXTENSION_KEY, is_chinese
from competency_models.framework_io import Problems, scale_from_dict
from competency_models.frameworks import Rubric, RubricCriterion, RubricLevel, is_uuid
from competency_models.scales import ProficiencyScale, ScaleError, scale_from_cut_points


class _HasIdentifier(Protocol):
    @property
    def identifier(self) -> str: ...


def read_rubrics(
    package: Mapping[str, Any],
    problems: Problems,
    codes: Mapping[str, str],
    items_by_identifier: Mapping[str, _HasIdentifier],
    default_scale: ProficiencyScale,
) -> tuple[ProficiencyScale, tuple[Rubric, ...]]:
    """Read CFRubrics: return the framework's scale and the rubrics kept as data.

    Args:
        package: the CFPackage.
        problems: where problems are reported.
        codes: item code per item identifier, to link criteria to items.
        items_by_identifier: the package's items, by identifier.
        default_scale: the scale when no rubric provides one.
    """
    trellis_scale: ProficiencyScale | None = None
    level_scale: ProficiencyScale | None = None
    kept: list[Rubric] = []
    for index, entry in enumerate(problems.objects(package, "CFRubrics", "$")):
        path = f"CFRubrics[{index}]"
        extensions = entry.get("extensions")
        ours = extensions.get(EXTENSION_KEY) if isinstance(extensions, dict) else None
        if isinstance(ours, dict) and "scale" in ours:
            trellis_scale = scale_from_dict(
                problems, ours["scale"], f"{path}.extensions.{EXTENSION_KEY}.scale"
            )
            continue
        rubric = _rubric(problems, entry, path, codes, items_by_identifier)
        kept.append(rubric)
        if level_scale is None:
            level_scale = _as_level_scale(rubric)
    return trellis_scale or level_scale or default_scale, tuple(kept)


def _rubric(
    problems: Problems,
    entry: Mapping[str, Any],
    path: str,
    codes: Mapping[str, str],
    items_by_identifier: Mapping[str, _HasIdentifier],
) -> Rubric:
    criteria = []
    for c_index, criterion in enumerate(problems.objects(entry, "CFRubricCriteria", path)):
        c_path = f"{path}.CFRubricCriteria[{c_index}]"
        item_code: str | None = None
        link = criterion.get("CFItemURI")
        if isinstance(link, dict):
            identifier = link.get("identifier")
            if isinstance(identifier, str) and identifier in items_by_identifier:
                item_code = codes[identifier]
        levels = tuple(
            RubricLevel(
                identifier=_identifier(problems, level, f"{c_path}.CFRubricCriterionLevels[{i}]"),
                uri=problems.text(
                    level, "uri", f"{c_path}.CFRubricCriterionLevels[{i}]", required=False
                ),
                description=problems.text(
                    level, "description", f"{c_path}.CFRubricCriterionLevels[{i}]", required=False
                ),
                quality=problems.text(
                    level, "quality", f"{c_path}.CFRubricCriterionLevels[{i}]", required=False
                ),
                score=problems.number(level, "score", f"{c_path}.CFRubricCriterionLevels[{i}]"),
                feedback=problems.text(
                    level, "feedback", f"{c_path}.CFRubricCriterionLevels[{i}]", required=False
                ),
                position=problems.integer(
                    level, "position", f"{c_path}.CFRubricCriterionLevels[{i}]"
                ),
            )
            for i, level in enumerate(
                problems.objects(criterion, "CFRubricCriterionLevels", c_path)
            )
        )
        criteria.append(
            RubricCriterion(
                identifier=_identifier(problems, criterion, c_path),
                uri=problems.text(criterion, "uri", c_path, required=False),
                category=problems.text(criterion, "category", c_path, required=False),
                description=problems.text(criterion, "description", c_path, required=False),
                item_code=item_code,
                weight=problems.number(criterion, "weight", c_path),
                position=problems.integer(criterion, "position", c_path),
                levels=levels,
            )
        )
    return Rubric(
        identifier=_identifier(problems, entry, path),
        uri=problems.text(entry, "uri", path, required=False),
        title=problems.text(entry, "title", path, required=False),
        description=problems.text(entry, "description", path, required=False),
        criteria=tuple(criteria),
    )


def _identifier(problems: Problems, entry: Mapping[str, Any], path: str) -> str:
    identifier = problems.text(entry, "identifier", path, required=True)
    if identifier and not is_uuid(identifier):
        problems.add(f"{path}.identifier", "not a UUID")
    return identifier


def _ordered(levels: tuple[RubricLevel, ...]) -> tuple[RubricLevel, ...]:
    if levels and all(level.position is not None for level in levels):
        return tuple(sorted(levels, key=lambda level: level.position or 0))
    if levels and all(level.score is not None for level in levels):
        return tuple(sorted(levels, key=lambda level: level.score or 0.0))
    return levels


def _as_level_scale(rubric: Rubric) -> ProficiencyScale | None:
    """The rubric as a scale when every criterion lists the same ordered level labels."""
    if not rubric.criteria:
        return None
    label_lists = {
        tuple(level.quality or level.description for level in _ordered(criterion.levels))
        for criterion in rubric.criteria
    }
    if len(label_lists) != 1:
        return None
    labels = label_lists.pop()
    if len(labels) < 2 or len(set(labels)) != len(labels) or not all(labels):
        return None
    triples = [
        (str(rank), label, "") if is_chinese(label, None) else (str(rank), "", label)
        for rank, label in enumerate(labels, start=1)
    ]
    try:
        return scale_from_cut_points(
            f"case-rubric-{rubric.identifier}",
            triples,
            [rank / len(labels) for rank in range(len(labels))],
        )
    except ScaleError:
        return None
