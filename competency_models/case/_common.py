"""Names and small rules shared by the CASE importer and exporter."""

from __future__ import annotations

import re
import uuid

from competency_models.frameworks import TRELLIS_NAMESPACE

EXTENSION_KEY = "trellis"
"""The key of Trellis's data inside CASE 1.1 ``extensions`` objects."""

CASE_VERSION = "1.1"
"""The ``caseVersion`` written on exported CFDocuments."""

UNKNOWN_CHANGE_TIME = "1970-01-01T00:00:00+00:00"
"""``lastChangeDateTime`` written when the caller gives none and the framework records none."""

NOTE_PREFIX = "case."
"""Notes keys under which CFDocument fields Trellis does not model are kept (``case.creator``)."""

KEPT_DOCUMENT_FIELDS = (
    "creator",
    "publisher",
    "officialSourceURL",
    "adoptionStatus",
    "lastChangeDateTime",
    "notes",
)
"""CFDocument fields kept as notes on import (shown to administrators) and written back."""

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_chinese(text: str, language: str | None) -> bool:
    """Whether a CASE statement is Chinese: by its declared language, else by its characters."""
    if language:
        return language.lower().startswith("zh")
    return bool(_CJK.search(text))


def derived_identifier(*parts: str) -> str:
    """A uuid5 under `TRELLIS_NAMESPACE` for CASE objects Trellis does not model."""
    return str(uuid.uuid5(TRELLIS_NAMESPACE, "|".join(parts)))
