"""The mapping core stays pure: standard library and the core only, PyYAML in the loader alone.

STYLE.md: the core imports no Flask, SQLAlchemy, marshmallow or HTTP, and never ``xapi/``
(dependencies point one way).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "competency_models" / "mapping"
YAML_ALLOWED_IN = {"loading.py"}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_mapping_module_imports_only_stdlib_and_core(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | {"competency_models"}
    if path.name in YAML_ALLOWED_IN:
        allowed.add("yaml")
    assert _imported_roots(path) - allowed == set()
