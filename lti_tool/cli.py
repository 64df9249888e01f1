"""The ``trellis`` command: the app's Flask CLI, plus commands that need no app.

Each area registers its own commands on ``app.cli`` in the app factory; ``trellis --help`` lists
them all, and ``flask --app wsgi ...`` reaches the same commands.
"""

from __future__ import annotations

from flask.cli import FlaskGroup

from lti_tool.app import create_app
from lti_tool.commands import instance_cli


def _make_group() -> FlaskGroup:
    group = FlaskGroup(
        create_app=lambda: create_app(),
        add_version_option=True,
        help="Trellis (教师成长轨迹): teacher growth records — LTI tool, xAPI endpoint, "
        "competency engine.",
    )
    # Available before any app exists, so a fresh install can create its secret first.
    group.add_command(instance_cli)
    return group


def main() -> None:
    """Entry point of the ``trellis`` console script."""
    _make_group()(prog_name="trellis")
