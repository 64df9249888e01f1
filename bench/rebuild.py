"""Competency engine benchmark: full rebuild, and POST → updated estimate latency.

``rebuild``: fills a fresh, migrated database with N Moodle-shaped statements (logstore_xapi
shapes: quiz attempts, graded assignments, face-to-face attendance, module views) for T teachers
in one programme whose 40 course modules are bound to the 33 third-level items of 教师数字素养
JY/T 0646—2022, with the starter rule sets active; then times ``rebuild`` (read every statement,
map, replay every trajectory, write evidence, estimates and trajectory points) and, separately,
storing the "level reached" statements a first rebuild emits. The statements are inserted
straight into the log (the ingest path has its own benchmark, bench/ingest.py).

``latency``: starts gunicorn on a migrated database with the same programme and posts one
statement at a time, measuring the time from sending the POST until the teacher's estimate has
absorbed it — with inline processing (``TRELLIS_COMPETENCY_INLINE=1``: the POST answers after
processing) or with a separate ``trellis competencies worker`` process (polled in the database).

Run from the repository root::

    .venv/bin/python bench/rebuild.py rebuild [--statements 1000000] [--teachers 10000]
        [--db sqlite|postgresql]
    .venv/bin/python bench/rebuild.py latency [--posts 300] [--mode inline|worker]
        [--db sqlite|postgresql]

PostgreSQL: ``--pg-admin-url`` names a server where a throw-away database may be created
(default: postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from lti_tool import migrate  # noqa: E402
from lti_tool.competencies import frameworks_store, programmes, rulesets_store  # noqa: E402
from lti_tool.competencies.level_statements import store_level_statements  # noqa: E402
from lti_tool.competencies.mapping_setup import load_setup  # noqa: E402
from lti_tool.competencies.rebuild import rebuild  # noqa: E402
from lti_tool.db import Database, make_engine  # noqa: E402
from lti_tool.lrs.sources import add_source  # noqa: E402
from lti_tool.lrs.statement_store import StatementRow, StatementStore  # noqa: E402
from lti_tool.models.competencies import EstimateRecord  # noqa: E402
from lti_tool.models.identity import Person, PersonIdentifier  # noqa: E402
from lti_tool.models.lrs import Source  # noqa: E402
from xapi.indexing import index_keys  # noqa: E402

MOODLE = "https://moodle.bench.example"
COURSE = f"{MOODLE}/course/view.php?id=3"
TDL = "cn-moe-jyt0646-2022-teacher-digital-literacy"
MODULES = 40
PROGRAMME = "bench"
ATTEMPT = "http://adlnet.gov/expapi/activities/attempt"
SUBMISSION = "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission"
FACE_TO_FACE = "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
SCORED_TLA = "https://w3id.org/xapi/tla/verbs/scored"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VIEWED = "http://id.tincanapi.com/verb/viewed"
START = datetime(2026, 2, 1, tzinfo=UTC)


def module_url(module: int) -> str:
    kind = ("quiz", "assign", "facetoface", "page")[module % 4]
    return f"{MOODLE}/mod/{kind}/view.php?id={100 + module}"


def statement(n: int, teacher: int, rng: random.Random) -> dict[str, Any]:
    """The n-th synthetic statement, a teacher's."""
    module = rng.randrange(MODULES)
    roll = rng.random()
    parents = [{"id": module_url(module), "objectType": "Activity"}, {"id": COURSE}]
    context: dict[str, Any] = {
        "platform": "Moodle",
        "contextActivities": {"parent": parents, "category": [{"id": MOODLE}]},
    }
    raw = rng.randrange(0, 101)
    if roll < 0.3:
        verb, activity, kind = COMPLETED, f"{MOODLE}/mod/quiz/attempt.php?attempt={n}", ATTEMPT
        result: dict[str, Any] | None = {"score": {"raw": raw, "min": 0, "max": 100}}
    elif roll < 0.5:
        verb, activity, kind = SCORED_TLA, module_url(module) + "#submission", SUBMISSION
        result = {"score": {"raw": raw, "min": 0, "max": 100}}
    elif roll < 0.6:
        verb, activity, kind, result = ATTENDED, module_url(module), FACE_TO_FACE, None
        context["contextActivities"]["parent"] = parents[1:]
    else:
        verb, activity, kind, result = VIEWED, module_url(module), ASSESSMENT, None
        context["contextActivities"]["parent"] = parents[1:]
    at = START + timedelta(minutes=n % 500_000)
    document: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"name": f"教师{teacher}", "account": {"homePage": MOODLE, "name": str(teacher)}},
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[1]}},
        "object": {
            "id": activity,
            "objectType": "Activity",
            "definition": {"type": kind, "name": {"zh-CN": f"模块 {module}"}},
        },
        "context": context,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "stored": at.isoformat().replace("+00:00", "Z"),
    }
    if result is not None:
        document["result"] = result
    return document


