"""Two gunicorn workers share launch state: 200 launches in a row all succeed."""

from __future__ import annotations

import time
import warnings
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
    with (
        # tests/live_server.py leaves its health-check connections open; their ResourceWarning
        # is not this test's finding.
        warnings.catch_warnings(),
        live_server(database_url, tmp_path / "instance", workers=2) as server,
        FakePlatform(server.url).serving() as platform,
    ):
        warnings.simplefilter("ignore", ResourceWarning)
        if True:
            engine = make_engine(database_url)
            try:
                with Session(engine) as session:
                    register(session, platform)
            finally:
                engine.dispose()
            platform.members = [{"user_id": str(n), "roles": [LEARNER]} for n in range(20)]
            statuses: list[int] = []
            started = time.monotonic()
            with requests.Session() as http:
                browser = Browser(server.url, platform, http)
                for n in range(LAUNCHES):
                    trainer = n % 10 == 0
                    spec = LaunchSpec(
                        user_id=str(1000 + n % 25) if not trainer else "9",
                        roles=[INSTRUCTOR] if trainer else [LEARNER],
                    )
                    statuses.append(browser.launch(spec).status_code)
            elapsed = time.monotonic() - started

    print(f"{LAUNCHES} launches in {elapsed:.1f} s ({1000 * elapsed / LAUNCHES:.0f} ms each)")
    assert statuses == [200] * LAUNCHES
