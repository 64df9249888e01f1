"""What a storage layer indexes for the GET /statements filters (xAPI 1.0.3 Communication
2.1.3): agent, verb, activity, registration, related_activities, related_agents, voiding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from xapi.vocabulary import VERB_VOIDED


@dataclass(frozen=True, slots=True)
class IndexKeys:
    """The filterable values of one normalised statement.

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


def _keys_with_members(agent: Mapping[str, Any]) -> Iterator[str]:
    key = agent_key(agent)
    if key is not None:
        yield key
    for member in agent.get("member", ()):
        member_key = agent_key(member)
        if member_key is not None:
            yield member_key


def _object_agent(statement: Mapping[str, Any]) -> Mapping[str, Any] | None:
    target = statement["object"]
    return target if target.get("objectType") in ("Agent", "Group") else None


def _direct_agents(statement: Mapping[str, Any]) -> set[str]:
    keys = set(_keys_with_members(statement["actor"]))
    target = _object_agent(statement)
    if target is not None:
        keys.update(_keys_with_members(target))
    return keys


def _related_agents(statement: Mapping[str, Any], direct: set[str]) -> set[str]:
    keys = set(direct)
    authority = statement.get("authority")
    if authority is not None:
        keys.update(_keys_with_members(authority))
    context = statement.get("context") or {}
    for role in ("instructor", "team"):
        if role in context:
            keys.update(_keys_with_members(context[role]))
    for entry in context.get("contextAgents", ()):
        keys.update(_keys_with_members(entry["agent"]))
    for entry in context.get("contextGroups", ()):
        keys.update(_keys_with_members(entry["group"]))
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
    context = statement.get("context") or {}
    for activities in context.get("contextActivities", {}).values():
        for activity in activities if type(activities) is list else (activities,):
            ids.add(activity["id"])
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
