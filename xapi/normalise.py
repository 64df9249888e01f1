"""Turn a validated statement into the statement an LRS stores (xAPI 1.0.3 Data 2.4).

A pure function: the clock, the credential's authority and the id generator are parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from xapi.statement_ids import time_ordered_id
from xapi.syntax import format_timestamp, parse_timestamp
from xapi.versions import XapiVersion

#: Data 2.4.10: "If not provided, the LRS MUST set version to 1.0.0" (2.0: "2.0.0").
DEFAULT_STATEMENT_VERSION = {XapiVersion.V1_0_3: "1.0.0", XapiVersion.V2_0_0: "2.0.0"}


def normalise_statement(
    statement: Mapping[str, Any],
    *,
    stored: datetime,
    authority: Mapping[str, Any],
    version: XapiVersion = XapiVersion.V1_0_3,
    new_id: Callable[[], str] = time_ordered_id,
) -> dict[str, Any]:
    """Return the statement as the LRS will store it; the input is never mutated.

    - ``id``: kept, or a new UUID when missing (Data 2.4.1), time-ordered
      (:mod:`xapi.statement_ids`).
    - ``stored``: the given moment, always set by the LRS (Data 2.4.8).
    - ``timestamp``: defaults to ``stored`` (Data 2.4.7); under 2.0 converted to UTC.
    - ``authority``: always the credential's, never trusted from the body (Data 2.4.9).
    - ``version``: kept, or the negotiated default (Data 2.4.10).
    - ``context.contextActivities``: single Activities become one-element arrays
      (Data 2.4.6.2: "the LRS MUST return single Activity Objects as an array").

    The result is a new top-level dict; unchanged nested values are shared with the input,
    so treat both as immutable (copying every node would cost more than validating it).

    Args:
        statement: A statement that passed :func:`xapi.validation.validate_statement`.
        stored: When the LRS received it (an aware datetime).
        authority: The Agent or Group the request's credential stands for.
        version: The negotiated xAPI version.
        new_id: Source of statement ids for statements without one.

    Returns:
        The statement to store.
    """
    stored_text = format_timestamp(stored)
    normalised = _normalise_core(statement, convert_to_utc=version.is_2_0)
    normalised["id"] = statement.get("id") or new_id()
    normalised["stored"] = stored_text
    normalised.setdefault("timestamp", stored_text)
    normalised["authority"] = dict(authority)
    normalised.setdefault("version", DEFAULT_STATEMENT_VERSION[version])
    return normalised


def _normalise_core(statement: Mapping[str, Any], *, convert_to_utc: bool) -> dict[str, Any]:
    """Copy a Statement or SubStatement with its contextActivities as arrays and, when asked,
    its timestamp in UTC."""
    copied = dict(statement)
    context = copied.get("context")
    if context is not None and "contextActivities" in context:
        copied["context"] = _with_activity_arrays(context)
    target = copied.get("object")
    if target is not None and target.get("objectType") == "SubStatement":
        copied["object"] = _normalise_core(target, convert_to_utc=convert_to_utc)
    if convert_to_utc and "timestamp" in copied:
        copied["timestamp"] = timestamp_in_utc(copied["timestamp"])
    return copied


def _with_activity_arrays(context: Mapping[str, Any]) -> dict[str, Any]:
    context_activities = context["contextActivities"]
    if all(type(value) is list for value in context_activities.values()):
        return dict(context)
    as_arrays = {
        kind: value if type(value) is list else [value]
        for kind, value in context_activities.items()
    }
    return {**context, "contextActivities": as_arrays}


def timestamp_in_utc(value: str) -> str:
    """Rewrite a valid timestamp with an offset as the same instant in UTC (xAPI 2.0: RFC 3339
    timestamps with offsets are converted, not rejected). Fractional digits are kept as sent;
    a value already in UTC is returned unchanged.

    Args:
        value: A timestamp that passed validation.

    Returns:
        The UTC form, ending in ``Z``.
    """
    if value.endswith(("Z", "z")):
        return value
    moment = parse_timestamp(value)
    if moment is None:
        return value
    utc = moment.astimezone(UTC)
    fraction_start = value.find(".", 19)
    fraction = ""
    if fraction_start != -1:
        end = fraction_start + 1
        while end < len(value) and value[end].isdigit():
            end += 1
        fraction = value[fraction_start:end]
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
