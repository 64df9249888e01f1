"""The competency engine's application side: persistence, processing, CLI and JSON API.

The pure rules live in ``competency_models``; this package stores frameworks, rule sets,
evidence, estimates and trajectories, and keeps them up to date from the statement outbox.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the engine's JSON API, commands and (when configured) inline processing."""
    from lti_tool.competencies import api, cli, inline

    app.register_blueprint(api.bp)
    cli.register_commands(app.cli)
    inline.init_app(app)
