"""Moodle's logstore_xapi fixtures from ``../shared``: what the plugin really sends.

Each case's expected statements are deep-merged over ``tests/common/statement.json``, as the
plugin's own test harness does (see ``../shared/logstore_xapi_fixtures/SOURCE.txt``). Tests that
use them skip when ``../shared`` is absent, as on a fresh clone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES_DIR = SHARED_DIR / "logstore_xapi_fixtures" / "tests"


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``, objects merged key by key (the log store's harness)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class FixtureCase:
    """One fixture case: its name (``mod_quiz/attempt_submitted``) and merged statements."""

    name: str
    path: Path
    statements: tuple[dict[str, Any], ...]


def fixtures_present() -> bool:
    """Whether ``../shared`` holds the fixtures."""
    return FIXTURES_DIR.is_dir()


def fixture_cases() -> Iterator[FixtureCase]:
    """Every fixture case, in a stable order."""
    common = json.loads((FIXTURES_DIR / "common" / "statement.json").read_text(encoding="utf-8"))
    for path in sorted(FIXTURES_DIR.rglob("statements.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        yield FixtureCase(
            name=str(path.parent.relative_to(FIXTURES_DIR)),
            path=path,
            statements=tuple(deep_merge(common, statement) for statement in expected),
        )
