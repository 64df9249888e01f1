"""Statement comparison for an idempotent re-POST (xAPI 1.0.3 Data 2.3.1 "Statement Comparison
Requirements").

Re-sending a statement with an id the LRS already holds is accepted when the two statements
match, and a conflict (409) otherwise. Differences that Statement Immutability's exceptions
could cause MUST be ignored; every other difference counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from xapi.syntax import parse_timestamp
from xapi.versions import XapiVersion

# Data 2.3.1 exceptions: properties the LRS may assign ("id", "authority", "stored",
# "timestamp" [handled separately], "version") and attachments, which are not part of
# the statement.
_IGNORED_STATEMENT_PROPERTIES = frozenset(
    {"id", "authority", "stored", "timestamp", "version", "attachments"}
)
_IGNORED_SUBSTATEMENT_PROPERTIES = frozenset({"attachments"})

# IEEE 9274.1.1 4.2.7: seconds beyond hundredths are not compared ("PT0.1237S" ~ "PT0.12S").
_SECONDS_FRACTION = re.compile(r"([.,][0-9]{1,2})[0-9]*S\Z")


def statements_match(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    version: XapiVersion = XapiVersion.V1_0_3,
) -> bool:
    """Whether two statements are the same statement under the comparison rules.

    Ignored (Data 2.3.1): id, authority, stored, version and attachments; the timestamp
    unless both carry one (then compared as instants, not as text); Activity Definitions and
    Verb ``display`` (not part of the statement); omitted default objectTypes; the order of
    Group members; contextActivities given as one Activity or as an array of one; case in
    UUIDs, SHA-1 sums and the domain of mbox addresses. ``result.duration`` is compared as a
    string, as the specification requires; under 2.0 without the seconds' digits beyond
    hundredths (IEEE 9274.1.1 4.2.7).

    Args:
        first: A valid statement, e.g. the stored one.
        second: A valid statement, e.g. the one re-POSTed.
        version: The negotiated xAPI version.

    Returns:
        True when a re-POST of ``second`` over ``first`` is not a conflict.
    """
    first_timestamp, second_timestamp = first.get("timestamp"), second.get("timestamp")
    if (
        first_timestamp is not None
        and second_timestamp is not None
        and parse_timestamp(first_timestamp) != parse_timestamp(second_timestamp)
    ):
        return False
    return comparable_form(first, version) == comparable_form(second, version)


def comparable_form(
    statement: Mapping[str, Any], version: XapiVersion = XapiVersion.V1_0_3
) -> dict[str, Any]:
    """The parts of a statement that comparison looks at, in one canonical shape.

    Args:
        statement: A valid statement.
        version: The negotiated xAPI version.

    Returns:
        A new dict; two statements match when their forms are equal (and their timestamps
        denote the same instant, see :func:`statements_match`).
    """
    return _core_form(statement, _IGNORED_STATEMENT_PROPERTIES, version.is_2_0)


def _core_form(
    statement: Mapping[str, Any], ignored: frozenset[str], is_2_0: bool
) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for key, value in statement.items():
        if key in ignored:
            continue
        if key == "timestamp":
            # Only a SubStatement's timestamp gets here: compared as an instant (Data 2.3.1,
            # "Serialization of Timestamp data" is an exception to immutability).
            form[key] = parse_timestamp(value)
        elif key == "actor":
            form[key] = _agent_form(value)
        elif key == "verb":
            form[key] = value["id"]
        elif key == "object":
            form[key] = _object_form(value, is_2_0)
        elif key == "context":
            form[key] = _context_form(value)
        elif key == "result" and is_2_0 and "duration" in value:
            duration = _SECONDS_FRACTION.sub(r"\1S", value["duration"])
            form[key] = {**value, "duration": duration}
        else:
            form[key] = value
    return form


def _object_form(target: Mapping[str, Any], is_2_0: bool) -> Any:
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        return ("Activity", target["id"])
    if object_type in ("Agent", "Group"):
        return _agent_form(target)
    if object_type == "StatementRef":
        return ("StatementRef", target["id"].lower())
    return ("SubStatement", _core_form(target, _IGNORED_SUBSTATEMENT_PROPERTIES, is_2_0))


def _agent_form(agent: Mapping[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {"objectType": agent.get("objectType", "Agent")}
    for key, value in agent.items():
        if key == "mbox":
            form[key] = _mbox_form(value)
        elif key == "mbox_sha1sum":
            form[key] = value.lower()
        elif key == "member":
            # Data 2.3.1: Group members are not an ordered list.
            members = [_agent_form(member) for member in value]
            form[key] = sorted(members, key=lambda member: json.dumps(member, sort_keys=True))
        elif key != "objectType":
            form[key] = value
    return form


def _mbox_form(mbox: str) -> str:
    # Data 2.3.1: "the domain portion of an e-mail address is case insensitive".
    local, _, domain = mbox.rpartition("@")
    return f"{local}@{domain.lower()}"


def _context_form(context: Mapping[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for key, value in context.items():
        if key == "registration":
            form[key] = value.lower()
        elif key in ("instructor", "team"):
            form[key] = _agent_form(value)
        elif key == "statement":
            form[key] = value["id"].lower()
        elif key == "contextActivities":
            form[key] = {
                kind: [activity["id"] for activity in (items if type(items) is list else [items])]
                for kind, items in value.items()
            }
        elif key == "contextAgents":
            form[key] = [{**entry, "agent": _agent_form(entry["agent"])} for entry in value]
        elif key == "contextGroups":
            form[key] = [{**entry, "group": _agent_form(entry["group"])} for entry in value]
        else:
            form[key] = value
    return form
