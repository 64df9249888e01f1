"""Direct alignment: an activity that names a competency's URI is evidence for it."""

from __future__ import annotations

from typing import Any

import pytest

from competency_models.builtin import builtin_framework
from competency_models.evidence import CompetencyRef, EvidenceKind, Provenance
from competency_models.frameworks import uri_index
from competency_models.mapping import (
    CompetencyResolver,
    StatementView,
    aligned_competencies,
    aligned_evidence,
    classify_without_rules,
    evidence_for,
)
from competency_models.mapping import vocabulary as vocab

CASE_URI = "https://case.example.org/uri/6c0f2a1e-digital-resource-selection"
CASE_URI_2 = "https://case.example.org/uri/9d1e-learning-analytics"
SELECTION = CompetencyRef("tdl", "3.2.1")
ANALYTICS = CompetencyRef("tdl", "4.1.2")
RESOLVER = {CASE_URI: SELECTION, CASE_URI_2: ANALYTICS}
OFFLINE_CATEGORY = {"id": vocab.CATEGORY_TRELLIS_OFFLINE}


def _statement(
    verb: str = vocab.VERB_PASSED,
    object_id: str = "https://lms.example/au/1",
    *,
    more_info: str | None = None,
    categories: list[dict[str, Any]] | None = None,
    object_type: str | None = None,
    result: dict[str, Any] | None = None,
    instructor: bool = False,
) -> dict[str, Any]:
    definition: dict[str, Any] = {}
    if more_info is not None:
        definition["moreInfo"] = more_info
    if object_type is not None:
        definition["type"] = object_type
    context: dict[str, Any] = {"contextActivities": {"category": categories or []}}
    if instructor:
        context["instructor"] = {"name": "张老师"}
    return {
        "id": "st-7",
        "verb": {"id": verb},
        "object": {"id": object_id, "definition": definition},
        "result": {"success": True, "score": {"scaled": 0.9}} if result is None else result,
        "context": context,
        "timestamp": "2026-05-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param(_statement(object_id=CASE_URI), (SELECTION,), id="object id"),
        pytest.param(_statement(more_info=CASE_URI), (SELECTION,), id="moreInfo"),
        pytest.param(
            _statement(categories=[{"id": CASE_URI_2}, {"id": CASE_URI}]),
            (ANALYTICS, SELECTION),
            id="categories in order",
        ),
        pytest.param(
            _statement(object_id=CASE_URI, more_info=CASE_URI, categories=[{"id": CASE_URI}]),
            (SELECTION,),
            id="deduplicated",
        ),
        pytest.param(_statement(), (), id="not aligned"),
    ],
)
def test_aligned_competencies(
    statement: dict[str, Any], expected: tuple[CompetencyRef, ...]
) -> None:
    assert aligned_competencies(StatementView(statement), RESOLVER.get) == expected


def test_resolver_may_be_any_callable_of_the_protocol() -> None:
    calls: list[str] = []

    def resolve(uri: str, /) -> CompetencyRef | None:
        calls.append(uri)
        return SELECTION if uri.startswith("https://case.example.org/") else None

    resolver: CompetencyResolver = resolve
    evidence = aligned_evidence(_statement(more_info=CASE_URI), "p", resolver)
    assert [e.competency for e in evidence] == [SELECTION]
    assert calls == ["https://lms.example/au/1", CASE_URI]


