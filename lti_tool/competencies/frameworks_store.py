"""Stored frameworks: import, list, look up and export versioned competency frameworks.

A framework version is stored once, as Trellis JSON, under its fingerprint. Importing the same
content again is a no-op; a different content under an existing (id, version) is refused, since
a teacher's history points at the version it was computed with and must keep meaning the same.
Adds and flushes; the use case commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from competency_models.builtin import load_builtin
from competency_models.case import framework_to_case_json
from competency_models.csv_format import framework_to_csv
from competency_models.framework_io import (
    framework_from_trellis_json,
    framework_to_trellis_json,
    read_framework,
)
from competency_models.frameworks import Framework, FrameworkImportError
from competency_models.inference import InferenceError, method_from_config
from lti_tool.competencies.clock import utcnow
from lti_tool.models.competencies import FrameworkSettings, StoredFramework

ExportFormat = Literal["case", "csv", "trellis"]


class FrameworkStoreError(ValueError):
    """A framework operation that cannot be done: unknown id, a version clash, a bad setting.

    Attributes:
        status: the HTTP status the API answers with (400, 404 or 409).
        problems: details, one a line.
        field: the request field at fault, if one is (``"method"``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        problems: tuple[str, ...] = (),
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problems = problems
        self.field = field


@dataclass(frozen=True, slots=True)
class FrameworkVersion:
    """A stored framework version: its row id and the framework itself."""

    pk: int
    framework: Framework
    builtin: bool


@lru_cache(maxsize=64)
def _parse(document: str) -> Framework:
    # Frameworks are immutable and their stored JSON never changes: parse each once.
    return framework_from_trellis_json(json.loads(document))


def _version(row: StoredFramework) -> FrameworkVersion:
    return FrameworkVersion(pk=row.id, framework=_parse(row.document), builtin=row.builtin)


def save_framework(
    session: Session, framework: Framework, *, now: datetime, builtin: bool = False
) -> tuple[FrameworkVersion, bool]:
    """Store a framework version unless it is stored already.

    Returns:
        The stored version and whether it was created now.

    Raises:
        FrameworkStoreError: 409 when the id and version are stored with other content.
    """
    existing = session.scalar(
        select(StoredFramework).where(StoredFramework.fingerprint == framework.fingerprint)
    )
    if existing is not None:
        return _version(existing), False
    clash = session.scalar(
        select(StoredFramework).where(
            StoredFramework.framework_id == framework.id,
            StoredFramework.version == framework.version,
        )
    )
    if clash is not None:
        raise FrameworkStoreError(
            f"framework {framework.id} version {framework.version} is already stored with "
            "different content; give the changed framework a new version",
            status=409,
            problems=(f"stored fingerprint {clash.fingerprint}, new {framework.fingerprint}",),
        )
    row = StoredFramework(
        framework_id=framework.id,
        version=framework.version,
        fingerprint=framework.fingerprint,
        title_zh=framework.title_zh,
        title_en=framework.title_en,
        item_count=len(framework),
        document=framework_to_trellis_json(framework).decode("utf-8"),
        builtin=builtin,
        imported_at=now,
    )
    session.add(row)
    session.flush()
    return _version(row), True


def ensure_builtin(session: Session, framework: Framework, *, now: datetime) -> FrameworkVersion:
    """Store a built-in framework unless it is stored; safe when workers do it at once.

    ``INSERT … ON CONFLICT DO NOTHING``: a second worker storing the same built-in framework at
    the same moment neither fails nor duplicates it.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(StoredFramework).on_conflict_do_nothing(),
        [
            {
                "framework_id": framework.id,
                "version": framework.version,
                "fingerprint": framework.fingerprint,
                "title_zh": framework.title_zh,
                "title_en": framework.title_en,
                "item_count": len(framework),
                "document": framework_to_trellis_json(framework).decode("utf-8"),
                "builtin": True,
                "imported_at": now,
            }
        ],
    )
    row = session.scalar(
        select(StoredFramework).where(StoredFramework.fingerprint == framework.fingerprint)
    )
    if row is None:
        raise FrameworkStoreError(
            f"built-in framework {framework.id} version {framework.version} clashes with a "
            "stored framework of the same id and version",
            status=409,
        )
    return _version(row)


def import_framework(
    session: Session, data: bytes, *, filename: str | None, now: datetime
) -> tuple[FrameworkVersion, bool]:
    """Read CASE JSON, Trellis JSON or CSV (detected) and store it.

    Raises:
        FrameworkImportError: the data is invalid; the error lists the first problems and
            nothing is stored.
        FrameworkStoreError: 409 on a version clash.
    """
    return save_framework(session, read_framework(data, filename), now=now)


def load_builtin_frameworks(
    session: Session, *, now: datetime
) -> list[tuple[FrameworkVersion, bool]]:
    """Store every built-in framework that is not stored yet (idempotent)."""
    return [save_framework(session, f, now=now, builtin=True) for f in load_builtin()]


def list_frameworks(session: Session) -> list[StoredFramework]:
    """Every stored framework version, by framework id then oldest first."""
    return list(
        session.scalars(
            select(StoredFramework).order_by(StoredFramework.framework_id, StoredFramework.id)
        )
    )


def latest_framework(
    session: Session, framework_id: str, *, load_builtin_on_demand: bool = True
) -> FrameworkVersion | None:
    """The newest stored version of a framework; a built-in one is stored on first use."""
    row = session.scalar(
        select(StoredFramework)
        .where(StoredFramework.framework_id == framework_id)
        .order_by(StoredFramework.id.desc())
        .limit(1)
    )
    if row is not None:
        return _version(row)
    if load_builtin_on_demand:
        for framework in load_builtin():
            if framework.id == framework_id:
                return ensure_builtin(session, framework, now=utcnow())
    return None


def framework_version(session: Session, pk: int) -> FrameworkVersion | None:
    """A stored version by its row id."""
    row = session.get(StoredFramework, pk)
    return None if row is None else _version(row)


def get_framework(
    session: Session, framework_id: str, version: str | None = None
) -> FrameworkVersion:
    """A framework by id (the newest version, or the named one).

    Raises:
        FrameworkStoreError: 404 when it is not stored.
    """
    query = select(StoredFramework).where(StoredFramework.framework_id == framework_id)
    if version is not None:
        query = query.where(StoredFramework.version == version)
    row = session.scalar(query.order_by(StoredFramework.id.desc()).limit(1))
    if row is None:
        wanted = framework_id if version is None else f"{framework_id} version {version}"
        raise FrameworkStoreError(f"no framework {wanted} is stored", status=404)
    return _version(row)


def export_framework(framework: Framework, format: ExportFormat) -> bytes:
    """The framework as a CASE package, CSV or Trellis JSON (all byte-stable)."""
    if format == "case":
        return framework_to_case_json(framework)
    if format == "csv":
        return framework_to_csv(framework)
    return framework_to_trellis_json(framework)


def framework_method_config(session: Session, framework_id: str) -> dict[str, object] | None:
    """The framework's own default estimation method, or None when it sets none."""
    row = session.get(FrameworkSettings, framework_id)
    if row is None or row.method_config is None:
        return None
    config: dict[str, object] = json.loads(row.method_config)
    return config


def framework_method_configs(session: Session) -> dict[str, dict[str, object]]:
    """Framework id → its own default estimation method, for every framework that sets one."""
    return {
        row.framework_id: json.loads(row.method_config)
        for row in session.scalars(
            select(FrameworkSettings).where(FrameworkSettings.method_config.is_not(None))
        )
        if row.method_config is not None
    }


def set_framework_method(
    session: Session, framework_id: str, config: Mapping[str, object] | None, *, now: datetime
) -> None:
    """Set a framework's default estimation method (None clears it), for all its versions.

    A programme's own method still takes precedence. Estimates already computed keep their
    method until the next rebuild (``trellis competencies rebuild``).

    Raises:
        FrameworkStoreError: 404 when the framework is not stored (built-in ones are stored on
            first use), 400 naming the field ``method`` when the configuration is unusable.
    """
    if latest_framework(session, framework_id) is None:
        raise FrameworkStoreError(f"no framework {framework_id} is stored", status=404)
    if config is not None:
        try:
            method_from_config(config)
        except InferenceError as error:
            raise FrameworkStoreError(
                f"estimation method: {error}", status=400, field="method"
            ) from None
    stored = None if config is None else json.dumps(dict(config), ensure_ascii=False)
    row = session.get(FrameworkSettings, framework_id)
    if row is None:
        session.add(
            FrameworkSettings(framework_id=framework_id, method_config=stored, updated_at=now)
        )
    else:
        row.method_config = stored
        row.updated_at = now
    session.flush()


__all__ = [
    "ExportFormat",
    "FrameworkImportError",
    "FrameworkStoreError",
    "FrameworkVersion",
    "describe",
    "ensure_builtin",
    "export_framework",
    "framework_method_config",
    "framework_method_configs",
    "framework_version",
    "get_framework",
    "import_framework",
    "latest_framework",
    "list_frameworks",
    "load_builtin_frameworks",
    "save_framework",
    "set_framework_method",
]


def describe(version: FrameworkVersion) -> dict[str, object]:
    """A framework version as the API shows it: items, scale, and its provenance."""
    framework = version.framework
    return {
        "framework_id": framework.id,
        "version": framework.version,
        "title_zh": framework.title_zh,
        "title_en": framework.title_en,
        "item_count": len(framework),
        "fingerprint": framework.fingerprint,
        "builtin": version.builtin,
        "source": framework.source,
        "notes": dict(framework.notes),
        "scale_id": framework.scale.id,
        "levels": list(framework.scale.levels),
        "items": [
            {
                "code": item.code,
                "parent_code": item.parent_code,
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "uri": framework.uri_of(item.code),
            }
            for item in framework.items
        ],
    }
