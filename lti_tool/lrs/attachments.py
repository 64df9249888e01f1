"""Statement attachments: read them from a request, check them against the statements, store
them, and send them back (xAPI 1.0.3 Data 2.4.11, Data 2.6, Communication 1.5.2).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import insert_ignoring_conflicts
from lti_tool.lrs.multipart import HASH_HEADER, boundary_of, parse_multipart
from lti_tool.lrs.protocol import XapiRequest, bad_request
from lti_tool.models.lrs import Attachment
from xapi import json_codec
from xapi.attachments import AttachmentPart, check_attachment_parts
from xapi.signatures import check_signature, signature_attachment_index
from xapi.versions import XapiVersion

_JWS_HASHES: dict[str, hashes.HashAlgorithm] = {
    "RS256": hashes.SHA256(),
    "RS384": hashes.SHA384(),
    "RS512": hashes.SHA512(),
}


@dataclass(frozen=True, slots=True)
class StatementUpload:
    """The decoded statements of a POST or PUT and the attachment parts sent with them."""

    body: Any
    parts: Sequence[AttachmentPart] = ()
    text: bytes | None = None
    """The statements' JSON text as received, when it is at hand."""


def read_statement_upload(request: XapiRequest) -> StatementUpload:
    """Decode a statements request body, JSON or multipart/mixed (Communication 1.5.2).

    Raises:
        StatementValidationError: for a content type other than those two, or a multipart body
            whose first part is not the statements as JSON (400).
    """
    content_type = request.content_type
    if content_type == "application/json":
        return StatementUpload(body=request.json_body(), text=request.body)
    if content_type != "multipart/mixed":
        raise bad_request("Content-Type", "must be application/json or multipart/mixed")
    parts = parse_multipart(request.body, boundary_of(request.headers.get("Content-Type", "")))
    first, rest = parts[0], parts[1:]
    if first.content_type != "application/json":
        raise bad_request("parts[0]", "must be the statements as application/json")
    try:
        body = json_codec.loads(first.content)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("parts[0]", "not valid JSON") from None
    return StatementUpload(
        body=body,
        text=first.content,
        parts=tuple(
            AttachmentPart(
                content=part.content,
                content_type=part.headers.get("content-type"),
                hash_header=part.headers.get(HASH_HEADER),
                transfer_encoding=part.headers.get("content-transfer-encoding"),
            )
            for part in rest
        ),
    )


def check_attachments(
    statements: Sequence[Mapping[str, Any]],
    parts: Sequence[AttachmentPart],
    version: XapiVersion,
) -> dict[str, tuple[str, bytes]]:
    """Match parts to attachments and check every signature; return contents to store.

    Every signature must be a JWS of its statement (xapi.signatures) and, when it names its
    certificate (x5c), verify with it.

    Returns:
        ``(content type, content)`` by SHA-2 hash, the type as the statement declares it.

    Raises:
        StatementValidationError: naming the part or attachment and the rule (400).
    """
    contents = check_attachment_parts(statements, parts)
    declared_types: dict[str, str] = {}
    for index, statement in enumerate(statements):
        for attachment in statement.get("attachments", ()):
            declared_types.setdefault(attachment["sha2"].lower(), attachment["contentType"])
        signature_index = signature_attachment_index(statement)
        if signature_index is None:
            continue
        path = (
            f"[{index}].attachments[{signature_index}]"
            if len(statements) > 1
            else (f"attachments[{signature_index}]")
        )
        sha2 = statement["attachments"][signature_index]["sha2"].lower()
        if sha2 not in contents:
            raise bad_request(path, "the signature's content was not sent")
        header = check_signature(statement, contents[sha2], version)
        _verify_with_certificate(header, contents[sha2], path)
    return {
        sha2: (declared_types.get(sha2, "application/octet-stream"), content)
        for sha2, content in contents.items()
    }


def _verify_with_certificate(header: Mapping[str, Any], jws: bytes, path: str) -> None:
    # Data 2.6: the signer MAY include its certificate chain as x5c; verify when it does.
    chain = header.get("x5c")
    if not chain:
        return
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        signing_input, _, signature = jws.decode("ascii").rpartition(".")
        raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise bad_request(path, "the x5c certificate does not hold an RSA key")
        key.verify(
            raw_signature,
            signing_input.encode("ascii"),
            padding.PKCS1v15(),
            _JWS_HASHES[str(header["alg"])],
        )
    except InvalidSignature:
        raise bad_request(path, "the signature does not verify with the x5c certificate") from None
    except (ValueError, TypeError, binascii.Error, IndexError):
        raise bad_request(path, "the x5c certificate could not be read") from None


def store_attachments(session: Session, parts: Mapping[str, tuple[str, bytes]]) -> None:
    """Store attachment contents once per hash (identical content is shared)."""
    if not parts:
        return
    session.execute(
        insert_ignoring_conflicts(session, Attachment, ["sha2"]),
        [
            {"sha2": sha2, "content_type": content_type, "length": len(content), "content": content}
            for sha2, (content_type, content) in parts.items()
        ],
    )


def load_attachments(
    session: Session, statements: Iterable[Mapping[str, Any]]
) -> list[tuple[str, str, bytes]]:
    """The stored contents of the statements' attachments, as ``(sha2, type, content)``."""
    wanted: list[str] = []
    for statement in statements:
        for attachment in statement.get("attachments", ()):
            sha2 = str(attachment.get("sha2", "")).lower()
            if sha2 and sha2 not in wanted:
                wanted.append(sha2)
    if not wanted:
        return []
    rows = session.execute(
        select(Attachment.sha2, Attachment.content_type, Attachment.content).where(
            Attachment.sha2.in_(wanted)
        )
    )
    found = {sha2: (content_type, content) for sha2, content_type, content in rows}
    return [(sha2, *found[sha2]) for sha2 in wanted if sha2 in found]
