"""People: one record per teacher, however many identifiers point at them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base


class Person(Base):
    """A teacher or trainer, known by one or more identifiers (xAPI IFIs, LTI subjects)."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonIdentifier(Base):
    """One identifier of a person, as a canonical key.

    Keys: ``mbox:mailto:…``, ``mbox_sha1sum:…``, ``openid:…``, ``account:<homePage>|<name>``.
    A Moodle user is ``account:<Moodle wwwroot>|<user id>`` both in xAPI statements (logstore_xapi)
    and in LTI launches (issuer + ``sub``), which is how the two meet.
    """

    __tablename__ = "person_identifiers"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
