"""Programmes (培训项目 / 班): their courses, teachers, frameworks, rule sets and bindings.

A statement belongs to a programme when one of the activities it is about — its object, its
parent or grouping activities — is one of the programme's courses (the course activity Moodle
lists, ``…/course/view.php?id=3``) or one of its bound modules. Adds and flushes; the use case
commits.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from competency_models.inference import InferenceError, method_from_config
from competency_models.rollup import (
    AllChildrenAtLeast,
    MeanOfChildren,
    PointsAtLeast,
    RollupRule,
)
from lti_tool.db import insert_ignoring_conflicts
from lti_tool.models.competencies import (
    ModuleBinding,
    Programme,
    ProgrammeContext,
    ProgrammeFramework,
    ProgrammeMember,
    ProgrammeRuleSet,
)

_PROGRAMME_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

LTI_CONTEXT = "lti"
COURSE = "course"
TEACHER = "teacher"
TRAINER = "trainer"


class ProgrammeError(ValueError):
    """A programme operation that cannot be done.

    Attributes:
        status: the HTTP status the API answers with (400, 404 or 409).
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def lti_context_key(issuer: str, context_id: str) -> str:
    """The key of an LTI context: ``<issuer>|<context id>``."""
    return f"{issuer.rstrip('/')}|{context_id}"


def check_method_config(config: Mapping[str, object]) -> None:
    """Raise ProgrammeError when the estimation method configuration is unusable."""
    try:
        method_from_config(config)
    except InferenceError as error:
        raise ProgrammeError(f"estimation method: {error}") from None


