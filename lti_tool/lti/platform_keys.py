"""A platform's public keys: fetched from its key set URL, cached for every worker.

pylti1p3 never re-fetches a key set, so a platform that rotates its key would lock everyone out
until the cache expired. Here an unknown ``kid`` re-fetches the key set once (at most once every
few seconds per URL, so forged kids cannot make Trellis hammer the platform).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import requests
from jwcrypto.jwk import JWK  # type: ignore[import-untyped]

from lti_tool.lti.errors import bad_launch
from lti_tool.shared_cache import SharedCache

KEY_SET_TTL = timedelta(hours=1)
REFETCH_PAUSE = timedelta(seconds=5)


class PlatformKeys:
    """Public keys of one platform's key set URL.

    Args:
        cache: the shared cache (the caller commits).
        http: the session to fetch with.
        key_set_url: the platform's JWKS URL (Moodle: ``/mod/lti/certs.php``).
    """

    def __init__(self, cache: SharedCache, http: requests.Session, key_set_url: str) -> None:
        self._cache = cache
        self._http = http
        self._url = key_set_url
        digest = hashlib.sha256(key_set_url.encode()).hexdigest()[:32]
        self._key = f"lti:platform-jwks:{digest}"
        self._refetch_key = f"lti:platform-jwks-refetch:{digest}"

    def public_key_pem(self, kid: str, alg: str) -> bytes:
        """The PEM of key ``kid``, re-fetching the key set once if it is unknown.

        Raises:
            LtiError: 400 when the key set cannot be read or has no such key.
        """
        keys = self._cache.get(self._key)
        if keys is None:
            keys = self._fetch()
        found = _find(keys, kid, alg)
        if found is None and self._cache.add(self._refetch_key, True, REFETCH_PAUSE):
            keys = self._fetch()
            found = _find(keys, kid, alg)
        if found is None:
            raise bad_launch(
                f"The id_token was signed with key {kid!r}, which the platform's key set at "
                f"{self._url} does not contain.",
                code="unknown_kid",
                hint="Check the registration's key set URL; for Moodle it is "
                "<wwwroot>/mod/lti/certs.php.",
            )
        try:
            return bytes(JWK.from_json(json.dumps(found)).export_to_pem())
        except (ValueError, TypeError):
            raise bad_launch(
                f"Key {kid!r} in the platform's key set at {self._url} is not a usable RSA key.",
                code="bad_platform_key",
            ) from None

    def _fetch(self) -> list[dict[str, Any]]:
        try:
            response = self._http.get(self._url)
            response.raise_for_status()
            body = response.json()
            keys = body["keys"]
            if not isinstance(keys, list):
                raise TypeError("keys is not a list")
        except (requests.RequestException, ValueError, KeyError, TypeError) as error:
            raise bad_launch(
                f"The platform's key set at {self._url} could not be read ({error}).",
                code="platform_keys_unreachable",
                hint="Check the registration's key set URL and that Trellis can reach it.",
            ) from None
        usable = [key for key in keys if isinstance(key, dict)]
        self._cache.set(self._key, usable, KEY_SET_TTL)
        return usable


def _find(keys: list[dict[str, Any]], kid: str, alg: str) -> dict[str, Any] | None:
    for key in keys:
        if key.get("kid") == kid and key.get("alg", "RS256") == alg:
            return key
    return None
