"""Programmes (培训项目 / 班): their courses, teachers, frameworks, rule sets and bindings.

A statement belongs to a programme when one of the activities it is about — its object, its
parent or grouping activities — is one of the programme's courses (the course activity Moodle
lists, ``…/course/view.php?id=3``) or one of its bound modules. Adds and flushes; the use case
commits, and commits nothing when a function here raises (so nothing is half-written).

`create_programme` and `update_programme` are what ``trellis programmes add`` and the JSON API
both call: one validation for both.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from competency_models.inference import InferenceError, method_from_config
from competency_models.rollup import (
    AllChildrenAtLeast,
    MeanOfChildren,
    PointsAtLeast,
    RollupRule,
)
from lti_tool.competencies.clock import as_utc
from lti_tool.competencies.frameworks_store import latest_framework
from lti_tool.db import insert_ignoring_conflicts
from lti_tool.models.competencies import (
    KEY_LENGTH,
    ModuleBinding,
    Programme,
    ProgrammeContext,
    ProgrammeFramework,
    ProgrammeMember,
    ProgrammeRuleSet,
    StoredRuleSet,
)

_PROGRAMME_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TITLE_LENGTH = 500

LTI_CONTEXT = "lti"
COURSE = "course"
TEACHER = "teacher"
TRAINER = "trainer"


class ProgrammeError(ValueError):
    """A programme operation that cannot be done.

    Attributes:
        status: the HTTP status the API answers with (400, 404 or 409).
        field: the request field at fault, if one is (``"ends_at"``, ``"courses"``).
    """

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class Keep(enum.Enum):
    """An argument of `update_programme` left out: the stored value stays."""

    KEEP = "keep"


KEEP = Keep.KEEP
Kept = Literal[Keep.KEEP]


def lti_context_key(issuer: str, context_id: str) -> str:
    """The key of an LTI context: ``<issuer>|<context id>``."""
    return f"{issuer.rstrip('/')}|{context_id}"


def check_method_config(config: Mapping[str, object]) -> None:
    """Raise ProgrammeError when the estimation method configuration is unusable."""
    try:
        method_from_config(config)
    except InferenceError as error:
        raise ProgrammeError(f"estimation method: {error}", field="method") from None


def rollup_rule_from_config(config: Mapping[str, Any] | None) -> RollupRule:
    """``{"rule": "mean"}`` (default), ``{"rule": "all_at_least", "rank": k}`` or
    ``{"rule": "points_at_least", "threshold": p}``.

    Raises:
        ProgrammeError: for an unknown rule or a missing parameter.
    """
    if config is None:
        return MeanOfChildren()
    if not isinstance(config, Mapping):
        raise ProgrammeError(
            f'a roll-up rule is a mapping such as {{"rule": "mean"}}, got {config!r}',
            field="rollup",
        )
    if not config:
        return MeanOfChildren()
    rule = config.get("rule")
    try:
        if rule == "mean":
            weights = dict(config.get("weights", {}))
            for code, weight in weights.items():
                if not isinstance(weight, int | float) or not math.isfinite(weight):
                    raise ValueError(f"weight of {code!r} must be a finite number")
            return MeanOfChildren(weights)
        if rule == "all_at_least":
            return AllChildrenAtLeast(int(config["rank"]))
        if rule == "points_at_least":
            return PointsAtLeast(int(config["threshold"]))
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise ProgrammeError(f"roll-up rule {rule!r}: {error}", field="rollup") from None
    raise ProgrammeError(
        f"unknown roll-up rule {rule!r} (known: mean, all_at_least, points_at_least)",
        field="rollup",
    )


def _check_title(title: str) -> None:
    if not title.strip() or len(title) > TITLE_LENGTH:
        raise ProgrammeError(f"a programme's title has 1–{TITLE_LENGTH} characters", field="title")


def _check_phases(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at and ends_at and as_utc(ends_at) < as_utc(starts_at):
        raise ProgrammeError("a programme cannot end before it starts", field="ends_at")


def _check_course(course: str) -> None:
    if not 0 < len(course) <= KEY_LENGTH or not urlsplit(course).scheme:
        raise ProgrammeError(
            f"course {course!r}: give the course activity IRI statements carry, e.g. "
            "https://moodle.example.edu/course/view.php?id=3",
            field="courses",
        )


def _check_frameworks(session: Session, framework_ids: Iterable[str]) -> None:
    for framework_id in framework_ids:
        if latest_framework(session, framework_id) is None:
            raise ProgrammeError(
                f"no framework {framework_id!r} is stored (import it first)", field="frameworks"
            )


def _check_rulesets(session: Session, ruleset_ids: Iterable[str]) -> None:
    for ruleset_id in ruleset_ids:
        stored = session.scalar(
            select(StoredRuleSet.id).where(StoredRuleSet.ruleset_id == ruleset_id).limit(1)
        )
        if stored is None:
            raise ProgrammeError(
                f"no rule set {ruleset_id!r} is stored (add it first, or trellis rulesets "
                "load-builtin)",
                field="rulesets",
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
            f"programme id {programme_id!r}: use 1–100 letters, digits, '.', '_' or '-'",
            field="id",
        )
    if session.get(Programme, programme_id) is not None:
        raise ProgrammeError(f"programme {programme_id!r} already exists", status=409, field="id")
    _check_title(title)
    _check_phases(starts_at, ends_at)
    if method_config is not None:
        check_method_config(method_config)
    rollup_rule_from_config(rollup_config)
    programme = Programme(
        id=programme_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        method_config=_json_or_none(method_config),
        rollup_config=_json_or_none(rollup_config),
        created_at=now,
    )
    session.add(programme)
    session.flush()
    return programme


def create_programme(
    session: Session,
    programme_id: str,
    title: str,
    *,
    now: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    method_config: Mapping[str, object] | None = None,
    rollup_config: Mapping[str, Any] | None = None,
    courses: Iterable[str] = (),
    frameworks: Iterable[str] = (),
    rulesets: Iterable[str] = (),
) -> Programme:
    """Create a programme with its courses (activity IRIs), frameworks and rule sets.

    Everything is checked, or nothing is written: the caller commits only when this returns.

    Raises:
        ProgrammeError: naming the field at fault — a malformed (400) or taken (409) id, an
            empty title, bad phase dates, an unusable method or roll-up rule, a course that is
            not an IRI or belongs to another programme (409), an unknown framework or rule set.
    """
    courses, frameworks, rulesets = list(courses), list(frameworks), list(rulesets)
    programme = add_programme(
        session,
        programme_id,
        title,
        now=now,
        starts_at=starts_at,
        ends_at=ends_at,
        method_config=method_config,
        rollup_config=rollup_config,
    )
    _check_frameworks(session, frameworks)
    _check_rulesets(session, rulesets)
    for course in courses:
        add_context(session, programme_id, COURSE, course)
    if frameworks:
        set_frameworks(session, programme_id, frameworks)
    if rulesets:
        set_rulesets(session, programme_id, rulesets)
    return programme


def update_programme(
    session: Session,
    programme_id: str,
    *,
    title: str | Kept = KEEP,
    starts_at: datetime | Kept | None = KEEP,
    ends_at: datetime | Kept | None = KEEP,
    method_config: Mapping[str, object] | Kept | None = KEEP,
    rollup_config: Mapping[str, Any] | Kept | None = KEEP,
    courses: Iterable[str] | Kept = KEEP,
    frameworks: Iterable[str] | Kept = KEEP,
    rulesets: Iterable[str] | Kept = KEEP,
) -> Programme:
    """Change what is given, keep what is left out (`KEEP`); None clears an optional value.

    ``courses``, ``frameworks`` and ``rulesets`` replace the programme's lists (its LTI
    contexts and module bindings stay); an empty ``frameworks`` measures against every
    framework, an empty ``rulesets`` maps with the active global rule sets. Estimates already
    computed change at the next rebuild. Checked as `create_programme` checks, all before
    anything is written.

    Raises:
        ProgrammeError: 404 for an unknown programme; otherwise as `create_programme`.
    """
    programme = get_programme(session, programme_id)
    if title is not KEEP:
        _check_title(title)
    _check_phases(
        programme.starts_at if starts_at is KEEP else starts_at,
        programme.ends_at if ends_at is KEEP else ends_at,
    )
    if method_config is not KEEP and method_config is not None:
        check_method_config(method_config)
    if rollup_config is not KEEP:
        rollup_rule_from_config(rollup_config)
    if courses is not KEEP:
        courses = list(dict.fromkeys(courses))
        for course in courses:
            _check_course(course)
    if frameworks is not KEEP:
        frameworks = list(frameworks)
        _check_frameworks(session, frameworks)
    if rulesets is not KEEP:
        rulesets = list(rulesets)
        _check_rulesets(session, rulesets)

    if title is not KEEP:
        programme.title = title
    if starts_at is not KEEP:
        programme.starts_at = starts_at
    if ends_at is not KEEP:
        programme.ends_at = ends_at
    if method_config is not KEEP:
        programme.method_config = _json_or_none(method_config)
    if rollup_config is not KEEP:
        programme.rollup_config = _json_or_none(rollup_config)
    session.flush()
    if courses is not KEEP:
        _replace_courses(session, programme_id, courses)
    if frameworks is not KEEP:
        set_frameworks(session, programme_id, frameworks)
    if rulesets is not KEEP:
        set_rulesets(session, programme_id, rulesets)
    return programme


def _json_or_none(config: Mapping[str, Any] | None) -> str | None:
    return None if config is None else json.dumps(dict(config), ensure_ascii=False)


def _loads_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _replace_courses(session: Session, programme_id: str, courses: list[str]) -> None:
    session.execute(
        delete(ProgrammeContext).where(
            ProgrammeContext.programme_id == programme_id,
            ProgrammeContext.kind == COURSE,
            ProgrammeContext.key.not_in(courses),
        )
    )
    for course in courses:
        add_context(session, programme_id, COURSE, course)


def describe_programme(session: Session, programme: Programme) -> dict[str, Any]:
    """A programme as the API shows it: dates, method, roll-up, courses, frameworks, rules."""
    contexts = list(
        session.scalars(
            select(ProgrammeContext)
            .where(ProgrammeContext.programme_id == programme.id)
            .order_by(ProgrammeContext.kind, ProgrammeContext.key)
        )
    )
    return {
        "id": programme.id,
        "title": programme.title,
        "starts_at": None if programme.starts_at is None else as_utc(programme.starts_at),
        "ends_at": None if programme.ends_at is None else as_utc(programme.ends_at),
        "method_config": _loads_or_none(programme.method_config),
        "rollup_config": _loads_or_none(programme.rollup_config),
        "courses": [context.key for context in contexts if context.kind == COURSE],
        "lti_contexts": [
            {"key": context.key, "title": context.title}
            for context in contexts
            if context.kind == LTI_CONTEXT
        ],
        "frameworks": sorted(
            session.scalars(
                select(ProgrammeFramework.framework_id).where(
                    ProgrammeFramework.programme_id == programme.id
                )
            )
        ),
        "rulesets": sorted(
            session.scalars(
                select(ProgrammeRuleSet.ruleset_id).where(
                    ProgrammeRuleSet.programme_id == programme.id
                )
            )
        ),
        "created_at": as_utc(programme.created_at),
    }


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
    if kind == COURSE:
        _check_course(key)
    get_programme(session, programme_id)
    existing = session.scalar(
        select(ProgrammeContext).where(ProgrammeContext.kind == kind, ProgrammeContext.key == key)
    )
    if existing is not None:
        if existing.programme_id != programme_id:
            raise ProgrammeError(
                f"{kind} {key} already belongs to programme {existing.programme_id!r}",
                status=409,
                field="courses" if kind == COURSE else None,
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
