"""Agents and Groups wherever they appear: actor, instructor, team, authority, object
(xAPI 1.0.3 Data 2.4.2)."""

from __future__ import annotations

from typing import Any

from xapi.syntax import is_mailto_iri, is_sha1_hex
from xapi.validation._walk import (
    Walk,
    check_iri,
    check_string,
    report_unknown_properties,
    type_rule,
)

#: Data 2.4.2.3: the Inverse Functional Identifiers.
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_PROPERTIES = frozenset({"objectType", "name", *IFI_PROPERTIES})
_GROUP_PROPERTIES = frozenset({"objectType", "name", "member", *IFI_PROPERTIES})
_ACCOUNT_PROPERTIES = frozenset({"homePage", "name"})


def _check_account(walk: Walk, account: object, path: str) -> None:
    # Data 2.4.2.4: homePage (IRL) and name (string) are both required; nothing else.
    if type(account) is not dict:
        walk.report(path, type_rule("an object", account))
        return
    if not account.keys() <= _ACCOUNT_PROPERTIES:
        report_unknown_properties(walk, account, path, _ACCOUNT_PROPERTIES)
    if "homePage" in account:
        check_iri(walk, account["homePage"], path + ".homePage")
    else:
        walk.report(path + ".homePage", "is required")
    if "name" in account:
        check_string(walk, account["name"], path + ".name")
    else:
        walk.report(path + ".name", "is required")


def _check_ifis(walk: Walk, node: dict[str, Any], path: str) -> int:
    """Check each IFI present and return how many there are (Data 2.4.2.3)."""
    count = 0
    if "mbox" in node:
        count += 1
        mbox = node["mbox"]
        if type(mbox) is not str:
            walk.report(path + ".mbox", type_rule("a string", mbox))
        elif not is_mailto_iri(mbox):
            walk.report(path + ".mbox", "not a mailto IRI")
    if "mbox_sha1sum" in node:
        count += 1
        digest = node["mbox_sha1sum"]
        if type(digest) is not str:
            walk.report(path + ".mbox_sha1sum", type_rule("a string", digest))
        elif not is_sha1_hex(digest):
            walk.report(path + ".mbox_sha1sum", "not a SHA-1 hex digest")
    if "openid" in node:
        count += 1
        check_iri(walk, node["openid"], path + ".openid")
    if "account" in node:
        count += 1
        _check_account(walk, node["account"], path + ".account")
    return count


def check_agent(walk: Walk, node: dict[str, Any], path: str) -> None:
    """An Agent whose objectType (if any) is already known to be "Agent" (Data 2.4.2.1)."""
    if not node.keys() <= _AGENT_PROPERTIES:
        report_unknown_properties(walk, node, path, _AGENT_PROPERTIES)
    if "name" in node:
        check_string(walk, node["name"], path + ".name")
    if _check_ifis(walk, node, path) != 1:
        walk.report(path, "must have exactly one inverse functional identifier")


def check_group(walk: Walk, node: dict[str, Any], path: str, *, identified: bool = False) -> int:
    """A Group (Data 2.4.2.2); returns the number of members, -1 if ``member`` is unusable.

    Args:
        walk: The running validation.
        node: The group object; its objectType is already known to be "Group".
        path: Where it sits.
        identified: True where only an Identified Group will do.
    """
    if not node.keys() <= _GROUP_PROPERTIES:
        report_unknown_properties(walk, node, path, _GROUP_PROPERTIES)
    if "name" in node:
        check_string(walk, node["name"], path + ".name")
    ifi_count = _check_ifis(walk, node, path)
    if ifi_count > 1:
        walk.report(path, "must have at most one inverse functional identifier")
    elif ifi_count == 0 and identified:
        walk.report(path, "must be an identified group")
    member_path = path + ".member"
    if "member" not in node:
        if ifi_count == 0:
            # Data 2.4.2.2: an Anonymous Group MUST include a "member" property.
            walk.report(member_path, "is required for an anonymous group")
        return 0
    members = node["member"]
    if type(members) is not list:
        walk.report(member_path, type_rule("an array", members))
        return -1
    for index, member in enumerate(members):
        # Data 2.4.2.2: "member" is a list of Agents; a Group MUST NOT contain Group Objects.
        item_path = f"{member_path}[{index}]"
        if type(member) is not dict:
            walk.report(item_path, type_rule("an object", member))
        elif member.get("objectType", "Agent") != "Agent":
            walk.report(item_path + ".objectType", "must be Agent")
        else:
            check_agent(walk, member, item_path)
    return len(members)


def check_actor(walk: Walk, node: object, path: str) -> None:
    """An Agent or Group where either may appear: actor, instructor (Data 2.4.2, 2.4.6)."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    object_type = node.get("objectType", "Agent")
    if object_type == "Agent":
        check_agent(walk, node, path)
    elif object_type == "Group":
        check_group(walk, node, path)
    else:
        walk.report(path + ".objectType", "must be Agent or Group")


def check_agent_only(walk: Walk, node: object, path: str) -> None:
    """Where only an Agent may appear (xAPI 2.0 contextAgents[].agent)."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
    elif node.get("objectType", "Agent") != "Agent":
        walk.report(path + ".objectType", "must be Agent")
    else:
        check_agent(walk, node, path)


def check_group_only(walk: Walk, node: object, path: str) -> None:
    """Where only a Group may appear: context.team (Data 2.4.6), contextGroups[].group (2.0)."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
    elif node.get("objectType") != "Group":
        walk.report(path + ".objectType", "must be Group")
    else:
        check_group(walk, node, path)


def check_authority(walk: Walk, node: object, path: str) -> None:
    """Data 2.4.9: an Agent, or an anonymous Group of exactly two Agents (OAuth consumer + user)."""
    if type(node) is not dict:
        walk.report(path, type_rule("an object", node))
        return
    object_type = node.get("objectType", "Agent")
    if object_type == "Agent":
        check_agent(walk, node, path)
    elif object_type == "Group":
        if any(ifi in node for ifi in IFI_PROPERTIES):
            walk.report(path, "a group authority must be anonymous")
        if check_group(walk, node, path) not in (-1, 2):
            walk.report(path + ".member", "a group authority must have exactly two members")
    else:
        walk.report(path + ".objectType", "must be Agent or Group")
