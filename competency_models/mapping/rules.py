"""The rules model: rule sets, rules and what each rule yields.

A rule set is data (see docs/rules.md for its JSON/YAML form and
:func:`competency_models.mapping.parsing.parse_ruleset` for how it is read). This module holds
the parsed, immutable form, and indexes rules by verb and object type so matching only looks at
candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from competency_models.evidence import CompetencyRef, EvidenceKind
from competency_models.mapping.conditions import MatchCondition
from competency_models.mapping.statement import STANDARD_SCALED_RANGE, ScaledRange, StatementView

ModuleCompetencies = Mapping[str, Sequence[CompetencyRef]]
"""A programme's binding of activity ids (course modules, AUs, courses) to competencies."""


class ValueSource(StrEnum):
    """The closed set of expressions an evidence value can be computed from.

    When the input an expression needs is absent from the statement, the item yields nothing:
    a missing score is not a zero.
    """

    SCORE = "score"
    """The normalised score in [0, 1]."""
    SUCCESS = "success"
    """1.0 when ``result.success`` is true, 0.0 when false."""
    COMPLETION = "completion"
    """1.0 when ``result.completion`` is true, 0.0 when false."""
    SCORE_OR_SUCCESS = "score_or_success"
    """The normalised score when there is one, else success as above (cmi5 passed/failed)."""

    def evaluate(self, view: StatementView, scaled_range: ScaledRange) -> float | None:
        """Compute the value from a statement, or None when its input is absent."""
        if self is ValueSource.SCORE:
            return view.score(scaled_range)
        if self is ValueSource.SUCCESS:
            return None if view.success is None else float(view.success)
        if self is ValueSource.COMPLETION:
            return None if view.completion is None else float(view.completion)
        score = view.score(scaled_range)
        if score is not None:
            return score
        return None if view.success is None else float(view.success)


class CompetencyBinding(StrEnum):
    """Placeholders a template rule names instead of fixed competencies."""

    MODULE = "$module"
    """The competencies the programme bound to the statement's activity (see ModuleCompetencies)."""


EvidenceValue = float | ValueSource
"""A constant in [0, 1] or an expression of the statement's result."""


@dataclass(frozen=True, slots=True)
class YieldSpec:
    """One item a matching rule yields.

    Attributes:
        competencies: fixed competencies, or a binding placeholder resolved per programme.
        value: a constant in [0, 1] or an expression.
        weight: the rule's weight for this evidence, > 0.
        kind: the kind of evidence.
    """

    competencies: tuple[CompetencyRef, ...] | CompetencyBinding
    value: EvidenceValue
    weight: float
    kind: EvidenceKind

    def evaluate(self, view: StatementView, scaled_range: ScaledRange) -> float | None:
        """The evidence value for this statement, or None when its input is absent."""
        if isinstance(self.value, ValueSource):
            return self.value.evaluate(view, scaled_range)
        return self.value


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: when a statement matches, yield evidence items.

    Attributes:
        id: unique within its rule set; recorded in provenance.
        match: the conditions.
        yields: the items to produce, in order.
        scaled_range: the range of ``result.score.scaled`` for this rule's statements.
        final: when True and the rule matches, later rules of the same set are skipped for this
            statement (lets a specific rule shadow a general one, e.g. quiz attempt completion
            before module completion).
        description: free text for administrators.
    """

    id: str
    match: MatchCondition
    yields: tuple[YieldSpec, ...]
    scaled_range: ScaledRange = STANDARD_SCALED_RANGE
    final: bool = False
    description: str = ""


class ScopeKind(StrEnum):
    """Where a rule set applies."""

    GLOBAL = "global"
    PROGRAMME = "programme"
    COURSE = "course"


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a rule set applies.

    Attributes:
        kind: global, one programme, or one course.
        target: the programme id or the course activity id; None when global.
    """

    kind: ScopeKind = ScopeKind.GLOBAL
    target: str | None = None

    def applies(self, view: StatementView, programme_id: str | None) -> bool:
        """Whether the rule set applies to this statement within this programme.

        A course scope applies when the course is the statement's object or one of its parent
        or grouping activities (Moodle lists the course last among the parents).
        """
        if self.kind is ScopeKind.GLOBAL:
            return True
        if self.kind is ScopeKind.PROGRAMME:
            return programme_id is not None and programme_id == self.target
        return self.target in view.module_keys()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versioned, scoped, immutable set of rules, indexed by verb and object type.

    Build it with :func:`competency_models.mapping.parsing.parse_ruleset` rather than by hand,
    so it is validated.

    Attributes:
        id: stable id recorded in provenance.
        version: positive integer, bumped whenever the rules change meaning.
        rules: the rules in file order (order matters for ``final``).
        scope: where it applies.
        title: human-readable name.
    """

    id: str
    version: int
    rules: tuple[Rule, ...]
    scope: Scope = Scope()
    title: str = ""
    _index: Mapping[str | None, Mapping[str | None, tuple[Rule, ...]]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Two-level index: verb, then object type. None stands for "a verb (or type) no rule
        # names". Each bucket keeps file order, rules that do not constrain that level
        # included, so `final` means exactly what it would in a linear scan. Only the types
        # named by a verb's own candidates get buckets, which keeps the index small.
        verbs = dict.fromkeys([None, *(verb for rule in self.rules for verb in rule.match.verbs)])
        index: dict[str | None, dict[str | None, tuple[Rule, ...]]] = {}
        for verb in verbs:
            admitted = [rule for rule in self.rules if _admits_verb(rule, verb)]
            named_types = dict.fromkeys(
                [None, *(object_type for rule in admitted for object_type in _types(rule))]
            )
            index[verb] = {
                object_type: tuple(rule for rule in admitted if _admits_type(rule, object_type))
                for object_type in named_types
            }
        object.__setattr__(self, "_index", index)

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id (as recorded in provenance), or None."""
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def candidates(self, verb_id: str | None, object_type: str | None = None) -> tuple[Rule, ...]:
        """The rules that could match a statement with this verb and object type, in file order.

        Only verb and object type are pre-filtered; candidates must still be matched.
        """
        by_type = self._index.get(verb_id) or self._index[None]
        found = by_type.get(object_type)
        return by_type[None] if found is None else found


def _types(rule: Rule) -> frozenset[str]:
    return rule.match.object.types if rule.match.object is not None else frozenset()


def _admits_verb(rule: Rule, verb: str | None) -> bool:
    """Whether a rule could match this verb; None is a verb no rule names."""
    return not rule.match.verbs or verb in rule.match.verbs


def _admits_type(rule: Rule, object_type: str | None) -> bool:
    """Whether a rule could match this object type; None is a type no rule names."""
    types = _types(rule)
    return not types or object_type in types
