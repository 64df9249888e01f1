"""Thin text loaders around :func:`parse_ruleset`, and access to the built-in starter rule sets.

The only module of the core that touches PyYAML: everything else works on already-loaded data.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Literal

import yaml

from competency_models.mapping.parsing import RuleSetError, parse_ruleset
from competency_models.mapping.rules import RuleSet

RulesetFormat = Literal["json", "yaml"]

_BUILTIN_PACKAGE = "competency_models.rulesets"
_BUILTIN_SUFFIX = ".yaml"


def load_ruleset_text(text: str, format: RulesetFormat) -> RuleSet:
    """Parse rule-set text in JSON or YAML and validate it.

    Args:
        text: the document.
        format: "json" or "yaml" (YAML is read with the safe loader: data only, no tags).

    Raises:
        RuleSetError: when the text does not parse or the rule set is invalid.
    """
    try:
        data: object = json.loads(text) if format == "json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise RuleSetError([f"<root>: not valid {format.upper()}: {error}"]) from error
    if not isinstance(data, dict):
        raise RuleSetError(["<root>: must be an object"])
    return parse_ruleset(data)


def builtin_ruleset_names() -> tuple[str, ...]:
    """The names of the starter rule sets shipped as package data, sorted."""
    folder = resources.files(_BUILTIN_PACKAGE)
    return tuple(
        sorted(
            entry.name.removesuffix(_BUILTIN_SUFFIX)
            for entry in folder.iterdir()
            if entry.name.endswith(_BUILTIN_SUFFIX)
        )
    )


def load_builtin_ruleset(name: str) -> RuleSet:
    """Load one starter rule set by name (see :func:`builtin_ruleset_names`).

    Raises:
        KeyError: if no starter rule set has that name.
    """
    if name not in builtin_ruleset_names():
        raise KeyError(f"no built-in rule set named {name!r}")
    text = resources.files(_BUILTIN_PACKAGE).joinpath(name + _BUILTIN_SUFFIX).read_text("utf-8")
    return load_ruleset_text(text, "yaml")
