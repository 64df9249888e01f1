"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants 64 bits for a log that
# grows to millions of rows.
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")
