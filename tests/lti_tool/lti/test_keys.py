"""Signing keys: shared by all workers, at least two published, rotation without breakage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from lti_tool.lti import keys
from lti_tool.settings import Settings
from tests.lti_tool.lti.conftest import Browser
from tests.lti_tool.lti.platform import INSTRUCTOR, LaunchSpec

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_jwks_publishes_an_active_and_a_next_key(client: FlaskClient) -> None:
    body = client.get("/lti/jwks").get_json()

    assert len(body["keys"]) == 2
    for key in body["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["kid"] and "d" not in key and "p" not in key


def test_instance_key_file_is_the_first_active_key(
    db_session: Session, settings: Settings, tmp_path: Path
) -> None:
    pem = keys.new_private_key_pem()
    path = tmp_path / "instance-key.pem"
    path.write_text(pem)

    active = keys.active_key(db_session, instance_key_path=path, now=NOW)

    assert active.private_key_pem == pem
    assert active.kid == keys.key_id(pem)


def test_rotation_promotes_the_published_next_key_and_keeps_the_old_one_for_a_while(
    db_session: Session,
) -> None:
    before = keys.published_jwks(db_session, instance_key_path=None, now=NOW)
    old = keys.active_key(db_session, instance_key_path=None, now=NOW)
    upcoming = {k["kid"] for k in before["keys"]} - {old.kid}

    new = keys.rotate(db_session, instance_key_path=None, now=NOW)

    assert {new.kid} == upcoming  # platforms had it before it signed anything
    during = {
        k["kid"] for k in keys.published_jwks(db_session, instance_key_path=None, now=NOW)["keys"]
    }
    assert old.kid in during and new.kid in during and len(during) == 3
    later = NOW + keys.RETIRED_KEY_GRACE + timedelta(seconds=1)
    after = {
        k["kid"] for k in keys.published_jwks(db_session, instance_key_path=None, now=later)["keys"]
    }
    assert old.kid not in after and new.kid in after and len(after) == 2
    assert keys.active_key(db_session, instance_key_path=None, now=later).kid == new.kid


def test_cli_rotate_and_list(runner: FlaskCliRunner) -> None:
    listed = runner.invoke(args=["keys", "list"])
    states = [json.loads(line)["state"] for line in listed.output.splitlines()]
    assert sorted(states) == ["active", "next"]

    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    states = [
        json.loads(line)["state"]
        for line in runner.invoke(args=["keys", "list"]).output.splitlines()
    ]
    assert sorted(states) == ["active", "next", "retired, still published"]
    assert "PRIVATE" not in listed.output + rotated.output


def test_deep_linking_after_rotation_signs_with_the_new_key(
    browser: Browser, runner: FlaskCliRunner
) -> None:
    runner.invoke(args=["keys", "rotate"])
    picker = browser.launch(LaunchSpec(user_id="9", roles=[INSTRUCTOR], deep_linking=True))
    returned = browser.submit(picker, "/lti/deep-link", target="growth")
    from tests.lti_tool.lti.conftest import form_fields

    fields = form_fields(returned.text)
    saved = browser.http.post(fields.pop("action"), data=fields)

    assert saved.status_code == 200  # the platform verified it against our JWKS
    active = runner.invoke(args=["keys", "list"]).output
    kid = jwt.get_unverified_header(fields["JWT"])["kid"]
    assert any(
        json.loads(line)["kid"] == kid and json.loads(line)["state"] == "active"
        for line in active.splitlines()
    )


def test_platform_key_rotation_is_followed_by_one_refetch(browser: Browser) -> None:
    """pylti1p3 never re-fetches; Trellis re-fetches once on an unknown kid."""
    assert browser.launch(LaunchSpec()).status_code == 200
    fetches = browser.platform.jwks_fetches
    browser.platform.rotate_key()

    assert browser.launch(LaunchSpec()).status_code == 200
    assert browser.platform.jwks_fetches == fetches + 1
    assert browser.launch(LaunchSpec()).status_code == 200
    assert browser.platform.jwks_fetches == fetches + 1  # cached again
