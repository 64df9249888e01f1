"""Downgrade a stored statement for an LRS that speaks only xAPI 1.0.3.

Statements stored under xAPI 2.0 (IEEE 9274.1.1-2023) may carry what 1.0.3 cannot represent.
A 1.0.3 LRS must reject unknown context properties and 2.0 version values (1.0.3 Data 2.4.6,
2.4.10), so they are rewritten as follows, and nothing else changes:

- ``context.contextAgents`` and ``context.contextGroups`` (2.0 section 9.1.6.1; in a SubStatement
  too) move into ``context.extensions`` under :data:`EXTENSION_CONTEXT_AGENTS` and
  :data:`EXTENSION_CONTEXT_GROUPS`, keeping their value as is (an extension may hold any JSON,
  1.0.3 Data 2.4.6.4), so the information travels and a 2.0-aware reader can restore it.
- ``version`` ``2.0.x`` becomes ``1.0.3`` (1.0.3 Data 2.4.10 allows only ``1.0.x``).

Everything else xAPI 2.0 changed is representable in 1.0.3 as stored: Trellis stores 2.0
timestamps already converted to UTC, and durations, language tags and the other properties are
the same syntax in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

TRELLIS_EXTENSIONS: Final = "https://w3id.org/xapi/trellis/extensions/"
EXTENSION_CONTEXT_AGENTS: Final = TRELLIS_EXTENSIONS + "xapi-2.0-context-agents"
"""Context extension holding a 2.0 ``contextAgents`` array, unchanged."""
EXTENSION_CONTEXT_GROUPS: Final = TRELLIS_EXTENSIONS + "xapi-2.0-context-groups"
"""Context extension holding a 2.0 ``contextGroups`` array, unchanged."""

DOWNGRADED_VERSION: Final = "1.0.3"

_MOVED: Final = (
    ("contextAgents", EXTENSION_CONTEXT_AGENTS),
    ("contextGroups", EXTENSION_CONTEXT_GROUPS),
)


def may_need_downgrade(document: str) -> bool:
    """A cheap test of a stored statement's JSON text: False means it is valid 1.0.3 as is.

    True only says "parse it and look" (the words may sit inside a string).
    """
    return '"2.0' in document or "contextAgents" in document or "contextGroups" in document


def downgrade_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement as a 1.0.3 LRS can store it; the input is not mutated.

    Args:
        statement: A stored statement (1.0.3 or 2.0).

    Returns:
        A new statement; equal to the input when nothing needed rewriting.
    """
    result = _downgrade_core(statement)
    version = result.get("version")
    if isinstance(version, str) and version.startswith("2.0"):
        result["version"] = DOWNGRADED_VERSION
    return result


def _downgrade_core(statement: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(statement)
    context = result.get("context")
    if isinstance(context, Mapping) and any(name in context for name, _ in _MOVED):
        result["context"] = _downgrade_context(context)
    target = result.get("object")
    if isinstance(target, Mapping) and target.get("objectType") == "SubStatement":
        result["object"] = _downgrade_core(target)
    return result


def _downgrade_context(context: Mapping[str, Any]) -> dict[str, Any]:
    downgraded = dict(context)
    extensions = dict(downgraded.get("extensions") or {})
    for name, extension in _MOVED:
        if name in downgraded:
            extensions[extension] = downgraded.pop(name)
    downgraded["extensions"] = extensions
    return downgraded
