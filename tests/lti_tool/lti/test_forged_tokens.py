"""Forged and tampered launches, signed with the platform's own key: all refused with 4xx.

Covers the 1EdTech certification's "known bad payloads" for tools, and the gaps measured in
pylti1p3 2.0.0 (reused nonce, replay, wrong azp, missing exp/iat, unknown issuer).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session

from lti_tool.models.cache import CacheEntry
from lti_tool.shared_cache import SharedCache
from tests.lti_tool.lti.conftest import Browser, Login
from tests.lti_tool.lti.platform import LEARNER, LaunchSpec, new_private_key_pem

L = "https://purl.imsglobal.org/spec/lti/claim/"


def good_claims(browser: Browser, login: Login) -> dict[str, Any]:
    """A valid resource-link launch for ``login``, as Moodle would send it (no azp)."""
    now = int(time.time())
    return {
        "iss": browser.platform.iss,
        "aud": browser.platform.client_id,
        "sub": "3",
        "iat": now,
        "exp": now + 60,
        "nonce": login.nonce,
        L + "message_type": "LtiResourceLinkRequest",
        L + "version": "1.3.0",
        L + "deployment_id": browser.platform.deployment_id,
        L + "target_link_uri": browser.tool_url + "/lti/launch",
        L + "resource_link": {"id": "7"},
        L + "roles": [LEARNER],
        L + "context": {"id": "2", "type": ["CourseSection"], "title": "课程"},
    }


def launch_with(
    browser: Browser, change: Callable[[dict[str, Any]], None], **sign: Any
) -> tuple[int, str]:
    login = browser.login(LaunchSpec())
    body = good_claims(browser, login)
    change(body)
    token = browser.platform.sign(body, **sign)
    answer = browser.post_launch(token, login.state)
    return answer.status_code, answer.text


def drop(*names: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        for name in names:
            body.pop(name, None)

    return change


def put(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        for name, value in values.items():
            body[name.replace("__", "/")] = value

    return change


def shift(**seconds: int) -> Callable[[dict[str, Any]], None]:
    """Set time claims relative to when the token is made (not when this module loaded)."""

    def change(body: dict[str, Any]) -> None:
        now = int(time.time())
        for name, offset in seconds.items():
            body[name] = now + offset

    return change


def test_a_hand_made_valid_launch_is_accepted(browser: Browser) -> None:
    """The baseline every bad case below differs from in one way."""
    status, text = launch_with(browser, lambda body: None)
    assert status == 200, text


KNOWN_BAD: dict[str, Callable[[dict[str, Any]], None]] = {
    "missing exp": drop("exp"),
    "missing iat": drop("iat"),
    "expired": shift(iat=-3700, exp=-3600),
    "issued in the future": shift(iat=3600, exp=3660),
    "issued long ago": shift(iat=-7200, exp=60),
    "wrong LTI version": put(**{L + "version": "1.2.0"}),
    "no LTI version": drop(L + "version"),
    "no message_type": drop(L + "message_type"),
    "unknown message_type": put(**{L + "message_type": "LtiSomethingElse"}),
    "no roles claim": drop(L + "roles"),
    "no deployment_id": drop(L + "deployment_id"),
    "unknown deployment_id": put(**{L + "deployment_id": "999"}),
    "no resource_link id": put(**{L + "resource_link": {"title": "x"}}),
    "no resource_link": drop(L + "resource_link"),
    "no sub": drop("sub"),
    "empty sub": put(sub=""),
    "no nonce": drop("nonce"),
    "another nonce": put(nonce="not-the-one-issued"),
    "wrong aud": put(aud="someone-else"),
    "wrong azp": put(azp="someone-else"),
    "several audiences without azp": lambda body: body.update(aud=[body["aud"], "other"]),
    "several audiences, azp another": lambda body: body.update(
        aud=[body["aud"], "other"], azp="other"
    ),
    "unknown issuer": put(iss="https://unknown.example.edu"),
    "no claims at all": lambda body: body.clear(),
}


@pytest.mark.parametrize("case", sorted(KNOWN_BAD))
def test_known_bad_payload_is_refused_with_4xx(browser: Browser, case: str) -> None:
    status, text = launch_with(browser, KNOWN_BAD[case])

    assert 400 <= status < 500, (case, status, text[:300])


def test_no_kid_in_header_is_refused(browser: Browser) -> None:
    status, text = launch_with(browser, lambda body: None, headers={})
    assert status == 400 and "kid" in text


def test_incorrect_kid_is_refused_after_one_refetch(browser: Browser) -> None:
    fetches = browser.platform.jwks_fetches
    status, text = launch_with(browser, lambda body: None, headers={"kid": "no-such-key"})

    assert status == 400 and "no-such-key" in text
    assert browser.platform.jwks_fetches - fetches <= 2  # first fetch + at most one refetch


def test_token_signed_by_another_key_with_the_platforms_kid_is_refused(browser: Browser) -> None:
    login = browser.login(LaunchSpec())
    body = good_claims(browser, login)
    import jwt

    token = jwt.encode(
        body, new_private_key_pem(), algorithm="RS256", headers={"kid": browser.platform.kid}
    )
    assert browser.post_launch(token, login.state).status_code == 400


def test_unsigned_token_is_refused(browser: Browser) -> None:
    login = browser.login(LaunchSpec())
    body = good_claims(browser, login)

    def b64(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = b64({"alg": "none", "kid": browser.platform.kid}) + "." + b64(body) + "."
    assert browser.post_launch(token, login.state).status_code == 400


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "e30.e30.e30"])
def test_invalid_jwt_is_refused(browser: Browser, token: str) -> None:
    login = browser.login(LaunchSpec())
    assert 400 <= browser.post_launch(token, login.state).status_code < 500


def test_exact_replay_of_token_and_state_is_refused(browser: Browser) -> None:
    form = browser.authorize(browser.login(LaunchSpec()))
    first = browser.post_launch(form["id_token"], form["state"])
    again = browser.post_launch(form["id_token"], form["state"])

    assert first.status_code == 200
    assert again.status_code == 400


def test_nonce_reused_in_a_new_token_is_refused(browser: Browser) -> None:
    """A fresh login's state with a token carrying a nonce already used."""
    first_login = browser.login(LaunchSpec())
    used = good_claims(browser, first_login)
    assert browser.post_launch(browser.platform.sign(used), first_login.state).status_code == 200

    second_login = browser.login(LaunchSpec())
    reuse = good_claims(browser, second_login) | {"nonce": first_login.nonce}
    answer = browser.post_launch(browser.platform.sign(reuse), second_login.state)
    assert answer.status_code == 400


