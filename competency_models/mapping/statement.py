"""A read-only, defensive view of the parts of an xAPI statement that mapping looks at.

Statements reach the core already validated, but the core is also used to replay old logs and is
fuzzed with arbitrary dicts, so every accessor tolerates missing keys and wrong types and answers
"absent" (None or empty) rather than raising. The view is built once per statement and shared by
every rule that is checked against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

CONTEXT_ACTIVITY_KINDS: Final = ("parent", "grouping", "category", "other")
"""xAPI 1.0.3 §4.1.6.2: the four lists of ``context.contextActivities``."""

ScaledRange = tuple[float, float]
"""The (low, high) range a source's ``result.score.scaled`` runs over."""

STANDARD_SCALED_RANGE: Final[ScaledRange] = (0.0, 1.0)
"""How most producers (cmi5, SCORM wrappers) use ``scaled``: 0 is none, 1 is full marks."""

_EMPTY: Final[Mapping[str, object]] = {}


def _mapping(value: object) -> Mapping[str, object]:
    # Parsed JSON is plain dicts or None; exact tests skip the slow ABC check on the hot path.
    if type(value) is dict:
        return value
    if value is None:
        return _EMPTY
    return value if isinstance(value, Mapping) else _EMPTY


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _boolean(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _finite_number(value: object) -> float | None:
    # bool is an int subclass; True is not a score.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _clamp_unit(number: float) -> float:
    return 0.0 if number < 0.0 else 1.0 if number > 1.0 else number


def normalised_score(
    score: object, scaled_range: ScaledRange = STANDARD_SCALED_RANGE
) -> float | None:
    """Turn an xAPI ``result.score`` into a number in [0, 1], or None if it says nothing usable.

    ``raw`` with ``max`` (and ``min``, taken as 0 when absent) is preferred because it is
    unambiguous; ``scaled`` is only a fallback because its range differs by producer (Moodle's
    logstore_xapi sends ``(raw-min)/(max-min)*2-1``, i.e. −1..1, so raw 50/100 becomes 0.0).

    Args:
        score: the ``result.score`` object as received.
        scaled_range: the (low, high) range this producer's ``scaled`` runs over.

    Returns:
        The score in [0, 1] (clamped), or None when neither form is usable.
    """
    parts = _mapping(score)
    raw = _finite_number(parts.get("raw"))
    high = _finite_number(parts.get("max"))
    if raw is not None and high is not None:
        low = _finite_number(parts.get("min"))
        low = 0.0 if low is None else low
        if high > low:
            return _clamp_unit((raw - low) / (high - low))
    scaled = _finite_number(parts.get("scaled"))
    range_low, range_high = scaled_range
    if scaled is not None and range_high > range_low:
        return _clamp_unit((scaled - range_low) / (range_high - range_low))
    return None


def parse_timestamp(value: object) -> datetime | None:
    """Parse an xAPI timestamp (ISO 8601) into an aware UTC datetime, or None.

    xAPI 1.0.3 §4.1.7 and 2.0 both allow an offset; a timestamp without one is read as UTC,
    which is what an LRS does when it stores it.
    """
    text = _string(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is UTC:  # "…Z", the common case, needs no conversion
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class StatementView:
    """The facts mapping rules test, read once from one statement.

    Attributes:
        statement: the statement as received.
        verb_id: ``verb.id``.
        object_id: ``object.id`` when the object is an Activity (or has no objectType).
        object_type: ``object.definition.type``.
        object_more_info: ``object.definition.moreInfo``.
        success: ``result.success``.
        completion: ``result.completion``.
    """

    __slots__ = (
        "_activities",
        "_context",
        "_module_keys",
        "_score",
        "_scores",
        "completion",
        "object_id",
        "object_more_info",
        "object_type",
        "statement",
        "success",
        "verb_id",
    )

    def __init__(self, statement: Mapping[str, object]) -> None:
        self.statement = statement
        self.verb_id = _string(_mapping(statement.get("verb")).get("id"))
        target = _mapping(statement.get("object"))
        object_type = target.get("objectType", "Activity")
        definition = _mapping(target.get("definition"))
        is_activity = object_type == "Activity"
        self.object_id = _string(target.get("id")) if is_activity else None
        self.object_type = _string(definition.get("type")) if is_activity else None
        self.object_more_info = _string(definition.get("moreInfo")) if is_activity else None
        result = _mapping(statement.get("result"))
        self.success = _boolean(result.get("success"))
        self.completion = _boolean(result.get("completion"))
        self._score = result.get("score")
        self._context = _mapping(statement.get("context"))
        self._activities: dict[str, tuple[tuple[str, str | None], ...]] = {}
        self._scores: dict[ScaledRange, float | None] = {}
        self._module_keys: tuple[str, ...] | None = None

    def score(self, scaled_range: ScaledRange = STANDARD_SCALED_RANGE) -> float | None:
        """The result's score normalised to [0, 1] (see :func:`normalised_score`), memoised."""
        try:
            return self._scores[scaled_range]
        except KeyError:
            value = self._scores[scaled_range] = normalised_score(self._score, scaled_range)
            return value

    def context_activities(self, kind: str) -> tuple[tuple[str, str | None], ...]:
        """The ``(id, type)`` pairs of one ``context.contextActivities`` list, memoised.

        xAPI 1.0.3 §4.1.6.2 lets a producer send a single activity instead of a list; both are
        accepted. Entries without a string id are skipped.
        """
        cached = self._activities.get(kind)
        if cached is not None:
            return cached
        raw = _mapping(self._context.get("contextActivities")).get(kind)
        entries = raw if type(raw) is list else [raw] if isinstance(raw, Mapping) else []
        pairs: list[tuple[str, str | None]] = []
        for entry in entries:
            entry_map = _mapping(entry)
            activity_id = entry_map.get("id")
            if type(activity_id) is str:
                entry_type = _mapping(entry_map.get("definition")).get("type")
                pairs.append((activity_id, entry_type if type(entry_type) is str else None))
        found = self._activities[kind] = tuple(pairs)
        return found

    @property
    def registration(self) -> str | None:
        """``context.registration``."""
        return _string(self._context.get("registration"))

    @property
    def platform(self) -> str | None:
        """``context.platform``."""
        return _string(self._context.get("platform"))

    @property
    def context_extensions(self) -> Mapping[str, object]:
        """``context.extensions`` (empty when absent)."""
        return _mapping(self._context.get("extensions"))

    @property
    def has_instructor(self) -> bool:
        """Whether ``context.instructor`` names someone (an observer, a grader)."""
        return bool(_mapping(self._context.get("instructor")))

    @property
    def statement_id(self) -> str | None:
        """``id``, which the LRS assigns when the producer (e.g. Moodle) did not."""
        return _string(self.statement.get("id")) or None

    @property
    def timestamp(self) -> datetime | None:
        """``timestamp`` as aware UTC, falling back to ``stored`` (what an LRS fills it from)."""
        return parse_timestamp(self.statement.get("timestamp")) or parse_timestamp(
            self.statement.get("stored")
        )

    def module_keys(self) -> tuple[str, ...]:
        """Activity ids a module→competency binding is looked up by, most specific first.

        The object itself, then its parents (Moodle lists module, section, course in that
        order), then the grouping (cmi5 puts the AU's publisher id there).
        """
        if self._module_keys is None:
            keys: list[str] = [] if self.object_id is None else [self.object_id]
            keys.extend(activity_id for activity_id, _ in self.context_activities("parent"))
            keys.extend(activity_id for activity_id, _ in self.context_activities("grouping"))
            self._module_keys = tuple(keys)
        return self._module_keys
