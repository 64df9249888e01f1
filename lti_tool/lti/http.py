"""Outgoing HTTP to platforms: bounded time and size, one user agent."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT_SECONDS = 10.0
USER_AGENT = "Trellis-LTI/1.0"


class BoundedSession(requests.Session):
    """A requests session whose every call has a timeout (pylti1p3 sets none)."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)
