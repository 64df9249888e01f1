"""String formats of the data model (xAPI 1.0.3 Data 4.x and RFCs they cite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from xapi import syntax, vocabulary


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (vocabulary.VERB_ATTENDED, True),
        ("https://moodle.example/mod/quiz/view.php?id=3#q1", True),
        ("urn:uuid:0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", True),
        ("https://例子.中国/课程/1", True),
        ("mailto:a@b.c", True),
        ("attended", False),
        ("", False),
        ("http:", False),
        ("://no-scheme", False),
        ("1http://x", False),
        ("http://has space", False),
        ("http://tab\there", False),
        ("http://x/<y>", False),
    ],
)
def test_is_iri(value: str, expected: bool) -> None:
    """Data 2.2: reject "IRL or IRI values without a scheme" and non-IRI characters."""
    assert syntax.is_iri(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", True),
        ("0F6A1C2E-3B4D-4E5F-8A9B-0C1D2E3F4A5B", True),
        ("AA97B177-9383-4934-8543-0F91A7A028368", False),
        ("MA97B177-9383-4934-8543-0F91A7A02836", False),
        ("0f6a1c2e3b4d4e5f8a9b0c1d2e3f4a5b", False),
        ("0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n", False),
    ],
)
def test_is_uuid(value: str, expected: bool) -> None:
    """Data 4.1: UUIDs in RFC 4122 textual form (XAPI-00027 rejects bad digits)."""
    assert syntax.is_uuid(value) is expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", True),
        ("en-US", True),
        ("zh-CN", True),
        ("zh-Hans-CN", True),
        ("es-419", True),
        ("sl-rozaj-biske", True),
        ("de-CH-x-phonebk", True),
        ("en-a-bbb-x-a-ccc", True),
        ("x-whatever", True),
        ("i-klingon", True),
        ("und", True),
        ("something", False),
        ("en-", False),
        ("-en", False),
        ("en_US", False),
        ("e", False),
        ("123", False),
        ("", False),
    ],
)
def test_is_language_tag(tag: str, expected: bool) -> None:
    """Data 2.2: the LRS MUST validate that language map keys follow RFC 5646's token lengths."""
    assert syntax.is_language_tag(tag) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT0S", True),
        ("PT4H35M59.14S", True),
        ("PT16559.14S", True),
        ("P3Y1M29DT4H35M59.14S", True),
        ("P3Y", True),
        ("P4W", True),
        ("PT1,5S", True),
        ("P4W1D", False),
        ("P", False),
        ("PT", False),
        ("P1DT", False),
        ("1H", False),
        ("PT1H30", False),
    ],
)
def test_is_duration(value: str, expected: bool) -> None:
    """Data 4.6: durations are ISO 8601 (the suite rejects "P4W1D", accepts "P4W")."""
    assert syntax.is_duration(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2008-09-15T15:53:00.601Z", datetime(2008, 9, 15, 15, 53, 0, 601000, tzinfo=UTC)),
        ("2008-09-15t15:53:00z", datetime(2008, 9, 15, 15, 53, tzinfo=UTC)),
        (
            "2008-09-15T15:53:00+08:00",
            datetime(2008, 9, 15, 15, 53, tzinfo=timezone(timedelta(hours=8))),
        ),
        (
            "2008-09-15T15:53:00-0530",
            datetime(2008, 9, 15, 15, 53, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("2008-09-15T15:53:00.123456789Z", datetime(2008, 9, 15, 15, 53, 0, 123456, tzinfo=UTC)),
        ("2008-09-15T15:53:00", datetime(2008, 9, 15, 15, 53, tzinfo=UTC)),
        ("2008-09-15T15:53:00.601-00:00", None),
        ("2008-09-15T15:53:00.601-0000", None),
        ("2008-09-15T15:53:00.601-00", None),
        ("2008-02-30T00:00:00Z", None),
        ("2008-09-15T24:00:00Z", None),
        ("2008-09-15 15:53:00Z", None),
        ("01/011/2015", None),
        ("2008-09-15", None),
    ],
)
def test_parse_timestamp(value: str, expected: datetime | None) -> None:
    """Data 4.5: ISO 8601 timestamps; RFC 3339's unknown offset "-00:00" is rejected
    (conformance suite XAPI-00122)."""
    assert syntax.parse_timestamp(value) == expected


def test_parse_timestamp_requires_an_offset_under_2_0() -> None:
    """IEEE 9274.1.1 4.2.7: timestamps are RFC 3339, whose date-time carries an offset."""
    assert syntax.parse_timestamp("2008-09-15T15:53:00", offset_required=True) is None
    assert syntax.parse_timestamp("2008-09-15T15:53:00Z", offset_required=True) is not None


def test_format_timestamp_is_utc_with_milliseconds() -> None:
    """Data 4.5: an LRS keeps at least millisecond precision; stored values are in UTC."""
    moment = datetime(2026, 3, 1, 8, 0, 0, 123999, tzinfo=timezone(timedelta(hours=8)))
    assert syntax.format_timestamp(moment) == "2026-03-01T00:00:00.123Z"


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (syntax.is_mailto_iri, "mailto:teacher@school.example.cn", True),
        (syntax.is_mailto_iri, "teacher@school.example.cn", False),
        (syntax.is_mailto_iri, "mailto:teacher", False),
        (syntax.is_sha1_hex, "cd9b00a5611f94eaa7b1661edab976068e364975", True),
        (syntax.is_sha1_hex, "cd9b00a5611f94eaa7b1661edab976068e36497", False),
        (syntax.is_sha2_hex, "a" * 64, True),
        (syntax.is_sha2_hex, "a" * 128, True),
        (syntax.is_sha2_hex, "a" * 63, False),
        (syntax.is_sha2_hex, "g" * 64, False),
        (syntax.is_media_type, "text/plain; charset=ascii", True),
        (syntax.is_media_type, "application/octet-stream", True),
        (syntax.is_media_type, "plain", False),
    ],
)
def test_identifier_formats(check: object, value: str, expected: bool) -> None:
    """Data 2.4.2.3 (mbox, mbox_sha1sum) and 2.4.11 (sha2, contentType) formats."""
    assert callable(check)
    assert check(value) is expected


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (syntax.is_duration, "P٣Y"),
        (syntax.is_duration, "PT１S"),
        (lambda value: syntax.parse_timestamp(value) is not None, "２００８-09-15T15:53:00Z"),
        (syntax.is_uuid, "０f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"),
    ],
)
def test_non_ascii_digits_are_not_digits(check: object, value: str) -> None:
    """ISO 8601 and RFC 4122 digits are ASCII; Python's ``\\d`` alone would accept others."""
    assert callable(check)
    assert not check(value)


def test_long_iris_are_checked_without_the_cache() -> None:
    """Huge IRIs are validated like any other but never kept in the memo."""
    long_iri = "https://trellis.example/" + "a" * 5000
    assert syntax.is_iri(long_iri)
    assert not syntax.is_iri(long_iri + " ")