def test_state_never_issued_is_refused(browser: Browser) -> None:
    login = browser.login(LaunchSpec())
    token = browser.platform.sign(good_claims(browser, login))
    assert browser.post_launch(token, "state-made-up").status_code == 400


def test_missing_state_or_token_is_refused(browser: Browser) -> None:
    login = browser.login(LaunchSpec())
    assert browser.post_launch("", login.state).status_code == 400
    assert browser.http.post(browser.tool_url + "/lti/launch", data={}).status_code == 400


def test_login_from_unknown_issuer_is_a_4xx_page_naming_the_fix(browser: Browser) -> None:
    params = browser.platform.login_params(LaunchSpec()) | {"iss": "https://nobody.example"}
    answer = browser.http.post(
        browser.tool_url + "/lti/login", data=params, headers={"Accept": "text/html"}
    )

    assert answer.status_code == 400
    assert "trellis platforms add" in answer.text


def test_login_without_login_hint_is_refused(browser: Browser) -> None:
    params = browser.platform.login_params(LaunchSpec())
    del params["login_hint"]
    answer = browser.http.post(browser.tool_url + "/lti/login", data=params)
    assert answer.status_code == 400


def test_login_for_a_foreign_target_link_uri_is_refused(browser: Browser) -> None:
    params = browser.platform.login_params(LaunchSpec()) | {
        "target_link_uri": "https://evil.example/phish"
    }
    answer = browser.http.post(browser.tool_url + "/lti/login", data=params)
    assert answer.status_code == 400