def rollup_rule_from_config(config: Mapping[str, Any] | None) -> RollupRule:
    """``{"rule": "mean"}`` (default), ``{"rule": "all_at_least", "rank": k}`` or
    ``{"rule": "points_at_least", "threshold": p}``.

    Raises:
        ProgrammeError: for an unknown rule or a missing parameter.
    """
    if not config:
        return MeanOfChildren()
    rule = config.get("rule")
    try:
        if rule == "mean":
            return MeanOfChildren(dict(config.get("weights", {})))
        if rule == "all_at_least":
            return AllChildrenAtLeast(int(config["rank"]))
        if rule == "points_at_least":
            return PointsAtLeast(int(config["threshold"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ProgrammeError(f"roll-up rule {rule!r}: {error}") from None
    raise ProgrammeError(
        f"unknown roll-up rule {rule!r} (known: mean, all_at_least, points_at_least)"
    )


def add_programme(
    session: Session,
    programme_id: str,
    title: str,
    *,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    method_config: Mapping[str, object] | None = None,
    rollup_config: Mapping[str, Any] | None = None,
) -> Programme:
    """Create a programme.

    Raises:
        ProgrammeError: a malformed or taken id, bad phase dates or an unusable method.
    """
    if not _PROGRAMME_ID.match(programme_id):
        raise ProgrammeError(
            f"programme id {programme_id!r}: use 1–100 letters, digits, '.', '_' or '-'"
        )
    if session.get(Programme, programme_id) is not None:
        raise ProgrammeError(f"programme {programme_id!r} already exists", status=409)
    if starts_at and ends_at and ends_at < starts_at:
        raise ProgrammeError("a programme cannot end before it starts")
    if method_config is not None:
        check_method_config(method_config)
    rollup_rule_from_config(rollup_config)
    programme = Programme(
        id=programme_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        method_config=None if method_config is None else json.dumps(dict(method_config)),
        rollup_config=None if rollup_config is None else json.dumps(dict(rollup_config)),
        created_at=now,
    )
    session.add(programme)
    session.flush()
    return programme


def get_programme(session: Session, programme_id: str) -> Programme:
    """A programme by id.

    Raises:
        ProgrammeError: 404 when there is none.
    """
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise ProgrammeError(f"no programme {programme_id!r}", status=404)
    return programme


def list_programmes(session: Session) -> list[Programme]:
    """Every programme, by id."""
    return list(session.scalars(select(Programme).order_by(Programme.id)))


def add_context(
    session: Session, programme_id: str, kind: str, key: str, *, title: str | None = None
) -> ProgrammeContext:
    """Attach a course (``course``: its activity IRI) or an LTI context to a programme.

    Raises:
        ProgrammeError: the context belongs to another programme (409), or the kind is unknown.
    """
    if kind not in (LTI_CONTEXT, COURSE):
        raise ProgrammeError(f"context kind {kind!r}: use {LTI_CONTEXT!r} or {COURSE!r}")
    get_programme(session, programme_id)
    existing = session.scalar(
        select(ProgrammeContext).where(ProgrammeContext.kind == kind, ProgrammeContext.key == key)
    )
    if existing is not None:
        if existing.programme_id != programme_id:
            raise ProgrammeError(
                f"{kind} {key} already belongs to programme {existing.programme_id!r}",
                status=409,
            )
        return existing
    context = ProgrammeContext(programme_id=programme_id, kind=kind, key=key, title=title)
    session.add(context)
    session.flush()
    return context


def add_members(
    session: Session, programme_id: str, person_ids: list[str], *, role: str = TEACHER
) -> None:
    """Add people to a programme (already present ones are kept as they are)."""
    if not person_ids:
        return
    session.execute(
        insert_ignoring_conflicts(session, ProgrammeMember, ["programme_id", "person_id"]),
        [
            {"programme_id": programme_id, "person_id": person_id, "role": role}
            for person_id in sorted(set(person_ids))
        ],
    )


def set_frameworks(session: Session, programme_id: str, framework_ids: list[str]) -> None:
    """Replace the frameworks a programme measures against."""
    get_programme(session, programme_id)
    session.execute(
        delete(ProgrammeFramework).where(ProgrammeFramework.programme_id == programme_id)
    )
    session.add_all(
        ProgrammeFramework(programme_id=programme_id, framework_id=framework_id)
        for framework_id in dict.fromkeys(framework_ids)
    )
    session.flush()


def set_rulesets(session: Session, programme_id: str, ruleset_ids: list[str]) -> None:
    """Replace the rule sets a programme maps its statements with."""
    get_programme(session, programme_id)
    session.execute(delete(ProgrammeRuleSet).where(ProgrammeRuleSet.programme_id == programme_id))
    session.add_all(
        ProgrammeRuleSet(programme_id=programme_id, ruleset_id=ruleset_id)
        for ruleset_id in dict.fromkeys(ruleset_ids)
    )
    session.flush()


def bind_module(
    session: Session, programme_id: str, module_id: str, framework_id: str, code: str
) -> ModuleBinding:
    """Bind a course module (or course, AU, rubric criterion) to a competency."""
    get_programme(session, programme_id)
    existing = session.scalar(
        select(ModuleBinding).where(
            ModuleBinding.programme_id == programme_id,
            ModuleBinding.module_id == module_id,
            ModuleBinding.framework_id == framework_id,
            ModuleBinding.code == code,
        )
    )
    if existing is not None:
        return existing
    binding = ModuleBinding(
        programme_id=programme_id, module_id=module_id, framework_id=framework_id, code=code
    )
    session.add(binding)
    session.flush()
    return binding


def ensure_programme_for_context(
    session: Session, *, issuer: str, context_id: str, title: str, now: datetime
) -> Programme:
    """The programme of an LTI context, created on the first trainer launch from it.

    The new programme's id is derived from the context (``lti-<12 hex>``), so two concurrent
    first launches agree on it; it maps with every active global rule set until an
    administrator configures it.
    """
    key = lti_context_key(issuer, context_id)
    existing = session.scalar(
        select(ProgrammeContext).where(
            ProgrammeContext.kind == LTI_CONTEXT, ProgrammeContext.key == key
        )
    )
    if existing is not None:
        return get_programme(session, existing.programme_id)
    programme_id = "lti-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    session.execute(
        insert_ignoring_conflicts(session, Programme, ["id"]),
        [{"id": programme_id, "title": title or context_id, "created_at": now}],
    )
    session.execute(
        insert_ignoring_conflicts(session, ProgrammeContext, ["kind", "key"]),
        [{"programme_id": programme_id, "kind": LTI_CONTEXT, "key": key, "title": title}],
    )
    session.flush()
    return get_programme(session, programme_id)
