"""What a storage layer indexes for the GET /statements filters (xAPI 1.0.3 Communication
2.1.3): agent, verb, activity, registration, related_activities, related_agents, voiding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from xapi.vocabulary import VERB_VOIDED


class IndexKeys(NamedTuple):
    """The filterable values of one normalised statement (a named tuple: made for every
    statement stored, where a frozen dataclass's construction cost four times as much).

    Attributes:
        statement_id: The statement id, lowercase.
        actor: The actor's IFI key (see :func:`agent_key`); None for an anonymous group.
        agents: Keys matched by the ``agent`` filter: the actor and an Agent/Group object,
            plus the members of those groups ("Groups that have members which match the
            specified Agent ... are considered a match").
        related_agents: Keys matched by ``agent`` with ``related_agents=true``: also the
            authority, instructor, team (2.0: context agents and groups), and all of these in
            a contained SubStatement.
        verb: The verb id.
        activity: The object's id when the object is an Activity (the ``activity`` filter).
        related_activities: Ids matched by ``activity`` with ``related_activities=true``: the
            object, every context Activity, and those of a contained SubStatement.
        registration: context.registration, lowercase.
        statement_ref: The id of a StatementRef object, lowercase: a filter that the target
            statement meets is met by this one too ("Filter Conditions for StatementRefs").
        voided_statement_id: The id this statement voids, when its verb is ``voided``.
    """

    statement_id: str
    actor: str | None
    agents: frozenset[str]
    related_agents: frozenset[str]
    verb: str
    activity: str | None
    related_activities: frozenset[str]
    registration: str | None
    statement_ref: str | None
    voided_statement_id: str | None


def agent_key(agent: Mapping[str, Any]) -> str | None:
    """The canonical string of an Agent's or Identified Group's IFI, None without one.

    Forms: ``mbox:mailto:a@b.c`` (domain lowercased, as it is case-insensitive),
    ``mbox_sha1sum:<hex, lowercase>``, ``openid:<uri>``, ``account:<homePage>|<name>``.
    Use the same function on the ``agent`` query parameter to look statements up.

    Args:
        agent: A valid Agent or Group object.
    """
    mbox = agent.get("mbox")
    if mbox is not None:
        local, _, domain = mbox.rpartition("@")
        return f"mbox:{local}@{domain.lower()}"
    digest = agent.get("mbox_sha1sum")
    if digest is not None:
        return f"mbox_sha1sum:{digest.lower()}"
    openid = agent.get("openid")
    if openid is not None:
        return f"openid:{openid}"
    account = agent.get("account")
    if account is not None:
        return f"account:{account['homePage']}|{account['name']}"
    return None


def _add_keys(agent: Mapping[str, Any], keys: set[str]) -> None:
    """Add the keys of an Agent or Group and of a Group's members to ``keys``.

    Called a few times for every statement stored, so it adds in place rather than yielding.
    """
    key = agent_key(agent)
    if key is not None:
        keys.add(key)
    members = agent.get("member")
    if members:
        for member in members:
            member_key = agent_key(member)
            if member_key is not None:
                keys.add(member_key)


def _direct_agents(statement: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    _add_keys(statement["actor"], keys)
    target = statement["object"]
    if target.get("objectType") in ("Agent", "Group"):
        _add_keys(target, keys)
    return keys


def _related_agents(statement: Mapping[str, Any], direct: set[str]) -> set[str]:
    keys = set(direct)
    authority = statement.get("authority")
    if authority is not None:
        _add_keys(authority, keys)
    context = statement.get("context")
    if context:
        instructor = context.get("instructor")
        if instructor is not None:
            _add_keys(instructor, keys)
        team = context.get("team")
        if team is not None:
            _add_keys(team, keys)
        for entry in context.get("contextAgents", ()):
            _add_keys(entry["agent"], keys)
        for entry in context.get("contextGroups", ()):
            _add_keys(entry["group"], keys)
    target = statement["object"]
    if target.get("objectType") == "SubStatement":
        keys.update(_related_agents(target, _direct_agents(target)))
    return keys


def _related_activities(statement: Mapping[str, Any]) -> set[str]:
    ids: set[str] = set()
    target = statement["object"]
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        ids.add(target["id"])
    elif object_type == "SubStatement":
        ids.update(_related_activities(target))
    context = statement.get("context")
    if context:
        for activities in context.get("contextActivities", {}).values():
            if type(activities) is list:
                for activity in activities:
                    ids.add(activity["id"])
            else:
                ids.add(activities["id"])
    return ids


def index_keys(statement: Mapping[str, Any]) -> IndexKeys:
    """Extract the values a storage layer indexes from a normalised statement.

    Args:
        statement: A statement after :func:`xapi.normalise.normalise_statement` (it has an id).

    Returns:
        The frozen set of filterable values.
    """
    target = statement["object"]
    object_type = target.get("objectType", "Activity")
    verb_id = statement["verb"]["id"]
    statement_ref = target["id"].lower() if object_type == "StatementRef" else None
    context = statement.get("context") or {}
    registration = context.get("registration")
    direct_agents = _direct_agents(statement)
    return IndexKeys(
        statement_id=statement["id"].lower(),
        actor=agent_key(statement["actor"]),
        agents=frozenset(direct_agents),
        related_agents=frozenset(_related_agents(statement, direct_agents)),
        verb=verb_id,
        activity=target["id"] if object_type == "Activity" else None,
        related_activities=frozenset(_related_activities(statement)),
        registration=registration.lower() if registration is not None else None,
        statement_ref=statement_ref,
        voided_statement_id=statement_ref if verb_id == VERB_VOIDED else None,
    )
