"""Reading and writing frameworks: the Trellis JSON shape and format detection.

Three formats reach Trellis: 1EdTech CASE packages (`competency_models.case`), trainers'
spreadsheets (`competency_models.csv_format`) and Trellis's own JSON, the shape the built-in
frameworks are stored in::

    {"format": "trellis-framework/1",            # written on export, optional on read
     "id": "...", "version": "...", "title": {"zh": "...", "en": "..."},
     "description": {"zh": "...", "en": "..."},   # optional
     "source": "...", "notes": {"key": "text"},
     "hierarchy_levels": [{"depth": 1, "zh": "...", "en": "...", "count": 5}],
     "scale": "trellis-default-4" | {"id": "...", "levels": [
         {"code": "1", "zh": "起步", "en": "Emerging", "min_estimate": 0.0}, ...]},
     "items": [{"code": "1.1", "parent": "1", "title": {...}, "description": {...},
                "sequence": 1,                   # optional: else the order among siblings
                "identifier": "<uuid>", "uri": "...", "abbreviatedStatement": "...",
                "CFItemType": "...", "language": "..."}],   # optional CASE carry-overs
     "rubrics": [...], "case_identifier": "<uuid>", "uri": "..."}   # optional

The research drafts' ``"levels": [{"code", "zh", "en"}]`` (no cut points) is also read: a list
whose codes match a known scale means that scale, any other list an evenly cut one, and an
empty list the default scale.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from competency_models.frameworks import (
    CompetencyItem,
    Framework,
    FrameworkError,
    FrameworkImportError,
    HierarchyLevel,
    Rubric,
    RubricCriterion,
    RubricLevel,
)
from competency_models.scales import (
    DEFAULT_SCALE,
    DIGCOMPEDU_SCALE,
    ProficiencyScale,
    ScaleError,
    scale_from_cut_points,
)

TRELLIS_FORMAT = "trellis-framework/1"
"""The value of ``"format"`` in Trellis JSON written by `framework_to_trellis_json`."""

KNOWN_SCALES: Mapping[str, ProficiencyScale] = {
    scale.id: scale for scale in (DEFAULT_SCALE, DIGCOMPEDU_SCALE)
}
"""Scales a Trellis JSON file may name by id instead of spelling out."""


def read_framework(data: bytes, filename: str | None = None) -> Framework:
    """Read a framework from CASE JSON, Trellis JSON or CSV, detecting which it is.

    JSON is recognised by its content (a CFDocument means CASE, ``id`` and ``items`` mean
    Trellis); anything else is tried as CSV with the Trellis columns. The filename only helps to
    name a CSV framework and to word the error.

    Args:
        data: the file's bytes (UTF-8, a BOM is allowed).
        filename: the uploaded file's name, if known.

    Raises:
        FrameworkImportError: if the data is none of the three formats, or is one of them but
            invalid (the error lists the problems with their places).
    """
    # Imported here, not at the top: the CASE and CSV modules build on this module's helpers.
    from competency_models.case import framework_from_case, is_case_package
    from competency_models.csv_format import framework_from_csv, looks_like_framework_csv

    text = _decode(data, filename)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise FrameworkImportError(
                f"{_name(filename)} looks like JSON but does not parse",
                [f"line {error.lineno}, column {error.colno}: {error.msg}"],
            ) from None
        if is_case_package(document):
            return framework_from_case(document)
        if isinstance(document, dict) and "items" in document and "id" in document:
            return framework_from_trellis_json(document)
        raise FrameworkImportError(
            f"{_name(filename)} is JSON but neither a CASE package nor a Trellis framework",
            ["$: expected an object with CFDocument (CASE) or with id and items (Trellis)"],
        )
    if looks_like_framework_csv(text):
        return framework_from_csv(text, filename=filename)
    raise FrameworkImportError(
        f"{_name(filename)} is not a framework file Trellis can read",
        [
            "expected CASE JSON (a CFPackage), Trellis JSON, or CSV with the header "
            "code,parent_code,title_zh,title_en,description_zh,description_en"
        ],
    )


def _name(filename: str | None) -> str:
    return repr(filename) if filename else "the data"


def _decode(data: bytes, filename: str | None) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FrameworkImportError(
            f"{_name(filename)} is not UTF-8 text",
            [
                f"byte {error.start}: not UTF-8 (save the spreadsheet as "
                "'CSV UTF-8', not 'CSV' in the local code page)"
            ],
        ) from None


# --- Trellis JSON: reading ----------------------------------------------------------------


class Problems:
    """Collects problems, each with its JSON path, while a document is read.

    Readers keep going after a problem so one error can list them all; they return neutral
    values ("" or None) for what they could not read.
    """

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.found.append(f"{path}: {message}")

    def text(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool) -> str:
        value = obj.get(key)
        if value is None:
            if required:
                self.add(f"{path}.{key}", "missing")
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"expected a string, got {type(value).__name__}")
            return ""
        return value

    def optional(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        if obj.get(key) is None:
            return None
        return self.text(obj, key, path, required=False)

    def bilingual(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, str]:
        value = obj.get(key)
        if value is None:
            return "", ""
        if isinstance(value, str):
            return value, ""
        if not isinstance(value, dict):
            self.add(f"{path}.{key}", "expected {zh, en}")
            return "", ""
        return (
            self.text(value, "zh", f"{path}.{key}", required=False),
            self.text(value, "en", f"{path}.{key}", required=False),
        )

    def integer(self, obj: Mapping[str, Any], key: str, path: str) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{path}.{key}", "expected an integer")
            return None
        return value

    def number(self, obj: Mapping[str, Any], key: str, path: str) -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(f"{path}.{key}", "expected a number")
            return None
        return float(value)

    def objects(self, obj: Mapping[str, Any], key: str, path: str) -> list[dict[str, Any]]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(f"{path}.{key}", "expected a list")
            return []
        good: list[dict[str, Any]] = []
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                good.append(entry)
            else:
                self.add(f"{path}.{key}[{index}]", "expected an object")
        return good


def framework_from_trellis_json(document: Any) -> Framework:
    """Build a framework from the Trellis JSON shape (already parsed).

    Raises:
        FrameworkImportError: listing every problem with its JSON path; nothing is built.
    """
    problems = Problems()
    if not isinstance(document, dict):
        raise FrameworkImportError("not a Trellis framework", ["$: expected an object"])
    framework_id = problems.text(document, "id", "$", required=True)
    version = problems.text(document, "version", "$", required=True)
    title_zh, title_en = problems.bilingual(document, "title", "$")
    description_zh, description_en = problems.bilingual(document, "description", "$")
    notes = document.get("notes") or {}
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        problems.add("$.notes", "expected an object of strings")
        notes = {}
    hierarchy = tuple(
        HierarchyLevel(
            depth=problems.integer(level, "depth", f"$.hierarchy_levels[{i}]") or 0,
            name_zh=problems.text(level, "zh", f"$.hierarchy_levels[{i}]", required=False),
            name_en=problems.text(level, "en", f"$.hierarchy_levels[{i}]", required=False),
            count=problems.integer(level, "count", f"$.hierarchy_levels[{i}]"),
        )
        for i, level in enumerate(problems.objects(document, "hierarchy_levels", "$"))
    )
    items = _items(problems, document)
    rubrics = tuple(
        _rubric(problems, r, f"$.rubrics[{i}]")
        for i, r in enumerate(problems.objects(document, "rubrics", "$"))
    )
    scale = _scale(problems, document, framework_id)
    if problems.found:
        raise FrameworkImportError(
            f"Trellis framework {framework_id or '?'} cannot be imported", problems.found
        )
    return build_framework(
        id=framework_id,
        version=version,
        title_zh=title_zh,
        title_en=title_en,
        description_zh=description_zh,
        description_en=description_en,
        source=problems.text(document, "source", "$", required=False),
        notes=notes,
        hierarchy=hierarchy,
        scale=scale,
        items=items,
        rubrics=rubrics,
        case_identifier=problems.optional(document, "case_identifier", "$"),
        uri=problems.optional(document, "uri", "$"),
    )


def build_framework(**kwargs: Any) -> Framework:
    """Construct a `Framework`, turning invariant failures into a `FrameworkImportError`."""
    try:
        return Framework(**kwargs)
    except FrameworkError as failure:
        raise FrameworkImportError(str(failure).splitlines()[0], failure.problems) from None


def _items(problems: Problems, document: Mapping[str, Any]) -> tuple[CompetencyItem, ...]:
    items: list[CompetencyItem] = []
    positions: dict[str | None, int] = {}
    for index, entry in enumerate(problems.objects(document, "items", "$")):
        path = f"$.items[{index}]"
        code = problems.text(entry, "code", path, required=True)
        parent = problems.optional(entry, "parent", path) or None
        positions[parent] = positions.get(parent, 0) + 1
        title_zh, title_en = problems.bilingual(entry, "title", path)
        description_zh, description_en = problems.bilingual(entry, "description", path)
        sequence = problems.integer(entry, "sequence", path)
        try:
            items.append(
                CompetencyItem(
                    code=code,
                    parent_code=parent,
                    title_zh=title_zh,
                    title_en=title_en,
                    description_zh=description_zh,
                    description_en=description_en,
                    sequence=positions[parent] if sequence is None else sequence,
                    identifier=problems.optional(entry, "identifier", path),
                    uri=problems.optional(entry, "uri", path),
                    abbreviated_statement=problems.optional(entry, "abbreviatedStatement", path),
                    item_type=problems.optional(entry, "CFItemType", path),
                    language=problems.optional(entry, "language", path),
                )
            )
        except FrameworkError as error:
            for problem in error.problems:
                problems.add(path, problem)
    return tuple(items)


def _scale(problems: Problems, document: Mapping[str, Any], framework_id: str) -> ProficiencyScale:
    named = document.get("scale")
    if isinstance(named, str):
        if named in KNOWN_SCALES:
            return KNOWN_SCALES[named]
        problems.add("$.scale", f"unknown scale {named!r} (known: {', '.join(KNOWN_SCALES)})")
        return DEFAULT_SCALE
    if isinstance(named, dict):
        return scale_from_dict(problems, named, "$.scale")
    if named is not None:
        problems.add("$.scale", "expected a scale id or {id, levels}")
        return DEFAULT_SCALE
    levels = problems.objects(document, "levels", "$")
    if not levels:
        return DEFAULT_SCALE
    codes = tuple(problems.text(lv, "code", "$.levels", required=True) for lv in levels)
    for scale in KNOWN_SCALES.values():
        if codes == tuple(level.code for level in scale.levels):
            return scale
    labels = [
        (
            code,
            problems.text(lv, "zh", "$.levels", required=False),
            problems.text(lv, "en", "$.levels", required=False),
        )
        for code, lv in zip(codes, levels, strict=True)
    ]
    try:
        return scale_from_cut_points(
            f"{framework_id}-levels", labels, [i / len(labels) for i in range(len(labels))]
        )
    except ScaleError as error:
        problems.add("$.levels", str(error))
        return DEFAULT_SCALE


def scale_from_dict(problems: Problems, spec: Any, path: str) -> ProficiencyScale:
    """Read a scale written by `scale_to_dict`; problems are reported under ``path``.

    Returns the default scale (and reports why) when the spec is unusable.
    """
    if not isinstance(spec, dict):
        problems.add(path, "expected {id, levels}")
        return DEFAULT_SCALE
    scale_id = problems.text(spec, "id", path, required=True)
    labels: list[tuple[str, str, str]] = []
    cuts: list[float] = []
    for i, level in enumerate(problems.objects(spec, "levels", path)):
        level_path = f"{path}.levels[{i}]"
        labels.append(
            (
                problems.text(level, "code", level_path, required=True),
                problems.text(level, "zh", level_path, required=False),
                problems.text(level, "en", level_path, required=False),
            )
        )
        cut = problems.number(level, "min_estimate", level_path)
        if cut is None and "min_estimate" not in level:
            problems.add(f"{level_path}.min_estimate", "missing")
        cuts.append(cut or 0.0)
    try:
        return scale_from_cut_points(scale_id, labels, cuts)
    except ScaleError as error:
        problems.add(path, str(error))
        return DEFAULT_SCALE


def _rubric(problems: Problems, spec: Mapping[str, Any], path: str) -> Rubric:
    return Rubric(
        identifier=problems.text(spec, "identifier", path, required=True),
        uri=problems.text(spec, "uri", path, required=True),
        title=problems.text(spec, "title", path, required=False),
        description=problems.text(spec, "description", path, required=False),
        criteria=tuple(
            RubricCriterion(
                identifier=problems.text(c, "identifier", f"{path}.criteria[{i}]", required=True),
                uri=problems.text(c, "uri", f"{path}.criteria[{i}]", required=True),
                category=problems.text(c, "category", f"{path}.criteria[{i}]", required=False),
                description=problems.text(
                    c, "description", f"{path}.criteria[{i}]", required=False
                ),
                item_code=problems.optional(c, "item_code", f"{path}.criteria[{i}]"),
                weight=problems.number(c, "weight", f"{path}.criteria[{i}]"),
                position=problems.integer(c, "position", f"{path}.criteria[{i}]"),
                levels=tuple(
                    _rubric_level(problems, lv, f"{path}.criteria[{i}].levels[{j}]")
                    for j, lv in enumerate(problems.objects(c, "levels", f"{path}.criteria[{i}]"))
                ),
            )
            for i, c in enumerate(problems.objects(spec, "criteria", path))
        ),
    )


def _rubric_level(problems: Problems, spec: Mapping[str, Any], path: str) -> RubricLevel:
    return RubricLevel(
        identifier=problems.text(spec, "identifier", path, required=True),
        uri=problems.text(spec, "uri", path, required=True),
        description=problems.text(spec, "description", path, required=False),
        quality=problems.text(spec, "quality", path, required=False),
        score=problems.number(spec, "score", path),
        feedback=problems.text(spec, "feedback", path, required=False),
        position=problems.integer(spec, "position", path),
    )


# --- Trellis JSON: writing ----------------------------------------------------------------


def framework_to_trellis_dict(framework: Framework) -> dict[str, Any]:
    """Return the framework in the Trellis JSON shape, ready for `json.dumps`."""
    document: dict[str, Any] = {
        "format": TRELLIS_FORMAT,
        "id": framework.id,
        "version": framework.version,
        "title": {"zh": framework.title_zh, "en": framework.title_en},
        "description": {"zh": framework.description_zh, "en": framework.description_en},
        "source": framework.source,
        "notes": dict(framework.notes),
        "hierarchy_levels": [_hierarchy_level(level) for level in framework.hierarchy],
        "scale": scale_to_dict(framework.scale),
        "items": [_item_dict(item) for item in framework.items],
    }
    if framework.rubrics:
        document["rubrics"] = [_rubric_dict(rubric) for rubric in framework.rubrics]
    if framework.case_identifier is not None:
        document["case_identifier"] = framework.case_identifier
    if framework.uri is not None:
        document["uri"] = framework.uri
    return document


def framework_to_trellis_json(framework: Framework) -> bytes:
    """Serialise the framework as Trellis JSON: UTF-8, sorted keys, byte-stable."""
    return dumps_stable(framework_to_trellis_dict(framework))


def dumps_stable(document: Any) -> bytes:
    """Dump JSON deterministically (sorted keys, fixed indent, real Chinese characters)."""
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def scale_to_dict(scale: ProficiencyScale) -> dict[str, Any]:
    """Return a scale as ``{"id", "levels": [{"code", "zh", "en", "min_estimate"}]}``."""
    return {
        "id": scale.id,
        "levels": [
            {"code": lv.code, "zh": lv.label_zh, "en": lv.label_en, "min_estimate": lv.min_estimate}
            for lv in scale.levels
        ],
    }


def _hierarchy_level(level: HierarchyLevel) -> dict[str, Any]:
    entry: dict[str, Any] = {"depth": level.depth, "zh": level.name_zh, "en": level.name_en}
    if level.count is not None:
        entry["count"] = level.count
    return entry


def _item_dict(item: CompetencyItem) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": item.code,
        "parent": item.parent_code,
        "title": {"zh": item.title_zh, "en": item.title_en},
        "description": {"zh": item.description_zh, "en": item.description_en},
        "sequence": item.sequence,
    }
    optional = {
        "identifier": item.identifier,
        "uri": item.uri,
        "abbreviatedStatement": item.abbreviated_statement,
        "CFItemType": item.item_type,
        "language": item.language,
    }
    entry.update({key: value for key, value in optional.items() if value is not None})
    return entry


def _rubric_dict(rubric: Rubric) -> dict[str, Any]:
    return {
        "identifier": rubric.identifier,
        "uri": rubric.uri,
        "title": rubric.title,
        "description": rubric.description,
        "criteria": [
            {
                "identifier": c.identifier,
                "uri": c.uri,
                "category": c.category,
                "description": c.description,
                "item_code": c.item_code,
                "weight": c.weight,
                "position": c.position,
                "levels": [_without_none(_level_dict(lv)) for lv in c.levels],
            }
            for c in rubric.criteria
        ],
    }


def _level_dict(level: RubricLevel) -> dict[str, Any]:
    return {
        "identifier": level.identifier,
        "uri": level.uri,
        "description": level.description,
        "quality": level.quality,
        "score": level.score,
        "feedback": level.feedback,
        "position": level.position,
    }


def _without_none(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not None}


__all__: Sequence[str] = (
    "KNOWN_SCALES",
    "TRELLIS_FORMAT",
    "Problems",
    "build_framework",
    "dumps_stable",
    "framework_from_trellis_json",
    "framework_to_trellis_dict",
    "framework_to_trellis_json",
    "read_framework",
    "scale_from_dict",
    "scale_to_dict",
)
