"""Fixtures for the LTI tests: Trellis and a real LTI platform, both on 127.0.0.1."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from lti_tool.lti import registrations
from tests.lti_tool.lti.platform import FakePlatform, LaunchSpec


@pytest.fixture
def tool_url(app: Flask) -> Iterator[str]:
    """Trellis served over real HTTP by a thread (gunicorn is for the multi-worker test)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def platform(tool_url: str) -> Iterator[FakePlatform]:
    """A Moodle-like platform, served, with Trellis registered in it."""
    with FakePlatform(tool_url).serving() as served:
        yield served


def register(session: Session, platform: FakePlatform, *, active: bool = True) -> None:
    """Tell Trellis about ``platform`` (what `trellis platforms add` does)."""
    registrations.add_platform(
        session,
        registrations.PlatformFields(
            issuer=platform.iss,
            client_id=platform.client_id,
            auth_login_url=platform.url + "/mod/lti/auth.php",
            auth_token_url=platform.url + "/mod/lti/token.php",
            key_set_url=platform.url + "/mod/lti/certs.php",
        ),
        [platform.deployment_id],
        now=datetime.now(UTC),
        active=active,
    )
    session.commit()


@pytest.fixture
def registered(platform: FakePlatform, db_session: Session) -> FakePlatform:
    """The platform, registered in Trellis."""
    register(db_session, platform)
    return platform


@dataclass
class Login:
    """A started login: the state and nonce the tool issued, and the platform's answer."""

    state: str
    nonce: str
    authorization_url: str


@dataclass
class Browser:
    """What a user's browser does between Moodle and Trellis."""

    tool_url: str
    platform: FakePlatform
    http: requests.Session

    def login(self, spec: LaunchSpec, *, method: str = "POST") -> Login:
        params = self.platform.login_params(spec)
        if method == "POST":
            answer = self.http.post(
                self.tool_url + "/lti/login", data=params, allow_redirects=False
            )
        else:
            answer = self.http.get(
                self.tool_url + "/lti/login", params=params, allow_redirects=False
            )
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        from urllib.parse import parse_qs, urlsplit

        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return Login(state=query["state"], nonce=query["nonce"], authorization_url=location)

    def authorize(self, login: Login) -> dict[str, str]:
        """The platform's auto-submitted form: its action, id_token and state."""
        page = self.http.get(login.authorization_url)
        assert page.status_code == 200, page.text
        return form_fields(page.text)

    def post_launch(self, id_token: str, state: str) -> requests.Response:
        return self.http.post(
            self.tool_url + "/lti/launch",
            data={"id_token": id_token, "state": state},
            headers={"Accept": "text/html"},
        )

    def launch(self, spec: LaunchSpec, *, method: str = "POST") -> requests.Response:
        form = self.authorize(self.login(spec, method=method))
        assert form["action"] == self.tool_url + "/lti/launch"
        return self.post_launch(form["id_token"], form["state"])

    def submit(self, page: requests.Response, action: str, **extra: str) -> requests.Response:
        """Submit the page's form whose action ends with ``action``."""
        fields = form_fields(page.text, action=action)
        target = fields.pop("action")
        url = target if target.startswith("http") else self.tool_url + target
        return self.http.post(url, data={**fields, **extra}, headers={"Accept": "text/html"})


def form_fields(html: str, *, action: str | None = None) -> dict[str, Any]:
    """The action and hidden fields of the (first matching) form on a page."""
    for match in re.finditer(r"<form[^>]*action=\"([^\"]*)\"[^>]*>(.*?)</form>", html, re.S):
        if action is None or unescape(match.group(1)).endswith(action):
            fields = {
                unescape(name): unescape(value)
                for name, value in re.findall(
                    r"<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"", match.group(2)
                )
            }
            return {"action": unescape(match.group(1)), **fields}
    raise AssertionError(f"no form {action or ''} in page: {html[:500]}")


@pytest.fixture
def browser(tool_url: str, registered: FakePlatform) -> Iterator[Browser]:
    """A browser that does not keep cookies between sites (as in an iframe that blocks them)."""
    with requests.Session() as http:
        http.cookies.set_policy(_NoCookies())
        yield Browser(tool_url, registered, http)


class _NoCookies(__import__("http.cookiejar").cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False
