"""Local instance state: the secret key and the LTI signing key, created once, never committed.

``trellis instance init`` (run by ``make run``) writes them under the instance folder with
owner-only permissions; a second run keeps what is there.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.settings import LTI_PRIVATE_KEY_FILE, SECRET_KEY_FILE


@dataclass(frozen=True, slots=True)
class InstanceReport:
    """What :func:`ensure_instance` found or created."""

    path: Path
    created_secret_key: bool
    created_lti_key: bool


def ensure_instance(path: Path) -> InstanceReport:
    """Create the instance folder, secret key and LTI signing key where missing.

    Args:
        path: the instance folder (created with mode 0700 if missing).
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    created_secret = _write_once(path / SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48) + "\n")
    created_key = _write_once(path / LTI_PRIVATE_KEY_FILE, _new_rsa_private_key_pem)
    return InstanceReport(path=path, created_secret_key=created_secret, created_lti_key=created_key)


def _new_rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return pem.decode("ascii")


def _write_once(path: Path, make_content: Callable[[], str]) -> bool:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(make_content())
    return True
