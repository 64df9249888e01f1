"""Validation of xAPI statements against every MUST of the data model (xAPI 1.0.3 Part Two,
and IEEE 9274.1.1-2023 for xAPI 2.0).

Public API: :func:`validate_statement` and :func:`validate_statements`. For any JSON-decoded
input they either return or raise :class:`xapi.errors.StatementValidationError`, never
anything else.
"""

from __future__ import annotations

import contextlib

from xapi.errors import StatementValidationError
from xapi.validation._walk import EnoughProblems, Walk
from xapi.validation.statements import check_statement
from xapi.versions import XapiVersion

__all__ = ["validate_statement", "validate_statements"]


def validate_statement(statement: object, version: XapiVersion = XapiVersion.V1_0_3) -> None:
    """Check one statement.

    Args:
        statement: A JSON-decoded value that should be a statement object.
        version: The negotiated xAPI version; 2.0 enables contextAgents, contextGroups and
            RFC 3339 timestamps.

    Raises:
        StatementValidationError: With the first few problems, e.g. ``verb.id: not an IRI``.
    """
    walk = Walk(is_2_0=version.is_2_0)
    with contextlib.suppress(EnoughProblems):
        check_statement(walk, statement, "")
    if walk.problems:
        raise StatementValidationError(walk.problems)


def validate_statements(batch: object, version: XapiVersion = XapiVersion.V1_0_3) -> None:
    """Check the body of a statements POST: one statement or an array of them.

    In an array, problem paths start with the statement's index (``[3].verb.id``), and two
    statements with the same id are rejected (xAPI 1.0.3 Communication 2.1.2: the LRS
    SHOULD* reject a batch with duplicate ids).

    Args:
        batch: The JSON-decoded request body.
        version: The negotiated xAPI version.

    Raises:
        StatementValidationError: With the first few problems found.
    """
    if type(batch) is not list:
        validate_statement(batch, version)
        return
    walk = Walk(is_2_0=version.is_2_0)
    seen_ids: dict[str, int] = {}
    try:
        for index, statement in enumerate(batch):
            check_statement(walk, statement, f"[{index}]")
            if type(statement) is dict:
                statement_id = statement.get("id")
                if type(statement_id) is str:
                    key = statement_id.lower()
                    if key in seen_ids:
                        walk.report(f"[{index}].id", f"duplicates the id of [{seen_ids[key]}]")
                    else:
                        seen_ids[key] = index
    except EnoughProblems:
        pass
    if walk.problems:
        raise StatementValidationError(walk.problems)
