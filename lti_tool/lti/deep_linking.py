"""Deep Linking (LTI-DL 2.0): a trainer picks what a new course link opens.

The choice travels back as the link's custom parameters, never in a query string: Moodle fails on
query strings in deep-link URLs, and lower-cases custom parameter names.
"""

from __future__ import annotations

from dataclasses import dataclass

from pylti1p3.deep_link_resource import DeepLinkResource

from lti_tool.lti.claims import CUSTOM_VIEW_KEY, LinkTarget
from lti_tool.lti.errors import bad_launch
from lti_tool.lti.launch import TrellisMessageLaunch


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing a link can open, with its titles in both languages."""

    target: LinkTarget
    title_zh: str
    title_en: str


CHOICES = (
    Choice(LinkTarget.GROWTH, "我的成长", "My growth"),
    Choice(LinkTarget.COHORT, "班级概览", "Cohort dashboard"),
    Choice(LinkTarget.PRE_ASSESSMENT, "前测", "Pre-assessment"),
    Choice(LinkTarget.POST_ASSESSMENT, "后测", "Post-assessment"),
    Choice(LinkTarget.CHECK_IN, "线下研修签到", "Offline session check-in"),
)


def choice(raw: str) -> Choice | None:
    """The choice named by a submitted form value, if it is one."""
    return next((c for c in CHOICES if c.target.value == raw), None)


@dataclass(frozen=True, slots=True)
class DeepLinkingResponse:
    """The signed response and where the browser must post it."""

    return_url: str
    jwt: str


def deep_linking_response(
    launch: TrellisMessageLaunch, picked: Choice, *, launch_url: str, locale: str
) -> DeepLinkingResponse:
    """Sign an ``LtiDeepLinkingResponse`` with one ``ltiResourceLink`` (LTI-DL 2.0 §4.5).

    pylti1p3 signs with the registration's tool key (our active signing key) and echoes the
    request's ``data``.
    """
    title = f"{picked.title_zh} {picked.title_en}" if locale == "zh" else picked.title_en
    resource = (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(f"Trellis · {title}")
        .set_custom_params({CUSTOM_VIEW_KEY: picked.target.value})
    )
    deep_link = launch.get_deep_link()
    settings = launch.get_launch_data()[
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    ]
    if "ltiResourceLink" not in (settings.get("accept_types") or []):
        raise bad_launch(
            "The platform does not accept LTI resource links in this deep-linking request.",
            code="link_type_refused",
        )
    return DeepLinkingResponse(
        return_url=str(settings["deep_link_return_url"]), jwt=deep_link.get_response_jwt([resource])
    )
