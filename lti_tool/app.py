"""The application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lti_tool import errors, health, request_log
from lti_tool.browser_sessions import BrowserSessionInterface
from lti_tool.commands import register_core_commands
from lti_tool.competencies import init_app as init_competencies
from lti_tool.db import Database, make_engine
from lti_tool.export import init_app as init_export
from lti_tool.lrs import api as lrs_api
from lti_tool.lti import init_app as init_lti
from lti_tool.settings import Environment, Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Trellis Flask application.

    Args:
        settings: the configuration; read from ``TRELLIS_*`` environment variables when omitted.

    Raises:
        SettingsError: when the environment is misconfigured (for example production without a
            secret key); the message names the variable to set.
    """
    settings = settings if settings is not None else Settings.from_env()
    app = Flask("lti_tool", instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=settings.environment is Environment.TESTING,
        JSON_AS_ASCII=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        TRELLIS_SETTINGS=settings,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = BrowserSessionInterface()
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    request_log.configure_logging(settings.log_level)
    request_log.init_app(app)
    errors.init_app(app)
    Database(make_engine(settings.database_url)).init_app(app)

    app.register_blueprint(health.bp)
    lrs_api.init_app(app)
    init_competencies(app)
    init_export(app)
    init_lti(app)
    register_core_commands(app.cli)
    return app
