"""Two gunicorn workers share launch state: 200 launches in a row all succeed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from sqlalchemy.orm import Session

from lti_tool.db import make_engine
from tests.live_server import live_server
from tests.lti_tool.lti.conftest import Browser, register
from tests.lti_tool.lti.platform import INSTRUCTOR, LEARNER, FakePlatform, LaunchSpec

LAUNCHES = 200


@pytest.mark.slow
def test_200_launches_through_two_gunicorn_workers_all_succeed(
    database_url: str, tmp_path: Path
) -> None:
    """Login and launch usually land on different workers; state must be shared, not local."""
    statuses, elapsed = _launch_many(database_url, tmp_path / "instance")

    print(f"{LAUNCHES} launches in {elapsed:.1f} s ({1000 * elapsed / LAUNCHES:.0f} ms each)")
    assert statuses == [200] * LAUNCHES


def _launch_many(database_url: str, instance: Path) -> tuple[list[int], float]:
    with (
        live_server(database_url, instance, workers=2) as server,
        FakePlatform(server.url).serving() as platform,
        requests.Session() as http,
    ):
        engine = make_engine(database_url)
        try:
            with Session(engine) as session:
                register(session, platform)
        finally:
            engine.dispose()
        platform.members = [{"user_id": str(n), "roles": [LEARNER]} for n in range(20)]
        browser = Browser(server.url, platform, http)
        statuses: list[int] = []
        started = time.monotonic()
        for n in range(LAUNCHES):
            trainer = n % 10 == 0
            spec = LaunchSpec(
                user_id="9" if trainer else str(1000 + n % 25),
                roles=[INSTRUCTOR] if trainer else [LEARNER],
            )
            statuses.append(browser.launch(spec).status_code)
        return statuses, time.monotonic() - started
