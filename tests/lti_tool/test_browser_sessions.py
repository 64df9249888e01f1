"""Pages keep Flask's signed-cookie session; the xAPI endpoint, which authenticates every request
with Basic credentials, has none."""

from __future__ import annotations

import pytest
from flask import Flask, session
from flask.sessions import NullSession, SecureCookieSession

from lti_tool.browser_sessions import is_xapi_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/xapi", True),
        ("/xapi/statements", True),
        ("/xapi/activities/state", True),
        ("/xapis", False),
        ("/lti/launch", False),
        ("/lti/xapi", False),
        ("/", False),
    ],
)
def test_the_xapi_endpoint_is_recognised_by_its_prefix(path: str, expected: bool) -> None:
    assert is_xapi_path(path) is expected


def test_an_xapi_request_has_the_null_session(app: Flask) -> None:
    with app.test_request_context("/xapi/statements", method="POST"):
        assert isinstance(session, NullSession)
        assert dict(session) == {}
        with pytest.raises(RuntimeError):
            session["state"] = "anything"


def test_a_page_request_keeps_the_signed_cookie_session(app: Flask) -> None:
    with app.test_request_context("/lti/launch"):
        assert isinstance(session, SecureCookieSession)
        assert not isinstance(session, NullSession)
        session["state"] = "kept"
        assert session["state"] == "kept"
