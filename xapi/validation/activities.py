"""Activities and their definitions, interaction activities included (xAPI 1.0.3 Data 2.4.4.1)."""

from __future__ import annotations

from typing import Any

from xapi.validation._walk import (
    Walk,
    as_array,
    check_extensions,
    check_iri,
    check_language_map,
    report_unknown_properties,
    type_rule,
)

_ACTIVITY_PROPERTIES = frozenset({"objectType", "id", "definition"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_DEFINITION_PROPERTIES = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *_COMPONENT_LISTS,
    }
)
_COMPONENT_PROPERTIES = frozenset({"id", "description"})

#: Data 2.4.4.1 Interaction Activities: interactionType values and the component lists each
#: one may use ("choices" for choice and sequencing, "scale" for likert, ...).
INTERACTION_COMPONENTS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}


def check_activity(walk: Walk, node: dict[str, Any], path: str) -> None:
    """An Activity object (its objectType, if any, already known to be "Activity")."""
    if not node.keys() <= _ACTIVITY_PROPERTIES:
        report_unknown_properties(walk, node, path, _ACTIVITY_PROPERTIES)
    if "id" in node:
        check_iri(walk, node["id"], path + ".id")
    else:
        walk.report(path + ".id", "is required")
    if "definition" in node:
        check_definition(walk, node["definition"], path + ".definition")


def check_activity_value(walk: Walk, node: object, path: str) -> None:
    """A value that must be an Activity, such as a contextActivities entry (Data 2.4.6.2)."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
    elif node.get("objectType", "Activity") != "Activity":
        walk.report(path + ".objectType", "must be Activity")
    else:
        check_activity(walk, node, path)


def check_definition(walk: Walk, node: object, path: str) -> None:
    """An Activity Definition (Data 2.4.4.1); every property is optional."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    if not node.keys() <= _DEFINITION_PROPERTIES:
        report_unknown_properties(walk, node, path, _DEFINITION_PROPERTIES)
    if "name" in node:
        check_language_map(walk, node["name"], path + ".name")
    if "description" in node:
        check_language_map(walk, node["description"], path + ".description")
    if "type" in node:
        check_iri(walk, node["type"], path + ".type")
    if "moreInfo" in node:
        check_iri(walk, node["moreInfo"], path + ".moreInfo")
    if "extensions" in node:
        check_extensions(walk, node["extensions"], path + ".extensions")
    if "interactionType" in node or "correctResponsesPattern" in node:
        _check_interaction(walk, node, path)
    elif not node.keys().isdisjoint(_COMPONENT_LISTS):
        for list_name in _COMPONENT_LISTS:
            if list_name in node:
                walk.report(path + "." + list_name, "requires an interactionType")


def _check_interaction(walk: Walk, node: dict[str, Any], path: str) -> None:
    interaction_path = path + ".interactionType"
    if "interactionType" not in node:
        walk.report(interaction_path, "is required with correctResponsesPattern")
        allowed_lists: frozenset[str] = frozenset(_COMPONENT_LISTS)
    else:
        interaction_type = node["interactionType"]
        if type(interaction_type) is not str:
            walk.report(interaction_path, type_rule("a string", interaction_type))
            allowed_lists = frozenset(_COMPONENT_LISTS)
        elif interaction_type not in INTERACTION_COMPONENTS:
            walk.report(interaction_path, "not a defined interaction type")
            allowed_lists = frozenset(_COMPONENT_LISTS)
        else:
            allowed_lists = INTERACTION_COMPONENTS[interaction_type]
    if "correctResponsesPattern" in node:
        pattern_path = path + ".correctResponsesPattern"
        patterns = as_array(walk, node["correctResponsesPattern"], pattern_path)
        if patterns is not None:
            for index, pattern in enumerate(patterns):
                if type(pattern) is not str:
                    walk.report(f"{pattern_path}[{index}]", type_rule("a string", pattern))
    for list_name in _COMPONENT_LISTS:
        if list_name in node:
            list_path = path + "." + list_name
            if list_name not in allowed_lists:
                walk.report(list_path, "not allowed for this interactionType")
            _check_components(walk, node[list_name], list_path)


def _check_components(walk: Walk, components: object, path: str) -> None:
    """Interaction components: ``id`` (string) and ``description`` (language map); within one
    list all ids MUST be distinct (Data 2.4.4.1.1 Interaction Components)."""
    items = as_array(walk, components, path)
    if items is None:
        return
    seen: set[str] = set()
    for index, component in enumerate(items):
        item_path = f"{path}[{index}]"
        if type(component) is not dict:
            walk.report(item_path, type_rule("an object", component))
            continue
        if not component.keys() <= _COMPONENT_PROPERTIES:
            report_unknown_properties(walk, component, item_path, _COMPONENT_PROPERTIES)
        if "description" in component:
            check_language_map(walk, component["description"], item_path + ".description")
        component_id = component.get("id")
        if type(component_id) is not str:
            rule = "is required" if "id" not in component else type_rule("a string", component_id)
            walk.report(item_path + ".id", rule)
        elif component_id in seen:
            walk.report(item_path + ".id", "duplicate interaction component id")
        else:
            seen.add(component_id)
