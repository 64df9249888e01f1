"""What rebuild workers send back: rows built as tuples, which read back exactly as they went in
(binary COPY on PostgreSQL, executemany on SQLite); levels reached as flat tuples."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from competency_models.evidence import CompetencyRef
from competency_models.inference import Estimate, Interval
from competency_models.scales import DEFAULT_SCALE
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.projection import (
    EVIDENCE_COLUMNS,
    EVIDENCE_TABLE,
    LevelReached,
    insert_values,
    time_form,
)
from lti_tool.competencies.rebuild import pack_levels, unpack_levels
from lti_tool.models.identity import Person

AT = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _evidence(person_id: str, number: int, rule_id: str, value: float, at: datetime) -> tuple:
    return (
        "js2026",
        person_id,
        "tdl",
        "1.1.1",
        value,
        1 / 7,
        "test",
        at,
        f"statement-{number}",
        number,
        "rules\\set",
        3,
        rule_id,
        0,
    )


def test_rows_read_back_exactly_as_written(db_session: Session) -> None:
    dialect = db_session.get_bind().dialect.name
    person_id = "a" * 36
    db_session.add(Person(id=person_id, display_name="教师", created_at=AT))
    db_session.flush()
    shanghai = timezone(timedelta(hours=8))
    wanted = [
        _evidence(person_id, 1, "tab\there", 0.1, AT),
        _evidence(person_id, 2, "line\nbreak\r\\", 1 / 3, AT.astimezone(shanghai)),
        _evidence(person_id, 3, "None", 5e-324, AT.replace(microsecond=0)),
        _evidence(person_id, 4, "规则 ✓", 1.0, AT + timedelta(microseconds=1)),
    ]
    form = time_form(dialect)
    values = [(*row[:7], form(row[7]), *row[8:]) for row in wanted]

    insert_values(db_session, EVIDENCE_TABLE, EVIDENCE_COLUMNS, values)

    stored = db_session.execute(
        select(*(EVIDENCE_TABLE.c[column] for column in EVIDENCE_COLUMNS)).order_by(
            EVIDENCE_TABLE.c.statement_seq
        )
    ).all()
    read: list[tuple[Any, ...]] = [(*row[:7], as_utc(row[7]), *row[8:]) for row in stored]
    assert read == [(*row[:7], as_utc(row[7]), *row[8:]) for row in wanted]


def test_levels_reached_cross_processes_as_flat_tuples_and_come_back_equal() -> None:
    scale = DEFAULT_SCALE
    levels = [
        LevelReached(
            "js2026",
            f"person-{n}",
            7,
            CompetencyRef("tdl", "2.1.3"),
            Estimate(
                value=0.5 + n / 10,
                level=scale.levels[n],
                evidence_count=n + 1,
                effective_sample_size=1.25,
                interval=Interval(0.25, 0.75, 0.95),
                raw_value=0.625,
                participation_capped=bool(n % 2),
                latest_evidence_at=AT,
            ),
            AT + timedelta(days=n),
        )
        for n in range(3)
    ]

    packed = pickle.loads(pickle.dumps(pack_levels(levels)))

    assert all(type(item) is tuple for item in packed)
    assert unpack_levels(packed) == levels
