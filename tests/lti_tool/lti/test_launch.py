"""Full launches over real HTTP between Trellis and an independent LTI 1.3 platform."""

from __future__ import annotations

from tests.lti_tool.lti.conftest import Browser
from tests.lti_tool.lti.platform import INSTRUCTOR, LEARNER, SITE_ADMIN, LaunchSpec


def test_learner_launch_lands_on_the_teachers_own_page_in_chinese(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(roles=[LEARNER], name="王老师"))

    assert page.status_code == 200, page.text
    assert "我的成长" in page.text
    assert "当前能力估计" in page.text
    assert "王老师" in page.text


def test_instructor_launch_lands_on_the_cohort_roster(browser: Browser) -> None:
    browser.platform.members = [
        {"user_id": "3", "name": "王老师", "roles": [LEARNER]},
        {"user_id": "4", "name": "李老师", "roles": [LEARNER]},
        {"user_id": "9", "name": "培训者", "roles": [INSTRUCTOR]},
    ]
    page = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR], locale="en"))

    assert page.status_code == 200, page.text
    assert "Cohort dashboard" in page.text
    assert "王老师" in page.text and "李老师" in page.text
    assert "培训者" not in page.text.split("<tbody>")[1]


def test_site_administrator_gets_the_trainer_view(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(user_id="2", roles=[SITE_ADMIN]))

    assert page.status_code == 200, page.text
    assert "班级概览" in page.text
