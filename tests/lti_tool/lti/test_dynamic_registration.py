"""LTI Dynamic Registration against a fake Moodle shaped like mod/lti's endpoints.

The fake serves ``/mod/lti/openid-configuration.php`` with Moodle's keys and
``/mod/lti/openid-registration.php``, which checks the Bearer registration token and the payload
the way Moodle's ``registration_helper::registration_to_config`` does, and answers like
``config_to_registration``.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from lti_tool.lti import registrations
from tests.lti_tool.lti.conftest import Browser
from tests.lti_tool.lti.platform import FakePlatform, LaunchSpec

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class FakeMoodleRegistration:
    """Moodle's two Dynamic Registration endpoints, added to a fake platform."""

    def __init__(self, platform: FakePlatform) -> None:
        self.platform = platform
        self.tokens: set[str] = set()
        self.received: list[dict[str, Any]] = []
        self.type_id = 5
        self.claimed_issuer: str | None = None
        self._add_routes(platform.app)

    def new_token(self) -> str:
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return token

    def _add_routes(self, app: Flask) -> None:
        fake = self

        @app.get("/mod/lti/openid-configuration.php")
        def configuration() -> Any:
            root = fake.platform.url
            return jsonify(
                {
                    "issuer": fake.claimed_issuer or root,
                    "token_endpoint": root + "/mod/lti/token.php",
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                    "jwks_uri": root + "/mod/lti/certs.php",
                    "authorization_endpoint": root + "/mod/lti/auth.php",
                    "registration_endpoint": root + "/mod/lti/openid-registration.php",
                    "scopes_supported": [
                        "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome",
                        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
                        "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting",
                        "openid",
                    ],
                    "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public", "pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "claims_supported": [
                        "sub",
                        "iss",
                        "name",
                        "given_name",
                        "family_name",
                        "email",
                    ],
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "moodle",
                        "version": "4.3.2 (Build: 20231222)",
                        "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
                        "placements": ["AddContentMenu"],
                        "variables": ["basic-lti-launch-request", "Context.id"],
                    },
                }
            )

        @app.post("/mod/lti/openid-registration.php")
        def register() -> Any:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                return "missing_registration_token", 401
            token = header[7:].strip()
            if token not in fake.tokens:
                return "token_already_used", 401
            payload = request.get_json(force=True)
            fake.received.append(payload)
            for name in (
                "response_types",
                "initiate_login_uri",
                "redirect_uris",
                "client_name",
                "jwks_uri",
                "token_endpoint_auth_method",
                TOOL_CONFIGURATION,
            ):
                if not payload.get(name):
                    return f"missing required attribute {name}", 400
            tool = payload[TOOL_CONFIGURATION]
            if not tool.get("domain") or not tool.get("target_link_uri"):
                return "missing required attribute domain/target_link_uri", 400
            if "id_token" not in payload["response_types"]:
                return "invalid_response_types", 400
            if not isinstance(payload["redirect_uris"], list):
                return "invalid_redirect_uris", 400
            if payload["token_endpoint_auth_method"] != "private_key_jwt":
                return "invalid_token_endpoint_auth_method", 400
            if payload.get("application_type", "web") != "web":
                return "invalid_application_type", 400
            fake.tokens.discard(token)
            fake.type_id += 1
            return jsonify(
                {
                    "client_id": fake.platform.client_id,
                    "token_endpoint_auth_method": "private_key_jwt",
                    "response_types": ["id_token"],
                    "jwks_uri": payload["jwks_uri"],
                    "initiate_login_uri": payload["initiate_login_uri"],
                    "grant_types": ["client_credentials", "implicit"],
                    "redirect_uris": payload["redirect_uris"],
                    "application_type": ["web"],
                    "client_name": payload["client_name"],
                    "logo_uri": "",
                    "scope": payload.get("scope", ""),
                    TOOL_CONFIGURATION: {
                        "deployment_id": str(fake.type_id),
                        "target_link_uri": tool["target_link_uri"],
                        "domain": tool["domain"],
                        "description": tool.get("description", ""),
                        "messages": [{"type": "LtiDeepLinkingRequest"}],
                        "claims": ["sub", "iss", "name", "family_name", "middle_name", "email"],
                    },
                }
            )


