"""Plain SQL through the database driver, for the few hot paths where SQLAlchemy's per-statement
and per-parameter work costs more than the database's own.

Ingest of a batch of 100 statements runs a handful of queries with 100 parameters each and
inserts some 600 rows; through SQLAlchemy's ORM session that bookkeeping was the largest single
cost of a POST (bench/README.md). :class:`DriverSQL` speaks to the session's own connection, in
the session's transaction, with the driver's placeholder style. Values must need no conversion
(ints, strings, booleans, None; datetimes through :meth:`DriverSQL.bind`). Errors come back as
SQLAlchemy's exceptions, so callers handle them as they would any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, exc
from sqlalchemy.orm import Session


class DriverSQL:
    """The session's connection, spoken to through its DBAPI driver."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect
        self._connection = connection.connection
        self._marker = "?" if self.dialect.paramstyle == "qmark" else "%s"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect.name == "postgresql"

    def markers(self, count: int) -> str:
        """``count`` comma-separated placeholders, for ``IN (…)`` and ``VALUES (…)``."""
        return ", ".join([self._marker] * count)

    def bind(self, column: Column[Any], value: Any) -> Any:
        """``value`` as SQLAlchemy would send it for ``column`` (e.g. a datetime on SQLite)."""
        processor = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return value if processor is None else processor(value)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        cursor = self._connection.cursor()
        try:
            self._run(cursor.execute, sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows of plain values into ``table``: by COPY on PostgreSQL (one round trip and
        no statement per row), else by the driver's ``executemany``."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.is_postgresql:
            self._run(self._copy, f"COPY {table} ({names}) FROM STDIN", rows)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({self.markers(len(columns))})"
        cursor = self._connection.cursor()
        try:
            self._run(cursor.executemany, sql, rows)
        finally:
            cursor.close()

    def _copy(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        cursor = self._connection.cursor()
        try:
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    def _run(self, method: Any, sql: str, params: Any) -> None:
        dbapi = self.dialect.loaded_dbapi
        try:
            method(sql, params)
        except dbapi.Error as error:
            raise exc.DBAPIError.instance(
                sql, None, error, dbapi.Error, hide_parameters=True, dialect=self.dialect
            ) from error
