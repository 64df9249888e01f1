"""One typed settings object, read from ``TRELLIS_*`` environment variables.

Nothing here runs at import time: :meth:`Settings.from_env` is called by the app factory (or by a
test, with a dictionary of its own). Every variable is documented in the README's configuration
table; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Self


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable to set."""


class Environment(StrEnum):
    """How the service runs."""

    PRODUCTION = "production"
    """The default: refuses to start without a real secret key."""
    DEVELOPMENT = "development"
    """Local work: an ephemeral secret is made up when none is configured."""
    TESTING = "testing"
    """The test suite."""


SECRET_KEY_FILE = "secret_key"
LTI_PRIVATE_KEY_FILE = "lti_private_key.pem"
_KNOWN_DEFAULT_SECRETS = frozenset({"", "dev", "changeme", "change-me", "secret", "development"})
_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service needs to know about where and how it runs.

    Attributes:
        environment: production, development or testing.
        instance_path: folder for local state (SQLite database, generated keys); never committed.
        database_url: SQLAlchemy URL; SQLite under ``instance_path`` by default.
        secret_key: signs sessions and CSRF tokens; must be long and secret in production.
        base_url: the public URL behind any proxy (``https://trellis.example.edu``), or None to
            derive it from each request.
        log_level: level of the JSON logs written to standard error.
        proxy_hops: how many reverse proxies (nginx, a load balancer) sit in front and set
            ``X-Forwarded-*``; 0 trusts no such header.
        max_body_bytes: request bodies above this are refused with 413.
        lti_private_key_path: the tool's RSA signing key (PEM).
        xapi_default_version: the xAPI version the LRS names in answers to requests that name
            none (those are refused with 400 anyway): ``1.0.3`` or ``2.0.0``.
    """

    environment: Environment = Environment.PRODUCTION
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""
    secret_key: str = ""
    base_url: str | None = None
    log_level: str = "INFO"
    proxy_hops: int = 0
    max_body_bytes: int = 20 * 1024 * 1024
    lti_private_key_path: Path | None = None
    xapi_default_version: str = "1.0.3"

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", default_database_url(self.instance_path))
        if self.lti_private_key_path is None:
            object.__setattr__(
                self, "lti_private_key_path", self.instance_path / LTI_PRIVATE_KEY_FILE
            )

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read settings from ``TRELLIS_*`` variables (``os.environ`` unless given).

        The secret key comes from ``TRELLIS_SECRET_KEY``, else from ``<instance>/secret_key``
        (written by ``trellis instance init``). In development an ephemeral one is made up.

        Raises:
            SettingsError: naming the variable that is malformed, or, in production, the secret
                that is missing or left at a well-known default.
        """
        env = os.environ if environ is None else environ
        environment = _parse_choice(env, "TRELLIS_ENV", Environment, Environment.PRODUCTION)
        instance_path = instance_path_from_env(env)
        secret = env.get("TRELLIS_SECRET_KEY") or _read_secret_file(instance_path)
        if environment is Environment.PRODUCTION:
            _require_real_secret(secret)
        elif not secret:
            secret = secrets.token_urlsafe(48)
        key_path = env.get("TRELLIS_LTI_PRIVATE_KEY_PATH")
        return cls(
            environment=environment,
            instance_path=instance_path,
            database_url=env.get("TRELLIS_DATABASE_URL", ""),
            secret_key=secret,
            base_url=_parse_base_url(env.get("TRELLIS_BASE_URL")),
            log_level=_parse_log_level(env.get("TRELLIS_LOG_LEVEL", "INFO")),
            proxy_hops=_parse_int(env, "TRELLIS_PROXY_HOPS", 0, minimum=0),
            max_body_bytes=_parse_int(env, "TRELLIS_MAX_BODY_BYTES", 20 * 1024 * 1024, minimum=1),
            lti_private_key_path=Path(key_path).resolve() if key_path else None,
            xapi_default_version=_parse_xapi_version(env.get("TRELLIS_XAPI_DEFAULT_VERSION")),
        )

    def with_changes(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (used by tests and the CLI)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def instance_path_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder named by ``TRELLIS_INSTANCE_PATH`` (``./instance`` by default)."""
    env = os.environ if environ is None else environ
    return Path(env.get("TRELLIS_INSTANCE_PATH") or "instance").resolve()


def default_database_url(instance_path: Path) -> str:
    """The embedded SQLite database under the instance folder."""
    return f"sqlite:///{instance_path / 'trellis.sqlite3'}"


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The database URL the service would use, without needing its secret (for migrations)."""
    env = os.environ if environ is None else environ
    return env.get("TRELLIS_DATABASE_URL") or default_database_url(instance_path_from_env(env))


def current_settings() -> Settings:
    """The settings of the app serving the current request or CLI command."""
    from flask import current_app

    settings: Settings = current_app.config["TRELLIS_SETTINGS"]
    return settings


def _read_secret_file(instance_path: Path) -> str:
    path = instance_path / SECRET_KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def _require_real_secret(secret: str) -> None:
    if not secret:
        raise SettingsError(
            "TRELLIS_SECRET_KEY is not set: production mode needs a secret key. Set "
            "TRELLIS_SECRET_KEY (e.g. to the output of `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`), run `trellis instance init`, or set "
            "TRELLIS_ENV=development for local work."
        )
    if secret.lower() in _KNOWN_DEFAULT_SECRETS or len(secret) < 24:
        raise SettingsError(
            "TRELLIS_SECRET_KEY is a default or too short (under 24 characters): set "
            "TRELLIS_SECRET_KEY to a long random value."
        )


def _parse_choice(
    env: Mapping[str, str], name: str, enum: type[Environment], default: Environment
) -> Environment:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return enum(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise SettingsError(f"{name}={raw!r} is not one of: {allowed}") from None


def _parse_int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in _LOG_LEVELS:
        allowed = ", ".join(sorted(_LOG_LEVELS))
        raise SettingsError(f"TRELLIS_LOG_LEVEL={raw!r} is not one of: {allowed}")
    return level


def _parse_xapi_version(raw: str | None) -> str:
    if not raw:
        return "1.0.3"
    if raw.strip() not in ("1.0.3", "2.0.0"):
        raise SettingsError(f"TRELLIS_XAPI_DEFAULT_VERSION={raw!r} is not one of: 1.0.3, 2.0.0")
    return raw.strip()


def _parse_base_url(raw: str | None) -> str | None:
    if not raw:
        return None
    url = raw.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"TRELLIS_BASE_URL={raw!r} must start with https:// or http://")
    return url
