"""LTI 1.3 claim names, and what Trellis reads from a launch's claims.

Claim URIs are named constants (LTI 1.3 §5, LTI-DL 2.0, LTI-AGS 2.0, LTI-NRPS 2.0), never inline
strings in views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGE_TYPES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})

SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

# Roles that open the trainer's view. Moodle sends membership#Instructor to anyone with
# mod/lti:manage, and the two Administrator roles to site admins (mod/lti/locallib.php);
# "Instructor" and "Administrator" are the short forms LTI 1.3 §A.2 still allows.
_TRAINER_ROLES = frozenset(
    {
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
        "Instructor",
        "Administrator",
    }
)


class View(StrEnum):
    """What a launch shows."""

    TEACHER = "teacher"
    TRAINER = "trainer"


class LinkTarget(StrEnum):
    """What a deep-linked resource opens, carried in the link's custom ``trellis_view``.

    Moodle lower-cases custom parameter names, so the name and values are lower case.
    """

    GROWTH = "growth"
    COHORT = "cohort"
    PRE_ASSESSMENT = "pre_assessment"
    POST_ASSESSMENT = "post_assessment"
    CHECK_IN = "check_in"


CUSTOM_VIEW_KEY = "trellis_view"


def view_for_roles(roles: Iterable[object]) -> View:
    """Instructor or administrator → trainer; anything else, unknown or none → teacher."""
    trainer = any(isinstance(role, str) and role in _TRAINER_ROLES for role in roles)
    return View.TRAINER if trainer else View.TEACHER


def link_target(custom: Mapping[str, Any] | None) -> LinkTarget:
    """The link's chosen target; "My growth" when it names none or an unknown one."""
    raw = (custom or {}).get(CUSTOM_VIEW_KEY)
    try:
        return LinkTarget(str(raw).strip().lower())
    except ValueError:
        return LinkTarget.GROWTH


def page_locale(presentation: Mapping[str, Any] | None) -> str:
    """``en`` when ``launch_presentation.locale`` is English (``en``, ``en_AU``…), else ``zh``."""
    raw = str((presentation or {}).get("locale") or "").strip().lower()
    return "en" if raw.startswith("en") else "zh"


@dataclass(frozen=True, slots=True)
class LaunchFacts:
    """What the pages need from a validated launch, read once."""

    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    name: str | None
    roles: tuple[str, ...]
    view: View
    message_type: str
    context_id: str | None
    context_title: str | None
    resource_link_id: str | None
    target: LinkTarget
    locale: str
    return_url: str | None

    @classmethod
    def from_claims(cls, body: Mapping[str, Any]) -> LaunchFacts:
        """Read the facts from a validated id_token body (missing optional claims tolerated)."""
        aud = body.get("aud")
        client_id = aud[0] if isinstance(aud, list) and aud else aud
        roles = tuple(str(role) for role in body.get(ROLES) or () if isinstance(role, str))
        context = _mapping(body.get(CONTEXT))
        presentation = _mapping(body.get(LAUNCH_PRESENTATION))
        resource_link = _mapping(body.get(RESOURCE_LINK))
        name = body.get("name") or _full_name(body.get("given_name"), body.get("family_name"))
        return_url = presentation.get("return_url")
        return cls(
            issuer=str(body["iss"]),
            client_id=str(client_id),
            deployment_id=str(body.get(DEPLOYMENT_ID, "")),
            subject=str(body.get("sub", "")),
            name=str(name) if name else None,
            roles=roles,
            view=view_for_roles(roles),
            message_type=str(body.get(MESSAGE_TYPE, "")),
            context_id=str(context["id"]) if context.get("id") else None,
            context_title=str(context.get("title") or context.get("label") or "") or None,
            resource_link_id=str(resource_link["id"]) if resource_link.get("id") else None,
            target=link_target(_mapping(body.get(CUSTOM))),
            locale=page_locale(presentation),
            return_url=_safe_http_url(return_url),
        )


def _full_name(given: object, family: object) -> str:
    parts = [str(part) for part in (given, family) if isinstance(part, str) and part]
    if len(parts) == 2 and all("\u4e00" <= char <= "\u9fff" for char in "".join(parts)):
        return parts[1] + parts[0]  # 王 + 芳: Chinese names put the family name first
    return " ".join(parts)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _safe_http_url(value: object) -> str | None:
    # A "back to course" link must not become a javascript: URL.
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None
