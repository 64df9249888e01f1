"""String formats the xAPI data model requires: IRIs, UUIDs, language tags, timestamps, durations.

Every checker is a precompiled regular expression (plus a calendar check for timestamps), so
validating a statement never builds intermediate objects. "Best effort" is what the
specification allows for IRIs and language tags (xAPI 1.0.3 Data 2.2: "The LRS MAY use
best-effort validation for IRL and IRI formats ... and for language map keys").
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

# RFC 3987 IRI, best effort (xAPI 1.0.3 Data 2.2: reject "IRL or IRI values without a scheme").
# A scheme, a colon, then at least one character that may appear in an IRI (no whitespace,
# no controls, none of the characters RFC 3987 excludes outright).
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")

# RFC 4122 textual form; case-insensitive (xAPI 1.0.3 Data 4.1 "UUID").
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# xAPI 1.0.3 Data 2.4.2.3: mbox is a "mailto IRI"; we require one address with an "@".
_MAILTO = re.compile(r"mailto:[^@\s:/?#]+@[^@\s/?#]+")

_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
# SHA-2 family digests: SHA-224, SHA-256, SHA-384, SHA-512 in hex.
_SHA2_HEX = re.compile(r"(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})")

# RFC 2046 media type, parameters not parsed further.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(?:\s*;.*)?", re.DOTALL)

# RFC 5646 Language-Tag (section 2.1 ABNF), including the irregular grandfathered tags.
_ALNUM = "[A-Za-z0-9]"
_LANGUAGE = r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
_SCRIPT = r"(?:-[A-Za-z]{4})?"
_REGION = r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
_VARIANTS = rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"
_EXTENSIONS = rf"(?:-[0-9A-WYZa-wyz](?:-{_ALNUM}{{2,8}})+)*"
_PRIVATE_USE = rf"[xX](?:-{_ALNUM}{{1,8}})+"
_IRREGULAR = (
    "en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|"
    "i-pwn|i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE"
)
_LANGUAGE_TAG = re.compile(
    rf"{_LANGUAGE}{_SCRIPT}{_REGION}{_VARIANTS}{_EXTENSIONS}(?:-{_PRIVATE_USE})?"
    rf"|{_PRIVATE_USE}|(?i:{_IRREGULAR})"
)

# ISO 8601 duration (xAPI 1.0.3 Data 4.6): PnYnMnDTnHnMnS or PnW; weeks do not combine with
# other units (the conformance suite rejects "P4W1D"); "T" needs at least one time unit.
_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W"
    rf"|(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)",
    re.ASCII,
)

# ISO 8601 / RFC 3339 combined date and time. The offset is optional in 1.0.3 (ISO 8601
# allows local time) and required in 2.0 (RFC 3339 "time-offset"). RFC 3339 4.3's "-00:00"
# (unknown offset) is rejected in every form, as the conformance suite demands.
_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([Zz]|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_UNKNOWN_OFFSETS = frozenset({"-00", "-0000", "-00:00"})


def _matches_iri(value: str) -> bool:
    return _IRI.fullmatch(value) is not None


# The same few IRIs (verbs, activity types, site and course ids, extension keys) recur in
# nearly every statement; a bounded cache answers them without a regex. Only short values are
# cached, so a stream of huge unique IRIs cannot pin memory.
_matches_iri_cached = functools.lru_cache(maxsize=8192)(_matches_iri)
_CACHED_IRI_LENGTH = 512


def is_iri(value: str) -> bool:
    """Whether ``value`` looks like an absolute IRI (RFC 3987, best effort)."""
    if len(value) <= _CACHED_IRI_LENGTH:
        return _matches_iri_cached(value)
    return _IRI.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID in RFC 4122 textual form (any case)."""
    return _UUID.fullmatch(value) is not None


def is_mailto_iri(value: str) -> bool:
    """Whether ``value`` is a ``mailto:`` IRI with one address."""
    return _MAILTO.fullmatch(value) is not None


def is_sha1_hex(value: str) -> bool:
    """Whether ``value`` is a SHA-1 digest in hex (40 digits)."""
    return _SHA1_HEX.fullmatch(value) is not None


def is_sha2_hex(value: str) -> bool:
    """Whether ``value`` is a SHA-2 family digest in hex (224, 256, 384 or 512 bits)."""
    return _SHA2_HEX.fullmatch(value) is not None


def is_media_type(value: str) -> bool:
    """Whether ``value`` is an Internet media type such as ``text/plain; charset=ascii``."""
    return _MEDIA_TYPE.fullmatch(value) is not None


def _matches_language_tag(value: str) -> bool:
    return _LANGUAGE_TAG.fullmatch(value) is not None


_matches_language_tag_cached = functools.lru_cache(maxsize=1024)(_matches_language_tag)


def is_language_tag(value: str) -> bool:
    """Whether ``value`` is an RFC 5646 language tag (syntax only, no registry lookup)."""
    # The longest tags worth caching are far below 64 characters.
    if len(value) <= 64:
        return _matches_language_tag_cached(value)
    return _LANGUAGE_TAG.fullmatch(value) is not None


def is_duration(value: str) -> bool:
    """Whether ``value`` is an ISO 8601 duration as xAPI uses them."""
    return _DURATION.fullmatch(value) is not None


def parse_timestamp(value: str, *, offset_required: bool = False) -> datetime | None:
    """Parse an xAPI timestamp.

    Args:
        value: The string from a statement or a query parameter.
        offset_required: True under xAPI 2.0, where timestamps are RFC 3339 and carry an offset.

    Returns:
        An aware datetime (a missing offset means UTC), or None when ``value`` is not a valid
        timestamp: bad syntax, an impossible calendar date or time, or the unknown offset ``-00``.
    """
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    date_part, time_part, offset = match.groups()
    if offset is None:
        if offset_required:
            return None
        offset = "+00:00"
    elif offset in _UNKNOWN_OFFSETS:
        return None
    elif offset in ("Z", "z"):
        offset = "+00:00"
    try:
        parsed = datetime.fromisoformat(f"{date_part}T{time_part}{offset}")
    except ValueError:
        return None
    return parsed


@functools.lru_cache(maxsize=256)
def format_timestamp(moment: datetime) -> str:
    """Render an aware datetime as the UTC timestamp an LRS stores: ``2024-05-01T08:00:00.123Z``.

    Millisecond precision is what xAPI requires an LRS to keep (xAPI 1.0.3 Data 4.5). Cached:
    every statement of a batch is stored at the same moment. Equal instants in other zones
    share an entry, which is right, since the text is the UTC one.
    """
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
