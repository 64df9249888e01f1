"""A real gunicorn serving Trellis on 127.0.0.1, for tests that need real HTTP and real workers."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lti_tool import migrate

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(database_url: str, instance: Path, *, workers: int = 2) -> Iterator[LiveServer]:
    """Migrate ``database_url``, start gunicorn on it, and stop it afterwards."""
    migrate.upgrade(database_url)
    port = _free_port()
    env = {
        **os.environ,
        "TRELLIS_ENV": "production",
        "TRELLIS_SECRET_KEY": "live-server-secret-" + "x" * 40,
        "TRELLIS_DATABASE_URL": database_url,
        "TRELLIS_INSTANCE_PATH": str(instance),
        "TRELLIS_LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = LiveServer("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 60
        while True:
            connection = server.connection(timeout=2)
            try:
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"gunicorn did not start: {stderr[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
