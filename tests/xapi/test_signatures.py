"""Signed statements (xAPI 1.0.3 Data 2.6; conformance XAPI-00115 to XAPI-00117)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.xapi.builders import load_data, mutated
from xapi import vocabulary
from xapi.errors import StatementValidationError
from xapi.signatures import check_signature, signature_attachment_index
from xapi.validation import validate_statement
from xapi.versions import XapiVersion


def _segment(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jws(payload: Any, alg: str = "RS256") -> bytes:
    # The RSA signature itself is not checked here; any non-empty third segment will do.
    return f"{_segment({'alg': alg})}.{_segment(payload)}.c2lnbmF0dXJl".encode()


def _signed(statement: dict[str, Any], content_type: str = "application/octet-stream") -> dict:
    return {
        **statement,
        "attachments": [
            {
                "usageType": vocabulary.ATTACHMENT_USAGE_SIGNATURE,
                "display": {"en-US": "Signature"},
                "contentType": content_type,
                "length": 500,
                "sha2": "b" * 64,
            }
        ],
    }


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_signature_with_rsa_algorithm_and_matching_payload_is_accepted(alg: str) -> None:
    """XAPI-00117: RS256, RS384 and RS512 are accepted."""
    statement = load_data("cmi5_passed.json")
    header = check_signature(_signed(statement), _jws(statement, alg))
    assert header == {"alg": alg}


def test_signature_with_other_algorithm_is_rejected() -> None:
    """XAPI-00117: any other algorithm gets 400."""
    statement = load_data("cmi5_passed.json")
    with pytest.raises(StatementValidationError, match="RS256, RS384 or RS512"):
        check_signature(_signed(statement), _jws(statement, "HS256"))


@pytest.mark.parametrize(
    "jws",
    [b"not a jws", b"a.b", b"\xff.\xfe.\xfd", _jws("a string payload"), b"e30.e30."],
    ids=repr,
)
def test_malformed_jws_is_rejected(jws: bytes) -> None:
    """XAPI-00115: the signature attachment must be a JWS."""
    statement = load_data("cmi5_passed.json")
    with pytest.raises(StatementValidationError) as caught:
        check_signature(_signed(statement), jws)
    assert caught.value.messages == ["attachments[0]: signature is not a compact JWS"]


def test_payload_that_is_not_the_statement_is_rejected() -> None:
    """XAPI-00116: the payload is the statement as it was before the signature was added."""
    statement = load_data("cmi5_passed.json")
    tampered = mutated(statement, "result.score.raw", 99)
    with pytest.raises(StatementValidationError, match="payload does not match"):
        check_signature(_signed(statement), _jws(tampered))
    with pytest.raises(StatementValidationError, match="payload does not match"):
        check_signature(_signed(statement), _jws({"not": "a statement"}))


def test_duration_beyond_hundredths_is_ignored_under_2_0_only() -> None:
    """IEEE 9274.1.1 4.2.7: durations compare to 0.01 s precision (1.0.3: as strings)."""
    statement = mutated(load_data("cmi5_passed.json"), "result.duration", "P1DT12H36M0.12S")
    precise = mutated(statement, "result.duration", "P1DT12H36M0.1237S")
    check_signature(_signed(precise), _jws(statement), XapiVersion.V2_0_0)
    with pytest.raises(StatementValidationError):
        check_signature(_signed(precise), _jws(statement), XapiVersion.V1_0_3)


def test_signature_attachment_must_be_octet_stream() -> None:
    """XAPI-00115: a signature attachment with another contentType is rejected."""
    statement = _signed(load_data("cmi5_passed.json"), content_type="text/plain; charset=ascii")
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement)
    assert caught.value.messages == [
        "attachments[0].contentType: a signature attachment must be application/octet-stream"
    ]


def test_signature_attachment_index() -> None:
    """The HTTP layer finds which multipart part holds the JWS."""
    statement = load_data("cmi5_passed.json")
    assert signature_attachment_index(statement) is None
    assert signature_attachment_index(_signed(statement)) == 0
