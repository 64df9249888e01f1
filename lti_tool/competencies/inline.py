"""Inline mode for small installs: process the competency queue right after a statement write.

With ``TRELLIS_COMPETENCY_INLINE=1`` the request that stored statements (``POST`` or ``PUT
/xapi/statements``, answered 2xx, so committed) also processes the queued batches before it
answers, so estimates are current when the producer gets its 200. A failure here is logged and
never fails the statement request: the entries stay queued for the next request or a worker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask, Response, request

from lti_tool.competencies.processing import process_all
from lti_tool.db import database
from lti_tool.settings import SettingsError, current_settings

logger = logging.getLogger("trellis.competencies")

INLINE_VARIABLE = "TRELLIS_COMPETENCY_INLINE"
_CONFIG_KEY = "TRELLIS_COMPETENCY_INLINE"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class CompetencySettings:
    """The engine's own settings, read once by the app factory.

    Attributes:
        inline: process the queue inside statement requests (small installs).
    """

    inline: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CompetencySettings:
        """Read ``TRELLIS_COMPETENCY_INLINE`` (1/true/yes/on or 0/false/no/off).

        Raises:
            SettingsError: for any other value.
        """
        env = os.environ if environ is None else environ
        raw = env.get(INLINE_VARIABLE, "").strip().lower()
        if raw not in _TRUE | _FALSE:
            raise SettingsError(f"{INLINE_VARIABLE}={raw!r} is not one of: 1, 0, true, false")
        return cls(inline=raw in _TRUE)


def init_app(app: Flask, settings: CompetencySettings | None = None) -> None:
    """Register the after-request hook when inline mode is on."""
    settings = settings if settings is not None else CompetencySettings.from_env()
    app.config[_CONFIG_KEY] = settings.inline
    app.after_request(_process_after_statement_write)


def _process_after_statement_write(response: Response) -> Response:
    from flask import current_app

    if not current_app.config.get(_CONFIG_KEY):
        return response
    if request.method not in ("POST", "PUT") or not 200 <= response.status_code < 300:
        return response
    if request.path.rstrip("/") != "/xapi/statements":
        return response
    base = current_settings().base_url or request.host_url.rstrip("/")
    try:
        process_all(database().sessionmaker, home_page=f"{base}/xapi")
    except Exception:
        logger.exception("inline competency processing failed; the worker will retry")
    return response
