"""Dependencies point one way: lti_tool → xapi, competency_models; xapi → competency_models."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "competency_models": {
        "flask",
        "sqlalchemy",
        "marshmallow",
        "werkzeug",
        "requests",
        "lti_tool",
        "xapi",
        "pylti1p3",
        "tincan",
        "alembic",
    },
    "xapi": {"lti_tool", "flask", "werkzeug"},
}


def _imported_top_level_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_it_must_not(package: str) -> None:
    offenders = {
        module: sorted(names & FORBIDDEN[package])
        for module, names in _imported_top_level_modules(package).items()
        if names & FORBIDDEN[package]
    }
    assert offenders == {}, f"{package} must not import these: {offenders}"


def test_importing_the_core_loads_no_flask_sqlalchemy_or_marshmallow() -> None:
    """A runtime check too: no transitive import pulls the frameworks in."""
    probe = (
        "import sys, pkgutil, importlib, competency_models\n"
        "for m in pkgutil.walk_packages(competency_models.__path__, 'competency_models.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in ('flask', 'sqlalchemy', 'marshmallow') if n in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == ""
