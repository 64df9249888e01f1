"""What mapping and estimation need, read once from the database: a plain snapshot.

Programmes with their courses, bindings, rule sets and methods; the newest version of every
framework and its default method; the URI index for direct alignment. Processing a batch or
rebuilding reads this once and then works on plain Python objects only.

Which estimation method a stream (scope × teacher × competency) uses: the programme's own
method if the programme sets one, else the framework's default method if the framework sets
one, else `DEFAULT_METHOD_CONFIG` (`resolve_method`; docs/inference.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from competency_models.builtin import load_builtin
from competency_models.evidence import CompetencyRef
from competency_models.frameworks import FrameworkError, uri_index
from competency_models.inference import Method, method_from_config
from competency_models.mapping import RuleSet, ScopeKind
from competency_models.rollup import RollupRule
from lti_tool.competencies.clock import utcnow
from lti_tool.competencies.frameworks_store import (
    FrameworkVersion,
    ensure_builtin,
    framework_method_config,
    framework_method_configs,
    framework_version,
)
from lti_tool.competencies.programmes import COURSE, rollup_rule_from_config
from lti_tool.competencies.rulesets_store import get_ruleset, parse_stored
from lti_tool.models.competencies import (
    ModuleBinding,
    Programme,
    ProgrammeContext,
    ProgrammeFramework,
    ProgrammeRuleSet,
    StoredFramework,
    StoredRuleSet,
)
from lti_tool.models.lrs import Source

logger = logging.getLogger("trellis.competencies")

GLOBAL_SCOPE = ""
"""The scope of evidence mapped outside any programme."""

TRELLIS_SOURCE = "trellis"
"""The system source Trellis's own statements (levels reached) are stored under."""

DEFAULT_METHOD_CONFIG: Mapping[str, object] = {"method": "exponential_decay", "rate": 0.5}
"""The estimation method where neither the programme nor the framework configures one: recent
evidence speaks louder, so a teacher who improves is shown improving (docs/inference.md)."""

MethodConfig = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class MethodOverrides:
    """Methods to try in place of the stored ones (a dry run before changing them).

    Keyed by framework id or programme id; a value of None tries the method unset.
    """

    frameworks: Mapping[str, MethodConfig | None] = field(default_factory=dict)
    programmes: Mapping[str, MethodConfig | None] = field(default_factory=dict)


def resolve_method(
    programme_config: MethodConfig | None, framework_config: MethodConfig | None
) -> Method:
    """The method of a stream: the programme's, else the framework's, else the default."""
    return method_from_config(programme_config or framework_config or DEFAULT_METHOD_CONFIG)


@dataclass(frozen=True, slots=True)
class ScopeSetup:
    """How statements are mapped and estimated in one scope (a programme, or global)."""

    scope: str
    rulesets: tuple[RuleSet, ...]
    module_competencies: Mapping[str, tuple[CompetencyRef, ...]]
    method: Method | None
    """The programme's own estimation method; None when it sets none (and for global)."""
    rollup: RollupRule
    frameworks: frozenset[str] | None
    """The framework ids the programme measures against; None for any."""


@dataclass(frozen=True, slots=True)
class MappingSetup:
    """Everything mapping and estimation read, as plain data."""

    scopes: Mapping[str, ScopeSetup]
    scopes_by_activity: Mapping[str, tuple[str, ...]]
    """Course and bound module IRIs → the programmes they belong to."""
    frameworks: Mapping[str, FrameworkVersion]
    """Framework id → its newest stored version."""
    alignment: Mapping[str, CompetencyRef]
    ignored_sources: frozenset[int]
    ruleset_versions: Mapping[str, int] = field(default_factory=dict)
    """Rule set id → the version used (the active one, or an override)."""
    framework_methods: Mapping[str, Method] = field(default_factory=dict)
    """Framework id → its own default method, for the frameworks that set one."""
    default_method: Method = field(
        default_factory=lambda: method_from_config(DEFAULT_METHOD_CONFIG)
    )
    """The method where neither the programme nor the framework sets one."""

    def method_for(self, scope: str, framework_id: str) -> Method:
        """The method of a stream: the programme's, else the framework's, else the default."""
        scope_setup = self.scopes.get(scope)
        if scope_setup is not None and scope_setup.method is not None:
            return scope_setup.method
        return self.framework_methods.get(framework_id, self.default_method)

    def scopes_for(self, module_keys: tuple[str, ...]) -> tuple[str, ...]:
        """The programmes a statement with these activity ids belongs to, or the global scope."""
        found: dict[str, None] = {}
        for key in module_keys:
            for scope in self.scopes_by_activity.get(key, ()):
                found[scope] = None
        return tuple(sorted(found)) if found else (GLOBAL_SCOPE,)


def stream_method(session: Session, scope: str, framework_id: str) -> Method:
    """The estimation method of one scope's streams of one framework, without the whole setup."""
    programme = session.get(Programme, scope) if scope else None
    method_config = (
        json.loads(programme.method_config) if programme and programme.method_config else None
    )
    return resolve_method(method_config, framework_method_config(session, framework_id))


def scope_rollup(session: Session, scope: str) -> RollupRule:
    """The roll-up rule of one scope (a programme's, or the default)."""
    programme = session.get(Programme, scope) if scope else None
    return rollup_rule_from_config(
        json.loads(programme.rollup_config) if programme and programme.rollup_config else None
    )


def trellis_source_id(session: Session) -> int | None:
    """The id of the ``trellis`` system source, if it exists yet."""
    return session.scalar(select(Source.id).where(Source.name == TRELLIS_SOURCE))


