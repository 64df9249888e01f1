"""The document use cases below HTTP: preconditions, and writers racing each other.

xAPI 1.0.3 Communication 3.1: a write decided on one version of a document must not land on
another; the loser is judged again on what it now finds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from lti_tool.db import database
from lti_tool.lrs.documents import (
    DocumentKey,
    DocumentKind,
    DocumentRepository,
    DocumentScope,
    IncomingDocument,
    PreconditionFailed,
    Preconditions,
    entity_tag,
    put_document,
    put_policy,
    read_document,
)
from lti_tool.models.lrs import Document

KEY = DocumentKey(
    DocumentScope(DocumentKind.STATE, "https://example.org/a", "mbox:mailto:a@example.org"),
    "bookmark",
)
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
OVERWRITE = put_policy(DocumentKind.STATE, is_2_0=False)


def json_document(text: str) -> IncomingDocument:
    return IncomingDocument(text.encode(), "application/json")


@pytest.fixture
def other_session(app: Flask) -> Iterator[Session]:
    """A second connection, standing for another gunicorn worker."""
    session = database(app).sessionmaker()
    yield session
    session.close()


def _interleave(monkeypatch: pytest.MonkeyPatch, other_session: Session, content: str) -> None:
    """Let another writer replace the document just before our first replace lands."""
    real_replace = DocumentRepository.replace
    calls: list[int] = []

    def replace(self: DocumentRepository, row: Document, *args: object, **kwargs: object) -> bool:
        if not calls:
            calls.append(1)
            put_document(
                other_session,
                KEY,
                json_document(content),
                Preconditions(),
                policy=OVERWRITE,
                now=NOW,
            )
        return real_replace(self, row, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(DocumentRepository, "replace", replace)


def test_a_put_that_loses_a_race_is_retried_on_the_new_version(
    db_session: Session, other_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_document(
        db_session, KEY, json_document('{"v":1}'), Preconditions(), policy=OVERWRITE, now=NOW
    )
    _interleave(monkeypatch, other_session, '{"v":"other"}')

    put_document(
        db_session, KEY, json_document('{"v":2}'), Preconditions(), policy=OVERWRITE, now=NOW
    )

    assert read_document(db_session, KEY).content == b'{"v":2}'


def test_an_if_match_write_that_loses_a_race_is_412(
    db_session: Session, other_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Communication 3.1: the ETag the client matched is no longer the document's."""
    put_document(
        db_session, KEY, json_document('{"v":1}'), Preconditions(), policy=OVERWRITE, now=NOW
    )
    matched = Preconditions(if_match=(entity_tag(b'{"v":1}'),))
    _interleave(monkeypatch, other_session, '{"v":"other"}')

    with pytest.raises(PreconditionFailed):
        put_document(db_session, KEY, json_document('{"v":2}'), matched, policy=OVERWRITE, now=NOW)

    assert read_document(db_session, KEY).content == b'{"v":"other"}'


@pytest.mark.parametrize(
    ("if_match", "if_none_match", "current", "holds"),
    [
        (None, None, None, True),
        (None, None, "abc", True),
        ('"abc"', None, "abc", True),
        ('"abc"', None, "def", False),
        ('"def", "abc"', None, "abc", True),
        ("abc", None, "abc", True),
        ('W/"abc"', None, "abc", False),
        ("*", None, "abc", True),
        ("*", None, None, False),
        ('"abc"', None, None, False),
        (None, "*", None, True),
        (None, "*", "abc", False),
        (None, '"abc"', "abc", False),
        (None, '"abc"', "def", True),
    ],
)
def test_preconditions_follow_rfc_9110(
    if_match: str | None, if_none_match: str | None, current: str | None, holds: bool
) -> None:
    """RFC 9110 13.1.1/13.1.2 as Communication 3.1 asks: strong comparison, ``*`` for any."""
    preconditions = Preconditions.from_headers(if_match, if_none_match)

    assert preconditions.hold_for(current) is holds


def test_profiles_need_a_precondition_and_state_only_under_2_0() -> None:
    """Communication 3.1 (profiles) and xAPI 2.0 4.1.4 (state as well)."""
    profile = put_policy(DocumentKind.AGENT_PROFILE, is_2_0=False)
    state_2_0 = put_policy(DocumentKind.STATE, is_2_0=True)

    assert (profile.create_needs_precondition, profile.overwrite_without_precondition) == (
        True,
        False,
    )
    assert (state_2_0.create_needs_precondition, state_2_0.overwrite_without_precondition) == (
        False,
        False,
    )
    assert OVERWRITE.overwrite_without_precondition
