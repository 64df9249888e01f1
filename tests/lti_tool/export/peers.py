"""Peers for export tests, all on 127.0.0.1: a recording LRS of our own, and Ralph.

Ralph (openfun's LRS, from PyPI) is installed into a virtual environment of its own under the
user's cache folder, so that its dependencies (FastAPI, pydantic, …) never meet ours.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from tests.live_server import live_server

REPO = Path(__file__).resolve().parents[3]
RALPH_VERSION = "5.1.0"
RALPH_USER = "trellis"
RALPH_PASSWORD = "ralph-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RecordingLrs:
    """A tiny LRS that records every statement POSTed to it, in arrival order.

    ``fail_next`` makes the next requests fail with that many ``fail_status`` answers;
    ``reject_ids`` answers 400 to any batch holding one of those ids; ``delay`` slows each
    POST down (to make concurrent workers overlap).
    """

    received: list[str] = field(default_factory=list)
    bodies: list[list[dict[str, Any]]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 503
    reject_ids: set[str] = field(default_factory=set)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/xapi"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)

    def start(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw)
                if recorder.delay:
                    time.sleep(recorder.delay)
                with recorder.lock:
                    if recorder.fail_next > 0:
                        recorder.fail_next -= 1
                        self._answer(recorder.fail_status, b'{"error": "try later"}')
                        return
                    bad = [s["id"] for s in body if s["id"] in recorder.reject_ids]
                    if bad:
                        self._answer(400, json.dumps({"error": f"bad statement {bad[0]}"}).encode())
                        return
                    recorder.bodies.append(body)
                    recorder.raw_bodies.append(raw)
                    recorder.versions.append(self.headers.get("X-Experience-API-Version", ""))
                    recorder.user_agents.append(self.headers.get("User-Agent", ""))
                    recorder.received.extend(s["id"] for s in body)
                self._answer(200, json.dumps([s["id"] for s in body]).encode())

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trellis-tests"


def install_ralph() -> Path:
    """Ralph's virtual environment, created once per machine; returns its python.

    Raises:
        RuntimeError: when Ralph cannot be installed (no registry, say), with pip's words.
    """
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"ralph-{RALPH_VERSION}"
    python = venv / "bin" / "python"
    with open(root / "ralph.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / ".installed").exists():
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        result = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                f"ralph-malph[lrs,cli]=={RALPH_VERSION}",
                "requests",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        (venv / ".installed").touch()
    return python


# Ralph's filesystem backend writes with operation type CREATE, which refuses to touch an
# existing file: every POST after the first answers 500. Its write() honours APPEND, so the
# launcher makes APPEND the backend's default before the app loads.
_LAUNCHER = """
import sys
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend
FSDataBackend.default_operation_type = BaseOperationType.APPEND
import uvicorn
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


class RalphServer:
    """Ralph's LRS with its filesystem backend, in a folder of its own."""

    def __init__(self, python: Path, folder: Path) -> None:
        self.python = python
        self.folder = folder
        self.data = folder / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(folder),
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.data),
            "RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT": "1000",
        }
        (folder / "launch.py").write_text(_LAUNCHER)
        subprocess.run(
            [
                str(python.with_name("ralph")),
                "auth",
                "-u",
                RALPH_USER,
                "-p",
                RALPH_PASSWORD,
                "-s",
                "all",
                "-M",
                "mailto:trellis-export@example.org",
                "-w",
            ],
            env=self.env,
            check=True,
            capture_output=True,
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.python), str(self.folder / "launch.py"), str(self.port)],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=2
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("Ralph did not start")

    def stop(self) -> None:
        """Stop as an operator or a restart would (SIGTERM: uvicorn finishes the request in
        flight). SIGKILL can tear the last line of Ralph's data file, which its filesystem
        backend then refuses to read, answering 500 to every later POST."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
            self.process = None

    def stored_lines(self) -> list[dict[str, Any]]:
        """Every statement in Ralph's data file, duplicates included."""
        path = self.data / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def read_all(self) -> list[dict[str, Any]]:
        """Every statement, read back over HTTP page by page following ``more``."""
        import base64

        token = base64.b64encode(f"{RALPH_USER}:{RALPH_PASSWORD}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
        url = f"{self.endpoint}/statements?limit=1000"
        statements: list[dict[str, Any]] = []
        while url:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=120) as answer:
                page = json.loads(answer.read())
            statements.extend(page["statements"])
            more = page.get("more")
            url = urljoin(f"http://127.0.0.1:{self.port}/", more) if more else ""
        return statements


def ralph_or_skip(tmp: Path) -> Iterator[RalphServer]:
    """A started Ralph, stopped afterwards; skips the test only if Ralph cannot be installed."""
    import pytest

    try:
        python = install_ralph()
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"Ralph {RALPH_VERSION} cannot be installed here: {error}")
    server = RalphServer(python, tmp)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def trellis_server(database_url: str, instance: Path) -> Iterator[str]:
    """Another Trellis under gunicorn (one worker) on 127.0.0.1; yields its base URL."""
    with live_server(database_url, instance, workers=1) as server:
        yield server.url
