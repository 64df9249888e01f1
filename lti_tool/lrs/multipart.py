"""multipart/mixed bodies of statements with attachments (xAPI 1.0.3 Communication 1.5.2).

The first part is the statement (or batch) as application/json; every other part is one
attachment's raw content, named by its ``X-Experience-API-Hash`` (the SHA-256 in the statement's
``attachments[].sha2``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from lti_tool.lrs.protocol import bad_request

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
HASH_HEADER = "x-experience-api-hash"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart body: lowercase header names and the raw content."""

    headers: dict[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        """The part's media type without parameters, lowercase."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def boundary_of(content_type_header: str) -> str:
    """The boundary parameter of a multipart Content-Type header.

    Raises:
        StatementValidationError: when there is none (400).
    """
    match = _BOUNDARY.search(content_type_header)
    if match is None:
        raise bad_request("Content-Type", "multipart/mixed needs a boundary parameter")
    return match.group(1) or match.group(2)


def parse_multipart(body: bytes, boundary: str) -> list[Part]:
    """Split a multipart body into its parts (RFC 2046 5.1.1).

    Raises:
        StatementValidationError: when the body does not follow the boundary structure (400).
    """
    delimiter = b"--" + boundary.encode("latin-1")
    if not body.startswith(delimiter) and b"\r\n" + delimiter not in body:
        raise bad_request("$", "the multipart body has no part starting with its boundary")
    chunks = (b"\r\n" + body).split(b"\r\n" + delimiter)
    parts: list[Part] = []
    closed = False
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            closed = True
            break
        if not chunk.startswith(b"\r\n"):
            raise bad_request("$", "a multipart boundary is not followed by a line break")
        head, separator, content = chunk[2:].partition(b"\r\n\r\n")
        if not separator:
            if head.endswith(b"\r\n") or head == b"":
                head, content = head, b""
            else:
                raise bad_request("$", "a multipart part has no blank line after its headers")
        parts.append(Part(headers=_headers(head), content=content))
    if not closed:
        raise bad_request("$", "the multipart body does not end with its closing boundary")
    if not parts:
        raise bad_request("$", "the multipart body has no parts")
    return parts


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("latin-1").split("\r\n"):
        if not line.strip():
            continue
        name, separator, value = line.partition(":")
        if not separator:
            raise bad_request("$", f"malformed multipart header line {line[:40]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def build_multipart(
    first: bytes, attachments: Iterable[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    """Build a multipart/mixed body: JSON first, then ``(sha2, content type, content)`` parts.

    Returns:
        The body and its Content-Type header value.
    """
    boundary = f"trellis-{secrets.token_hex(12)}"
    delimiter = f"--{boundary}\r\n".encode("ascii")
    pieces = [delimiter, b"Content-Type: application/json\r\n\r\n", first, b"\r\n"]
    for sha2, content_type, content in attachments:
        pieces += [
            delimiter,
            f"Content-Type: {content_type}\r\n".encode("latin-1"),
            b"Content-Transfer-Encoding: binary\r\n",
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode("ascii"),
            content,
            b"\r\n",
        ]
    pieces.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(pieces), f'multipart/mixed; boundary="{boundary}"'