P, T, OBS = EvidenceKind.PARTICIPATION, EvidenceKind.TEST, EvidenceKind.OBSERVATION


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param(_statement(vocab.VERB_VIEWED_TINCAN), (P, 1.0), id="viewed"),
        pytest.param(_statement(vocab.VERB_ATTENDED, result={}), (P, 1.0), id="attended"),
        pytest.param(_statement(vocab.VERB_LAUNCHED), (P, 1.0), id="launched"),
        pytest.param(_statement(vocab.VERB_INITIALIZED), (P, 1.0), id="initialized"),
        pytest.param(_statement(vocab.VERB_EXPERIENCED), (P, 1.0), id="experienced"),
        pytest.param(_statement(vocab.VERB_PASSED), (T, 0.9), id="passed with score"),
        pytest.param(
            _statement(vocab.VERB_FAILED, result={"success": False}),
            (T, 0.0),
            id="failed without score",
        ),
        pytest.param(
            _statement(vocab.VERB_SCORED_TLA, result={"score": {"raw": 1, "max": 2}}),
            (T, 0.5),
            id="Moodle scored",
        ),
        pytest.param(_statement(vocab.VERB_SCORED, result={}), None, id="scored without result"),
        pytest.param(
            _statement(vocab.VERB_COMPLETED, result={"score": {"raw": 3, "max": 4}}),
            (T, 0.75),
            id="completed with score",
        ),
        pytest.param(
            _statement(vocab.VERB_COMPLETED, result={"completion": True}),
            (P, 1.0),
            id="completed without score",
        ),
        pytest.param(
            _statement(vocab.VERB_COMPLETED, result={"completion": False}),
            None,
            id="completion false",
        ),
        pytest.param(_statement(vocab.VERB_WAIVED_CMI5), None, id="waived"),
        pytest.param(_statement("http://activitystrea.ms/create"), None, id="created"),
        pytest.param(
            _statement(
                vocab.VERB_SCORED,
                object_type=vocab.TYPE_LESSON_OBSERVATION,
                result={"score": {"raw": 3, "min": 1, "max": 4}},
                instructor=True,
            ),
            (OBS, 2 / 3),
            id="lesson observation with observer",
        ),
        pytest.param(
            _statement(
                vocab.VERB_SCORED,
                object_type=vocab.TYPE_LESSON_OBSERVATION,
                result={"score": {"raw": 3, "min": 1, "max": 4}},
            ),
            None,
            id="lesson observation without observer",
        ),
        pytest.param(
            _statement(
                vocab.VERB_SCORED,
                object_type=vocab.TYPE_TEACHING_ARTEFACT,
                result={"score": {"raw": 4, "max": 5}},
                instructor=True,
            ),
            (EvidenceKind.ARTEFACT, 0.8),
            id="artefact",
        ),
        pytest.param(
            _statement(
                vocab.VERB_SCORED,
                object_type=vocab.TYPE_SELF_ASSESSMENT,
                result={"score": {"raw": 2, "max": 4}},
            ),
            (EvidenceKind.SELF_REPORT, 0.5),
            id="self assessment",
        ),
    ],
)
def test_classify_without_rules(
    statement: dict[str, Any], expected: tuple[EvidenceKind, float] | None
) -> None:
    classified = classify_without_rules(StatementView(statement), (0.0, 1.0))
    if expected is None:
        assert classified is None
    else:
        assert classified is not None
        assert classified[0] is expected[0]
        assert classified[1] == pytest.approx(expected[1])


def test_aligned_evidence_has_statement_only_provenance() -> None:
    (evidence,) = aligned_evidence(
        _statement(categories=[{"id": CASE_URI}, OFFLINE_CATEGORY]), "p", RESOLVER, weight=0.5
    )
    assert evidence.provenance == Provenance("st-7")
    assert (evidence.kind, evidence.value, evidence.weight) == (EvidenceKind.TEST, 0.9, 0.5)


def test_alignment_through_evidence_for_comes_after_rules() -> None:
    evidence = evidence_for(_statement(object_id=CASE_URI), "p", [], alignment=RESOLVER)
    assert [(e.competency, e.provenance.ruleset_id) for e in evidence] == [(SELECTION, None)]


def test_scaled_range_applies_to_aligned_scores() -> None:
    statement = _statement(object_id=CASE_URI, result={"score": {"scaled": 0.0}, "success": True})
    (moodle,) = aligned_evidence(statement, "p", RESOLVER, scaled_range=(-1.0, 1.0))
    assert moodle.value == 0.5


def test_alignment_needs_an_id() -> None:
    statement = _statement(object_id=CASE_URI)
    del statement["id"]
    assert aligned_evidence(statement, "p", RESOLVER) == ()
    assert len(aligned_evidence(statement, "p", RESOLVER, statement_id="x")) == 1


def test_non_positive_weight_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="weight"):
        aligned_evidence(_statement(), "p", RESOLVER, weight=-1.0)


def test_framework_resolver_and_uri_index_plug_in_directly() -> None:
    """The framework model's Framework.resolve and uri_index fit the resolver parameter."""
    framework = builtin_framework("eu-jrc-digcompedu")
    uri = framework.uri_of("2.1")
    statement = _statement(categories=[{"id": uri}])
    expected = [CompetencyRef("eu-jrc-digcompedu", "2.1")]
    assert [e.competency for e in aligned_evidence(statement, "p", framework.resolve)] == expected
    by_uri = uri_index([framework])
    assert [e.competency for e in aligned_evidence(statement, "p", by_uri)] == expected
