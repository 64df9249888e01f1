"""Offline session check-in: a teacher's press of 签到 becomes one xAPI attended statement."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.check_in import CHECK_IN_SOURCE
from lti_tool.models.lrs import Source, Statement
from tests.lti_tool.lti.conftest import Browser
from tests.lti_tool.lti.platform import INSTRUCTOR, LEARNER, LaunchSpec
from xapi import vocabulary
from xapi.validation import validate_statement

CHECK_IN_LINK = LaunchSpec(user_id="31", custom={"trellis_view": "check_in"})


def _check_ins(db_session: Session) -> list[dict[str, object]]:
    db_session.expire_all()
    rows = db_session.scalars(
        select(Statement.document)
        .join(Source, Source.id == Statement.source_id)
        .where(Source.name == CHECK_IN_SOURCE)
    )
    return [json.loads(document) for document in rows]


def test_a_teacher_checks_in_once_and_an_attended_statement_is_stored(
    browser: Browser, db_session: Session
) -> None:
    page = browser.launch(CHECK_IN_LINK)
    assert page.status_code == 200, page.text
    assert "签到" in page.text

    checked = browser.submit(page, "/lti/check-in")
    again = browser.submit(page, "/lti/check-in")

    assert checked.status_code == 200, checked.text
    assert "已签到" in checked.text
    assert again.status_code == 200
    (statement,) = _check_ins(db_session)
    validate_statement(statement)
    assert statement["verb"]["id"] == vocabulary.VERB_ATTENDED  # type: ignore[index]
    assert statement["actor"]["account"]["name"] == "31"  # type: ignore[index]
    definition = statement["object"]["definition"]  # type: ignore[index]
    assert definition["type"] == vocabulary.ACTIVITY_TYPE_FACE_TO_FACE_DISCUSSION
    assert statement["result"] == {"completion": True}


def test_a_checked_in_teacher_sees_it_on_the_next_launch(browser: Browser) -> None:
    browser.submit(browser.launch(CHECK_IN_LINK), "/lti/check-in")

    page = browser.launch(CHECK_IN_LINK)

    assert "已签到" in page.text
    assert 'action="/lti/check-in"' not in page.text


def test_a_link_that_is_not_a_check_in_cannot_record_one(
    browser: Browser, db_session: Session
) -> None:
    page = browser.launch(LaunchSpec(user_id="32", custom={"trellis_view": "pre_assessment"}))

    refused = browser.http.post(
        browser.tool_url + "/lti/check-in",
        data={"launch_id": _launch_id(page.text)},
        headers={"Accept": "text/html"},
    )

    assert refused.status_code == 403
    assert _check_ins(db_session) == []


def test_a_trainer_launch_cannot_record_a_check_in(browser: Browser) -> None:
    browser.platform.members = [{"user_id": "34", "roles": [LEARNER]}]  # a roster form to submit
    page = browser.launch(LaunchSpec(user_id="33", roles=[INSTRUCTOR], custom=CHECK_IN_LINK.custom))

    refused = browser.http.post(
        browser.tool_url + "/lti/check-in",
        data={"launch_id": _launch_id(page.text)},
        headers={"Accept": "text/html"},
    )

    assert refused.status_code == 403


def _launch_id(html: str) -> str:
    marker = 'name="launch_id" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
