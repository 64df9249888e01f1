"""LTI Advantage round trips with the platform: deep linking, grades (AGS), roster (NRPS)."""

from __future__ import annotations

import jwt
import requests
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.competencies.processing import process_all
from lti_tool.db import database
from lti_tool.identity import account_key
from lti_tool.models.identity import Person, PersonIdentifier
from tests.lti_tool.competencies.conftest import MOODLE
from tests.lti_tool.competencies.test_end_to_end import cohort_statements, set_up_programme
from tests.lti_tool.lrs.conftest import XapiClient, make_source
from tests.lti_tool.lti.conftest import Browser, form_fields, register
from tests.lti_tool.lti.platform import INSTRUCTOR, LEARNER, FakePlatform, LaunchSpec

CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"


def test_deep_linking_round_trip_returns_the_choice_as_custom_parameters(
    browser: Browser,
) -> None:
    """LTI-DL 2.0 §4.5: the picked page comes back as an ltiResourceLink with custom params."""
    picker = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR], deep_linking=True))
    assert picker.status_code == 200, picker.text
    assert "班级概览" in picker.text and "线下研修签到" in picker.text

    returned = browser.submit(picker, "/lti/deep-link", target="cohort")
    assert returned.status_code == 200, returned.text
    saved = browser.http.post(**_auto_submit(returned.text))

    assert saved.status_code == 200, saved.text
    [item] = browser.platform.deep_link_items
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == browser.tool_url + "/lti/launch"
    assert "?" not in item["url"]
    assert item["custom"] == {"trellis_view": "cohort"}
    assert browser.platform.deep_link_data == [{"moodle": "echo-me"}]


def test_deep_link_response_is_signed_with_a_key_in_the_tools_jwks(browser: Browser) -> None:
    picker = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR], deep_linking=True))
    returned = browser.submit(picker, "/lti/deep-link", target="growth")
    token = _auto_submit(returned.text)["data"]["JWT"]

    kids = {key["kid"] for key in browser.http.get(browser.tool_url + "/lti/jwks").json()["keys"]}
    assert jwt.get_unverified_header(token)["kid"] in kids


def test_a_platform_that_accepts_no_resource_links_gets_a_4xx_not_a_bad_link(
    browser: Browser,
) -> None:
    spec = LaunchSpec(user_id="9", roles=[INSTRUCTOR], deep_linking=True, accept_types={"file"})
    picker = browser.launch(spec)
    refused = browser.submit(picker, "/lti/deep-link", target="growth")

    assert refused.status_code == 400
    assert browser.platform.deep_link_items == []


def test_a_learner_cannot_add_links(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(roles=[LEARNER], deep_linking=True))
    assert page.status_code == 403


def test_deep_linked_pre_assessment_sends_the_score_to_a_created_line_item(
    browser: Browser,
) -> None:
    """LTI-AGS 2.0: no coupled line item, so Trellis creates one (tagged) and posts the score."""
    page = browser.launch(LaunchSpec(custom={"trellis_view": "pre_assessment"}))
    assert page.status_code == 200, page.text
    assert "前测" in page.text

    sent = browser.submit(page, "/lti/score")

    assert sent.status_code == 200, sent.text
    assert "成绩已提交" in sent.text
    [item] = browser.platform.lineitems.values()
    assert item["tag"] == "trellis-pre_assessment"
    [scores] = browser.platform.scores.values()
    assert scores[0]["userId"] == "3"
    assert scores[0]["scoreMaximum"] == 100
    assert scores[0]["gradingProgress"] == "FullyGraded"


def test_a_second_score_reuses_the_line_item(browser: Browser) -> None:
    for _ in range(2):
        page = browser.launch(LaunchSpec(custom={"trellis_view": "post_assessment"}))
        assert browser.submit(page, "/lti/score").status_code == 200
    assert len(browser.platform.lineitems) == 1
    assert len(next(iter(browser.platform.scores.values()))) == 2


def test_score_goes_to_the_coupled_line_item_when_moodle_sends_one(browser: Browser) -> None:
    page = browser.launch(
        LaunchSpec(custom={"trellis_view": "post_assessment"}, coupled_lineitem=True)
    )
    sent = browser.submit(page, "/lti/score")

    assert "成绩已提交" in sent.text
    assert list(browser.platform.scores) == ["1"]


def test_without_ags_the_page_says_what_to_enable(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(custom={"trellis_view": "pre_assessment"}, ags=False))
    sent = browser.submit(page, "/lti/score")

    assert sent.status_code == 200
    assert "Assignment and Grade Services" in sent.text


