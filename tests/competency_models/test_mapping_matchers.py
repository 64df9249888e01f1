"""Table-driven tests of every matcher a rule's ``match`` block can use."""

from __future__ import annotations

from typing import Any

import pytest

from competency_models.mapping import StatementView, parse_ruleset

VIEWED = "http://id.tincanapi.com/verb/viewed"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
QUIZ = "https://lms.example/mod/quiz/view.php?id=7"
COURSE = "https://lms.example/course/view.php?id=2"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
INFO = "http://lrs.learninglocker.net/define/extensions/info"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"


def _statement(**overrides: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": "s-1",
        "actor": {"account": {"homePage": "https://lms.example", "name": "5"}},
        "verb": {"id": COMPLETED},
        "object": {"objectType": "Activity", "id": QUIZ, "definition": {"type": ASSESSMENT}},
        "result": {
            "success": True,
            "completion": True,
            "score": {"raw": 30, "min": 0, "max": 40, "scaled": 0.5},
        },
        "context": {
            "platform": "Moodle",
            "registration": "0b6f8a6e-2d7c-4c1e-9f3a-1a2b3c4d5e6f",
            "instructor": {"name": "李老师"},
            "contextActivities": {
                "parent": [{"id": COURSE, "definition": {"type": COURSE_TYPE}}],
                "grouping": {"id": "https://publisher.example/au/1"},
                "category": [{"id": CMI5}],
                "other": [{"id": "https://lms.example/tag/ai"}],
            },
            "extensions": {
                INFO: {"event_name": "\\mod_quiz\\event\\attempt_submitted", "moodle": "4.5"},
                "https://example/ext/flag": True,
                "https://example/ext/count": 1,
            },
        },
        "timestamp": "2026-01-05T08:00:00Z",
    }
    statement.update(overrides)
    return statement


def _matches(match: dict[str, Any], statement: dict[str, Any], **rule: Any) -> bool:
    ruleset = parse_ruleset(
        {
            "id": "t",
            "version": 1,
            "rules": [
                {
                    "id": "r",
                    "match": match,
                    **rule,
                    "yields": [{"competency": "f#1", "value": 1.0, "kind": "test"}],
                }
            ],
        }
    )
    (only_rule,) = ruleset.rules
    return only_rule.match.matches(StatementView(statement), only_rule.scaled_range)


BASE = _statement()
NO_CONTEXT = _statement(context=None)
NO_RESULT = _statement(result=None)
AGENT_OBJECT = _statement(object={"objectType": "Agent", "mbox": "mailto:a@example.org"})
NO_SCORE = _statement(result={"success": False})

CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # verb
    ("verb equal", {"verb": COMPLETED}, BASE, True),
    ("verb other", {"verb": VIEWED}, BASE, False),
    ("verb any of", {"verb": [VIEWED, COMPLETED]}, BASE, True),
    ("no verb condition", {}, BASE, True),
    # object id forms
    ("object id exact", {"object": {"id": QUIZ}}, BASE, True),
    ("object id exact other", {"object": {"id": QUIZ + "0"}}, BASE, False),
    ("object id any of", {"object": {"id": [COURSE, QUIZ]}}, BASE, True),
    ("object id prefix", {"object": {"id_prefix": "https://lms.example/mod/quiz/"}}, BASE, True),
    (
        "object id prefix other",
        {"object": {"id_prefix": "https://lms.example/mod/assign/"}},
        BASE,
        False,
    ),
    (
        "object glob spans slashes",
        {"object": {"id_glob": "https://lms.example/*?id=*"}},
        BASE,
        True,
    ),
    ("object glob is anchored", {"object": {"id_glob": "*/mod/quiz/"}}, BASE, False),
    (
        "object regex full match",
        {"object": {"id_regex": r"https://lms\.example/mod/\w+/view\.php\?id=\d+"}},
        BASE,
        True,
    ),
    ("object regex must match whole id", {"object": {"id_regex": r"mod/quiz"}}, BASE, False),
    ("object type", {"object": {"type": ASSESSMENT}}, BASE, True),
    ("object type other", {"object": {"type": COURSE_TYPE}}, BASE, False),
    ("object id and type both hold", {"object": {"id": QUIZ, "type": ASSESSMENT}}, BASE, True),
    ("object id holds type does not", {"object": {"id": QUIZ, "type": COURSE_TYPE}}, BASE, False),
    ("object is an agent", {"object": {"id_prefix": "mailto:"}}, AGENT_OBJECT, False),
    # context activities
    ("parent id", {"context": {"parent": {"id": COURSE}}}, BASE, True),
    ("parent type", {"context": {"parent": {"type": COURSE_TYPE}}}, BASE, True),
    ("parent other", {"context": {"parent": {"id": QUIZ}}}, BASE, False),
    (
        "grouping given as a single object",
        {"context": {"grouping": {"id_prefix": "https://publisher.example/"}}},
        BASE,
        True,
    ),
    ("category id", {"context": {"category": {"id": CMI5}}}, BASE, True),
    ("other id glob", {"context": {"other": {"id_glob": "*/tag/*"}}}, BASE, True),
    (
        "category on statement without context",
        {"context": {"category": {"id": CMI5}}},
        NO_CONTEXT,
        False,
    ),
    # registration and platform
    (
        "registration",
        {"context": {"registration": "0b6f8a6e-2d7c-4c1e-9f3a-1a2b3c4d5e6f"}},
        BASE,
        True,
    ),
    (
        "registration other",
        {"context": {"registration": "00000000-0000-0000-0000-000000000000"}},
        BASE,
        False,
    ),
    ("platform", {"context": {"platform": ["Moodle", "Canvas"]}}, BASE, True),
    ("platform other", {"context": {"platform": "Canvas"}}, BASE, False),
    ("platform when context absent", {"context": {"platform": "Moodle"}}, NO_CONTEXT, False),
    # instructor
    ("instructor required and present", {"context": {"instructor": True}}, BASE, True),
    ("instructor forbidden but present", {"context": {"instructor": False}}, BASE, False),
    ("instructor forbidden and absent", {"context": {"instructor": False}}, NO_CONTEXT, True),
    # extensions
    (
        "extension subset of an object",
        {"context": {"extensions": {INFO: {"event_name": "\\mod_quiz\\event\\attempt_submitted"}}}},
        BASE,
        True,
    ),
    (
        "extension object differs",
        {
            "context": {
                "extensions": {INFO: {"event_name": "\\mod_assign\\event\\submission_graded"}}
            }
        },
        BASE,
        False,
    ),
    ("extension scalar", {"context": {"extensions": {"https://example/ext/count": 1}}}, BASE, True),
    (
        "extension true does not match 1",
        {"context": {"extensions": {"https://example/ext/count": True}}},
        BASE,
        False,
    ),
    (
        "extension 1 does not match true",
        {"context": {"extensions": {"https://example/ext/flag": 1}}},
        BASE,
        False,
    ),
    (
        "extension missing",
        {"context": {"extensions": {"https://example/ext/none": 1}}},
        BASE,
        False,
    ),
    # result
    ("success true", {"result": {"success": True}}, BASE, True),
    ("success false", {"result": {"success": False}}, BASE, False),
    ("success required but absent", {"result": {"success": True}}, NO_RESULT, False),
    ("completion true", {"result": {"completion": True}}, BASE, True),
    ("completion false", {"result": {"completion": False}}, BASE, False),
    ("score at least, from raw 30/40", {"result": {"score": {"at_least": 0.75}}}, BASE, True),
    ("score at least, not reached", {"result": {"score": {"at_least": 0.76}}}, BASE, False),
    ("score at most", {"result": {"score": {"at_most": 0.75}}}, BASE, True),
    ("score at most, exceeded", {"result": {"score": {"at_most": 0.7}}}, BASE, False),
    ("score bound without a score", {"result": {"score": {"at_least": 0.0}}}, NO_SCORE, False),
    # everything together
    (
        "all conditions hold",
        {
            "verb": COMPLETED,
            "object": {"id_prefix": "https://lms.example/"},
            "context": {"platform": "Moodle", "parent": {"type": COURSE_TYPE}, "instructor": True},
            "result": {"success": True, "score": {"at_least": 0.5}},
        },
        BASE,
        True,
    ),
]


@pytest.mark.parametrize(
    ("match", "statement", "expected"),
    [
        pytest.param(match, statement, expected, id=name)
        for name, match, statement, expected in CASES
    ],
)
def test_matcher(match: dict[str, Any], statement: dict[str, Any], expected: bool) -> None:
    assert _matches(match, statement) is expected


SCALED_ONLY = _statement(result={"score": {"scaled": 0.0}})


@pytest.mark.parametrize(
    ("scaled_range", "at_least", "expected"),
    [
        ([0, 1], 0.0, True),  # scaled 0.0 read on 0..1 is 0.0
        ([0, 1], 0.1, False),
        ([-1, 1], 0.5, True),  # Moodle: scaled 0.0 on −1..1 is half marks
        ([-1, 1], 0.51, False),
    ],
)
def test_score_condition_reads_scaled_through_the_rule_range(
    scaled_range: list[int], at_least: float, expected: bool
) -> None:
    match = {"result": {"score": {"at_least": at_least}}}
    assert _matches(match, SCALED_ONLY, scaled_range=scaled_range) is expected
