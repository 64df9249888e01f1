"""OIDC login and message launch: pylti1p3's flow with our state binding and stricter checks.

Login stores, under an unguessable ``state``, the nonce and the platform it was issued for; the
launch must bring that state back, with an id_token that carries the same nonce, from the same
issuer and client id. State and nonce are consumed atomically, so a reused nonce or a replayed
token + state is refused on every worker. No cookie is needed, so a browser that blocks
third-party cookies inside Moodle's iframe still launches.

Where the browser does keep cookies, login also binds the state to a browser cookie, and a launch
that brings a different browser's cookie is refused (a launch posted into someone else's browser).
A launch with no cookie at all is accepted: that is what a blocked third-party cookie looks like.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.exception import LtiException, OIDCException

from lti_tool.lti import security
from lti_tool.lti.errors import LtiError, bad_launch, unknown_deployment
from lti_tool.lti.platform_keys import PlatformKeys
from lti_tool.lti.tool_config import DatabaseToolConf
from lti_tool.shared_cache import SharedCache

STATE_TTL = timedelta(minutes=10)
NONCE_MEMORY = timedelta(hours=1)
"""Used nonces are remembered longer than any acceptable token can live."""
LAUNCH_TTL = timedelta(hours=2)


def state_key(state: str) -> str:
    """Where a login's state binding lives in the shared cache."""
    return f"lti:state:{state}"


