"""Attachment parts of a multipart/mixed statements request (xAPI 1.0.3 Data 2.4.11,
Communication 1.5.2), checked after the HTTP layer has split the body into parts.

The first part (the statements, application/json) is the HTTP layer's; this module checks
the others against the ``attachments`` the statements declare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xapi.errors import Problem, StatementValidationError

_DIGESTS_BY_HEX_LENGTH = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}


@dataclass(frozen=True, slots=True)
class AttachmentPart:
    """One non-first part of a multipart/mixed request.

    Attributes:
        content: The raw bytes of the part.
        content_type: Its Content-Type header, if any.
        hash_header: Its X-Experience-API-Hash header, if any.
        transfer_encoding: Its Content-Transfer-Encoding header, if any.
    """

    content: bytes
    content_type: str | None = None
    hash_header: str | None = None
    transfer_encoding: str | None = None


def _declared_attachments(statements: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for statement in statements:
        yield from statement.get("attachments", ())
        target = statement.get("object", {})
        if target.get("objectType") == "SubStatement":
            yield from target.get("attachments", ())


def hashes_requiring_parts(statements: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The sha2 of every attachment without ``fileUrl``: its data must come as a part
    (Data 2.4.11; a JSON-only request with such an attachment gets 400).

    Args:
        statements: Valid statements of one request.
    """
    return frozenset(
        attachment["sha2"].lower()
        for attachment in _declared_attachments(statements)
        if "fileUrl" not in attachment
    )


def _digest_of(content: bytes, declared: str) -> str | None:
    algorithm = _DIGESTS_BY_HEX_LENGTH.get(len(declared))
    return hashlib.new(algorithm, content).hexdigest() if algorithm else None


def check_attachment_parts(
    statements: Sequence[Mapping[str, Any]],
    parts: Sequence[AttachmentPart],
) -> dict[str, bytes]:
    """Match the parts to the declared attachments.

    Rules (Communication 1.5.2, conformance XAPI-00128 to XAPI-00135): every part has an
    ``X-Experience-API-Hash`` equal to the digest of its content and
    ``Content-Transfer-Encoding: binary`` (the 2.0 suite still demands it); every part
    belongs to a declared attachment (no excess parts); every attachment without ``fileUrl``
    has a part.

    Args:
        statements: The valid statements of the request.
        parts: The parts after the first, in order.

    Returns:
        The content of each part by its hash (lowercase), for storage.

    Raises:
        StatementValidationError: Paths are ``parts[i]`` or ``attachments`` (answer 400).
    """
    problems: list[Problem] = []
    declared = {attachment["sha2"].lower() for attachment in _declared_attachments(statements)}
    contents: dict[str, bytes] = {}
    for index, part in enumerate(parts):
        path = f"parts[{index}]"
        if (part.transfer_encoding or "").strip().lower() != "binary":
            problems.append(Problem(path, "Content-Transfer-Encoding must be binary"))
        if not part.hash_header:
            problems.append(Problem(path, "X-Experience-API-Hash header is required"))
            continue
        declared_hash = part.hash_header.strip().lower()
        if _digest_of(part.content, declared_hash) != declared_hash:
            problems.append(Problem(path, "X-Experience-API-Hash does not match the content"))
        elif declared_hash not in declared:
            problems.append(Problem(path, "matches no attachment of the statements"))
        else:
            contents[declared_hash] = part.content
    missing = hashes_requiring_parts(statements) - contents.keys()
    if missing and not problems:
        problems.append(
            Problem("attachments", f"{len(missing)} attachment(s) without fileUrl have no part")
        )
    if problems:
        raise StatementValidationError(problems)
    return contents
