"""Plain SQL through the database driver, for the few hot paths where SQLAlchemy's per-statement
and per-parameter work costs more than the database's own.

Ingest of a batch of 100 statements runs a handful of queries with 100 parameters each and
inserts some 600 rows; through SQLAlchemy's ORM session that bookkeeping was the largest single
cost of a POST (bench/README.md). :class:`DriverSQL` speaks to the session's own connection, in
the session's transaction, with the driver's placeholder style. Values must need no conversion
(ints, floats, strings, booleans, None; datetimes through :meth:`DriverSQL.binder`). Errors come
back as SQLAlchemy's exceptions, so callers handle them as they would any other.

The competency rebuild writes its millions of rows through the same :meth:`DriverSQL.insert_many`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any, cast

import psycopg
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    exc,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

#: Parameters in one statement: SQLite allows 32,766, PostgreSQL's protocol 65,535.
_PARAMETERS_A_STATEMENT = 30_000

#: Rows per ``executemany`` call, so that a rebuild's millions are not one parameter list.
EXECUTEMANY_CHUNK = 5000

#: Up to this many values, PostgreSQL gets one ``INSERT … VALUES``: a COPY takes two round trips
#: (the command, then the data), which for a batch's two outbox rows or a single statement cost
#: more than the rows. Measured with three-column rows: 3 rows 207 against 322 µs of client and
#: server CPU, 10 rows 311 against 445; at 30 rows COPY is cheaper (416 against 617 µs).
_VALUES_UP_TO = 40


class DriverSQL:
    """The session's connection, spoken to through its DBAPI driver."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect
        self._connection = connection.connection
        self._marker = "?" if self.dialect.paramstyle == "qmark" else "%s"

    def _cursor(self) -> Any:
        """A cursor for a query with parameters. On PostgreSQL, psycopg's ``RawCursor``, which
        takes the query's placeholders as ``$1, $2, …`` (see :func:`numbered`): psycopg parses
        a ``%s`` query afresh on every call once it has more than 50 parameters — 130 µs of CPU
        for a look-up of 100 values, against 55 µs for the whole raw query (client CPU, measured
        2026-12-08 on a scratch connection; the note on issue 3)."""
        if self.is_postgresql:
            return psycopg.RawCursor(
                cast("psycopg.Connection[Any]", self._connection.driver_connection)
            )
        return self._connection.cursor()

    @property
    def is_postgresql(self) -> bool:
        return self.dialect.name == "postgresql"

    def markers(self, count: int) -> str:
        """``count`` comma-separated placeholders, for ``IN (…)`` and ``VALUES (…)``."""
        return ", ".join([self._marker] * count)

    def row_markers(self, width: int, count: int) -> str:
        """Placeholders for ``count`` rows of ``width`` values: ``(?, ?), (?, ?)``, for a
        ``VALUES`` list of several rows."""
        return ", ".join([f"({self.markers(width)})"] * count)

    def binder(self, column: Column[Any]) -> Callable[[Any], Any]:
        """How SQLAlchemy would send a value for ``column`` (e.g. a datetime on SQLite as text);
        derive it once per insert, not once per row."""
        processor = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return processor if processor is not None else _unchanged

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query, planned for the tables as they are now.

        On PostgreSQL the query is never prepared. psycopg prepares a query it has run five
        times on a connection, and PostgreSQL then keeps one generic plan for it until the
        table is next analyzed. The look-ups here ask for values in tables that grow from
        nothing (agent keys, activity IRIs, people's identifiers): a plan cached while such a
        table was nearly empty scans it whole, and went on doing so as it grew to thousands of
        rows — at 10,000 new teachers that cost an empty store half its ingest speed
        (bench/README.md). Planning these small queries afresh costs far less than that.
        """
        cursor = self._cursor()
        try:
            if self.is_postgresql:
                self._run(partial(cursor.execute, prepare=False), numbered(sql), params)
            else:
                self._run(cursor.execute, sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def insert_many(
        self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows of plain values into ``table``: on PostgreSQL by binary COPY (no statement
        per row; with the column types given, about nine times cheaper for psycopg than text
        COPY), or for a few values by one ``INSERT … VALUES``; else by the driver's
        ``executemany``."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.is_postgresql and len(rows) * len(columns) <= _VALUES_UP_TO:
            cursor = self._cursor()
            try:
                self._run(
                    cursor.execute,
                    numbered(
                        f"INSERT INTO {table.name} ({names}) "
                        f"VALUES {self.row_markers(len(columns), len(rows))}"
                    ),
                    [value for row in rows for value in row],
                )
            finally:
                cursor.close()
            return
        if self.is_postgresql:
            types = [copy_type(table.c[column].type) for column in columns]
            self._run(
                self._copy, f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)", (types, rows)
            )
            return
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({self.markers(len(columns))})"
        cursor = self._connection.cursor()
        try:
            for start in range(0, len(rows), EXECUTEMANY_CHUNK):
                self._run(cursor.executemany, sql, rows[start : start + EXECUTEMANY_CHUNK])
        finally:
            cursor.close()

    def insert_new(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        unique: Sequence[str],
        returning: Sequence[str],
    ) -> list[tuple[Any, ...]]:
        """Insert those rows whose ``unique`` columns no stored row holds yet, in one statement
        a chunk (``INSERT … ON CONFLICT DO NOTHING RETURNING``); the ``returning`` columns of
        the rows inserted. A row skipped — stored before, or by another writer meanwhile —
        returns nothing, so the caller looks those up."""
        if not rows:
            return []
        names = ", ".join(columns)
        tail = f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING {', '.join(returning)}"
        chunk = max(1, _PARAMETERS_A_STATEMENT // len(columns))
        inserted: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = self.row_markers(len(columns), len(part))
            inserted += self.fetch(
                f"INSERT INTO {table.name} ({names}) VALUES {values} {tail}",
                [value for row in part for value in row],
            )
        return inserted

    def _copy(self, sql: str, typed_rows: tuple[list[str], Sequence[Sequence[Any]]]) -> None:
        types, rows = typed_rows
        cursor = self._connection.cursor()
        try:
            with cursor.copy(sql) as copy:
                copy.set_types(types)
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


def _unchanged(value: Any) -> Any:
    return value


_PERCENT = re.compile("%([s%])?")


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders numbered as PostgreSQL's own ``$1, $2, …`` and
    ``%%`` as ``%``, for psycopg's ``RawCursor``. Once per distinct query text: ingest's
    queries differ only by how many values they carry, so a few hundred texts recur.

    Raises:
        ValueError: for a ``%`` that is neither, which psycopg would have refused too.
    """
    position = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal position
        if match.group(1) == "%":
            return "%"
        if match.group(1) is None:
            raise ValueError(f"only %s and %% may follow a percent sign in {sql!r}")
        position += 1
        return f"${position}"

    return _PERCENT.sub(replace, sql)


def copy_type(column_type: TypeEngine[Any]) -> str:
    """The PostgreSQL type a column's values are sent as in binary COPY (it must be exact)."""
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, DateTime):
        return "timestamptz" if column_type.timezone else "timestamp"
    if isinstance(column_type, Float):
        return "float8"
    if isinstance(column_type, BigInteger):
        return "int8"
    if isinstance(column_type, Integer):
        return "int4"
    if isinstance(column_type, String):
        return "text"  # varchar's binary form is text's
    raise TypeError(f"no binary COPY type for {column_type!r}")
