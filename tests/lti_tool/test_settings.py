"""Settings come from TRELLIS_* variables; production refuses to start without a real secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from lti_tool.settings import Environment, Settings, SettingsError, database_url_from_env

LONG_SECRET = "x" * 48


def test_production_is_the_default_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"TRELLIS_SECRET_KEY": LONG_SECRET, "TRELLIS_INSTANCE_PATH": str(tmp_path)}
    )
    assert settings.environment is Environment.PRODUCTION


def test_production_without_a_secret_refuses_and_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="TRELLIS_SECRET_KEY"):
        Settings.from_env({"TRELLIS_INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("secret", ["changeme", "dev", "secret", "short-but-not-default"])
def test_production_with_a_default_or_short_secret_refuses(tmp_path: Path, secret: str) -> None:
    with pytest.raises(SettingsError, match="TRELLIS_SECRET_KEY"):
        Settings.from_env({"TRELLIS_SECRET_KEY": secret, "TRELLIS_INSTANCE_PATH": str(tmp_path)})


def test_secret_is_read_from_the_instance_folder_when_not_in_the_environment(
    tmp_path: Path,
) -> None:
    (tmp_path / "secret_key").write_text(LONG_SECRET + "\n", encoding="utf-8")
    settings = Settings.from_env({"TRELLIS_INSTANCE_PATH": str(tmp_path)})
    assert settings.secret_key == LONG_SECRET


def test_development_makes_up_an_ephemeral_secret(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"TRELLIS_ENV": "development", "TRELLIS_INSTANCE_PATH": str(tmp_path)}
    )
    assert len(settings.secret_key) >= 48


def test_database_defaults_to_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    env = {"TRELLIS_SECRET_KEY": LONG_SECRET, "TRELLIS_INSTANCE_PATH": str(tmp_path)}
    settings = Settings.from_env(env)
    assert settings.database_url == f"sqlite:///{tmp_path / 'trellis.sqlite3'}"
    assert settings.is_sqlite
    assert database_url_from_env(env) == settings.database_url


def test_every_documented_variable_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TRELLIS_ENV": "Development",
            "TRELLIS_INSTANCE_PATH": str(tmp_path),
            "TRELLIS_DATABASE_URL": "postgresql+psycopg://trellis@db/trellis",
            "TRELLIS_SECRET_KEY": LONG_SECRET,
            "TRELLIS_BASE_URL": "https://trellis.example.edu/",
            "TRELLIS_LOG_LEVEL": "debug",
            "TRELLIS_PROXY_HOPS": "1",
            "TRELLIS_MAX_BODY_BYTES": "1024",
            "TRELLIS_LTI_PRIVATE_KEY_PATH": str(tmp_path / "key.pem"),
            "TRELLIS_XAPI_DEFAULT_VERSION": "2.0.0",
        }
    )
    assert settings == Settings(
        environment=Environment.DEVELOPMENT,
        instance_path=tmp_path,
        database_url="postgresql+psycopg://trellis@db/trellis",
        secret_key=LONG_SECRET,
        base_url="https://trellis.example.edu",
        log_level="DEBUG",
        proxy_hops=1,
        max_body_bytes=1024,
        lti_private_key_path=tmp_path / "key.pem",
        xapi_default_version="2.0.0",
    )
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRELLIS_ENV", "staging"),
        ("TRELLIS_PROXY_HOPS", "one"),
        ("TRELLIS_PROXY_HOPS", "-1"),
        ("TRELLIS_MAX_BODY_BYTES", "0"),
        ("TRELLIS_LOG_LEVEL", "loud"),
        ("TRELLIS_BASE_URL", "trellis.example.edu"),
        ("TRELLIS_XAPI_DEFAULT_VERSION", "1.1"),
    ],
)
def test_malformed_values_are_refused_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = {"TRELLIS_SECRET_KEY": LONG_SECRET, "TRELLIS_INSTANCE_PATH": str(tmp_path)}
    env[variable] = value
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(env)
