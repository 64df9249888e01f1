"""The ``format`` parameter of GET /statements: ``exact``, ``ids`` and ``canonical``
(xAPI 1.0.3 Communication 2.1.3), as pure functions over stored statements.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from xapi.errors import Problem, StatementValidationError
from xapi.validation.actors import IFI_PROPERTIES


class ResponseFormat(enum.Enum):
    """The three formats of Communication 2.1.3; ``exact`` is the default."""

    EXACT = "exact"
    IDS = "ids"
    CANONICAL = "canonical"


def parse_format(value: str | None) -> ResponseFormat:
    """Read the ``format`` query parameter.

    Raises:
        StatementValidationError: For anything but ``ids``, ``exact`` or ``canonical``
            (the LRS answers 400).
    """
    if value is None:
        return ResponseFormat.EXACT
    try:
        return ResponseFormat(value)
    except ValueError:
        raise StatementValidationError(
            [Problem("format", "must be ids, exact or canonical")]
        ) from None


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """The language ranges of an ``Accept-Language`` header, most preferred first (RFC 9110
    12.5.4); ranges with ``q=0`` and malformed weights are dropped.

    Args:
        header: The raw header value, or None.
    """
    if not header:
        return ()
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        language, _, parameters = item.partition(";")
        language = language.strip()
        if not language:
            continue
        weight = 1.0
        parameters = parameters.strip()
        if parameters.startswith("q="):
            try:
                weight = float(parameters[2:])
            except ValueError:
                continue
        if weight > 0:
            weighted.append((-weight, position, language))
    return tuple(language for _, _, language in sorted(weighted))


def choose_language(language_map: Mapping[str, str], preferences: Sequence[str]) -> dict[str, str]:
    """Reduce a language map to one entry (Communication 2.1.3 "Language Filtering
    Requirements for Canonical Format Statements": "return only one language").

    The first preference with an exact (case-insensitive) tag wins, then the first whose
    range is a prefix of a tag (``en`` takes ``en-US``), then ``*``; without a match, the
    map's ``und`` entry or else its first entry.

    Args:
        language_map: A valid language map.
        preferences: Language ranges, most preferred first (see :func:`parse_accept_language`).

    Returns:
        A one-entry map, or an empty map when ``language_map`` is empty.
    """
    if not language_map:
        return {}
    by_lower = {tag.lower(): tag for tag in language_map}
    for wanted in preferences:
        wanted_lower = wanted.lower()
        if wanted_lower == "*":
            tag = next(iter(language_map))
            return {tag: language_map[tag]}
        if wanted_lower in by_lower:
            tag = by_lower[wanted_lower]
            return {tag: language_map[tag]}
        for lower, tag in by_lower.items():
            if lower.startswith(wanted_lower + "-"):
                return {tag: language_map[tag]}
    tag = by_lower.get("und") or next(iter(language_map))
    return {tag: language_map[tag]}


def format_statement(
    statement: Mapping[str, Any],
    response_format: ResponseFormat,
    *,
    languages: Sequence[str] = (),
    canonical_definitions: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Render a stored statement in the requested format; the input is never mutated.

    - ``exact``: as stored.
    - ``ids``: Agents and Identified Groups reduced to objectType and IFI, Anonymous Groups
      to their members' IFIs, Activities to their id, Verbs to their id.
    - ``canonical``: Activities carry the LRS's canonical definition (when given) and every
      language map of Activities and Verbs is reduced to one language; Agents and Groups as
      in ``exact``.

    Args:
        statement: A stored (normalised) statement.
        response_format: The requested format.
        languages: Accept-Language preferences, for ``canonical``.
        canonical_definitions: Activity id to the canonical Activity Definition, for
            ``canonical``; activities not in it keep the definition they were sent with.

    Returns:
        A new dict.
    """
    if response_format is ResponseFormat.EXACT:
        return dict(statement)
    if response_format is ResponseFormat.IDS:
        return _ids_statement(statement)
    return _canonical_statement(statement, languages, canonical_definitions or {})


# --- ids -------------------------------------------------------------------------------------


def _ids_agent(agent: Mapping[str, Any]) -> dict[str, Any]:
    reduced: dict[str, Any] = {}
    if "objectType" in agent:
        reduced["objectType"] = agent["objectType"]
    for ifi in IFI_PROPERTIES:
        if ifi in agent:
            reduced[ifi] = agent[ifi]
            return reduced
    # An Anonymous Group: its members identify it.
    reduced["member"] = [_ids_agent(member) for member in agent.get("member", ())]
    return reduced


def _ids_object(target: Mapping[str, Any]) -> dict[str, Any]:
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        return {"id": target["id"]}
    if object_type in ("Agent", "Group"):
        return _ids_agent(target)
    if object_type == "SubStatement":
        return _ids_statement(target)
    return dict(target)


def _ids_context(context: Mapping[str, Any]) -> dict[str, Any]:
    reduced = dict(context)
    for role in ("instructor", "team"):
        if role in reduced:
            reduced[role] = _ids_agent(reduced[role])
    if "contextActivities" in reduced:
        reduced["contextActivities"] = {
            kind: [{"id": activity["id"]} for activity in _as_list(activities)]
            for kind, activities in reduced["contextActivities"].items()
        }
    if "contextAgents" in reduced:
        reduced["contextAgents"] = [
            {**entry, "agent": _ids_agent(entry["agent"])} for entry in reduced["contextAgents"]
        ]
    if "contextGroups" in reduced:
        reduced["contextGroups"] = [
            {**entry, "group": _ids_agent(entry["group"])} for entry in reduced["contextGroups"]
        ]
    return reduced


def _ids_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    reduced = dict(statement)
    reduced["actor"] = _ids_agent(statement["actor"])
    reduced["verb"] = {"id": statement["verb"]["id"]}
    reduced["object"] = _ids_object(statement["object"])
    if "authority" in reduced:
        reduced["authority"] = _ids_agent(reduced["authority"])
    if "context" in reduced:
        reduced["context"] = _ids_context(reduced["context"])
    return reduced


# --- canonical -------------------------------------------------------------------------------

_DEFINITION_LANGUAGE_MAPS = ("name", "description")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def _as_list(value: Any) -> list[Any]:
    return value if type(value) is list else [value]


def _canonical_activity(
    activity: Mapping[str, Any],
    languages: Sequence[str],
    definitions: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    result = dict(activity)
    definition = definitions.get(activity["id"], activity.get("definition"))
    if definition is None:
        return result
    filtered = dict(definition)
    for key in _DEFINITION_LANGUAGE_MAPS:
        if key in filtered:
            filtered[key] = choose_language(filtered[key], languages)
    for key in _COMPONENT_LISTS:
        if key in filtered:
            filtered[key] = [
                {**component, "description": choose_language(component["description"], languages)}
                if "description" in component
                else dict(component)
                for component in filtered[key]
            ]
    result["definition"] = filtered
    return result


def _canonical_statement(
    statement: Mapping[str, Any],
    languages: Sequence[str],
    definitions: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    result = dict(statement)
    verb = statement["verb"]
    if "display" in verb:
        result["verb"] = {**verb, "display": choose_language(verb["display"], languages)}
    target = statement["object"]
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        result["object"] = _canonical_activity(target, languages, definitions)
    elif object_type == "SubStatement":
        result["object"] = _canonical_statement(target, languages, definitions)
    context = statement.get("context")
    if context is not None and "contextActivities" in context:
        result["context"] = {
            **context,
            "contextActivities": {
                kind: [
                    _canonical_activity(activity, languages, definitions)
                    for activity in _as_list(activities)
                ]
                for kind, activities in context["contextActivities"].items()
            },
        }
    return result
