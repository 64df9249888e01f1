"""The LTI 1.3 Advantage tool: launches from Moodle, deep linking, grades, roster, registration.

Built on pylti1p3's seams (a database tool configuration, a shared launch-data storage, its
Flask request), with the security checks pylti1p3 leaves out.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the ``/lti`` blueprint and the ``platforms`` and ``keys`` commands."""
    from lti_tool.lti.cli import register_commands
    from lti_tool.lti.views import bp

    app.register_blueprint(bp)
    register_commands(app.cli)