@pytest.fixture
def moodle(platform: FakePlatform) -> FakeMoodleRegistration:
    return FakeMoodleRegistration(platform)


def open_registration(
    tool_url: str, moodle: FakeMoodleRegistration, **params: str
) -> requests.Response:
    query = {
        "openid_configuration": moodle.platform.url + "/mod/lti/openid-configuration.php",
        "registration_token": moodle.new_token(),
        **params,
    }
    return requests.get(
        tool_url + "/lti/register", params=query, headers={"Accept": "text/html"}, timeout=30
    )


def test_registration_stores_client_and_deployment_and_closes_the_window(
    tool_url: str, moodle: FakeMoodleRegistration, db_session: Session
) -> None:
    page = open_registration(tool_url, moodle)

    assert page.status_code == 200, page.text
    assert 'postMessage({subject: "org.imsglobal.lti.close"}' in page.text
    assert "window.opener || window.parent" in page.text
    [(platform, deployments)] = registrations.list_platforms(db_session)
    assert platform.issuer == moodle.platform.url
    assert platform.client_id == moodle.platform.client_id
    assert deployments == ["6"]
    assert platform.auth_login_url == moodle.platform.url + "/mod/lti/auth.php"
    assert platform.key_set_url == moodle.platform.url + "/mod/lti/certs.php"
    assert platform.registered_by == "dynamic" and not platform.active
    [sent] = moodle.received
    assert sent["initiate_login_uri"] == tool_url + "/lti/login"
    assert sent["redirect_uris"] == [tool_url + "/lti/launch"]
    assert sent["jwks_uri"] == tool_url + "/lti/jwks"
    assert sent[TOOL_CONFIGURATION]["messages"][0]["type"] == "LtiDeepLinkingRequest"
    assert (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly" in sent["scope"]
    )


def test_registered_platform_launches_once_an_administrator_approves_it(
    tool_url: str, moodle: FakeMoodleRegistration, db_session: Session, runner: FlaskCliRunner
) -> None:
    open_registration(tool_url, moodle)
    moodle.platform.deployment_id = "6"
    with requests.Session() as http:
        browser = Browser(tool_url, moodle.platform, http)
        params = moodle.platform.login_params(LaunchSpec())
        pending = http.post(tool_url + "/lti/login", data=params, allow_redirects=False)
        assert pending.status_code == 403
        assert "trellis platforms activate" in pending.text

        [(platform, _)] = registrations.list_platforms(db_session)
        result = runner.invoke(args=["platforms", "activate", str(platform.id)])
        assert result.exit_code == 0, result.output

        assert browser.launch(LaunchSpec()).status_code == 200


def test_a_used_registration_token_is_reported_not_crashed(
    tool_url: str, moodle: FakeMoodleRegistration
) -> None:
    token = moodle.new_token()
    assert open_registration(tool_url, moodle, registration_token=token).status_code == 200
    again = open_registration(tool_url, moodle, registration_token=token)

    assert again.status_code == 400
    assert "token_already_used" in again.text


def test_configuration_claiming_another_issuer_is_refused(
    tool_url: str, moodle: FakeMoodleRegistration, db_session: Session
) -> None:
    """LTI-DR 1.0 §3.5.1: the issuer must match the configuration URL it was read from."""
    moodle.claimed_issuer = "https://moodle.other.example"
    page = open_registration(tool_url, moodle)

    assert page.status_code == 400
    assert "does not match" in page.text
    assert moodle.received == []
    assert registrations.list_platforms(db_session) == []


def test_unreachable_configuration_is_a_4xx_page(tool_url: str) -> None:
    page = requests.get(
        tool_url + "/lti/register",
        params={"openid_configuration": "http://127.0.0.1:9/nothing", "registration_token": "x"},
        headers={"Accept": "text/html"},
        timeout=30,
    )
    assert page.status_code == 400
    assert "Could not read" in page.text


def test_opening_register_without_parameters_explains_how(tool_url: str) -> None:
    page = requests.get(tool_url + "/lti/register", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 400
    assert "Dynamic Registration" in page.text
