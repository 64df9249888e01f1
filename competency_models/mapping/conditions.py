"""The conditions a rule's ``match`` block is made of, each able to test a statement view.

Every condition is immutable and precompiled (regexes compiled, lists turned into frozensets) when
the rule set is parsed, so testing a statement does no parsing. Within one condition every given
field must hold; a list of values means "any of these".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from competency_models.mapping.statement import ScaledRange, StatementView


def _matches_subset(actual: object, expected: object) -> bool:
    """Whether ``actual`` contains ``expected``: objects by subset of keys, anything else equal.

    Subset matching lets a rule test one field of a structured extension, e.g. the
    ``event_name`` inside Moodle's Learning Locker info extension, without repeating the rest.
    """
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return False
        return all(
            key in actual and _matches_subset(actual[key], value) for key, value in expected.items()
        )
    # bool == int in Python; a rule asking for true must not match 1.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(actual == expected)


@dataclass(frozen=True, slots=True)
class IdPattern:
    """A precompiled full-match pattern on activity ids.

    Attributes:
        source: the glob or regex as written in the rule set.
        regex: the compiled pattern, matched against the whole id.
        literal_prefix: a prefix every matching id has (a glob's text before its first
            wildcard); checked first because ``startswith`` is far cheaper than the regex.
    """

    source: str
    regex: re.Pattern[str]
    literal_prefix: str = ""

    def matches(self, activity_id: str) -> bool:
        """Whether the whole id matches."""
        return activity_id.startswith(self.literal_prefix) and (
            self.regex.fullmatch(activity_id) is not None
        )


@dataclass(frozen=True, slots=True)
class ActivityCondition:
    """Conditions on one activity: its id (exact, prefix or pattern) and its type.

    Attributes:
        ids: exact ids, any of which matches.
        id_prefixes: id prefixes, any of which matches.
        id_patterns: full-match patterns (from globs or regexes), any of which matches.
        types: ``definition.type`` IRIs, any of which matches.
    """

    ids: frozenset[str] = frozenset()
    id_prefixes: tuple[str, ...] = ()
    id_patterns: tuple[IdPattern, ...] = ()
    types: frozenset[str] = frozenset()

    def matches(self, activity_id: str | None, activity_type: str | None) -> bool:
        """Whether an activity with this id and type satisfies every given field."""
        if self.ids and activity_id not in self.ids:
            return False
        if self.id_prefixes and (
            activity_id is None or not activity_id.startswith(self.id_prefixes)
        ):
            return False
        if self.id_patterns and (
            activity_id is None
            or not any(pattern.matches(activity_id) for pattern in self.id_patterns)
        ):
            return False
        return not self.types or activity_type in self.types

    def matches_any(self, activities: Sequence[tuple[str, str | None]]) -> bool:
        """Whether at least one ``(id, type)`` pair satisfies this condition."""
        for activity_id, activity_type in activities:
            if self.matches(activity_id, activity_type):
                return True
        return False


@dataclass(frozen=True, slots=True)
class ContextCondition:
    """Conditions on ``context``.

    Attributes:
        activities: per contextActivities list ("parent", "grouping", "category", "other"), a
            condition at least one entry of that list must satisfy.
        registrations: ``context.registration`` values, any of which matches.
        platforms: ``context.platform`` values, any of which matches.
        extensions: ``(key, expected)`` pairs; each key must be present and contain the expected
            value (objects compare by subset).
        instructor: True requires ``context.instructor``, False forbids it, None ignores it.
    """

    activities: tuple[tuple[str, ActivityCondition], ...] = ()
    registrations: frozenset[str] = frozenset()
    platforms: frozenset[str] = frozenset()
    # Expected values may be JSON objects or lists, which cannot be hashed; equality still
    # compares them, so leaving them out of the hash keeps the condition hashable and correct.
    extensions: tuple[tuple[str, object], ...] = field(default=(), hash=False)
    instructor: bool | None = None

    def matches(self, view: StatementView) -> bool:
        """Whether the statement's context satisfies every given field."""
        if self.platforms and view.platform not in self.platforms:
            return False
        if self.registrations and view.registration not in self.registrations:
            return False
        if self.instructor is not None and view.has_instructor is not self.instructor:
            return False
        for kind, condition in self.activities:
            if not condition.matches_any(view.context_activities(kind)):
                return False
        if self.extensions:
            present = view.context_extensions
            for key, expected in self.extensions:
                if key not in present or not _matches_subset(present[key], expected):
                    return False
        return True


@dataclass(frozen=True, slots=True)
class ScoreBounds:
    """Inclusive bounds on the normalised score; a statement without a score never matches.

    Attributes:
        at_least: lowest accepted normalised score, or None.
        at_most: highest accepted normalised score, or None.
    """

    at_least: float | None = None
    at_most: float | None = None

    def contains(self, score: float | None) -> bool:
        """Whether a normalised score lies within the bounds."""
        if score is None:
            return False
        if self.at_least is not None and score < self.at_least:
            return False
        return self.at_most is None or score <= self.at_most


@dataclass(frozen=True, slots=True)
class ResultCondition:
    """Conditions on ``result``.

    Attributes:
        success: required ``result.success``, or None to ignore it.
        completion: required ``result.completion``, or None to ignore it.
        score: bounds on the normalised score, or None to ignore it.
    """

    success: bool | None = None
    completion: bool | None = None
    score: ScoreBounds | None = None

    def matches(self, view: StatementView, scaled_range: ScaledRange) -> bool:
        """Whether the statement's result satisfies every given field."""
        if self.success is not None and view.success is not self.success:
            return False
        if self.completion is not None and view.completion is not self.completion:
            return False
        return self.score is None or self.score.contains(view.score(scaled_range))


@dataclass(frozen=True, slots=True)
class MatchCondition:
    """A rule's whole ``match`` block.

    Attributes:
        verbs: verb IRIs, any of which matches; empty means any verb (such rules are checked for
            every statement, so prefer naming verbs).
        object: condition on the statement's object activity, or None.
        context: condition on the context, or None.
        result: condition on the result, or None.
    """

    verbs: frozenset[str] = frozenset()
    object: ActivityCondition | None = None
    context: ContextCondition | None = None
    result: ResultCondition | None = None

    def matches(self, view: StatementView, scaled_range: ScaledRange) -> bool:
        """Whether the statement satisfies the whole block.

        The verb is not re-checked when the caller already picked this rule from a verb index,
        but checking it again is cheap and keeps the method correct on its own.
        """
        if self.verbs and view.verb_id not in self.verbs:
            return False
        if self.object is not None and (
            view.object_id is None or not self.object.matches(view.object_id, view.object_type)
        ):
            return False
        # Result fields are already read; context lists are parsed on first use, so go last.
        if self.result is not None and not self.result.matches(view, scaled_range):
            return False
        return self.context is None or self.context.matches(view)
