"""IRIs of the statements Trellis itself writes: "competency level reached".

When a teacher's estimate of a competency first reaches a level, Trellis stores a statement in
its own log (source ``trellis``), which the export forwards to the programme's LRS like any
other. The vocabulary lives under Trellis's base, ``https://w3id.org/xapi/trellis/`` (the same
base as the offline-capture vocabulary in ``competency_models.mapping.vocabulary``); the shape
of the statement is documented in docs/competency-statements.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

TRELLIS_BASE: Final = "https://w3id.org/xapi/trellis/"

VERB_REACHED_LEVEL: Final = TRELLIS_BASE + "verbs/reached-competency-level"
"""The actor's estimate of the object competency first reached the level in the result."""

ACTIVITY_TYPE_COMPETENCY: Final = TRELLIS_BASE + "activity-types/competency"
"""A competency item of a framework; its activity id is the item's URI (CASE CFItem uri)."""

ACTIVITY_TYPE_FRAMEWORK: Final = TRELLIS_BASE + "activity-types/competency-framework"
"""A competency framework version (CASE CFDocument), the grouping of a level statement."""

CATEGORY_COMPETENCY_ENGINE: Final = TRELLIS_BASE + "categories/competency-engine"
"""Category activity on every statement the competency engine writes."""

EXTENSION_LEVEL: Final = TRELLIS_BASE + "extensions/competency-level"
"""Result extension: ``{scale, rank, code, label_zh, label_en}`` of the level reached."""

EXTENSION_ESTIMATE: Final = TRELLIS_BASE + "extensions/competency-estimate"
"""Result extension: ``{value, interval: [low, high], confidence, evidence_count, method}``."""

EXTENSION_FRAMEWORK: Final = TRELLIS_BASE + "extensions/competency-framework"
"""Context extension: ``{id, version, fingerprint, code}`` of the framework version used."""


def is_trellis_statement(statement: Mapping[str, object]) -> bool:
    """Whether a statement is one the competency engine wrote (never evidence itself)."""
    verb = statement.get("verb")
    return isinstance(verb, Mapping) and verb.get("id") == VERB_REACHED_LEVEL
