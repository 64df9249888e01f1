"""Stored rule sets: versioned JSON or YAML documents, one active version per rule set id.

Adding a version does not activate it unless asked: an administrator first runs
``trellis competencies rebuild --dry-run --diff --ruleset ID --ruleset-version V`` to see whose
levels would change, then activates it and rebuilds. Adds and flushes; the use case commits.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from competency_models.mapping import (
    RuleSet,
    RuleSetError,
    builtin_ruleset_names,
    load_ruleset_text,
)
from competency_models.mapping.loading import RulesetFormat
from lti_tool.models.competencies import StoredRuleSet


class RuleSetStoreError(ValueError):
    """A rule-set operation that cannot be done (unknown, or a version clash).

    Attributes:
        status: the HTTP status the API answers with (404 or 409).
    """

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@lru_cache(maxsize=128)
def _parse(text: str, format: RulesetFormat) -> RuleSet:
    return load_ruleset_text(text, format)


def parse_stored(row: StoredRuleSet) -> RuleSet:
    """The rule set a stored row holds (parsed once per distinct text)."""
    return _parse(row.text, "yaml" if row.format == "yaml" else "json")


def detect_format(text: str) -> RulesetFormat:
    """JSON when the text starts like a JSON object, YAML otherwise."""
    return "json" if text.lstrip().startswith("{") else "yaml"


def add_ruleset(
    session: Session,
    text: str,
    *,
    now: datetime,
    activate: bool = False,
    builtin: bool = False,
) -> tuple[StoredRuleSet, bool]:
    """Validate and store a rule-set version (JSON or YAML, detected).

    The first version of a rule set is activated whatever ``activate`` says: a rule set must
    have an active version to be used at all.

    Returns:
        The stored row and whether it was created now (the same text again is a no-op).

    Raises:
        RuleSetError: the text is invalid (the error lists every problem); nothing is stored.
        RuleSetStoreError: 409 when this id and version are stored with other text.
    """
    format = detect_format(text)
    ruleset = load_ruleset_text(text, format)
    existing = session.scalar(
        select(StoredRuleSet).where(
            StoredRuleSet.ruleset_id == ruleset.id, StoredRuleSet.version == ruleset.version
        )
    )
    if existing is not None:
        if parse_stored(existing) != ruleset:
            raise RuleSetStoreError(
                f"rule set {ruleset.id} version {ruleset.version} is already stored with other "
                "rules; bump the version",
                status=409,
            )
        if activate and not existing.active:
            activate_ruleset(session, ruleset.id, ruleset.version)
        return existing, False
    first = (
        session.scalar(select(StoredRuleSet.id).where(StoredRuleSet.ruleset_id == ruleset.id))
        is None
    )
    row = StoredRuleSet(
        ruleset_id=ruleset.id,
        version=ruleset.version,
        title=ruleset.title,
        scope_kind=ruleset.scope.kind.value,
        scope_target=ruleset.scope.target,
        format=format,
        text=text,
        builtin=builtin,
        active=False,
        created_at=now,
    )
    session.add(row)
    session.flush()
    if activate or first:
        activate_ruleset(session, ruleset.id, ruleset.version)
    return row, True


def activate_ruleset(session: Session, ruleset_id: str, version: int) -> StoredRuleSet:
    """Make ``version`` the active version of a rule set (the others become inactive).

    Raises:
        RuleSetStoreError: 404 when that version is not stored.
    """
    row = get_ruleset(session, ruleset_id, version)
    session.execute(
        update(StoredRuleSet)
        .where(StoredRuleSet.ruleset_id == ruleset_id, StoredRuleSet.id != row.id)
        .values(active=False)
    )
    row.active = True
    session.flush()
    return row


def load_builtin_rulesets(session: Session, *, now: datetime) -> list[tuple[StoredRuleSet, bool]]:
    """Store the starter rule sets shipped with Trellis (idempotent)."""
    from importlib.resources import files

    package = files("competency_models.rulesets")
    return [
        add_ruleset(
            session,
            package.joinpath(f"{name}.yaml").read_text("utf-8"),
            now=now,
            builtin=True,
        )
        for name in builtin_ruleset_names()
    ]


def list_rulesets(session: Session) -> list[StoredRuleSet]:
    """Every stored rule-set version, by id then version."""
    return list(
        session.scalars(
            select(StoredRuleSet).order_by(StoredRuleSet.ruleset_id, StoredRuleSet.version)
        )
    )


def get_ruleset(session: Session, ruleset_id: str, version: int | None = None) -> StoredRuleSet:
    """A rule set's active version, or the named version.

    Raises:
        RuleSetStoreError: 404 when it is not stored.
    """
    query = select(StoredRuleSet).where(StoredRuleSet.ruleset_id == ruleset_id)
    if version is None:
        query = query.order_by(StoredRuleSet.active.desc(), StoredRuleSet.version.desc())
    else:
        query = query.where(StoredRuleSet.version == version)
    row = session.scalar(query.limit(1))
    if row is None:
        wanted = ruleset_id if version is None else f"{ruleset_id} version {version}"
        raise RuleSetStoreError(f"no rule set {wanted} is stored", status=404)
    return row


def active_rulesets(session: Session) -> list[StoredRuleSet]:
    """The active version of every rule set, by id."""
    return list(
        session.scalars(
            select(StoredRuleSet)
            .where(StoredRuleSet.active.is_(True))
            .order_by(StoredRuleSet.ruleset_id)
        )
    )


__all__ = [
    "RuleSetError",
    "RuleSetStoreError",
    "activate_ruleset",
    "active_rulesets",
    "add_ruleset",
    "detect_format",
    "get_ruleset",
    "list_rulesets",
    "load_builtin_rulesets",
    "parse_stored",
]
