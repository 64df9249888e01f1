"""The frameworks Trellis carries built in, read from this package's data files.

* 教师数字素养 JY/T 0646—2022 (5 / 13 / 33 items at depth 1 / 2 / 3), default scale;
* 学科教学素养 subject teaching literacy (Trellis's working framework), default scale;
* DigCompEdu (6 areas / 22 competences), its own A1–C2 scale.

The files are Trellis JSON (see `competency_models.framework_io`) copied from the programme's
research drafts with ``source`` and ``notes`` intact: the notes say which parts are verified and
which are paraphrase, and administrators must see them. They are package data, read through
`importlib.resources`, so nothing outside the installed package is read at run time.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from competency_models.framework_io import framework_from_trellis_json
from competency_models.frameworks import Framework

BUILTIN_FILES = (
    "cn-teacher-digital-literacy-jyt0646-2022.json",
    "cn-subject-teaching-literacy.json",
    "eu-digcompedu.json",
)
"""The built-in framework files, in the order `load_builtin` returns them."""


@cache
def load_builtin() -> tuple[Framework, ...]:
    """Return the built-in frameworks (read once, then cached; they are immutable).

    Raises:
        FrameworkImportError: if a packaged file is broken (a packaging bug, caught by tests).
    """
    package = files(__name__)
    return tuple(
        framework_from_trellis_json(json.loads(package.joinpath(name).read_text("utf-8")))
        for name in BUILTIN_FILES
    )


def builtin_framework(framework_id: str) -> Framework:
    """Return the built-in framework with this id.

    Raises:
        KeyError: if no built-in framework has that id (the message lists the ids).
    """
    for framework in load_builtin():
        if framework.id == framework_id:
            return framework
    known = ", ".join(framework.id for framework in load_builtin())
    raise KeyError(f"no built-in framework {framework_id!r} (built in: {known})")


__all__ = ["BUILTIN_FILES", "builtin_framework", "load_builtin"]
