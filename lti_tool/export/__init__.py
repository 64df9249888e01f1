"""LRS export and import: feed every stored statement to the institution's Learning Record
Stores, and pull statements from an upstream LRS.

Wiring only; see ``docs/lrs-export.md`` for the design.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the admin page and the ``trellis lrs`` / ``trellis export`` commands."""
    from lti_tool.export.cli import export_cli, lrs_cli
    from lti_tool.export.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(lrs_cli)
    app.cli.add_command(export_cli)
