"""Statements for tests: a complete valid one, and a way to change one value at a path."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from xapi import vocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Marks a property to remove in :func:`mutated`.
DELETE = object()

_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]|\[\"([^\"]*)\"\]")


def full_statement() -> dict[str, Any]:
    """A statement using every 1.0.3 property, valid as it stands."""
    return {
        "id": "0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        "actor": {"objectType": "Agent", "name": "刘老师", "mbox": "mailto:liu@school.example.cn"},
        "verb": {
            "id": vocabulary.VERB_ATTENDED,
            "display": {"en-US": "attended", "zh-CN": "参加了"},
        },
        "object": {
            "objectType": "Activity",
            "id": "https://trellis.example/sessions/42",
            "definition": {
                "name": {"zh-CN": "课堂观察研讨"},
                "description": {"en": "Lesson study debrief"},
                "type": vocabulary.ACTIVITY_TYPE_FACE_TO_FACE_DISCUSSION,
                "moreInfo": "https://trellis.example/sessions/42/info",
                "extensions": {"https://trellis.example/ext/room": "A-201"},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 75, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "notes taken",
            "duration": "PT1H30M",
            "extensions": {"https://trellis.example/ext/notes": None},
        },
        "context": {
            "registration": "9c1f6d0e-2a3b-4c5d-9e8f-7a6b5c4d3e2f",
            "instructor": {
                "name": "周老师",
                "account": {"homePage": "https://moodle.example", "name": "7"},
            },
            "team": {
                "objectType": "Group",
                "name": "教研组",
                "member": [{"mbox": "mailto:a@school.example.cn"}],
            },
            "contextActivities": {
                "parent": [{"id": "https://trellis.example/courses/5"}],
                "grouping": {"id": "https://trellis.example/programmes/2026"},
                "category": [{"id": vocabulary.CATEGORY_CMI5}],
                "other": [],
            },
            "revision": "2",
            "platform": "Moodle",
            "language": "zh-CN",
            "statement": {
                "objectType": "StatementRef",
                "id": "1e2d3c4b-5a69-4788-9766-554433221100",
            },
            "extensions": {vocabulary.EXTENSION_CMI5_SESSION_ID: "s-1"},
        },
        "timestamp": "2026-03-12T06:30:00.000Z",
        "stored": "2026-03-12T06:30:01.000Z",
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": "https://lrs.example", "name": "moodle"},
        },
        "version": "1.0.3",
        "attachments": [
            {
                "usageType": "https://trellis.example/attachments/lesson-plan",
                "display": {"en": "Lesson plan"},
                "description": {"en": "The plan observed"},
                "contentType": "application/pdf",
                "length": 12345,
                "sha2": "a" * 64,
                "fileUrl": "https://files.trellis.example/plan.pdf",
            }
        ],
    }


def substatement() -> dict[str, Any]:
    """A valid SubStatement object."""
    return {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:mentor@school.example.cn"},
        "verb": {"id": vocabulary.VERB_ATTEMPTED},
        "object": {"id": "https://trellis.example/tasks/1"},
        "result": {"completion": False},
        "context": {
            "registration": "9c1f6d0e-2a3b-4c5d-9e8f-7a6b5c4d3e2f",
            "contextActivities": {"parent": {"id": "https://trellis.example/c"}},
        },
        "timestamp": "2026-04-01T08:00:00+08:00",
    }


def mutated(statement: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``statement`` with the value at ``path`` (``a.b[1].c``, or
    ``a["key.with.dots"]``) replaced, or removed when ``value`` is :data:`DELETE`."""
    result = copy.deepcopy(statement)
    steps: list[str | int] = [
        name or quoted if not index else int(index) for name, index, quoted in _STEP.findall(path)
    ]
    node: Any = result
    for step in steps[:-1]:
        node = node[step]
    last = steps[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return result


def load_data(name: str) -> dict[str, Any]:
    """A statement from ``tests/xapi/data``."""
    data: dict[str, Any] = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    return data


def data_files() -> list[Path]:
    """Every sample statement under ``tests/xapi/data``."""
    return sorted(DATA_DIR.glob("*.json"))


def value_paths(node: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value inside ``node``, the empty path included."""
    found = [trail]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(value_paths(value, (*trail, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(value_paths(value, (*trail, index)))
    return found
