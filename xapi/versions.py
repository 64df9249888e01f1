"""xAPI versions: which one a request speaks and which ``version`` values a statement may carry."""

from __future__ import annotations

import enum
import re

from xapi.errors import Problem, StatementValidationError

VERSION_HEADER = "X-Experience-API-Version"


class XapiVersion(enum.Enum):
    """The versions this LRS speaks; the value is what it echoes in ``X-Experience-API-Version``."""

    V1_0_3 = "1.0.3"
    V2_0_0 = "2.0.0"

    @property
    def is_2_0(self) -> bool:
        """True for IEEE 9274.1.1 (xAPI 2.0) semantics."""
        return self is XapiVersion.V2_0_0


# xAPI 1.0.3 Communication 3.3: "1.0" or "1.0.x"; xAPI 2.0 4.1.1.1: "2.0" or "2.0.x".
_HEADER_1_0 = re.compile(r"1\.0(?:\.[0-9]+)?\Z")
_HEADER_2_0 = re.compile(r"2\.0(?:\.[0-9]+)?\Z")


def negotiate_version(header_value: str | None) -> XapiVersion:
    """Pick the version a request speaks from its ``X-Experience-API-Version`` header.

    Args:
        header_value: The raw header value, or None when the header is missing.

    Returns:
        The version to apply and echo.

    Raises:
        StatementValidationError: The header is missing or names an unsupported version
            (xAPI 1.0.3 Communication 3.3: the LRS MUST reject it with 400).
    """
    if header_value is None:
        raise StatementValidationError([Problem(VERSION_HEADER, "header is required")])
    value = header_value.strip()
    if _HEADER_1_0.match(value):
        return XapiVersion.V1_0_3
    if _HEADER_2_0.match(value):
        return XapiVersion.V2_0_0
    raise StatementValidationError([Problem(VERSION_HEADER, "unsupported version")])


def is_acceptable_statement_version(value: str, version: XapiVersion) -> bool:
    """Whether a statement's ``version`` property is one the negotiated version accepts.

    xAPI 1.0.3 Data 2.4.10: version MUST be "1.0.x" (the conformance suite accepts "1.0" and
    "1.0.9" and rejects "0.9.9" and "1.1.0"); xAPI 2.0 additionally allows "2.0.x".
    """
    if _HEADER_1_0.match(value):
        return True
    return version.is_2_0 and _HEADER_2_0.match(value) is not None
