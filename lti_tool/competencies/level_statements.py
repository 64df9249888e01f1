"""Trellis's own statements: "competency level reached", stored in the log like any other.

Each statement's id is a uuid5 of (person, framework version, code, level), so a replay or a
second worker can never store one twice; ids already stored are skipped before storing. The
statements enter the outbox, are forwarded by the LRS export, and are ignored by mapping.
The shape is documented in docs/competency-statements.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from competency_models.frameworks import Framework
from lti_tool.competencies.mapping_setup import TRELLIS_SOURCE, MappingSetup
from lti_tool.competencies.projection import LevelReached
from lti_tool.db import serialized_writes
from lti_tool.lrs.auth import system_caller
from lti_tool.lrs.statements import Caller, StatementConflict, store_statements
from lti_tool.models.identity import PersonIdentifier
from lti_tool.models.lrs import Statement
from xapi import trellis_vocabulary as vocab
from xapi.syntax import format_timestamp
from xapi.versions import XapiVersion

LEVEL_STATEMENT_NAMESPACE = uuid.UUID("5b0f3f9e-8f39-5c8e-9d7e-2f1c6a0d4e11")
"""Namespace of level statement ids. Never change it: replays would store duplicates."""

BATCH_SIZE = 500


def level_statement_id(person_id: str, framework: Framework, code: str, level_code: str) -> str:
    """uuid5 of person, framework version (fingerprint), item code and level code."""
    name = f"{person_id}|{framework.id}@{framework.fingerprint}|{code}|{level_code}"
    return str(uuid.uuid5(LEVEL_STATEMENT_NAMESPACE, name))


def agent_from_key(key: str, name: str | None = None) -> dict[str, Any]:
    """The xAPI Agent of a person identifier key (``account:<homePage>|<name>``, ``mbox:…``)."""
    kind, _, rest = key.partition(":")
    agent: dict[str, Any] = {"objectType": "Agent"}
    if kind == "account":
        home_page, _, account_name = rest.partition("|")
        agent["account"] = {"homePage": home_page, "name": account_name}
    elif kind == "mbox":
        agent["mbox"] = rest
    elif kind == "mbox_sha1sum":
        agent["mbox_sha1sum"] = rest
    else:
        agent["openid"] = rest
    if name:
        agent["name"] = name
    return agent


def build_statement(
    reached: LevelReached, framework: Framework, actor: dict[str, Any]
) -> dict[str, Any]:
    """The xAPI statement saying ``reached`` happened."""
    code = reached.competency.code
    item = framework.item(code)
    level = reached.estimate.level
    estimate = reached.estimate
    names = {
        key: value for key, value in (("zh-CN", item.title_zh), ("en", item.title_en)) if value
    }
    framework_names = {
        key: value
        for key, value in (("zh-CN", framework.title_zh), ("en", framework.title_en))
        if value
    }
    return {
        "id": level_statement_id(reached.person_id, framework, code, level.code),
        "actor": actor,
        "verb": {
            "id": vocab.VERB_REACHED_LEVEL,
            "display": {"zh-CN": "达到能力水平", "en": "reached competency level"},
        },
        "object": {
            "objectType": "Activity",
            "id": framework.uri_of(code),
            "definition": {"type": vocab.ACTIVITY_TYPE_COMPETENCY, "name": names},
        },
        "result": {
            "score": {"scaled": round(estimate.value, 6)},
            "extensions": {
                vocab.EXTENSION_LEVEL: {
                    "scale": framework.scale.id,
                    "rank": level.rank,
                    "code": level.code,
                    "label_zh": level.label_zh,
                    "label_en": level.label_en,
                },
                vocab.EXTENSION_ESTIMATE: {
                    "value": round(estimate.value, 6),
                    "interval": [
                        round(estimate.interval.low, 6),
                        round(estimate.interval.high, 6),
                    ],
                    "confidence": estimate.interval.confidence,
                    "evidence_count": estimate.evidence_count,
                },
            },
        },
        "context": {
            "platform": "Trellis",
            "contextActivities": {
                "grouping": [
                    {
                        "objectType": "Activity",
                        "id": framework.document_uri,
                        "definition": {
                            "type": vocab.ACTIVITY_TYPE_FRAMEWORK,
                            "name": framework_names,
                        },
                    }
                ],
                "category": [{"objectType": "Activity", "id": vocab.CATEGORY_COMPETENCY_ENGINE}],
            },
            "extensions": {
                vocab.EXTENSION_FRAMEWORK: {
                    "id": framework.id,
                    "version": framework.version,
                    "fingerprint": framework.fingerprint,
                    "code": code,
                    "scope": reached.scope,
                }
            },
        },
        "timestamp": format_timestamp(reached.at),
    }


def trellis_caller(session: Session, *, home_page: str, now: datetime) -> Caller:
    """The ``trellis`` system source as a caller, created on first use (no usable secret)."""
    return system_caller(session, TRELLIS_SOURCE, home_page=home_page, now=now)


def store_level_statements(
    session: Session,
    setup: MappingSetup,
    reached: Iterable[LevelReached],
    *,
    home_page: str,
    now: datetime,
) -> int:
    """Store the statements for levels reached that are not stored yet; return how many.

    ``store_statements`` commits the session, once per batch of `BATCH_SIZE`.
    """
    by_id: dict[str, tuple[LevelReached, Framework]] = {}
    for item in reached:
        framework = next(
            (v.framework for v in setup.frameworks.values() if v.pk == item.framework_version_id),
            None,
        )
        if framework is None:
            continue
        statement_id = level_statement_id(
            item.person_id, framework, item.competency.code, item.estimate.level.code
        )
        previous = by_id.get(statement_id)
        if previous is None or item.at < previous[0].at:
            by_id[statement_id] = (item, framework)
    if not by_id:
        return 0
    ids = sorted(by_id)
    stored: set[str] = set()
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        stored.update(session.scalars(select(Statement.id).where(Statement.id.in_(chunk))))
    new_ids = [statement_id for statement_id in ids if statement_id not in stored]
    if not new_ids:
        return 0
    people = sorted({by_id[statement_id][0].person_id for statement_id in new_ids})
    actors: dict[str, dict[str, Any]] = {}
    for start in range(0, len(people), BATCH_SIZE):
        chunk = people[start : start + BATCH_SIZE]
        for key, person_id in session.execute(
            select(PersonIdentifier.key, PersonIdentifier.person_id)
            .where(PersonIdentifier.person_id.in_(chunk))
            .order_by(PersonIdentifier.key)
        ):
            actors.setdefault(person_id, agent_from_key(key))
    session.rollback()  # only reads so far: start the write below on a fresh snapshot
    with serialized_writes(session):
        caller = trellis_caller(session, home_page=home_page, now=now)
        # End this transaction: on SQLite a transaction that read before another process
        # wrote cannot write any more, and store_statements takes the writer lock itself.
        session.commit()
    statements = [
        build_statement(by_id[statement_id][0], by_id[statement_id][1], actors[person_id])
        for statement_id in new_ids
        if (person_id := by_id[statement_id][0].person_id) in actors
    ]
    for start in range(0, len(statements), BATCH_SIZE):
        batch = statements[start : start + BATCH_SIZE]
        try:
            store_statements(session, batch, caller=caller, version=XapiVersion.V1_0_3, now=now)
        except StatementConflict:
            # Another worker stored one of these ids first with a different estimate (it saw
            # other evidence); the first statement of a level stands, the others are dropped.
            session.rollback()
            taken = set(
                session.scalars(
                    select(Statement.id).where(Statement.id.in_([s["id"] for s in batch]))
                )
            )
            session.commit()
            remaining = [s for s in batch if s["id"] not in taken]
            if remaining:
                store_statements(
                    session, remaining, caller=caller, version=XapiVersion.V1_0_3, now=now
                )
    return len(statements)