def _frameworks(session: Session) -> dict[str, FrameworkVersion]:
    stored = {row.framework_id for row in session.scalars(select(StoredFramework))}
    for framework in load_builtin():
        if framework.id not in stored:
            ensure_builtin(session, framework, now=utcnow())
    newest: dict[str, int] = {}
    for pk, framework_id in session.execute(
        select(StoredFramework.id, StoredFramework.framework_id).order_by(StoredFramework.id)
    ):
        newest[framework_id] = pk
    found: dict[str, FrameworkVersion] = {}
    for framework_id, pk in sorted(newest.items()):
        version = framework_version(session, pk)
        if version is not None:
            found[framework_id] = version
    return found


def load_setup(
    session: Session,
    *,
    ruleset_override: tuple[str, int] | None = None,
    method_overrides: MethodOverrides | None = None,
) -> MappingSetup:
    """Read the mapping setup; built-in frameworks are stored on first use.

    Args:
        session: the unit of work.
        ruleset_override: ``(rule set id, version)`` to use in place of that rule set's active
            version (a dry run of a new version before it is activated).
        method_overrides: framework and programme methods to use in place of the stored ones
            (a dry run of a method change before it is made).

    Raises:
        RuleSetStoreError: when the override names a version that is not stored.
        InferenceError: when an override's method configuration is unusable.
    """
    overrides = method_overrides or MethodOverrides()
    frameworks = _frameworks(session)
    try:
        alignment = uri_index(version.framework for version in frameworks.values())
    except FrameworkError as error:
        logger.warning("direct alignment disabled: %s", error)
        alignment = {}
    active: dict[str, StoredRuleSet] = {
        row.ruleset_id: row
        for row in session.scalars(
            select(StoredRuleSet)
            .where(StoredRuleSet.active.is_(True))
            .order_by(StoredRuleSet.ruleset_id)
        )
    }
    if ruleset_override is not None:
        ruleset_id, version = ruleset_override
        active[ruleset_id] = get_ruleset(session, ruleset_id, version)
    parsed = {ruleset_id: parse_stored(row) for ruleset_id, row in sorted(active.items())}
    default_method = method_from_config(DEFAULT_METHOD_CONFIG)
    framework_configs: dict[str, MethodConfig | None] = {
        **framework_method_configs(session),
        **overrides.frameworks,
    }
    framework_methods = {
        framework_id: method_from_config(config)
        for framework_id, config in sorted(framework_configs.items())
        if config is not None
    }

    scopes: dict[str, ScopeSetup] = {
        GLOBAL_SCOPE: ScopeSetup(
            scope=GLOBAL_SCOPE,
            rulesets=tuple(
                rs for rs in parsed.values() if rs.scope.kind is not ScopeKind.PROGRAMME
            ),
            module_competencies={},
            method=None,
            rollup=rollup_rule_from_config(None),
            frameworks=None,
        )
    }
    by_activity: dict[str, list[str]] = {}
    linked_rulesets: dict[str, list[str]] = {}
    for programme_id, ruleset_id in session.execute(
        select(ProgrammeRuleSet.programme_id, ProgrammeRuleSet.ruleset_id).order_by(
            ProgrammeRuleSet.programme_id, ProgrammeRuleSet.ruleset_id
        )
    ):
        linked_rulesets.setdefault(programme_id, []).append(ruleset_id)
    linked_frameworks: dict[str, set[str]] = {}
    for programme_id, framework_id in session.execute(
        select(ProgrammeFramework.programme_id, ProgrammeFramework.framework_id)
    ):
        linked_frameworks.setdefault(programme_id, set()).add(framework_id)
    bindings: dict[str, dict[str, list[CompetencyRef]]] = {}
    for binding in session.scalars(select(ModuleBinding).order_by(ModuleBinding.id)):
        bindings.setdefault(binding.programme_id, {}).setdefault(binding.module_id, []).append(
            CompetencyRef(binding.framework_id, binding.code)
        )
        by_activity.setdefault(binding.module_id, []).append(binding.programme_id)
    for context in session.scalars(select(ProgrammeContext).where(ProgrammeContext.kind == COURSE)):
        by_activity.setdefault(context.key, []).append(context.programme_id)

    for programme in session.scalars(select(Programme).order_by(Programme.id)):
        own = [
            rs
            for rs in parsed.values()
            if rs.scope.kind is ScopeKind.PROGRAMME and rs.scope.target == programme.id
        ]
        if programme.id in linked_rulesets:
            chosen = [parsed[r] for r in linked_rulesets[programme.id] if r in parsed]
            chosen += [rs for rs in own if rs not in chosen]
        else:
            chosen = [rs for rs in parsed.values() if rs.scope.kind is not ScopeKind.PROGRAMME]
            chosen += own
        method_config: MethodConfig | None = (
            json.loads(programme.method_config) if programme.method_config else None
        )
        if programme.id in overrides.programmes:
            method_config = overrides.programmes[programme.id]
        scopes[programme.id] = ScopeSetup(
            scope=programme.id,
            rulesets=tuple(chosen),
            module_competencies={
                key: tuple(refs) for key, refs in bindings.get(programme.id, {}).items()
            },
            method=method_from_config(method_config) if method_config else None,
            rollup=rollup_rule_from_config(
                json.loads(programme.rollup_config) if programme.rollup_config else None
            ),
            frameworks=frozenset(linked_frameworks[programme.id])
            if programme.id in linked_frameworks
            else None,
        )
    source = trellis_source_id(session)
    return MappingSetup(
        scopes=scopes,
        scopes_by_activity={key: tuple(sorted(set(values))) for key, values in by_activity.items()},
        frameworks=frameworks,
        alignment=alignment,
        ignored_sources=frozenset({source} if source is not None else ()),
        ruleset_versions={ruleset_id: rs.version for ruleset_id, rs in parsed.items()},
        framework_methods=framework_methods,
        default_method=default_method,
    )
