"""The `trellis` command: instance set-up without an app, migrations through the app."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect

from lti_tool.commands import instance_cli
from lti_tool.db import Base, make_engine
from lti_tool.settings import Settings


def _trellis(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from lti_tool.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_instance_init_creates_owner_only_secret_and_signing_key(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "fresh-instance"

    result = runner.invoke(instance_cli, ["init"], env={"TRELLIS_INSTANCE_PATH": str(folder)})

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "instance_path": str(folder),
        "secret_key": "created",
        "lti_signing_key": "created",
    }
    for name in ("secret_key", "lti_private_key.pem"):
        mode = stat.S_IMODE((folder / name).stat().st_mode)
        assert mode == 0o600, f"{name} is readable by others: {oct(mode)}"
    assert (folder / "lti_private_key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_instance_init_twice_keeps_what_is_there(runner: FlaskCliRunner, tmp_path: Path) -> None:
    env = {"TRELLIS_INSTANCE_PATH": str(tmp_path / "i")}
    runner.invoke(instance_cli, ["init"], env=env)
    secret = (tmp_path / "i" / "secret_key").read_text()

    result = runner.invoke(instance_cli, ["init"], env=env)

    assert json.loads(result.output)["secret_key"] == "kept"
    assert (tmp_path / "i" / "secret_key").read_text() == secret


def test_db_upgrade_creates_the_schema(runner: FlaskCliRunner, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        Base.metadata.drop_all(engine)  # the fixture made the tables; start from none
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "database at" in result.output
    current = runner.invoke(args=["db", "current"])
    assert current.output.strip() not in {"", "base"}


def test_db_check_says_every_reference_holds(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "check"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "every reference holds"


def test_db_check_names_a_dangling_reference_and_fails(
    runner: FlaskCliRunner, settings: Settings
) -> None:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")  # outside a transaction
            connection.commit()
        else:  # the suite's schema comes from the models, with every key
            connection.exec_driver_sql(
                "ALTER TABLE xapi_statement_refs "
                "DROP CONSTRAINT fk_xapi_statement_refs_statement_seq_xapi_statements"
            )
        connection.exec_driver_sql(
            "INSERT INTO xapi_statement_refs (statement_seq, target_id) VALUES (42, 'gone')"
        )
        connection.commit()
    engine.dispose()

    result = runner.invoke(args=["db", "check"])

    assert result.exit_code == 1
    assert "xapi_statement_refs.statement_seq: 1 row refers to no row" in result.output


@pytest.mark.slow
def test_trellis_help_lists_every_command_group(tmp_path: Path) -> None:
    result = _trellis(
        "--help", env={"TRELLIS_ENV": "development", "TRELLIS_INSTANCE_PATH": str(tmp_path)}
    )

    assert result.returncode == 0, result.stderr
    for command in ("instance", "db", "routes", "shell"):
        assert f"  {command}" in result.stdout


@pytest.mark.slow
def test_trellis_in_production_without_secret_says_which_variable_to_set(tmp_path: Path) -> None:
    result = _trellis(
        "db", "current", env={"TRELLIS_ENV": "production", "TRELLIS_INSTANCE_PATH": str(tmp_path)}
    )

    assert result.returncode != 0
    assert "TRELLIS_SECRET_KEY" in result.stderr + result.stdout
