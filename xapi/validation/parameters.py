"""Checks of JSON-valued request parameters (``agent`` of the statement and document resources)."""

from __future__ import annotations

import contextlib

from xapi.errors import StatementValidationError
from xapi.validation._walk import EnoughProblems, Walk
from xapi.validation.actors import check_actor


def validate_agent_parameter(value: object, name: str, *, is_2_0: bool = False) -> None:
    """Check that a decoded parameter is a valid Agent or Group (xAPI 1.0.3 Communication 2.1.3).

    Args:
        value: the JSON-decoded parameter.
        name: the parameter's name, used as the path of any problem.
        is_2_0: whether xAPI 2.0 rules apply.

    Raises:
        StatementValidationError: naming the parameter and the rule broken.
    """
    walk = Walk(is_2_0=is_2_0)
    with contextlib.suppress(EnoughProblems):
        check_actor(walk, value, name)
    if walk.problems:
        raise StatementValidationError(walk.problems)
