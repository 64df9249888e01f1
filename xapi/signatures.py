"""Signed statements (xAPI 1.0.3 Data 2.6): the checks an LRS can make without keys.

A signed statement carries a JWS (RFC 7515 compact serialisation) as the attachment whose
usageType is the signature IRI. The conformance suite requires a 400 for a JWS that does not
parse, uses an algorithm other than RS256/RS384/RS512, or whose payload is not the statement.
Verifying the RSA signature itself needs the signer's certificate (the optional ``x5c``
header) and a crypto library; that stays in the HTTP layer.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from xapi.comparison import statements_match
from xapi.errors import Problem, StatementValidationError
from xapi.validation import validate_statement
from xapi.versions import XapiVersion
from xapi.vocabulary import ATTACHMENT_USAGE_SIGNATURE

#: Data 2.6: "The JWS signature MUST use an algorithm of RS256, RS384, or RS512".
SIGNATURE_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})


def signature_attachment_index(statement: Mapping[str, Any]) -> int | None:
    """The index in ``attachments`` of the signature attachment, or None if unsigned."""
    for index, attachment in enumerate(statement.get("attachments", ())):
        if attachment.get("usageType") == ATTACHMENT_USAGE_SIGNATURE:
            return index
    return None


def _decode_segment(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def check_signature(
    statement: Mapping[str, Any],
    jws: bytes,
    version: XapiVersion = XapiVersion.V1_0_3,
) -> dict[str, Any]:
    """Check a signed statement's JWS attachment against the statement.

    Args:
        statement: The valid statement that carries the signature attachment.
        jws: The raw attachment part (the compact JWS).
        version: The negotiated version (2.0 compares durations to hundredths).

    Returns:
        The decoded JWS header, for a caller that verifies the RSA signature.

    Raises:
        StatementValidationError: The JWS is malformed, uses another algorithm, or its payload
            is not the statement (Data 2.6, conformance XAPI-00115 to XAPI-00117).
    """
    index = signature_attachment_index(statement)
    path = "attachments" if index is None else f"attachments[{index}]"
    try:
        header_segment, payload_segment, signature_segment = jws.decode("ascii").split(".")
        header = _decode_segment(header_segment)
        payload = _decode_segment(payload_segment)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise StatementValidationError([Problem(path, "signature is not a compact JWS")]) from None
    if type(header) is not dict or type(payload) is not dict or not signature_segment:
        raise StatementValidationError([Problem(path, "signature is not a compact JWS")])
    if header.get("alg") not in SIGNATURE_ALGORITHMS:
        raise StatementValidationError(
            [Problem(path, "signature algorithm must be RS256, RS384 or RS512")]
        )
    unsigned = {key: value for key, value in statement.items() if key != "attachments"}
    try:
        validate_statement(payload, version)
    except StatementValidationError:
        matches = False
    else:
        matches = statements_match(unsigned, payload, version)
    if not matches:
        raise StatementValidationError(
            [Problem(path, "signature payload does not match the statement")]
        )
    return header
