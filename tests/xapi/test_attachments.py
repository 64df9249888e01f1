"""Attachment parts of multipart/mixed requests (xAPI 1.0.3 Data 2.4.11, Communication 1.5.2;
conformance XAPI-00128 to XAPI-00135)."""

from __future__ import annotations

import hashlib

import pytest

from tests.xapi.builders import full_statement, mutated
from xapi.attachments import AttachmentPart, check_attachment_parts, hashes_requiring_parts
from xapi.errors import StatementValidationError

CONTENT = b"lesson plan, week 3"
DIGEST = hashlib.sha256(CONTENT).hexdigest()


def _statement_with_raw_attachment() -> dict:
    statement = mutated(full_statement(), "attachments[0].sha2", DIGEST)
    del statement["attachments"][0]["fileUrl"]
    return statement


def _part(**overrides: object) -> AttachmentPart:
    fields: dict = {
        "content": CONTENT,
        "content_type": "text/plain",
        "hash_header": DIGEST,
        "transfer_encoding": "binary",
    }
    fields.update(overrides)
    return AttachmentPart(**fields)


def test_attachments_with_file_url_need_no_part() -> None:
    """Data 2.4.11: an attachment with fileUrl may be sent as application/json."""
    assert hashes_requiring_parts([full_statement()]) == frozenset()
    assert check_attachment_parts([full_statement()], []) == {}


def test_matching_part_is_returned_by_hash() -> None:
    """Communication 1.5.2: each part carries X-Experience-API-Hash = the attachment's sha2."""
    statement = _statement_with_raw_attachment()
    assert hashes_requiring_parts([statement]) == {DIGEST}
    assert check_attachment_parts([statement], [_part()]) == {DIGEST: CONTENT}


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (_part(hash_header=None), "parts[0]: X-Experience-API-Hash header is required"),
        (_part(hash_header="a" * 64), "parts[0]: X-Experience-API-Hash does not match the content"),
        (_part(transfer_encoding=None), "parts[0]: Content-Transfer-Encoding must be binary"),
        (_part(transfer_encoding="base64"), "parts[0]: Content-Transfer-Encoding must be binary"),
    ],
)
def test_bad_parts_are_rejected(part: AttachmentPart, expected: str) -> None:
    """XAPI-00133 to XAPI-00135: hash header required and matching, binary encoding (the
    2.0 suite demands binary too)."""
    with pytest.raises(StatementValidationError) as caught:
        check_attachment_parts([_statement_with_raw_attachment()], [part])
    assert expected in caught.value.messages


def test_missing_part_is_rejected() -> None:
    """XAPI-00129: attachments without fileUrl need their data in the request."""
    with pytest.raises(StatementValidationError, match="without fileUrl have no part"):
        check_attachment_parts([_statement_with_raw_attachment()], [])


def test_excess_part_is_rejected() -> None:
    """XAPI-00128: parts that are not declared attachments get 400."""
    extra = b"not declared"
    part = _part(content=extra, hash_header=hashlib.sha256(extra).hexdigest())
    with pytest.raises(StatementValidationError, match="matches no attachment"):
        check_attachment_parts([_statement_with_raw_attachment()], [_part(), part])
