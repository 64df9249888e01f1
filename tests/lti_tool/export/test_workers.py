"""Several ``trellis export worker`` processes at once never send a statement twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from flask.testing import FlaskCliRunner

from lti_tool.settings import Settings
from tests.conftest import postgres_url
from tests.lti_tool.export.conftest import Store, add_target, statements
from tests.lti_tool.export.peers import RecordingLrs


@pytest.fixture
def three_lrs() -> Iterator[list[RecordingLrs]]:
    peers = [RecordingLrs(delay=0.02) for _ in range(3)]
    for peer in peers:
        peer.start()
    yield peers
    for peer in peers:
        peer.stop()


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRELLIS_ENV": "testing",
        "TRELLIS_DATABASE_URL": settings.database_url,
        "TRELLIS_SECRET_KEY": settings.secret_key,
        "TRELLIS_INSTANCE_PATH": str(settings.instance_path),
        "TRELLIS_LOG_LEVEL": "ERROR",
        "PYTHONFAULTHANDLER": "1",  # SIGABRT prints where each thread is
    }
    trellis = Path(sys.executable).with_name("trellis")
    return subprocess.Popen(
        [str(trellis), "export", "worker", "--poll-interval", "0.05", "--backoff-base", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


class _Ending(NamedTuple):
    stderr: str
    hung: bool


def _end(worker: subprocess.Popen[bytes], timeout: float = 30) -> _Ending:
    """Wait for a worker told to stop. One that does not is aborted, so that faulthandler
    prints where it hung (and killed if even that does not end it); the caller fails the test
    once every worker is reaped."""
    try:
        _, stderr = worker.communicate(timeout=timeout)
        return _Ending(stderr.decode(), hung=False)
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGABRT)
    try:
        _, stderr = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        _, stderr = worker.communicate()
    return _Ending(stderr.decode(), hung=True)


@pytest.mark.slow
def test_two_workers_send_every_statement_to_every_target_exactly_once(
    settings: Settings, runner: FlaskCliRunner, store: Store, three_lrs: list[RecordingLrs]
) -> None:
    """Acceptance: two export workers (on PostgreSQL: ``FOR NO KEY UPDATE SKIP LOCKED`` on the
    target; on SQLite: one at a time behind a file lock) share the work and no statement
    reaches an LRS twice."""
    for index, peer in enumerate(three_lrs):
        add_target(runner, f"lrs{index}", peer.endpoint, "--batch-size", "20")
    workers = [_start_worker(settings) for _ in range(2)]
    try:
        ids: list[str] = []
        for _ in range(10):
            ids += store(statements(40))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all(len(peer.received) >= len(ids) for peer in three_lrs):
                break
            assert all(worker.poll() is None for worker in workers), "a worker died"
            time.sleep(0.1)
        time.sleep(0.5)  # a duplicate would arrive now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        endings = [_end(worker) for worker in workers]
    hung = [ending.stderr for ending in endings if ending.hung]
    assert not hung, "a worker ignored SIGTERM for 30 s:\n" + "\n".join(hung)
    assert all(worker.returncode == 0 for worker in workers), [e.stderr for e in endings]
    for peer in three_lrs:
        counts = Counter(peer.received)
        assert set(counts) == set(ids)
        assert max(counts.values()) == 1, "a statement was sent twice"
        assert peer.received == ids, "a target's statements arrived out of order"
    senders = {agent for peer in three_lrs for agent in peer.user_agents}
    if postgres_url() is not None:
        # Row locks let both work at once; SQLite's file lock may leave it all to one.
        assert len(senders) == 2, "both workers should have delivered"