class TrellisOIDCLogin(FlaskOIDCLogin):
    """pylti1p3's OIDC login, remembering state → nonce and platform on the server."""

    def __init__(self, *args: Any, cache: SharedCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._cache = cache
        self.nonce: str | None = None
        if self._launch_data_storage is not None:
            self.set_launch_data_storage(self._launch_data_storage)
            self.set_launch_data_lifetime(int(STATE_TTL.total_seconds()))

    def _get_uuid(self) -> str:
        return secrets.token_urlsafe(32)

    def _generate_nonce(self) -> str:
        self.nonce = secrets.token_urlsafe(32)
        return self.nonce

    def authorization_url(self, redirect_uri: str, *, browser: str) -> str:
        """Validate the login request and build the platform's authorization URL.

        Args:
            redirect_uri: our launch URL, exactly as registered in the platform.
            browser: the id of the browser's cookie, remembered with the state.

        Raises:
            LtiError: unknown platform, registration pending, or missing parameters.
        """
        try:
            url = str(self.get_redirect_object(redirect_uri).get_redirect_url())
        except (LtiException, OIDCException) as error:
            raise bad_launch(
                f"The login request is incomplete: {error}.", code="bad_login"
            ) from None
        registration = self._registration
        deployment_id = self._get_request_param("lti_deployment_id")
        if deployment_id and not self._tool_config.find_deployment_by_params(
            registration.get_issuer(), deployment_id, registration.get_client_id()
        ):
            # Moodle names the deployment at login: say so now, not after a round trip.
            raise unknown_deployment(str(registration.get_issuer()), str(deployment_id))
        state = _state_from_url(url)
        self._cache.set(
            state_key(state),
            {
                "nonce": self.nonce,
                "iss": registration.get_issuer(),
                "client_id": registration.get_client_id(),
                "browser": browser,
            },
            STATE_TTL,
        )
        return url


class TrellisMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's message launch with each validation step made strict.

    Args:
        cache: the shared cache holding states, nonces, key sets and launches.
        browser: the id in the request's Trellis cookie, if the browser sent one.
    """

    def __init__(
        self, *args: Any, cache: SharedCache, browser: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._cache = cache
        self._browser = browser
        self._binding: dict[str, Any] = {}
        self._launch_id = "lti1p3-launch-" + secrets.token_urlsafe(32)
        self.set_launch_data_lifetime(int(LAUNCH_TTL.total_seconds()))

    @classmethod
    def restore(
        cls, launch_id: str, *args: Any, cache: SharedCache, **kwargs: Any
    ) -> TrellisMessageLaunch:
        """A launch validated earlier, from the launch data saved under ``launch_id``.

        Raises:
            LtiException: when nothing is saved under ``launch_id`` (expired or unknown), or the
                request's cookie names another browser than the one that launched.
        """
        launch = cls(*args, cache=cache, **kwargs)
        data = launch.get_session_service().get_launch_data(launch_id)
        if not data:
            raise LtiException("Launch data not found")
        started_in = cache.get(_browser_key(launch_id))
        if launch._browser and started_in and launch._browser != started_in:
            raise LtiException("Launch started in another browser")
        launch.set_launch_id(launch_id).set_auto_validation(enable=False)
        launch.set_jwt({"body": data}).set_restored()
        # pylti1p3's own check: the registration still exists, is active, has this client id.
        FlaskMessageLaunch.validate_registration(launch)
        return launch

    def validate(self) -> TrellisMessageLaunch:
        """Validate everything, then consume state and nonce and save the launch.

        Raises:
            LtiError: 400 (or 403 for a pending registration) saying what is wrong.
        """
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_deployment()
            self.validate_message()
            self.validate_nonce()
            self.save_launch_data()
        except LtiError:
            self._validated = False
            raise
        except LtiException as error:
            self._validated = False
            raise bad_launch(f"The launch is invalid: {error}.") from None
        return self

    def validate_state(self) -> TrellisMessageLaunch:
        platform_error = self._param("error")
        if platform_error:
            # OIDC Core §3.1.2.6: the platform answers a refused login with error and
            # error_description (Moodle's auth.php does, e.g. for an unregistered redirect_uri).
            description = self._param("error_description") or ""
            raise bad_launch(
                f"The platform refused the login: {platform_error[:100]} {description[:300]}.",
                code="platform_refused_login",
                hint="Check the tool's Redirection URI(s) in the platform: it must be exactly "
                "this Trellis's /lti/launch URL.",
            )
        state = self._param("state")
        if not state:
            raise bad_launch("The launch has no state.", code="missing_state")
        if not self._param("id_token"):
            raise bad_launch("The launch has no id_token.", code="missing_id_token")
        binding = self._cache.get(state_key(state))
        if not isinstance(binding, dict):
            raise bad_launch(
                "This launch's state is unknown, used already, or older than ten minutes.",
                code="unknown_state",
                hint="Open the activity again from the course; a launch cannot be reused.",
            )
        self._binding = binding
        if self._browser and binding.get("browser") and self._browser != binding["browser"]:
            raise bad_launch(
                "This launch was started in another browser.",
                code="other_browser",
                hint="Open the activity again from the course in this browser.",
            )
        return self

    def validate_jwt_format(self) -> TrellisMessageLaunch:
        header, body = security.read_unverified(self._get_id_token())
        self._jwt = {"header": header, "body": body}  # type: ignore[typeddict-item]
        return self

    def validate_registration(self) -> TrellisMessageLaunch:
        body = self._jwt["body"]
        issuer, client_id = body.get("iss"), self.get_client_id()
        if not isinstance(issuer, str) or not issuer:
            raise bad_launch("The id_token has no issuer (iss).", code="missing_iss")
        if not isinstance(client_id, str) or not client_id:
            raise bad_launch("The id_token has no audience (aud).", code="missing_aud")
        if (issuer, client_id) != (self._binding.get("iss"), self._binding.get("client_id")):
            # Either unknown, or not the platform this login was started for.
            self._tool_config.find_registration_by_params(issuer, client_id)
            raise bad_launch(
                "The id_token comes from another platform than the login it answers.",
                code="state_mismatch",
            )
        super().validate_registration()
        return self

    def validate_jwt_signature(self) -> TrellisMessageLaunch:
        kid, alg = security.check_header(self._jwt["header"])
        registration = self._registration
        assert registration is not None, "validate_registration runs first"
        url, issuer = registration.get_key_set_url(), registration.get_issuer()
        client_id = registration.get_client_id()
        assert url is not None and issuer is not None and client_id is not None
        keys = PlatformKeys(self._cache, self._requests_session, url)
        self._jwt["body"] = security.verify_signature_and_times(  # type: ignore[typeddict-item]
            self._get_id_token(), keys.public_key_pem(kid, alg), issuer=issuer, client_id=client_id
        )
        return self

    def validate_deployment(self) -> TrellisMessageLaunch:
        body = self._jwt["body"]
        deployment_id = body.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id")
        if not isinstance(deployment_id, str) or not deployment_id:
            raise bad_launch("The id_token has no deployment_id claim.", code="missing_deployment")
        config: DatabaseToolConf = self._tool_config
        found = config.find_deployment_by_params(body["iss"], deployment_id, self.get_client_id())
        if found is None:
            raise unknown_deployment(body["iss"], deployment_id)
        return self

    def validate_message(self) -> TrellisMessageLaunch:
        security.check_message(self._jwt["body"])
        return self

    def validate_nonce(self) -> TrellisMessageLaunch:
        nonce = self._jwt["body"].get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise bad_launch("The id_token has no nonce.", code="missing_nonce")
        if not secrets.compare_digest(nonce, str(self._binding.get("nonce", ""))):
            raise bad_launch(
                "The id_token's nonce is not the one issued for this login.", code="bad_nonce"
            )
        # Single use, atomically across workers: the first launch to claim state and nonce wins.
        state = str(self._param("state"))
        if not self._cache.add(f"lti:nonce-used:{nonce}", True, NONCE_MEMORY):
            raise bad_launch("The id_token's nonce was used before.", code="nonce_reused")
        if not self._cache.add(f"lti:state-used:{state}", True, STATE_TTL):
            raise bad_launch("This launch was used before.", code="replayed")
        self._cache.delete(state_key(state))
        return self

    def _param(self, name: str) -> str | None:
        value = self._get_request_param(name)  # type: ignore[no-untyped-call]
        return str(value) if value else None

    def save_launch_data(self) -> TrellisMessageLaunch:
        # Not pylti1p3's: it also marks the state valid for this token, which admits replays.
        self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        if self._binding.get("browser"):
            self._cache.set(_browser_key(self._launch_id), self._binding["browser"], LAUNCH_TTL)
        return self


def _browser_key(launch_id: str) -> str:
    return f"lti:launch-browser:{launch_id}"


def _state_from_url(url: str) -> str:
    values = parse_qs(urlsplit(url).query).get("state")
    assert values, "pylti1p3 always sends a state"
    return values[0]
