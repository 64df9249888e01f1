"""The one helper every LTI view uses: the request's pylti1p3 objects, wired to our stores.

pylti1p3's Flask example repeats a dozen set-up lines in each view; here a view asks for
:func:`lti_request` and gets the session, shared cache, signing key, tool configuration and
launch-data storage, all bound to this request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import request
from pylti1p3.contrib.flask.cookie import FlaskCookieService
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.contrib.flask.session import FlaskSessionService
from pylti1p3.exception import LtiException
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.db import session as db_session
from lti_tool.lti import keys
from lti_tool.lti.errors import LtiError
from lti_tool.lti.http import BoundedSession
from lti_tool.lti.launch import TrellisMessageLaunch, TrellisOIDCLogin
from lti_tool.lti.storage import SharedCacheLaunchStorage
from lti_tool.lti.tool_config import DatabaseToolConf
from lti_tool.settings import Settings, current_settings
from lti_tool.shared_cache import SharedCache

BROWSER_COOKIE = "trellis_lti_browser"
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")


@dataclass(frozen=True)
class LtiRequest:
    """Everything an LTI view works with, for one request."""

    session: Session
    cache: SharedCache
    settings: Settings
    now: datetime
    signing_key: keys.SigningKey
    tool_conf: DatabaseToolConf
    storage: SharedCacheLaunchStorage
    base_url: str

    def url(self, path: str) -> str:
        """An absolute URL of this Trellis (``TRELLIS_BASE_URL`` or the request's host)."""
        return self.base_url + path

    def _pylti_request(self) -> FlaskRequest:
        # No Flask session and no cookies: launch state lives in the shared cache.
        return FlaskRequest(cookies={}, session={})  # type: ignore[no-untyped-call]

    def oidc_login(self) -> TrellisOIDCLogin:
        """pylti1p3's OIDC login for this request."""
        pylti_request = self._pylti_request()
        return TrellisOIDCLogin(
            pylti_request,
            self.tool_conf,
            session_service=FlaskSessionService(pylti_request),
            cookie_service=FlaskCookieService(pylti_request),  # type: ignore[no-untyped-call]
            launch_data_storage=self.storage,
            cache=self.cache,
        )

    def browser_id(self) -> str | None:
        """The id in this browser's Trellis LTI cookie, when it sent a well-formed one."""
        value = request.cookies.get(BROWSER_COOKIE, "")
        return value if _BROWSER_ID.fullmatch(value) else None

    def remember_browser(self, response: WerkzeugResponse, browser: str) -> WerkzeugResponse:
        """Set the browser's Trellis cookie on ``response``.

        Sent back only where the browser allows it: over HTTPS as a third-party cookie
        (``SameSite=None``), else on top-level navigation only (``Lax``). Launches never depend
        on it; it only lets Trellis refuse a launch planted in another browser.
        """
        secure = request.is_secure
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=30 * 24 * 3600,
            path="/lti/",
            secure=secure,
            httponly=True,
            samesite="None" if secure else "Lax",
        )
        return response

    def message_launch(self) -> TrellisMessageLaunch:
        """pylti1p3's message launch for the id_token posted to this request."""
        pylti_request = self._pylti_request()
        return TrellisMessageLaunch(
            pylti_request,
            self.tool_conf,
            browser=self.browser_id(),
            session_service=FlaskSessionService(pylti_request),
            cookie_service=FlaskCookieService(pylti_request),  # type: ignore[no-untyped-call]
            launch_data_storage=self.storage,
            requests_session=BoundedSession(),
            cache=self.cache,
        )

    def restored_launch(self, launch_id: str) -> TrellisMessageLaunch:
        """A launch validated earlier, by the opaque id its page carries in a form field.

        Raises:
            LtiError: 400 when the id is unknown or expired.
        """
        if not launch_id.startswith("lti1p3-launch-") or len(launch_id) > 100:
            raise _expired()
        pylti_request = self._pylti_request()
        try:
            return TrellisMessageLaunch.restore(
                launch_id,
                pylti_request,
                self.tool_conf,
                session_service=FlaskSessionService(pylti_request),
                cookie_service=FlaskCookieService(pylti_request),  # type: ignore[no-untyped-call]
                launch_data_storage=self.storage,
                requests_session=BoundedSession(),
                cache=self.cache,
                browser=self.browser_id(),
            )
        except LtiException:
            raise _expired() from None


def lti_request() -> LtiRequest:
    """Wire pylti1p3 to our stores for the current request."""
    settings = current_settings()
    session = db_session()
    cache = SharedCache(session)
    now = datetime.now(UTC)
    signing_key = keys.active_key(session, instance_key_path=settings.lti_private_key_path, now=now)
    base_url = settings.base_url or request.url_root.rstrip("/")
    return LtiRequest(
        session=session,
        cache=cache,
        settings=settings,
        now=now,
        signing_key=signing_key,
        tool_conf=DatabaseToolConf(session, signing_key),
        storage=SharedCacheLaunchStorage(cache),
        base_url=base_url,
    )


def _expired() -> LtiError:
    return LtiError(
        400,
        "This page's launch has expired (after two hours) or is unknown.",
        code="launch_expired",
        hint="Open the activity again from the course.",
    )
