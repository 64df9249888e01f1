"""Reading launches: role mapping as Moodle sends roles, link targets, locale, tolerance."""

from __future__ import annotations

import pytest

from lti_tool.lti import claims
from lti_tool.lti.claims import LaunchFacts, LinkTarget, View

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "view"),
    [
        ([LIS + "membership#Instructor"], View.TRAINER),
        ([LIS + "membership#Learner"], View.TEACHER),
        (
            [
                LIS + "institution/person#Administrator",
                LIS + "membership#Instructor",
                LIS + "system/person#Administrator",
            ],
            View.TRAINER,
        ),  # a Moodle site admin teaching the course
        ([LIS + "system/person#Administrator"], View.TRAINER),
        (["Instructor"], View.TRAINER),
        (["Learner"], View.TEACHER),
        ([LIS + "membership/Instructor#TeachingAssistant"], View.TEACHER),
        (["http://example.edu/roles#Dreamer"], View.TEACHER),
        ([], View.TEACHER),
    ],
)
def test_instructors_and_administrators_are_trainers_everyone_else_a_teacher(
    roles: list[str], view: View
) -> None:
    assert claims.view_for_roles(roles) is view


@pytest.mark.parametrize(
    ("custom", "target"),
    [
        ({"trellis_view": "cohort"}, LinkTarget.COHORT),
        ({"trellis_view": "PRE_ASSESSMENT"}, LinkTarget.PRE_ASSESSMENT),
        ({"trellis_view": "nonsense"}, LinkTarget.GROWTH),
        ({}, LinkTarget.GROWTH),
        (None, LinkTarget.GROWTH),
    ],
)
def test_link_target_defaults_to_my_growth(
    custom: dict[str, str] | None, target: LinkTarget
) -> None:
    assert claims.link_target(custom) is target


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "en"), ("en_AU", "en"), ("EN-us", "en"), ("zh_cn", "zh"), ("fr", "zh"), (None, "zh")],
)
def test_english_only_when_moodle_says_english(locale: str | None, expected: str) -> None:
    assert claims.page_locale({"locale": locale}) == expected


def test_facts_tolerate_no_pii_no_context_no_presentation() -> None:
    facts = LaunchFacts.from_claims(
        {
            "iss": "https://moodle.example",
            "aud": "client",
            "sub": "3",
            claims.DEPLOYMENT_ID: "1",
            claims.MESSAGE_TYPE: claims.RESOURCE_LINK_REQUEST,
            claims.ROLES: [],
        }
    )
    assert facts.name is None and facts.context_id is None and facts.return_url is None
    assert facts.view is View.TEACHER and facts.locale == "zh"


@pytest.mark.parametrize(
    ("given", "family", "name"),
    [("芳", "王", "王芳"), ("Ann", "Lee", "Ann Lee"), ("Ann", None, "Ann")],
)
def test_facts_join_given_and_family_names_in_the_names_own_order(
    given: str, family: str | None, name: str
) -> None:
    facts = LaunchFacts.from_claims(
        {"iss": "i", "aud": ["c"], "sub": "3", "given_name": given, "family_name": family}
    )
    assert facts.name == name and facts.client_id == "c"


def test_roles_of_odd_shapes_make_a_teacher_not_a_crash() -> None:
    assert claims.view_for_roles([{"role": "Instructor"}, None, 3]) is View.TEACHER
