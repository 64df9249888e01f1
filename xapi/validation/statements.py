"""Statements and SubStatements with their verb, object, result, context and attachments.

Sections cited are xAPI 1.0.3 Part Two (Data); "2.0" marks IEEE 9274.1.1-2023 additions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xapi.syntax import is_duration, is_language_tag, is_media_type, is_sha2_hex, is_uuid
from xapi.syntax import parse_timestamp as _parse_timestamp
from xapi.validation._walk import (
    Walk,
    as_array,
    check_boolean,
    check_extensions,
    check_formatted,
    check_iri,
    check_language_map,
    check_string,
    is_number,
    member_path,
    report_unknown_properties,
    type_rule,
)
from xapi.validation.activities import check_activity, check_activity_value
from xapi.validation.actors import (
    check_actor,
    check_agent,
    check_agent_only,
    check_authority,
    check_group,
    check_group_only,
)
from xapi.versions import XapiVersion, is_acceptable_statement_version
from xapi.vocabulary import ATTACHMENT_USAGE_SIGNATURE, VERB_VOIDED

_STATEMENT_PROPERTIES = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
# Data 2.4.4.3: a SubStatement MUST NOT have "id", "stored", "version" or "authority".
_SUBSTATEMENT_PROPERTIES = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_VERB_PROPERTIES = frozenset({"id", "display"})
_STATEMENT_REF_PROPERTIES = frozenset({"objectType", "id"})
_RESULT_PROPERTIES = frozenset(
    {"score", "success", "completion", "response", "duration", "extensions"}
)
_SCORE_PROPERTIES = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_PROPERTIES_1_0 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_PROPERTIES_2_0 = _CONTEXT_PROPERTIES_1_0 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KINDS = frozenset({"parent", "grouping", "category", "other"})
_CONTEXT_AGENT_PROPERTIES = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_PROPERTIES = frozenset({"objectType", "group", "relevantTypes"})
_ATTACHMENT_PROPERTIES = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
_REQUIRED_ATTACHMENT_PROPERTIES = ("usageType", "display", "contentType", "length", "sha2")


def check_statement(walk: Walk, node: object, path: str) -> None:
    """A top-level Statement (Data 2.2, 2.4)."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    if not node.keys() <= _STATEMENT_PROPERTIES:
        report_unknown_properties(walk, node, path, _STATEMENT_PROPERTIES)
    if "id" in node:
        check_formatted(walk, node["id"], path + ".id", is_uuid, "a UUID")
    _check_core(walk, node, path, in_substatement=False)
    if "stored" in node:
        _check_timestamp(walk, node["stored"], path + ".stored")
    if "authority" in node:
        check_authority(walk, node["authority"], path + ".authority")
    if "version" in node:
        _check_version(walk, node["version"], path + ".version")
    # Data 2.3.2: a voiding statement's object MUST be a StatementRef.
    verb = node.get("verb")
    if type(verb) is dict and verb.get("id") == VERB_VOIDED:
        target = node.get("object")
        if type(target) is dict and target.get("objectType") != "StatementRef":
            walk.report(path + ".object", "a voiding statement's object must be a StatementRef")


def _check_core(walk: Walk, node: dict[str, Any], path: str, *, in_substatement: bool) -> None:
    """What Statements and SubStatements share: actor, verb, object, result, context,
    timestamp and attachments (Data 2.4.2 to 2.4.7, 2.4.11)."""
    # Data 2.2: a Statement MUST use "actor", "verb", and "object".
    if "actor" in node:
        check_actor(walk, node["actor"], path + ".actor")
    else:
        walk.report(path + ".actor", "is required")
    if "verb" in node:
        _check_verb(walk, node["verb"], path + ".verb")
    else:
        walk.report(path + ".verb", "is required")
    object_is_activity = False
    if "object" in node:
        object_is_activity = _check_object(
            walk, node["object"], path + ".object", in_substatement=in_substatement
        )
    else:
        walk.report(path + ".object", "is required")
    if "result" in node:
        _check_result(walk, node["result"], path + ".result")
    if "context" in node:
        _check_context(walk, node["context"], path + ".context", object_is_activity)
    if "timestamp" in node:
        _check_timestamp(walk, node["timestamp"], path + ".timestamp")
    if "attachments" in node:
        _check_attachments(walk, node["attachments"], path + ".attachments")


