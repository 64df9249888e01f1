"""Refusals an LTI request can meet: each a 4xx with words an administrator can act on."""

from __future__ import annotations

from lti_tool.errors import ApiError


class LtiError(ApiError):
    """A launch, login or registration refused, with what to do about it.

    Attributes:
        hint: what an administrator should check or change, when there is something to do.
    """

    def __init__(self, status: int, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(status, message, code=code)
        self.hint = hint


def bad_launch(message: str, *, code: str = "invalid_launch", hint: str | None = None) -> LtiError:
    """A malformed or untrustworthy launch (400)."""
    return LtiError(400, message, code=code, hint=hint)


def unknown_platform(issuer: str, client_id: str | None) -> LtiError:
    """No registration matches the issuer and client id (400, never 500)."""
    who = f"issuer {issuer!r}" + (f" and client id {client_id!r}" if client_id else "")
    return LtiError(
        400,
        f"No platform is registered with {who}.",
        code="unknown_platform",
        hint="Register the platform on the Trellis admin page (/lti/admin) or with "
        "`trellis platforms add --issuer … --client-id … --deployment-id … "
        "--auth-login-url … --auth-token-url … --key-set-url …`, using the values Moodle shows "
        "under Site administration › Plugins › External tool › Manage tools › Tool "
        "configuration details.",
    )


def unknown_deployment(issuer: str, deployment_id: str) -> LtiError:
    """The platform is registered, this deployment of it is not (400)."""
    return LtiError(
        400,
        f"Deployment {deployment_id!r} of {issuer} is not registered.",
        code="unknown_deployment",
        hint="Add it on /lti/admin or with `trellis platforms add … --deployment-id "
        f"{deployment_id}` (Moodle shows it as the tool's Deployment ID).",
    )
