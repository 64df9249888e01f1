"""pylti1p3's launch-data storage over the shared database cache.

Launch data, OIDC state and nonces must be visible to whichever gunicorn worker serves the next
request, and must not hang on a cookie that a browser blocks inside Moodle's iframe: so no session
cookie at all, only keys that are themselves unguessable (state, nonce, launch id).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pylti1p3.launch_data_storage.base import LaunchDataStorage

from lti_tool.shared_cache import SharedCache

DEFAULT_TTL = timedelta(hours=2)


class SharedCacheLaunchStorage(LaunchDataStorage):  # type: ignore[type-arg]
    """Keys and values in :class:`SharedCache`; expiries honoured.

    Args:
        cache: the request's shared cache (its session is committed by the view).
    """

    def __init__(self, cache: SharedCache) -> None:
        super().__init__()
        self._cache = cache

    def get_session_cookie_name(self) -> str | None:
        # No cookie: third-party cookies are blocked in many iframes.
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self._cache.get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        ttl = timedelta(seconds=exp) if exp else DEFAULT_TTL
        self._cache.set(self._prepare_key(key), value, ttl)

    def check_value(self, key: str) -> bool:
        return self._cache.get(self._prepare_key(key)) is not None