def _check_verb(walk: Walk, node: object, path: str) -> None:
    # Data 2.4.3: id (IRI) required, display optional language map.
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    if not node.keys() <= _VERB_PROPERTIES:
        report_unknown_properties(walk, node, path, _VERB_PROPERTIES)
    if "id" in node:
        check_iri(walk, node["id"], path + ".id")
    else:
        walk.report(path + ".id", "is required")
    if "display" in node:
        check_language_map(walk, node["display"], path + ".display")


def _check_object(walk: Walk, node: object, path: str, *, in_substatement: bool) -> bool:
    """Data 2.4.4: dispatch on objectType (Activity when absent); True if it is an Activity."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return False
    object_type = node.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(walk, node, path)
        return True
    if object_type == "Agent":
        check_agent(walk, node, path)
    elif object_type == "Group":
        check_group(walk, node, path)
    elif object_type == "StatementRef":
        check_statement_ref(walk, node, path)
    elif object_type == "SubStatement":
        if in_substatement:
            # Data 2.4.4.3: a SubStatement MUST NOT contain a SubStatement.
            walk.report(path + ".objectType", "a SubStatement cannot contain a SubStatement")
        else:
            _check_substatement(walk, node, path)
    else:
        walk.report(
            path + ".objectType",
            "must be Activity, Agent, Group, StatementRef or SubStatement",
        )
    return False


def check_statement_ref(walk: Walk, node: dict[str, Any], path: str) -> None:
    """Data 2.4.4.2: objectType "StatementRef" and a UUID id, nothing else."""
    if not node.keys() <= _STATEMENT_REF_PROPERTIES:
        report_unknown_properties(walk, node, path, _STATEMENT_REF_PROPERTIES)
    if node.get("objectType") != "StatementRef":
        walk.report(path + ".objectType", "must be StatementRef")
    if "id" in node:
        check_formatted(walk, node["id"], path + ".id", is_uuid, "a UUID")
    else:
        walk.report(path + ".id", "is required")


def _check_substatement(walk: Walk, node: dict[str, Any], path: str) -> None:
    # Data 2.4.4.3: like a Statement without id, stored, version, authority.
    if not node.keys() <= _SUBSTATEMENT_PROPERTIES:
        report_unknown_properties(walk, node, path, _SUBSTATEMENT_PROPERTIES)
    _check_core(walk, node, path, in_substatement=True)


def _check_result(walk: Walk, node: object, path: str) -> None:
    # Data 2.4.5.
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    if not node.keys() <= _RESULT_PROPERTIES:
        report_unknown_properties(walk, node, path, _RESULT_PROPERTIES)
    if "score" in node:
        _check_score(walk, node["score"], path + ".score")
    if "success" in node:
        check_boolean(walk, node["success"], path + ".success")
    if "completion" in node:
        check_boolean(walk, node["completion"], path + ".completion")
    if "response" in node:
        check_string(walk, node["response"], path + ".response")
    if "duration" in node:
        check_formatted(
            walk, node["duration"], path + ".duration", is_duration, "an ISO 8601 duration"
        )
    if "extensions" in node:
        check_extensions(walk, node["extensions"], path + ".extensions")


def _check_score(walk: Walk, node: object, path: str) -> None:
    # Data 2.4.5.1: scaled in [-1, 1]; min < max; min <= raw <= max.
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    if not node.keys() <= _SCORE_PROPERTIES:
        report_unknown_properties(walk, node, path, _SCORE_PROPERTIES)
    numbers: dict[str, float] = {}
    for key in ("scaled", "raw", "min", "max"):
        if key in node:
            value = node[key]
            if is_number(value):
                numbers[key] = value
            else:
                walk.report(member_path(path, key), type_rule("a number", value))
    scaled = numbers.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        walk.report(path + ".scaled", "must be between -1 and 1")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        walk.report(path + ".min", "must be less than max")
    if raw is not None:
        if low is not None and raw < low:
            walk.report(path + ".raw", "must not be less than min")
        if high is not None and raw > high:
            walk.report(path + ".raw", "must not be greater than max")


def _check_context(walk: Walk, node: object, path: str, object_is_activity: bool) -> None:
    # Data 2.4.6; 2.0 adds contextAgents and contextGroups.
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    allowed = _CONTEXT_PROPERTIES_2_0 if walk.is_2_0 else _CONTEXT_PROPERTIES_1_0
    if not node.keys() <= allowed:
        report_unknown_properties(walk, node, path, allowed)
    if "registration" in node:
        check_formatted(walk, node["registration"], path + ".registration", is_uuid, "a UUID")
    if "instructor" in node:
        check_actor(walk, node["instructor"], path + ".instructor")
    if "team" in node:
        check_group_only(walk, node["team"], path + ".team")
    if "contextActivities" in node:
        _check_context_activities(walk, node["contextActivities"], path + ".contextActivities")
    for key in ("revision", "platform"):
        if key in node:
            check_string(walk, node[key], member_path(path, key))
            # Data 2.4.6: revision and platform MUST only be used if the Object is an Activity.
            if not object_is_activity:
                walk.report(member_path(path, key), "only allowed when the object is an Activity")
    if "language" in node:
        check_formatted(
            walk,
            node["language"],
            path + ".language",
            is_language_tag,
            "an RFC 5646 language tag",
        )
    if "statement" in node:
        statement_ref = node["statement"]
        statement_path = path + ".statement"
        if type(statement_ref) is dict:
            check_statement_ref(walk, statement_ref, statement_path)
        else:
            walk.report(statement_path, type_rule("an object", statement_ref))
    if "extensions" in node:
        check_extensions(walk, node["extensions"], path + ".extensions")
    if "contextAgents" in node:
        _check_context_agents(walk, node["contextAgents"], path + ".contextAgents")
    if "contextGroups" in node:
        _check_context_groups(walk, node["contextGroups"], path + ".contextGroups")


def _check_context_activities(walk: Walk, node: object, path: str) -> None:
    # Data 2.4.6.2: keys parent/grouping/category/other; each an Activity or array of them.
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    if not node.keys() <= _CONTEXT_ACTIVITY_KINDS:
        report_unknown_properties(walk, node, path, _CONTEXT_ACTIVITY_KINDS)
    for kind, value in node.items():
        if kind not in _CONTEXT_ACTIVITY_KINDS:
            continue
        kind_path = path + "." + kind
        if type(value) is list:
            for index, activity in enumerate(value):
                check_activity_value(walk, activity, f"{kind_path}[{index}]")
        else:
            check_activity_value(walk, value, kind_path)


def _check_relevant_types(walk: Walk, node: dict[str, Any], path: str) -> None:
    # 2.0 (9274.1.1 4.2.2.5): relevantTypes, when present, is a non-empty array of IRIs.
    if "relevantTypes" not in node:
        return
    types_path = path + ".relevantTypes"
    relevant_types = as_array(walk, node["relevantTypes"], types_path)
    if relevant_types is None:
        return
    if not relevant_types:
        walk.report(types_path, "must not be empty")
    for index, relevant_type in enumerate(relevant_types):
        check_iri(walk, relevant_type, f"{types_path}[{index}]")


def _check_context_agents(walk: Walk, node: object, path: str) -> None:
    # 2.0: contextAgents is an array of {objectType: "contextAgent", agent, relevantTypes?}.
    _check_context_entries(
        walk, node, path, "contextAgent", "agent", _CONTEXT_AGENT_PROPERTIES, check_agent_only
    )


def _check_context_groups(walk: Walk, node: object, path: str) -> None:
    # 2.0: contextGroups is an array of {objectType: "contextGroup", group, relevantTypes?}.
    _check_context_entries(
        walk, node, path, "contextGroup", "group", _CONTEXT_GROUP_PROPERTIES, check_group_only
    )


def _check_context_entries(
    walk: Walk,
    node: object,
    path: str,
    object_type: str,
    member: str,
    properties: frozenset[str],
    check_member: Callable[[Walk, object, str], None],
) -> None:
    entries = as_array(walk, node, path)
    if entries is None:
        return
    for index, entry in enumerate(entries):
        entry_path = f"{path}[{index}]"
        if type(entry) is not dict:
            walk.report(entry_path, type_rule("an object", entry))
            continue
        if not entry.keys() <= properties:
            report_unknown_properties(walk, entry, entry_path, properties)
        if entry.get("objectType") != object_type:
            walk.report(entry_path + ".objectType", f"must be {object_type}")
        if member in entry:
            check_member(walk, entry[member], f"{entry_path}.{member}")
        else:
            walk.report(f"{entry_path}.{member}", "is required")
        _check_relevant_types(walk, entry, entry_path)


def _check_timestamp(walk: Walk, value: object, path: str) -> None:
    # Data 2.4.7 / 4.5: ISO 8601 in 1.0.3; RFC 3339 (offset required) in 2.0.
    if type(value) is not str:
        walk.report(path, type_rule("a string", value))
    elif _parse_timestamp(value, offset_required=walk.is_2_0) is None:
        walk.report(path, "not a valid timestamp")


def _check_version(walk: Walk, value: object, path: str) -> None:
    # Data 2.4.10: "1.0.x" (and "2.0.x" under 2.0).
    if type(value) is not str:
        walk.report(path, type_rule("a string", value))
        return
    version = XapiVersion.V2_0_0 if walk.is_2_0 else XapiVersion.V1_0_3
    if not is_acceptable_statement_version(value, version):
        walk.report(path, "not a supported xAPI version")


def _check_attachments(walk: Walk, node: object, path: str) -> None:
    # Data 2.4.11: an array of Attachment objects.
    attachments = as_array(walk, node, path)
    if attachments is None:
        return
    for index, attachment in enumerate(attachments):
        item_path = f"{path}[{index}]"
        if type(attachment) is not dict:
            walk.report(item_path, type_rule("an object", attachment))
            continue
        if not attachment.keys() <= _ATTACHMENT_PROPERTIES:
            report_unknown_properties(walk, attachment, item_path, _ATTACHMENT_PROPERTIES)
        for key in _REQUIRED_ATTACHMENT_PROPERTIES:
            if key not in attachment:
                walk.report(item_path + "." + key, "is required")
        if "usageType" in attachment:
            usage_type = attachment["usageType"]
            check_iri(walk, usage_type, item_path + ".usageType")
            # Data 2.6: a signature is a JWS attachment of type application/octet-stream.
            if (
                usage_type == ATTACHMENT_USAGE_SIGNATURE
                and attachment.get("contentType") != SIGNATURE_CONTENT_TYPE
            ):
                walk.report(
                    item_path + ".contentType",
                    f"a signature attachment must be {SIGNATURE_CONTENT_TYPE}",
                )
        if "display" in attachment:
            check_language_map(walk, attachment["display"], item_path + ".display")
        if "description" in attachment:
            check_language_map(walk, attachment["description"], item_path + ".description")
        if "contentType" in attachment:
            check_formatted(
                walk,
                attachment["contentType"],
                item_path + ".contentType",
                is_media_type,
                "an Internet media type",
            )
        if "length" in attachment:
            length = attachment["length"]
            if not _is_non_negative_integer(length):
                walk.report(item_path + ".length", type_rule("a non-negative integer", length))
        if "sha2" in attachment:
            check_formatted(
                walk,
                attachment["sha2"],
                item_path + ".sha2",
                is_sha2_hex,
                "a SHA-2 hex digest",
            )
        if "fileUrl" in attachment:
            check_iri(walk, attachment["fileUrl"], item_path + ".fileUrl")


def _is_non_negative_integer(value: object) -> bool:
    # JSON has one number type: 27 and 27.0 are the same integer.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, float) and value.is_integer() and value >= 0
