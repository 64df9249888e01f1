"""The matching engine: one statement in, the evidence it carries out.

Throughput matters (a rebuild replays every stored statement), so rule sets index their rules by
verb and object type, the statement is read once into a :class:`StatementView`, and the
timestamp is parsed only when some rule actually yields something.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.mapping.alignment import (
    ResolverSource,
    aligned_competencies,
    as_resolver,
    classify_without_rules,
)
from competency_models.mapping.rules import (
    CompetencyBinding,
    ModuleCompetencies,
    Rule,
    RuleSet,
)
from competency_models.mapping.statement import (
    STANDARD_SCALED_RANGE,
    ScaledRange,
    StatementView,
)
from competency_models.mapping.vocabulary import VERB_VOIDED


def _bound_competencies(
    view: StatementView, module_competencies: ModuleCompetencies | None
) -> tuple[CompetencyRef, ...]:
    """The competencies bound to the most specific activity of the statement that has any."""
    if not module_competencies:
        return ()
    for key in view.module_keys():
        bound = module_competencies.get(key)
        if bound:
            return tuple(bound)
    return ()


class _Emitter:
    """Builds evidence for one statement, reading the timestamp at most once."""

    __slots__ = ("_observed_at", "_parsed", "evidence", "person_id", "statement_id", "view")

    def __init__(self, view: StatementView, person_id: str, statement_id: str) -> None:
        self.view = view
        self.person_id = person_id
        self.statement_id = statement_id
        self.evidence: list[Evidence] = []
        self._parsed = False
        self._observed_at: datetime | None = None

    def observed_at(self) -> datetime | None:
        if not self._parsed:
            self._observed_at = self.view.timestamp
            self._parsed = True
        return self._observed_at

    def emit(
        self,
        competencies: Iterable[CompetencyRef],
        value: float,
        weight: float,
        kind: EvidenceKind,
        provenance: Provenance,
    ) -> None:
        observed_at = self.observed_at()
        if observed_at is None:
            return
        for competency in competencies:
            self.evidence.append(
                Evidence(
                    person_id=self.person_id,
                    competency=competency,
                    value=value,
                    weight=weight,
                    kind=kind,
                    observed_at=observed_at,
                    provenance=provenance,
                )
            )


def _apply_rule(
    rule: Rule,
    ruleset: RuleSet,
    emitter: _Emitter,
    module_competencies: ModuleCompetencies | None,
) -> None:
    provenance = Provenance(
        statement_id=emitter.statement_id,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        rule_id=rule.id,
    )
    for spec in rule.yields:
        value = spec.evaluate(emitter.view, rule.scaled_range)
        if value is None:
            continue
        competencies = (
            _bound_competencies(emitter.view, module_competencies)
            if spec.competencies is CompetencyBinding.MODULE
            else spec.competencies
        )
        if competencies:
            emitter.emit(competencies, value, spec.weight, spec.kind, provenance)


def evidence_for(
    statement: Mapping[str, object] | StatementView,
    person_id: str,
    rulesets: RuleSet | Iterable[RuleSet],
    *,
    programme_id: str | None = None,
    module_competencies: ModuleCompetencies | None = None,
    alignment: ResolverSource | None = None,
    alignment_weight: float = 1.0,
    statement_id: str | None = None,
) -> tuple[Evidence, ...]:
    """Map one statement to the evidence it carries about one teacher.

    Args:
        statement: the xAPI statement (validated upstream, but anything is tolerated), or a
            :class:`StatementView` of it — a caller mapping one statement several times (for
            several programmes) reads it once that way.
        person_id: the Trellis person the actor resolved to.
        rulesets: one rule set or several; their order is the output order.
        programme_id: the programme the statement is mapped for (selects programme-scoped sets).
        module_competencies: the programme's binding used by ``"$module"`` template rules.
        alignment: when given, also look for direct alignment (see
            :mod:`competency_models.mapping.alignment`).
        alignment_weight: the weight of directly aligned evidence.
        statement_id: the stored statement id, when the statement itself has none (Moodle
            leaves ``id`` to the LRS); takes precedence over ``statement["id"]``.

    Returns:
        Evidence in a deterministic order: rule sets as given, rules in file order, items in
        order, competencies in binding order, then direct alignment. Empty when nothing
        matched, or when the statement has no id or no parseable timestamp/stored time
        (evidence without provenance or time would be unexplainable). A voiding statement
        yields nothing either (xAPI 1.0.3 §2.3.2); dropping the voided statement's evidence is
        the projection's job, by ``provenance.statement_id``.

    Raises:
        ValueError: if ``alignment_weight`` is not positive (a caller's bug, not bad data).
    """
    if not alignment_weight > 0.0:
        raise ValueError(f"alignment_weight {alignment_weight!r} must be positive")
    view = statement if isinstance(statement, StatementView) else StatementView(statement)
    resolved_id = statement_id or view.statement_id
    if resolved_id is None or view.verb_id == VERB_VOIDED:
        return ()
    emitter = _Emitter(view, person_id, resolved_id)
    for ruleset in (rulesets,) if isinstance(rulesets, RuleSet) else rulesets:
        candidates = ruleset.candidates(view.verb_id, view.object_type)
        if not candidates or not ruleset.scope.applies(view, programme_id):
            continue
        for rule in candidates:
            if rule.match.matches(view, rule.scaled_range):
                _apply_rule(rule, ruleset, emitter, module_competencies)
                if rule.final:
                    break
    if alignment is not None:
        _apply_alignment(emitter, alignment, alignment_weight, STANDARD_SCALED_RANGE)
    return tuple(emitter.evidence)


def _apply_alignment(
    emitter: _Emitter, alignment: ResolverSource, weight: float, scaled_range: ScaledRange
) -> None:
    competencies = aligned_competencies(emitter.view, as_resolver(alignment))
    if not competencies:
        return
    classified = classify_without_rules(emitter.view, scaled_range)
    if classified is None:
        return
    kind, value = classified
    emitter.emit(competencies, value, weight, kind, Provenance(statement_id=emitter.statement_id))


def aligned_evidence(
    statement: Mapping[str, object],
    person_id: str,
    alignment: ResolverSource,
    *,
    weight: float = 1.0,
    scaled_range: ScaledRange = STANDARD_SCALED_RANGE,
    statement_id: str | None = None,
) -> tuple[Evidence, ...]:
    """Evidence from direct alignment alone (no rule sets).

    Args:
        statement: the xAPI statement.
        person_id: the Trellis person the actor resolved to.
        alignment: URI → competency lookup, a mapping or a :class:`CompetencyResolver`.
        weight: the weight given to each piece of evidence.
        scaled_range: the range of ``result.score.scaled`` from this producer.
        statement_id: the stored statement id, when the statement itself has none.

    Returns:
        One piece of evidence per aligned competency, or () (see :func:`evidence_for`).

    Raises:
        ValueError: if ``weight`` is not positive.
    """
    if not weight > 0.0:
        raise ValueError(f"weight {weight!r} must be positive")
    view = StatementView(statement)
    resolved_id = statement_id or view.statement_id
    if resolved_id is None or view.verb_id == VERB_VOIDED:
        return ()
    emitter = _Emitter(view, person_id, resolved_id)
    _apply_alignment(emitter, alignment, weight, scaled_range)
    return tuple(emitter.evidence)
