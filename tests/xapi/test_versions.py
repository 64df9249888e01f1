"""Version negotiation (xAPI 1.0.3 Communication 3.3; IEEE 9274.1.1 4.1.1.1)."""

from __future__ import annotations

import pytest

from xapi.errors import StatementValidationError
from xapi.versions import XapiVersion, is_acceptable_statement_version, negotiate_version


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1.0.3", XapiVersion.V1_0_3),
        ("1.0", XapiVersion.V1_0_3),
        ("1.0.0", XapiVersion.V1_0_3),
        ("1.0.9", XapiVersion.V1_0_3),
        ("2.0.0", XapiVersion.V2_0_0),
        ("2.0", XapiVersion.V2_0_0),
    ],
)
def test_supported_version_headers(header: str, expected: XapiVersion) -> None:
    """The LRS accepts "1.0"/"1.0.x" and, for 2.0, "2.0"/"2.0.x"."""
    assert negotiate_version(header) is expected


@pytest.mark.parametrize("header", [None, "", "0.95", "1.1.0", "3.0.0", "1.0.3.1", "latest"])
def test_unsupported_version_headers_are_rejected(header: str | None) -> None:
    """Communication 3.3: a missing or unsupported X-Experience-API-Version gets 400."""
    with pytest.raises(StatementValidationError) as caught:
        negotiate_version(header)
    assert caught.value.problems[0].path == "X-Experience-API-Version"


def test_statement_version_property_depends_on_negotiated_version() -> None:
    """Data 2.4.10: statements carry 1.0.x; under 2.0 also 2.0.x."""
    assert is_acceptable_statement_version("1.0.3", XapiVersion.V1_0_3)
    assert not is_acceptable_statement_version("2.0.0", XapiVersion.V1_0_3)
    assert is_acceptable_statement_version("2.0.0", XapiVersion.V2_0_0)
    assert is_acceptable_statement_version("1.0.0", XapiVersion.V2_0_0)
