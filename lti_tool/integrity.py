"""Check that every reference the models declare holds in the stored rows.

Ingest does not have the database check the references of the rows it writes: SQLite skips
its look-ups inside the ingest transaction (:mod:`lti_tool.sqlite_foreign_keys`), and on
PostgreSQL those keys carry no constraint since migration 0010 (each was a trigger and a row
lock per row). The references hold by construction; this is how to see that they do — after a
restore, say (``trellis db check``), or in the tests that hammer ingest.
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

import lti_tool.models  # noqa: F401  (registers every table)
from lti_tool.db import Base


def dangling_references(session: Session) -> dict[str, int]:
    """Rows whose reference finds no row, counted by foreign key (named ``table.column``).

    Every foreign key declared in the models is checked, whether or not the database enforces
    it. An empty result means every reference holds.
    """
    found: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        for constraint in sorted(table.foreign_key_constraints, key=_label):
            count = session.scalar(_dangling_count(constraint))
            if count:
                found[_label(constraint)] = count
    return found


def _dangling_count(constraint: ForeignKeyConstraint) -> Executable:
    pairs = [(element.parent, element.column) for element in constraint.elements]
    referred = pairs[0][1].table
    return (
        select(func.count())
        .select_from(constraint.table)
        .where(
            *(column.is_not(None) for column, _ in pairs),
            ~exists(
                select(1)
                .select_from(referred)
                .where(and_(*(target == column for column, target in pairs)))
            ),
        )
    )


def _label(constraint: ForeignKeyConstraint) -> str:
    columns = ", ".join(column.name for column in constraint.columns)
    return f"{constraint.table.name}.{columns}"
