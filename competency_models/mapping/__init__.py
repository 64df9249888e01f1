"""Mapping xAPI statements to competency evidence: rule sets, matching and direct alignment.

Pure core: plain statements (mappings) in, :class:`~competency_models.evidence.Evidence` out.
The rule-set schema is documented in docs/rules.md.
"""

from competency_models.mapping.alignment import (
    CompetencyResolver,
    ResolverSource,
    aligned_competencies,
    classify_without_rules,
)
from competency_models.mapping.engine import aligned_evidence, evidence_for
from competency_models.mapping.loading import (
    builtin_ruleset_names,
    load_builtin_ruleset,
    load_ruleset_text,
)
from competency_models.mapping.parsing import RuleSetError, parse_ruleset
from competency_models.mapping.rules import (
    CompetencyBinding,
    ModuleCompetencies,
    Rule,
    RuleSet,
    Scope,
    ScopeKind,
    ValueSource,
    YieldSpec,
)
from competency_models.mapping.statement import StatementView, normalised_score, parse_timestamp

__all__ = [
    "CompetencyBinding",
    "CompetencyResolver",
    "ModuleCompetencies",
    "ResolverSource",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "Scope",
    "ScopeKind",
    "StatementView",
    "ValueSource",
    "YieldSpec",
    "aligned_competencies",
    "aligned_evidence",
    "builtin_ruleset_names",
    "classify_without_rules",
    "evidence_for",
    "load_builtin_ruleset",
    "load_ruleset_text",
    "normalised_score",
    "parse_ruleset",
    "parse_timestamp",
]
