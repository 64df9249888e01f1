"""Moodle's language codes, repaired into the RFC 5646 tags they stand for.

Moodle names languages by its own codes — ``en``, ``zh_cn``, ``zh_tw``, ``pt_br`` — and the xAPI
log store plugin (logstore_xapi) copies the course language into ``context.language`` and into
the keys of language maps (activity names, verb displays). ``zh_cn`` is not an RFC 5646 tag
(xAPI 1.0.3 Data 2.4.6, 4.2), so a strict LRS refuses every batch from a Chinese Moodle site. This
module rewrites exactly that form — a two- or three-letter language, an underscore, a two-letter
region — into the tag it means (``zh-CN``) before validation. Anything else is left alone for the
validator to judge. The repaired statement is what Trellis stores and forwards, so a strict LRS
downstream accepts it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MOODLE_CODE = re.compile(r"([A-Za-z]{2,3})_([A-Za-z]{2})\Z")
_INTERACTION_COMPONENTS = ("choices", "scale", "source", "target", "steps")
_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")
# A Moodle code in JSON text is a whole string, "zh_cn", as a key or a value; an underscore
# written as an escape ("zh\u005fcn") hides from that pattern, so it counts too. The scan looks
# for the code's tail (`_cn"`) first: a pattern that starts with a literal underscore is found
# at memory speed, while one that starts with the quote is tried at each of JSON's many quotes
# (60 against 288 us for a batch of 100 Moodle statements; the whole check went from 358 to
# 122 us). The head of each tail found is then checked in Python; Moodle's text has few.
_CODE_TAIL = re.compile(rb'_[A-Za-z]{2}"')
_ESCAPED_UNDERSCORE = re.compile(rb"\\u005[fF]")
_QUOTE = ord('"')


def may_hold_moodle_codes(json_text: bytes) -> bool:
    """Whether JSON text could hold a Moodle language code at all: a string of two or three
    ASCII letters, an underscore and two more (``"zh_cn"``), or an escaped underscore.

    A scan of the raw text runs in C at memory speed, while :func:`repair_language_codes`
    walks every statement in Python; a batch for which this is False needs no repair. It may
    say True for a batch that needs none (a result response of "ab_cd", say): the repair then
    finds nothing to change.
    """
    if _ESCAPED_UNDERSCORE.search(json_text) is not None:
        return True
    for tail in _CODE_TAIL.finditer(json_text):
        underscore = tail.start()
        for letters in (2, 3):
            head = underscore - letters
            if head >= 1 and json_text[head - 1] == _QUOTE and json_text[head:underscore].isalpha():
                return True
    return False


def rfc5646_from_moodle(code: str) -> str:
    """``zh_cn`` → ``zh-CN``; anything that is not a Moodle ``ll_cc`` code is returned as is."""
    match = _MOODLE_CODE.match(code)
    if match is None:
        return code
    return f"{match.group(1).lower()}-{match.group(2).upper()}"


def repair_language_codes(body: Any) -> Any:
    """Return the statement (or batch) with Moodle language codes turned into RFC 5646 tags.

    Only the places the data model defines as language tags are touched: ``context.language``
    and the keys of language maps. Statements without such codes come back as the same
    objects; the input is never mutated.
    """
    if isinstance(body, list):
        repaired = [repair_language_codes(item) for item in body]
        return (
            body if all(new is old for new, old in zip(repaired, body, strict=True)) else repaired
        )
    if not isinstance(body, dict):
        return body
    return _statement(body)


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    verb = statement.get("verb")
    if isinstance(verb, dict):
        _set_if_changed(changes, "verb", verb, _with_map(verb, "display"))
    target = statement.get("object")
    if isinstance(target, dict):
        if target.get("objectType") == "SubStatement":
            _set_if_changed(changes, "object", target, _statement(target))
        else:
            _set_if_changed(changes, "object", target, _activity(target))
    context = statement.get("context")
    if isinstance(context, dict):
        _set_if_changed(changes, "context", context, _context(context))
    attachments = statement.get("attachments")
    if isinstance(attachments, list):
        repaired = [_attachment(item) for item in attachments]
        if any(new is not old for new, old in zip(repaired, attachments, strict=True)):
            changes["attachments"] = repaired
    return {**statement, **changes} if changes else statement


def _context(context: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    language = context.get("language")
    if isinstance(language, str) and rfc5646_from_moodle(language) != language:
        changes["language"] = rfc5646_from_moodle(language)
    activities = context.get("contextActivities")
    if isinstance(activities, dict):
        repaired_kinds: dict[str, Any] = {}
        for kind in _CONTEXT_ACTIVITY_KINDS:
            value = activities.get(kind)
            if isinstance(value, dict):
                _set_if_changed(repaired_kinds, kind, value, _activity(value))
            elif isinstance(value, list):
                repaired = [_activity(item) if isinstance(item, dict) else item for item in value]
                if any(new is not old for new, old in zip(repaired, value, strict=True)):
                    repaired_kinds[kind] = repaired
        if repaired_kinds:
            changes["contextActivities"] = {**activities, **repaired_kinds}
    return {**context, **changes} if changes else context


def _activity(activity: dict[str, Any]) -> dict[str, Any]:
    definition = activity.get("definition")
    if not isinstance(definition, dict):
        return activity
    repaired = _with_map(_with_map(definition, "name"), "description")
    for component in _INTERACTION_COMPONENTS:
        items = repaired.get(component)
        if isinstance(items, list):
            fixed = [
                _with_map(item, "description") if isinstance(item, dict) else item for item in items
            ]
            if any(new is not old for new, old in zip(fixed, items, strict=True)):
                repaired = {**repaired, component: fixed}
    return activity if repaired is definition else {**activity, "definition": repaired}


def _attachment(attachment: Any) -> Any:
    if not isinstance(attachment, dict):
        return attachment
    return _with_map(_with_map(attachment, "display"), "description")


def _with_map(node: dict[str, Any], key: str) -> dict[str, Any]:
    language_map = node.get(key)
    if not isinstance(language_map, Mapping):
        return node
    repaired = _repaired_map(language_map)
    return node if repaired is language_map else {**node, key: repaired}


def _repaired_map(language_map: Mapping[Any, Any]) -> Mapping[Any, Any]:
    if not any(isinstance(tag, str) and _MOODLE_CODE.match(tag) for tag in language_map):
        return language_map
    repaired: dict[Any, Any] = {}
    for tag, text in language_map.items():
        proper = rfc5646_from_moodle(tag) if isinstance(tag, str) else tag
        # A map that already has the proper tag keeps its own entry for it.
        if proper not in language_map or proper == tag:
            repaired.setdefault(proper, text)
    return repaired


def _set_if_changed(changes: dict[str, Any], key: str, old: Any, new: Any) -> None:
    if new is not old:
        changes[key] = new
