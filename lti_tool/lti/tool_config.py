"""pylti1p3's tool configuration over our database tables.

pylti1p3 asks the configuration for a registration (issuer + client id) and a deployment; here
both come from ``lti_platforms`` and ``lti_deployments``, and the tool key is the active signing
key shared by every worker.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy.orm import Session

from lti_tool.lti import registrations
from lti_tool.lti.errors import LtiError, unknown_platform
from lti_tool.lti.keys import SigningKey
from lti_tool.models.lti import LtiPlatform


class DatabaseToolConf(ToolConfAbstract):  # type: ignore[type-arg]
    """Registrations and deployments read from the database, many client ids per issuer.

    Args:
        session: the request's session.
        signing_key: the key the tool signs with (client assertions, deep-linking responses).
    """

    def __init__(self, session: Session, signing_key: SigningKey) -> None:
        self._session = session
        self._signing_key = signing_key
        self.platform: LtiPlatform | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self.find_registration_by_params(iss, None, *args, **kwargs)

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Registration:
        """The registration, or an :class:`LtiError` (400/403) instead of pylti1p3's bare 500."""
        platform = registrations.find_platform(self._session, iss, client_id)
        if platform is None:
            raise unknown_platform(iss, client_id)
        if not platform.active:
            raise LtiError(
                403,
                f"The registration of {platform.issuer} (client id {platform.client_id}) awaits "
                "approval.",
                code="registration_pending",
                hint="An administrator approves it on /lti/admin or with "
                f"`trellis platforms activate {platform.id}`.",
            )
        self.platform = platform
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_auth_audience(platform.auth_audience or platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(self._signing_key.private_key_pem)
            .set_tool_public_key(self._signing_key.public_key_pem)
        )

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = registrations.find_platform(self._session, iss, client_id or None)
        if platform is None or not deployment_id:
            return None
        if registrations.find_deployment(self._session, platform, deployment_id) is None:
            return None
        return Deployment().set_deployment_id(deployment_id)
