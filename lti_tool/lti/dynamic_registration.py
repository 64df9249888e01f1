"""LTI Dynamic Registration (1EdTech LTI-DR 1.0) as Moodle 4.x does it.

The administrator pastes ``https://<trellis>/lti/register`` into Moodle; Moodle opens it with
``openid_configuration`` and ``registration_token``. Trellis reads the platform's configuration
(``mod/lti/openid-configuration.php``), posts its own registration to the platform's
``registration_endpoint`` (``mod/lti/openid-registration.php``) with the token as a Bearer
credential, and stores the client id and deployment id Moodle returns. The page then asks the
opener to close it (``org.imsglobal.lti.close``).

The stored registration waits inactive until a Trellis administrator approves it: opening this
URL needs no Trellis credentials, so it must not be enough to make Trellis trust a platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy.orm import Session

from lti_tool.lti import claims, registrations
from lti_tool.lti.errors import LtiError
from lti_tool.models.lti import LtiPlatform

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CLIENT_NAME = "Trellis 教师成长轨迹"
WANTED_SCOPES = (
    claims.SCOPE_SCORE,
    claims.SCOPE_RESULT,
    claims.SCOPE_LINEITEM_READONLY,
    claims.SCOPE_LINEITEM,
    claims.SCOPE_NRPS,
)
MAX_RESPONSE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class ToolUrls:
    """Where this Trellis answers, as the platform must be told."""

    base_url: str

    @property
    def login(self) -> str:
        return self.base_url + "/lti/login"

    @property
    def launch(self) -> str:
        return self.base_url + "/lti/launch"

    @property
    def jwks(self) -> str:
        return self.base_url + "/lti/jwks"


def _refuse(message: str, *, hint: str | None = None) -> LtiError:
    return LtiError(400, message, code="registration_failed", hint=hint)


def tool_registration(urls: ToolUrls, platform_config: dict[str, Any]) -> dict[str, Any]:
    """The client registration Trellis sends (LTI-DR 1.0 §3.5.2), asking only for what the
    platform supports."""
    offered = platform_config.get("scopes_supported")
    supported = set(offered) if isinstance(offered, list) else set(WANTED_SCOPES)
    scopes = [scope for scope in WANTED_SCOPES if scope in supported]
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": CLIENT_NAME,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(urls.base_url).netloc,
            "target_link_uri": urls.launch,
            "description": "教师成长轨迹：每位教师能力成长的真实记录 / "
            "An honest record of each teacher's growth.",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {
                    "type": claims.DEEP_LINKING_REQUEST,
                    "target_link_uri": urls.launch,
                    "label": CLIENT_NAME,
                }
            ],
        },
    }


def register(
    session: Session,
    http: requests.Session,
    urls: ToolUrls,
    *,
    openid_configuration: str,
    registration_token: str | None,
    now: datetime,
) -> LtiPlatform:
    """Run the registration and store its result (inactive); the caller commits.

    Raises:
        LtiError: 400 saying which step failed and why.
    """
    if not openid_configuration.startswith(("https://", "http://")):
        raise _refuse(
            "Open this page from the platform's Dynamic Registration: it needs an "
            "openid_configuration URL.",
            hint="In Moodle: Site administration › Plugins › External tool › Manage tools, "
            "paste the tool URL (…/lti/register) and press Add LTI Advantage.",
        )
    config = _get_json(http, openid_configuration, "the platform's OpenID configuration")
    issuer = _required_url(config, "issuer")
    # LTI-DR 1.0 §3.5.1: the issuer must prefix the configuration URL, so a page cannot point
    # Trellis at a configuration that claims someone else's issuer.
    if not openid_configuration.startswith(issuer.rstrip("/") + "/"):
        raise _refuse(
            f"The configuration at {openid_configuration} names issuer {issuer}, which does "
            "not match its address."
        )
    endpoint = _required_url(config, "registration_endpoint")
    if not endpoint.startswith(issuer.rstrip("/") + "/"):
        raise _refuse(f"The registration endpoint {endpoint} is not under issuer {issuer}.")
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = http.post(endpoint, json=tool_registration(urls, config), headers=headers)
    except requests.RequestException as error:
        raise _refuse(
            f"The platform's registration endpoint could not be reached: {error}."
        ) from None
    if not response.ok:
        raise _refuse(
            f"The platform refused the registration ({response.status_code}: "
            f"{response.text[:200]}).",
            hint="A registration token is single-use: start the registration again in Moodle.",
        )
    answer = _json_of(response, "the registration response")
    client_id = answer.get("client_id")
    tool_config = answer.get(TOOL_CONFIGURATION) or {}
    deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise _refuse("The platform's registration response has no client_id.")
    platform_config = config.get(PLATFORM_CONFIGURATION)
    family = platform_config.get("product_family_code") if isinstance(platform_config, dict) else ""
    platform_name = family if isinstance(family, str) else ""
    audience = config.get("authorization_server")
    fields = registrations.PlatformFields(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=_required_url(config, "authorization_endpoint"),
        auth_token_url=_required_url(config, "token_endpoint"),
        key_set_url=_required_url(config, "jwks_uri"),
        name=f"{issuer} ({platform_name})" if platform_name else issuer,
        auth_audience=audience if isinstance(audience, str) and audience else None,
    )
    return registrations.add_platform(
        session,
        fields,
        [str(deployment_id)] if deployment_id else [],
        now=now,
        active=False,
        registered_by="dynamic",
    )


def _get_json(http: requests.Session, url: str, what: str) -> dict[str, Any]:
    try:
        response = http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
    except requests.RequestException as error:
        raise _refuse(f"Could not read {what} at {url}: {error}.") from None
    return _json_of(response, what)


def _json_of(response: requests.Response, what: str) -> dict[str, Any]:
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise _refuse(f"{what.capitalize()} is too large.")
    try:
        body = response.json()
    except ValueError:
        raise _refuse(f"{what.capitalize()} is not JSON.") from None
    if not isinstance(body, dict):
        raise _refuse(f"{what.capitalize()} is not a JSON object.")
    return body


def _required_url(config: dict[str, Any], name: str) -> str:
    value = config.get(name)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise _refuse(f"The platform's configuration has no usable {name}.")
    return value
