"""Direct alignment: evidence from statements whose activity *is* a competency, without rules.

A course author can align an activity with a competency by using the competency's URI as the
activity id, as ``definition.moreInfo``, or as a ``context.contextActivities.category`` entry
(how CASE-aligned content tags itself). Such a statement counts as evidence for that competency;
its kind and value follow from the verb and result (see :func:`classify_without_rules`).

The URI → competency lookup is a parameter: the framework model owns that knowledge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from competency_models.evidence import CompetencyRef, EvidenceKind
from competency_models.mapping import vocabulary as vocab
from competency_models.mapping.rules import ValueSource
from competency_models.mapping.statement import ScaledRange, StatementView


class CompetencyResolver(Protocol):
    """Looks a competency up by its URI (CASE ``uri``, framework item IRI)."""

    def __call__(self, uri: str, /) -> CompetencyRef | None:
        """Return the competency the URI names, or None when it names none."""


ResolverSource = CompetencyResolver | Mapping[str, CompetencyRef]
"""A resolver, or a plain mapping from URI to competency."""

_OFFLINE_KINDS: Mapping[str, EvidenceKind] = {
    vocab.TYPE_LESSON_OBSERVATION: EvidenceKind.OBSERVATION,
    vocab.TYPE_TEACHING_ARTEFACT: EvidenceKind.ARTEFACT,
    vocab.TYPE_SELF_ASSESSMENT: EvidenceKind.SELF_REPORT,
}


def as_resolver(source: ResolverSource) -> CompetencyResolver:
    """Accept a mapping or a callable and return a callable resolver."""
    if isinstance(source, Mapping):
        lookup: Callable[[str], CompetencyRef | None] = source.get
        return lookup
    return source


def aligned_competencies(
    view: StatementView, resolver: CompetencyResolver
) -> tuple[CompetencyRef, ...]:
    """The competencies the statement's activity is aligned with, without duplicates.

    Order: object id, ``definition.moreInfo``, then category entries in statement order.
    """
    uris = [view.object_id, view.object_more_info]
    uris.extend(category_id for category_id, _ in view.context_activities("category"))
    found: dict[CompetencyRef, None] = {}
    for uri in uris:
        if uri is not None:
            competency = resolver(uri)
            if competency is not None:
                found.setdefault(competency, None)
    return tuple(found)


def classify_without_rules(
    view: StatementView, scaled_range: ScaledRange
) -> tuple[EvidenceKind, float] | None:
    """Decide the kind and value of directly aligned evidence from verb, type and result.

    - Trellis offline capture types decide the kind themselves (a lesson observation counts
      only with an observer in ``context.instructor``); value = score, else success.
    - Participation verbs (viewed, attended, launched, initialized, experienced): 1.0.
    - Performance verbs (scored, passed, failed, mastered): test; value = score, else success.
    - ``completed``: a test when it carries a score, otherwise participation.
    - Anything else (created, deleted, registered, waived, ...) is no evidence.

    Returns:
        ``(kind, value)``, or None when the statement is no evidence of its own.
    """
    performance = ValueSource.SCORE_OR_SUCCESS
    offline_kind = _OFFLINE_KINDS.get(view.object_type or "")
    if offline_kind is not None:
        if offline_kind is EvidenceKind.OBSERVATION and not view.has_instructor:
            return None
        value = performance.evaluate(view, scaled_range)
        return None if value is None else (offline_kind, value)
    verb = view.verb_id
    if verb in vocab.PARTICIPATION_VERBS:
        return (EvidenceKind.PARTICIPATION, 1.0)
    if verb in vocab.PERFORMANCE_VERBS:
        value = performance.evaluate(view, scaled_range)
        return None if value is None else (EvidenceKind.TEST, value)
    if verb == vocab.VERB_COMPLETED:
        score = view.score(scaled_range)
        if score is not None:
            return (EvidenceKind.TEST, score)
        return None if view.completion is False else (EvidenceKind.PARTICIPATION, 1.0)
    return None