def test_roster_lists_teachers_who_never_launched(browser: Browser, db_session: Session) -> None:
    """LTI-NRPS 2.0: the trainer sees every learner in the course, launched or not."""
    browser.platform.members = [
        {"user_id": "31", "name": "从未打开的老师", "roles": [LEARNER]},
        {"user_id": "32", "roles": [LEARNER]},
    ]
    page = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR]))

    assert "从未打开的老师" in page.text
    assert ">32<" in page.text  # no name shared: the user id stands in
    assert "从未" in page.text  # never active
    key = account_key(browser.platform.iss, "31")
    assert db_session.get(PersonIdentifier, key) is not None


def test_without_nrps_the_trainer_page_says_what_to_enable(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR], nrps=False, locale="en"))

    assert page.status_code == 200
    assert "Names and Role Provisioning" in page.text


def test_launch_links_the_user_to_the_person_xapi_statements_name(
    browser: Browser, db_session: Session
) -> None:
    """Moodle's logstore_xapi names the user account{homePage: wwwroot, name: id}."""
    browser.launch(LaunchSpec(user_id="77", name="赵老师"))

    key = account_key(browser.platform.iss, "77")
    identifier = db_session.get(PersonIdentifier, key)
    assert identifier is not None
    person = db_session.get(Person, identifier.person_id)
    assert person is not None and person.display_name == "赵老师"
    again = browser.launch(LaunchSpec(user_id="77"))
    assert again.status_code == 200
    assert (
        len(db_session.scalars(select(PersonIdentifier).where(PersonIdentifier.key == key)).all())
        == 1
    )


def test_english_locale_and_return_url(browser: Browser) -> None:
    page = browser.launch(
        LaunchSpec(locale="en_AU", return_url="https://moodle.example/course/view.php?id=2")
    )
    assert "My growth" in page.text
    assert 'href="https://moodle.example/course/view.php?id=2"' in page.text
    assert "Back to course" in page.text


def test_javascript_return_url_is_not_linked(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(return_url="javascript:alert(1)"))
    assert "javascript:" not in page.text


def test_login_by_get_works_too(browser: Browser) -> None:
    assert browser.launch(LaunchSpec(), method="GET").status_code == 200


def test_expired_or_forged_launch_id_is_a_4xx(browser: Browser) -> None:
    answer = browser.http.post(
        browser.tool_url + "/lti/score", data={"launch_id": "lti1p3-launch-nope"}
    )
    assert answer.status_code == 400


def _auto_submit(html: str) -> dict[str, object]:
    from tests.lti_tool.lti.conftest import form_fields

    fields = form_fields(html)
    return {"url": fields.pop("action"), "data": fields}


def test_teacher_sees_the_evidence_moodles_log_store_sent(
    tool_url: str, app: Flask, client: FlaskClient, runner: FlaskCliRunner, db_session: Session
) -> None:
    """Issue 5, identity: statements naming account{homePage: wwwroot, name: 1024} and a launch
    with iss = wwwroot, sub = 1024 are one person, whose evidence the launch shows."""
    set_up_programme(runner)
    moodle = XapiClient(client, make_source(app, "moodle"))
    assert moodle.post(cohort_statements()["1024"]).status_code == 200
    assert process_all(database(app).sessionmaker, home_page="http://localhost/xapi") >= 1

    with FakePlatform(tool_url, issuer=MOODLE).serving() as platform, requests.Session() as http:
        register(db_session, platform)
        page = Browser(tool_url, platform, http).launch(LaunchSpec(user_id="1024"))

    assert page.status_code == 200, page.text
    assert "3.1.1" in page.text
    assert page.text.count("<tr>") >= 1 + 3  # header, estimate, evidence rows
    assert "还没有证据" not in page.text


def test_trainer_sends_every_teachers_attainment_to_one_created_line_item(
    browser: Browser,
) -> None:
    browser.platform.members = [
        {"user_id": "3", "name": "王老师", "roles": [LEARNER]},
        {"user_id": "4", "name": "李老师", "roles": [LEARNER]},
        {"user_id": "9", "name": "培训者", "roles": [INSTRUCTOR]},
    ]
    page = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR]))
    sent = browser.submit(page, "/lti/cohort-scores")

    assert sent.status_code == 200, sent.text
    assert "成绩已提交 (2" in sent.text
    [item] = browser.platform.lineitems.values()
    assert item["tag"] == "trellis-growth"
    [scores] = browser.platform.scores.values()
    assert sorted(score["userId"] for score in scores) == ["3", "4"]


def test_a_teacher_cannot_send_the_cohorts_scores(browser: Browser) -> None:
    page = browser.launch(LaunchSpec(custom={"trellis_view": "pre_assessment"}))
    fields = form_fields(page.text, action="/lti/score")
    answer = browser.http.post(
        browser.tool_url + "/lti/cohort-scores", data={"launch_id": fields["launch_id"]}
    )
    assert answer.status_code == 403
    assert browser.platform.scores == {}
