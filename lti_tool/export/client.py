"""A minimal xAPI client for one remote LRS: POST statement batches, GET statement pages.

TinCanPython (``tincan``) is not used for the transfer itself, deliberately:

- It re-serialises every statement through its own classes (``to_json()`` rewrites timestamps
  and durations, adds ``version`` and ``actor.objectType``), while Trellis must send each
  statement exactly as stored, byte for byte, so the LRS holds the same content.
- It speaks xAPI 1.0.0–1.0.3 only (a statement with ``contextAgents`` raises), and some targets
  are 2.0 LRSs.
- Its transport opens a new connection per request with no timeout, so a stalled LRS would hang
  a worker holding its row locks; and its pull results are parsed objects, not the exact JSON
  an import must store.

The tests use ``tincan`` where it does serve: as an independent 1.0.3 reader of what the
downgrade produces.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from xapi.versions import VERSION_HEADER

#: How much of an LRS's error answer is kept and shown.
ERROR_EXCERPT = 2000


class TransportError(Exception):
    """The LRS could not be reached or did not answer."""


@dataclass(frozen=True, slots=True)
class LrsAnswer:
    """What the LRS said."""

    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        """2xx: the LRS accepted (200 stored; 204 when every statement was already there)."""
        return 200 <= self.status < 300

    def excerpt(self) -> str:
        """The start of the body as text, for an error message."""
        return self.body[:ERROR_EXCERPT].decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class LrsClient:
    """HTTP Basic to one LRS endpoint over one kept-alive connection."""

    def __init__(
        self, endpoint: str, username: str, password: str, version: str, *, timeout: float = 60
    ) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{endpoint!r}: the endpoint must be an http(s) URL")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._timeout = timeout
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {token}",
            VERSION_HEADER: version,
            # Which process sent a request, for the LRS's logs (and the tests' tallies).
            "User-Agent": f"Trellis-LRS-export (pid {os.getpid()})",
        }
        self._connection: http.client.HTTPConnection | None = None

    def post_statements(self, body: bytes) -> LrsAnswer:
        """POST a JSON array of statements to ``<endpoint>/statements``."""
        return self.request(
            "POST", "statements", body=body, headers={"Content-Type": "application/json"}
        )

    def get_statements(self, params: dict[str, str]) -> LrsAnswer:
        """GET ``<endpoint>/statements`` with query parameters."""
        return self.request("GET", "statements?" + urlencode(params))

    def get_more(self, more: str) -> LrsAnswer:
        """GET a ``more`` link (relative to the endpoint's host, or absolute on it)."""
        url = urljoin(self.endpoint, more)
        target = urlsplit(url)
        if (target.scheme, target.hostname, target.port) != (
            self._scheme,
            self._host,
            self._port,
        ):
            raise TransportError(f"more link {more!r} leaves the LRS's host")
        return self.request("GET", url)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> LrsAnswer:
        """Send one request; ``path`` is relative to the endpoint or an absolute URL on it.

        Raises:
            TransportError: no connection, a timeout, or a broken answer.
        """
        url = urlsplit(urljoin(self.endpoint, path))
        target = url.path + (f"?{url.query}" if url.query else "")
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(
                    method, target, body=body, headers={**self._headers, **(headers or {})}
                )
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.close()
                # A kept-alive connection the server has since closed fails at once; one fresh
                # connection is worth trying before calling the LRS unreachable.
                if attempt == 1 and isinstance(
                    error, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError
                ):
                    continue
                raise TransportError(f"{type(error).__name__}: {error}") from error
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return LrsAnswer(
                status=response.status,
                body=data,
                headers={key.lower(): value for key, value in response.getheaders()},
            )
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Drop the connection (a later request opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            factory = (
                http.client.HTTPSConnection
                if self._scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = factory(self._host, self._port, timeout=self._timeout)
        return self._connection
