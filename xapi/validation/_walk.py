"""Shared machinery of the validators: the problem collector and checks of JSON shapes.

Validators walk a decoded JSON document and report ``(path, rule)`` problems; paths are
built only as deep as the walk goes, and the walk stops once enough problems are known.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from xapi.errors import MAX_REPORTED_PROBLEMS, Problem
from xapi.syntax import is_iri, is_language_tag


class EnoughProblems(Exception):
    """Raised inside a walk once the report is full; the walk's caller catches it."""


class Walk:
    """State of one validation walk.

    Attributes:
        problems: What was found so far.
        is_2_0: Whether xAPI 2.0 (IEEE 9274.1.1) rules apply.
    """

    __slots__ = ("is_2_0", "problems")

    def __init__(self, *, is_2_0: bool) -> None:
        self.problems: list[Problem] = []
        self.is_2_0 = is_2_0

    def report(self, path: str, rule: str) -> None:
        """Record that the value at ``path`` breaks ``rule``.

        Paths are built by appending ``.name`` to the parent's path, so a single statement's
        paths start with a dot, which is dropped here; the root itself is ``$``.
        """
        self.problems.append(Problem(path.removeprefix(".") or "$", rule))
        if len(self.problems) >= MAX_REPORTED_PROBLEMS:
            raise EnoughProblems


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def member_path(path: str, key: str) -> str:
    """The path of member ``key`` of the object at ``path``; keys that are not plain names
    (language tags, extension IRIs, garbage) are quoted: ``extensions["not an iri"]``."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def type_rule(expected: str, value: object) -> str:
    """The rule a wrongly typed value breaks: null gets its own message (xAPI 1.0.3 Data 2.2)."""
    return "must not be null" if value is None else f"must be {expected}"


def is_number(value: object) -> bool:
    """JSON number: int or float, never bool, never NaN or infinity."""
    kind = type(value)
    if kind is int:
        return True
    return kind is float and math.isfinite(value)  # type: ignore[arg-type]


def report_unknown_properties(
    walk: Walk, node: Mapping[str, Any], path: str, allowed: frozenset[str]
) -> None:
    """Reject properties the specification does not define (xAPI 1.0.3 Data 2.2: "reject
    Statements ... where a key or value is not allowed by this specification").

    Callers test ``node.keys() <= allowed`` first, which is all the work on valid input.
    """
    for key in node:
        if key not in allowed:
            walk.report(member_path(path, key), "unknown property")


def require_object(walk: Walk, value: object, path: str) -> bool:
    """True when ``value`` is a JSON object, else report it."""
    if type(value) is dict:
        return True
    walk.report(path, type_rule("an object", value))
    return False


def check_string(walk: Walk, value: object, path: str) -> None:
    """A plain JSON string."""
    if type(value) is not str:
        walk.report(path, type_rule("a string", value))


def check_boolean(walk: Walk, value: object, path: str) -> None:
    """A JSON boolean; the string "true" is not one (xAPI 1.0.3 Data 2.2)."""
    if type(value) is not bool:
        walk.report(path, type_rule("a boolean", value))


def check_formatted(
    walk: Walk, value: object, path: str, is_valid: Callable[[str], bool], what: str
) -> None:
    """A string in a required format: IRI, UUID, mailto IRI...; ``what`` names the format."""
    if type(value) is not str:
        walk.report(path, type_rule("a string", value))
    elif not is_valid(value):
        walk.report(path, f"not {what}")


def check_iri(walk: Walk, value: object, path: str) -> None:
    """An IRI (xAPI 1.0.3 Data 4.1 "IRI"; also used for IRLs, best effort)."""
    if type(value) is not str:
        walk.report(path, type_rule("a string", value))
    elif not is_iri(value):
        walk.report(path, "not an IRI")


def check_language_map(walk: Walk, value: object, path: str) -> None:
    """A language map: RFC 5646 tags to strings (xAPI 1.0.3 Data 4.2)."""
    if type(value) is not dict:
        walk.report(path, type_rule("a language map object", value))
        return
    for tag, text in value.items():
        if not is_language_tag(tag):
            walk.report(member_path(path, tag), "not an RFC 5646 language tag")
        if type(text) is not str:
            walk.report(member_path(path, tag), type_rule("a string", text))


def check_extensions(walk: Walk, value: object, path: str) -> None:
    """Extensions: IRI keys, any JSON values, null included (xAPI 1.0.3 Data 4.3, 2.2)."""
    if type(value) is not dict:
        walk.report(path, type_rule("an object", value))
        return
    for key in value:
        if not is_iri(key):
            walk.report(member_path(path, key), "key not an IRI")


def as_array(walk: Walk, value: object, path: str) -> list[Any] | None:
    """``value`` itself when it is a JSON array, else None after reporting it."""
    if type(value) is list:
        return value
    walk.report(path, type_rule("an array", value))
    return None
