"""Target passwords at rest: encrypted with a key derived from ``TRELLIS_SECRET_KEY``.

A database dump alone does not reveal them. The key is HKDF-SHA256 of the secret key with a
purpose label, and the token is Fernet (AES-128-CBC with an HMAC-SHA256), so a changed secret
key is detected rather than producing garbage: the target then needs its password set again
(``trellis lrs add NAME --replace ...``).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"trellis lrs target password v1"


class PasswordUnreadable(Exception):
    """The stored password cannot be decrypted: ``TRELLIS_SECRET_KEY`` has changed."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_password(password: str, secret_key: str) -> str:
    """The stored form of ``password``."""
    return _fernet(secret_key).encrypt(password.encode("utf-8")).decode("ascii")


def decrypt_password(token: str, secret_key: str) -> str:
    """The password behind a stored token.

    Raises:
        PasswordUnreadable: when the token was made with another secret key.
    """
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise PasswordUnreadable(
            "the stored password cannot be decrypted (TRELLIS_SECRET_KEY changed?): set it "
            "again with `trellis lrs add NAME --replace ...`"
        ) from None
