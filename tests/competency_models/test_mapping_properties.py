"""Property tests: mapping never raises on statement-shaped data and values stay in [0, 1].

Statements reach the core validated, but replaying old logs and hand-made offline capture are
reasons to be robust anyway: a malformed statement yields no evidence rather than an exception.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from competency_models.evidence import CompetencyRef
from competency_models.mapping import (
    RuleSet,
    RuleSetError,
    builtin_ruleset_names,
    evidence_for,
    load_builtin_ruleset,
    normalised_score,
    parse_ruleset,
)
from competency_models.mapping import vocabulary as vocab

IRIS = [
    vocab.VERB_COMPLETED,
    vocab.VERB_PASSED,
    vocab.VERB_FAILED,
    vocab.VERB_SCORED,
    vocab.VERB_SCORED_TLA,
    vocab.VERB_ATTENDED,
    vocab.VERB_VIEWED_TINCAN,
    vocab.VERB_INITIALIZED,
    vocab.VERB_WAIVED_CMI5,
    vocab.TYPE_ATTEMPT,
    vocab.TYPE_FACE_TO_FACE,
    vocab.TYPE_SUBMISSION_EDLM,
    vocab.TYPE_COURSE_CMI5,
    vocab.TYPE_LESSON_OBSERVATION,
    vocab.TYPE_TEACHING_ARTEFACT,
    vocab.TYPE_SELF_ASSESSMENT,
    vocab.CATEGORY_CMI5,
    vocab.CATEGORY_TRELLIS_OFFLINE,
    "http://activitystrea.ms/schema/1.0/review#slot",
    "https://lms.example/mod/quiz/view.php?id=1",
    "https://lms.example/course/view.php?id=2",
]
BOUND = {iri: [CompetencyRef("tdl", str(index))] for index, iri in enumerate(IRIS)}
RESOLVER = {iri: CompetencyRef("case", str(index)) for index, iri in enumerate(IRIS)}

numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8), st.sampled_from(IRIS))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=6), children, max_size=3),
    ),
    max_leaves=8,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, json_values)


activity = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.sampled_from(IRIS)),
        "objectType": maybe(st.sampled_from(["Activity", "Agent", "SubStatement"])),
        "definition": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": maybe(st.sampled_from(IRIS)),
                    "moreInfo": maybe(st.sampled_from(IRIS)),
                },
            )
        ),
    },
)
score = st.fixed_dictionaries(
    {},
    optional={
        "raw": maybe(numbers),
        "min": maybe(numbers),
        "max": maybe(numbers),
        "scaled": maybe(numbers),
    },
)
statements = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.uuids().map(str)),
        "verb": maybe(st.fixed_dictionaries({"id": maybe(st.sampled_from(IRIS))})),
        "object": maybe(activity),
        "result": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "success": maybe(st.booleans()),
                    "completion": maybe(st.booleans()),
                    "score": maybe(score),
                },
            )
        ),
        "context": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "platform": maybe(st.sampled_from(["Moodle", "Trellis offline capture"])),
                    "registration": json_values,
                    "instructor": json_values,
                    "extensions": maybe(st.dictionaries(st.sampled_from(IRIS), json_values)),
                    "contextActivities": maybe(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                kind: maybe(
                                    st.one_of(activity, st.lists(maybe(activity), max_size=3))
                                )
                                for kind in ("parent", "grouping", "category", "other")
                            },
                        )
                    ),
                },
            )
        ),
        "timestamp": maybe(
            st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T08:00:00+08:00", "2026-13-01"])
        ),
        "stored": maybe(st.just("2026-01-02T00:00:00Z")),
    },
)

EXTRA = parse_ruleset(
    {
        "id": "extra",
        "version": 1,
        "rules": [
            {
                "id": "scored-somewhere",
                "match": {
                    "object": {"id_glob": "https://*"},
                    "result": {"score": {"at_least": 0.1, "at_most": 0.9}},
                },
                "scaled_range": [-1, 1],
                "yields": [
                    {"competencies": "$module", "value": "score", "kind": "test"},
                    {"competency": "tdl#x", "value": "score_or_success", "kind": "test"},
                ],
            }
        ],
    }
)
RULESETS: tuple[RuleSet, ...] = (
    *(load_builtin_ruleset(name) for name in builtin_ruleset_names()),
    EXTRA,
)


@settings(max_examples=400, deadline=None)
@given(statements)
def test_mapping_never_raises_and_values_stay_in_unit_interval(statement: dict[str, Any]) -> None:
    evidence = evidence_for(statement, "p", RULESETS, module_competencies=BOUND, alignment=RESOLVER)
    for item in evidence:
        assert 0.0 <= item.value <= 1.0
        assert item.weight > 0.0
        assert item.observed_at.utcoffset() is not None


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_mapping_tolerates_any_json_as_a_statement(value: Any) -> None:
    statement = value if isinstance(value, dict) else {"verb": value, "object": value}
    evidence_for(
        statement, "p", RULESETS, module_competencies=BOUND, alignment=RESOLVER, statement_id="s"
    )


@given(maybe(score), st.sampled_from([(0.0, 1.0), (-1.0, 1.0), (0.0, 100.0)]))
def test_normalised_score_is_none_or_in_unit_interval(
    raw_score: Any, scaled_range: tuple[float, float]
) -> None:
    value = normalised_score(raw_score, scaled_range)
    assert value is None or (math.isfinite(value) and 0.0 <= value <= 1.0)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "version", "rules", "scope", "scaled_range", "x"]), json_values
    )
)
def test_parsing_arbitrary_data_raises_only_ruleset_error(data: dict[str, Any]) -> None:
    try:
        parse_ruleset(data)
    except RuleSetError as error:
        assert error.problems


activity_conditions = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(IRIS),
        "id_prefix": st.sampled_from(["https://", "http://adlnet.gov/", "x"]),
        "id_glob": st.sampled_from(["https://*", "*view.php?id=*", "[h]ttp*"]),
        "id_regex": st.sampled_from([r"https?://.*", r".*\d", r"(a|b)+"]),
        "type": st.lists(st.sampled_from(IRIS), min_size=1, max_size=2),
    },
).filter(bool)
match_blocks = st.fixed_dictionaries(
    {},
    optional={
        "verb": st.lists(st.sampled_from(IRIS), min_size=1, max_size=3),
        "object": activity_conditions,
        "context": st.fixed_dictionaries(
            {},
            optional={
                "parent": activity_conditions,
                "category": activity_conditions,
                "platform": st.sampled_from(["Moodle", "Trellis offline capture"]),
                "instructor": st.booleans(),
                "extensions": st.dictionaries(st.sampled_from(IRIS), json_values, max_size=1),
            },
        ),
        "result": st.fixed_dictionaries(
            {},
            optional={
                "success": st.booleans(),
                "completion": st.booleans(),
                "score": st.fixed_dictionaries(
                    {}, optional={"at_least": st.floats(0, 0.5), "at_most": st.floats(0.5, 1)}
                ),
            },
        ),
    },
)
yield_items = st.fixed_dictionaries(
    {
        "competencies": st.sampled_from(["$module", ["f#1", "f#2"]]),
        "value": st.one_of(
            st.sampled_from(["score", "success", "completion", "score_or_success"]),
            st.floats(0, 1),
        ),
        "kind": st.sampled_from(
            ["observation", "artefact", "test", "self_report", "participation"]
        ),
    },
    optional={"weight": st.floats(0.01, 10)},
)
rule_lists = st.lists(
    st.fixed_dictionaries(
        {"match": match_blocks, "yields": st.lists(yield_items, min_size=1, max_size=2)},
        optional={
            "final": st.booleans(),
            "scaled_range": st.sampled_from([[0, 1], [-1, 1], [0, 100]]),
        },
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(rule_lists, st.lists(statements, min_size=1, max_size=5))
def test_random_valid_rules_map_random_statements_into_unit_interval(
    rules: list[dict[str, Any]], batch: list[dict[str, Any]]
) -> None:
    ruleset = parse_ruleset(
        {
            "id": "random",
            "version": 1,
            "rules": [{"id": f"r{index}", **rule} for index, rule in enumerate(rules)],
        }
    )
    for statement in batch:
        evidence = evidence_for(statement, "p", ruleset, module_competencies=BOUND)
        assert evidence == evidence_for(statement, "p", ruleset, module_competencies=BOUND)
        for item in evidence:
            assert 0.0 <= item.value <= 1.0
            assert item.provenance.ruleset_id == "random"
