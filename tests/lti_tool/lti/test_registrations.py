"""Registrations: many platforms and deployments, from the CLI and the admin page."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from lti_tool.lrs.sources import add_source
from lti_tool.lti import registrations

MOODLE = "https://moodle.example.edu"


def add_args(issuer: str = MOODLE, client_id: str = "abc", deployment: str = "1") -> list[str]:
    return [
        "platforms", "add", "--issuer", issuer, "--client-id", client_id,
        "--deployment-id", deployment,
        "--auth-login-url", issuer + "/mod/lti/auth.php",
        "--auth-token-url", issuer + "/mod/lti/token.php",
        "--key-set-url", issuer + "/mod/lti/certs.php",
    ]  # fmt: skip


def test_cli_adds_many_platforms_and_deployments(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=add_args()).exit_code == 0
    assert runner.invoke(args=add_args(deployment="2")).exit_code == 0
    assert runner.invoke(args=add_args(client_id="second-tool")).exit_code == 0
    assert runner.invoke(args=add_args(issuer="https://other.example.cn/")).exit_code == 0

    rows = [
        json.loads(line) for line in runner.invoke(args=["platforms", "list"]).output.splitlines()
    ]
    assert [(r["issuer"], r["client_id"], r["deployment_ids"]) for r in rows] == [
        (MOODLE, "abc", ["1", "2"]),
        (MOODLE, "second-tool", ["1"]),
        ("https://other.example.cn", "abc", ["1"]),
    ]
    assert all(r["active"] for r in rows)


def test_cli_refuses_a_non_url(runner: FlaskCliRunner) -> None:
    args = add_args()
    args[args.index("--key-set-url") + 1] = "certs.php"
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "key set url" in result.output


def test_login_without_client_id_finds_the_issuers_only_registration(db_session: Session) -> None:
    fields = registrations.PlatformFields(
        MOODLE, "abc", MOODLE + "/a", MOODLE + "/t", MOODLE + "/k"
    )
    registrations.add_platform(db_session, fields, ["1"], now=datetime.now(UTC))
    assert registrations.find_platform(db_session, MOODLE + "/", None) is not None
    registrations.add_platform(
        db_session, fields.__class__(MOODLE, "def", MOODLE + "/a", MOODLE + "/t", MOODLE + "/k"),
        ["1"], now=datetime.now(UTC),
    )  # fmt: skip
    assert registrations.find_platform(db_session, MOODLE, None) is None  # ambiguous


def _admin_headers(db_session: Session) -> dict[str, str]:
    credential = add_source(db_session, "ops", admin=True, now=datetime.now(UTC))
    db_session.commit()
    raw = base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}", "Accept": "text/html"}


def test_admin_page_needs_an_admin_credential(client: FlaskClient) -> None:
    answer = client.get("/lti/admin")
    assert answer.status_code == 401
    assert "Basic" in answer.headers["WWW-Authenticate"]


def test_admin_page_adds_and_approves_platforms(client: FlaskClient, db_session: Session) -> None:
    headers = _admin_headers(db_session)
    page = client.get("/lti/admin", headers=headers)
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]

    added = client.post(
        "/lti/admin",
        headers=headers,
        data={
            "token": token, "action": "add", "issuer": MOODLE, "client_id": "abc",
            "deployment_ids": "1 2", "auth_login_url": MOODLE + "/mod/lti/auth.php",
            "auth_token_url": MOODLE + "/mod/lti/token.php",
            "key_set_url": MOODLE + "/mod/lti/certs.php",
        },
    )  # fmt: skip
    assert added.status_code == 200, added.get_data(as_text=True)
    [(platform, deployments)] = registrations.list_platforms(db_session)
    assert deployments == ["1", "2"]

    suspended = client.post(
        "/lti/admin",
        headers=headers,
        data={"token": token, "action": "suspend", "platform_id": str(platform.id)},
    )
    assert suspended.status_code == 200
    db_session.expire_all()
    assert not registrations.list_platforms(db_session)[0][0].active


def test_admin_form_without_its_token_is_refused(client: FlaskClient, db_session: Session) -> None:
    headers = _admin_headers(db_session)
    answer = client.post("/lti/admin", headers=headers, data={"action": "add"})
    assert answer.status_code == 403


def test_cli_refuses_overlong_values_instead_of_failing_in_the_database(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=add_args(client_id="c" * 300))
    assert result.exit_code != 0 and "255" in result.output
    result = runner.invoke(args=add_args(deployment="d" * 300))
    assert result.exit_code != 0 and "255" in result.output


def test_admin_page_lists_keys_and_rotates_them(client: FlaskClient, db_session: Session) -> None:
    headers = _admin_headers(db_session)
    page = client.get("/lti/admin", headers=headers).get_data(as_text=True)
    assert page.count("<td>active</td>") == 1 and page.count("<td>next</td>") == 1
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    rotated = client.post("/lti/admin", headers=headers, data={"token": token, "action": "rotate"})

    text = rotated.get_data(as_text=True)
    assert rotated.status_code == 200 and "signing with key" in text
    assert "retired, still published" in text
