"""A canonical text form of the projections, to show that a rebuild is deterministic.

One JSON object a line — evidence, then estimates, then trajectory points — each sorted by its
natural key, without surrogate ids. Two rebuilds from the same log and configuration give the
same bytes; so do incremental processing and a rebuild.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from lti_tool.competencies.clock import as_utc
from lti_tool.models.competencies import EstimateRecord, EvidenceRecord, TrajectoryPointRecord

_NATURAL_ORDER: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("evidence", EvidenceRecord, ("scope", "statement_id", "position")),
    ("estimate", EstimateRecord, ("scope", "person_id", "framework_id", "code")),
    ("point", TrajectoryPointRecord, ("scope", "person_id", "framework_id", "code", "position")),
)
_SKIPPED = frozenset({"id", "framework_version_id"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


def dump_projection(session: Session, scope: str | None = None) -> bytes:
    """The projections (of one scope, or all) as sorted JSON lines.

    The framework version is named by fingerprint elsewhere; its row id is left out, since it
    depends on the order frameworks were stored in, not on the log.
    """
    lines: list[str] = []
    for name, model, order in _NATURAL_ORDER:
        table = model.__table__
        assert isinstance(table, Table)
        query = select(table).order_by(*(table.c[column] for column in order))
        if scope is not None:
            query = query.where(table.c.scope == scope)
        columns = [column.name for column in table.columns if column.name not in _SKIPPED]
        for row in session.execute(query):
            mapping = row._mapping
            record = {"table": name, **{column: _plain(mapping[column]) for column in columns}}
            lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