ACCEPTED: dict[str, Callable[[dict[str, Any]], None]] = {
    "multiple roles": put(
        **{
            L + "roles": [
                LEARNER,
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
            ]
        }
    ),
    "short role name": put(**{L + "roles": ["Learner"]}),
    "unknown role": put(**{L + "roles": ["http://example.edu/roles#Dreamer"]}),
    "no role": put(**{L + "roles": []}),
    "no PII": drop("name", "given_name", "family_name", "email"),
    "no context": drop(L + "context"),
    "clock skew of a few seconds": shift(iat=10, exp=70),
    "azp equal to client id": lambda body: body.update(azp=body["aud"]),
    "aud as a list of one": lambda body: body.update(aud=[body["aud"]]),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_certification_valid_variants_are_accepted(browser: Browser, case: str) -> None:
    status, text = launch_with(browser, ACCEPTED[case])
    assert status == 200, (case, text[:500])


def test_logins_sweep_expired_cache_entries(browser: Browser, db_session: Session) -> None:
    cache = SharedCache(db_session, clock=lambda: datetime.now(UTC) - timedelta(hours=3))
    cache.set("lti:state:long-gone", {"nonce": "x"}, timedelta(minutes=10))
    db_session.commit()

    browser.login(LaunchSpec())

    db_session.expire_all()
    assert db_session.get(CacheEntry, "lti:state:long-gone") is None


def test_sub_longer_than_the_spec_allows_is_refused(browser: Browser) -> None:
    """LTI 1.3 §5.3.6: sub is at most 255 ASCII characters."""
    status, _ = launch_with(browser, put(sub="9" * 256))
    assert status == 400


def test_very_long_name_is_cut_not_a_500(browser: Browser) -> None:
    status, text = launch_with(browser, put(name="王" * 1000))
    assert status == 200, text[:300]


def test_launch_posted_into_another_browser_is_refused_when_cookies_tell(
    browser: Browser,
) -> None:
    """Where cookies survive, the state is bound to the browser that started the login."""
    with requests.Session() as first, requests.Session() as second:
        mine = Browser(browser.tool_url, browser.platform, first)
        theirs = Browser(browser.tool_url, browser.platform, second)
        form = mine.authorize(mine.login(LaunchSpec()))
        theirs.login(LaunchSpec())  # the other browser has a Trellis cookie of its own
        assert "trellis_lti_browser" in first.cookies and "trellis_lti_browser" in second.cookies

        planted = theirs.post_launch(form["id_token"], form["state"])
        own = mine.post_launch(form["id_token"], form["state"])

    assert planted.status_code == 400 and "another browser" in planted.text
    assert own.status_code == 200, own.text


def test_a_pages_launch_id_used_from_another_browser_is_refused(browser: Browser) -> None:
    with requests.Session() as first, requests.Session() as second:
        mine = Browser(browser.tool_url, browser.platform, first)
        theirs = Browser(browser.tool_url, browser.platform, second)
        page = mine.launch(LaunchSpec(custom={"trellis_view": "pre_assessment"}))
        theirs.login(LaunchSpec())

        stolen = theirs.submit(page, "/lti/score")
        own = mine.submit(page, "/lti/score")

    assert stolen.status_code == 400
    assert own.status_code == 200


def test_platform_error_answer_is_shown_with_what_to_check(browser: Browser) -> None:
    """Moodle's auth.php posts error/error_description/state back when it refuses a login."""
    login = browser.login(LaunchSpec())
    answer = browser.http.post(
        browser.tool_url + "/lti/launch",
        data={
            "error": "invalid_request",
            "error_description": "Invalid redirect_uri",
            "state": login.state,
        },
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 400
    assert "Invalid redirect_uri" in answer.text and "Redirection URI" in answer.text


def test_login_naming_an_unregistered_deployment_says_which_one(browser: Browser) -> None:
    params = browser.platform.login_params(LaunchSpec()) | {"lti_deployment_id": "42"}
    answer = browser.http.post(
        browser.tool_url + "/lti/login", data=params, headers={"Accept": "text/html"}
    )
    assert answer.status_code == 400
    assert "&#39;42&#39;" in answer.text and "--deployment-id 42" in answer.text
