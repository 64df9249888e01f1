"""Explanations: which evidence stands behind an estimate, and how much each piece counts.

Every method's raw value is ``Σ cᵢ·xᵢ`` with ``cᵢ ≥ 0`` and ``Σ cᵢ = 1``
(`competency_models.inference.coefficients`). An item's *share* is ``cᵢ`` (how much of the
final value's weight it carries; shares sum to 1) and its *contribution* is ``cᵢ·xᵢ`` (how
many points of the value it supplies; contributions sum to the linear value). Rules that cap
the value afterwards — `NTimesMastery` before mastery is shown n times, the participation cap —
appear as explicit adjustments, so that

    Σ contributions + Σ adjustments = estimate.value

holds exactly up to floating-point rounding. Items the method ignores (outside a window, below
the highest value, below the mastery threshold once mastery is shown) are listed with share 0,
so a reader sees them and why they do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from competency_models.evidence import (
    DEFAULT_RELIABILITY,
    Evidence,
    EvidenceKind,
    Provenance,
)
from competency_models.inference import (
    Estimate,
    Method,
    apply_participation_cap,
    coefficients,
    estimate,
    participation_cap,
    sorted_evidence,
)
from competency_models.scales import DEFAULT_SCALE, ProficiencyScale


class AdjustmentReason(StrEnum):
    """Why a value was lowered after the linear combination."""

    MASTERY_NOT_YET_SHOWN_N_TIMES = "mastery_not_yet_shown_n_times"
    """`NTimesMastery`: fewer than n items reached the threshold, so the value stays below it."""
    PARTICIPATION_CAP = "participation_cap"
    """Participation lifted the value past the cap or past what performance evidence shows."""


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A cap applied after the linear combination.

    Attributes:
        reason: which rule applied.
        amount: the change to the value (never positive).
    """

    reason: AdjustmentReason
    amount: float


@dataclass(frozen=True, slots=True)
class Contribution:
    """One piece of evidence in an explanation.

    Attributes:
        observed_at: when the teacher did it.
        kind: the evidence kind.
        value: the evidence value ``xᵢ``.
        effective_weight: ``wᵢ`` = rule weight × kind reliability.
        share: ``cᵢ``, its weight in the final value; shares sum to 1.
        contribution: ``cᵢ·xᵢ``, the part of the value it supplies.
        provenance: statement id, rule set, rule set version and rule id.
    """

    observed_at: datetime
    kind: EvidenceKind
    value: float
    effective_weight: float
    share: float
    contribution: float
    provenance: Provenance

    @property
    def counted(self) -> bool:
        """Whether the method gave this evidence any weight."""
        return self.share > 0.0


@dataclass(frozen=True, slots=True)
class Explanation:
    """An estimate together with the evidence behind it.

    Attributes:
        method: the method description.
        estimate: the estimate being explained (identical to `inference.estimate`'s).
        linear_value: ``Σ contributions``.
        adjustments: caps applied after the linear combination, in the order applied.
        items: every piece of evidence, in sort-key order.
    """

    method: str
    estimate: Estimate
    linear_value: float
    adjustments: tuple[Adjustment, ...]
    items: tuple[Contribution, ...]

    @property
    def counted_items(self) -> tuple[Contribution, ...]:
        """The evidence with a positive share."""
        return tuple(item for item in self.items if item.counted)


def explain(
    evidence: Iterable[Evidence],
    method: Method,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY,
    confidence: float = 0.95,
) -> Explanation | None:
    """Explain the estimate of one teacher's competency; None without evidence.

    Raises:
        InferenceError: for mixed teachers/competencies or a bad confidence.
    """
    items = sorted_evidence(evidence)
    result = estimate(items, method, scale, reliability=reliability, confidence=confidence)
    if result is None:
        return None
    weights = [item.effective_weight(reliability) for item in items]
    combined = coefficients(method, items, weights)
    adjustments: list[Adjustment] = []
    if combined.value < combined.linear_value:  # only NTimesMastery caps itself
        adjustments.append(
            Adjustment(
                AdjustmentReason.MASTERY_NOT_YET_SHOWN_N_TIMES,
                combined.value - combined.linear_value,
            )
        )
    performance = [
        (item, weight)
        for item, weight in zip(items, weights, strict=True)
        if item.kind is not EvidenceKind.PARTICIPATION
    ]
    if len(performance) < len(items):
        perf_value = (
            coefficients(
                method, [item for item, _ in performance], [weight for _, weight in performance]
            ).value
            if performance
            else None
        )
        capped = apply_participation_cap(combined.value, perf_value, participation_cap(scale))
        if capped < combined.value:
            adjustments.append(
                Adjustment(AdjustmentReason.PARTICIPATION_CAP, capped - combined.value)
            )
    return Explanation(
        method=method.describe(),
        estimate=result,
        linear_value=combined.linear_value,
        adjustments=tuple(adjustments),
        items=tuple(
            Contribution(
                observed_at=item.observed_at,
                kind=item.kind,
                value=item.value,
                effective_weight=weight,
                share=share,
                contribution=share * item.value,
                provenance=item.provenance,
            )
            for item, weight, share in zip(items, weights, combined.coefficients, strict=True)
        ),
    )