@contextmanager
def database(kind: str, pg_admin_url: str) -> Iterator[str]:
    """A fresh, migrated database URL; dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.sqlite3"
            migrate.upgrade(url)
            yield url
        return
    name = f"bench_rebuild_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def configure(db: Database) -> None:
    """Built-in frameworks and rule sets, and the programme with its 40 bound modules."""
    now = datetime.now(UTC)
    with db.session_scope() as session:
        frameworks_store.load_builtin_frameworks(session, now=now)
        rulesets_store.load_builtin_rulesets(session, now=now)
        programmes.add_programme(session, PROGRAMME, "基准项目", now=now)
        programmes.add_context(session, PROGRAMME, programmes.COURSE, COURSE)
        version = frameworks_store.latest_framework(session, TDL)
        assert version is not None
        leaves = [item.code for item in version.framework.leaves()]
        assert len(leaves) == 33
        for module in range(MODULES):
            programmes.bind_module(session, PROGRAMME, module_url(module), TDL, leaves[module % 33])


def fill(db: Database, statements: int, teachers: int) -> None:
    """People, a source and the statements, inserted straight into the log."""
    now = datetime.now(UTC)
    rng = random.Random(20261122)
    with db.session_scope() as session:
        add_source(session, "moodle", admin=False, now=now)
        source_id = session.scalar(select(Source.id).where(Source.name == "moodle"))
        people = [str(uuid.UUID(int=(1 << 64) + t)) for t in range(teachers)]
        session.execute(
            Person.__table__.insert(),  # type: ignore[attr-defined]
            [
                {"id": person, "display_name": f"教师{t}", "created_at": now}
                for t, person in enumerate(people)
            ],
        )
        session.execute(
            PersonIdentifier.__table__.insert(),  # type: ignore[attr-defined]
            [
                {"key": f"account:{MOODLE}|{t}", "person_id": p, "created_at": now}
                for t, p in enumerate(people)
            ],
        )
    # Through the store, so that each statement has the index rows ingest gives it (a teacher's
    # statements are read through the agent index).
    batch: list[StatementRow] = []
    for n in range(statements):
        teacher = n % teachers
        document = statement(n, teacher, rng)
        at = datetime.fromisoformat(document["timestamp"].replace("Z", "+00:00"))
        batch.append(
            StatementRow(
                keys=index_keys(document),
                document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                stored=at,
                timestamp=at,
                person_id=people[teacher],
            )
        )
        if len(batch) == 20_000:
            with db.session_scope() as session:
                StatementStore(session).insert(batch, source_id=source_id, now=now)
            batch = []
    if batch:
        with db.session_scope() as session:
            StatementStore(session).insert(batch, source_id=source_id, now=now)


def bench_rebuild(args: argparse.Namespace) -> None:
    with database(args.db, args.pg_admin_url) as url:
        db = Database(make_engine(url))
        configure(db)
        started = time.perf_counter()
        fill(db, args.statements, args.teachers)
        print(f"filled {args.statements:,} statements in {time.perf_counter() - started:.1f} s")
        session = db.sessionmaker()
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            setup = load_setup(session)
            report = rebuild(session, setup=setup, workers=args.workers)
            session.commit()
            rebuild_wall, rebuild_cpu = time.perf_counter() - wall, time.process_time() - cpu
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            workers_cpu = children.ru_utime + children.ru_stime
            print(
                f"rebuild ({args.db}): {report.statements:,} statements, {report.evidence:,} "
                f"evidence, {report.streams:,} estimates, {report.people:,} teachers: "
                f"{rebuild_wall:.1f} s wall; CPU {rebuild_cpu:.1f} s in this process + "
                f"{workers_cpu:.1f} s in {args.workers} mapping workers"
            )
            if not args.level_statements:
                print(f"{len(report.levels_reached):,} levels reached (statements not stored)")
                return
            wall = time.perf_counter()
            stored = store_level_statements(
                session,
                setup,
                report.levels_reached,
                home_page="http://localhost/xapi",
                now=datetime.now(UTC),
            )
            print(
                f"level-reached statements stored by a first rebuild: {stored:,} in "
                f"{time.perf_counter() - wall:.1f} s"
            )
            wall = time.perf_counter()
            again = rebuild(session, setup=load_setup(session), workers=args.workers)
            session.commit()
            stored_again = store_level_statements(
                session,
                setup,
                again.levels_reached,
                home_page="http://localhost/xapi",
                now=datetime.now(UTC),
            )
            print(
                f"second rebuild (levels already stored, {stored_again} new): "
                f"{time.perf_counter() - wall:.1f} s wall"
            )
        finally:
            session.close()
            db.engine.dispose()


def bench_latency(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from tests.live_server import live_server

    with database(args.db, args.pg_admin_url) as url, tempfile.TemporaryDirectory() as folder:
        db = Database(make_engine(url))
        configure(db)
        fill(db, args.background, args.teachers)
        with db.session_scope() as session:
            credential = add_source(session, "poster", admin=False, now=datetime.now(UTC))
        auth = (
            "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
        )
        if args.mode == "inline":
            os.environ["TRELLIS_COMPETENCY_INLINE"] = "1"
        worker = None
        if args.mode == "worker":
            worker = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("trellis")),
                    "competencies",
                    "worker",
                    "--interval",
                    "0.02",
                ],
                cwd=REPO,
                env={
                    **os.environ,
                    "TRELLIS_ENV": "development",
                    "TRELLIS_DATABASE_URL": url,
                    "TRELLIS_INSTANCE_PATH": folder,
                    "TRELLIS_SECRET_KEY": "bench-secret-" + "x" * 40,
                    "TRELLIS_LOG_LEVEL": "WARNING",
                },
            )
        rng = random.Random(7)
        latencies: list[float] = []
        try:
            with live_server(url, Path(folder), workers=2) as server:
                time.sleep(1.0)
                for n in range(args.posts):
                    teacher = rng.randrange(args.teachers)
                    document = statement(10_000_000 + n, teacher, rng)
                    document.pop("stored")
                    document["verb"]["id"] = COMPLETED
                    document["object"] = {
                        "id": f"{MOODLE}/mod/quiz/attempt.php?attempt={10_000_000 + n}",
                        "objectType": "Activity",
                        "definition": {"type": ATTEMPT},
                    }
                    document["result"] = {"score": {"raw": 90, "min": 0, "max": 100}}
                    document["context"]["contextActivities"]["parent"] = [
                        {"id": module_url(0)},
                        {"id": COURSE},
                    ]
                    person = str(uuid.UUID(int=(1 << 64) + teacher))
                    before = evidence_count(db, person)
                    body = json.dumps(document).encode()
                    started = time.perf_counter()
                    connection = server.connection()
                    connection.request(
                        "POST",
                        "/xapi/statements",
                        body=body,
                        headers={
                            "Authorization": auth,
                            "X-Experience-API-Version": "1.0.3",
                            "Content-Type": "application/json",
                        },
                    )
                    response = connection.getresponse()
                    response.read()
                    assert response.status == 200, response.status
                    while evidence_count(db, person) <= before:
                        if time.perf_counter() - started > 30:
                            raise RuntimeError("estimate not updated within 30 s")
                        time.sleep(0.002)
                    latencies.append((time.perf_counter() - started) * 1000)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
            db.engine.dispose()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"latency ({args.db}, {args.mode}, {args.background:,} statements stored): "
        f"{len(ordered)} posts, p50 {statistics.median(ordered):.0f} ms, "
        f"p99 {p99:.0f} ms, max {ordered[-1]:.0f} ms"
    )


def evidence_count(db: Database, person_id: str) -> int:
    with db.session_scope() as session:
        return (
            session.scalar(
                select(func.coalesce(func.sum(EstimateRecord.evidence_count), 0)).where(
                    EstimateRecord.person_id == person_id, EstimateRecord.code == "1.1.1"
                )
            )
            or 0
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("rebuild", "latency"):
        command = sub.add_parser(name)
        command.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
        command.add_argument(
            "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
        command.add_argument("--teachers", type=int, default=10_000)
    sub.choices["rebuild"].add_argument("--statements", type=int, default=1_000_000)
    sub.choices["rebuild"].add_argument("--workers", type=int, default=2)
    sub.choices["rebuild"].add_argument(
        "--level-statements",
        action="store_true",
        help="also store the level-reached statements, then rebuild again",
    )
    latency = sub.choices["latency"]
    latency.add_argument("--posts", type=int, default=300)
    latency.add_argument("--mode", choices=("inline", "worker"), default="inline")
    latency.add_argument("--background", type=int, default=100_000)
    args = parser.parse_args()
    if args.command == "rebuild":
        bench_rebuild(args)
    else:
        bench_latency(args)


if __name__ == "__main__":
    main()
