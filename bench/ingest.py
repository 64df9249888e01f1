"""Ingest benchmark: statements/s over HTTP against gunicorn, as Moodle and cmi5 players send them.

For each database (SQLite, PostgreSQL) it migrates a fresh database, starts gunicorn, and posts
Moodle-shaped statements in batches of 1, 30 and 100 from several client threads — first into an
empty store, then again after filling the store to ``--fill`` statements. Validation, person
linking, indexing and the outbox all run as in production.

Run from the repository root (one command; figures go to bench/README.md by hand):

    .venv/bin/python bench/ingest.py                      # SQLite and PostgreSQL, 0 and 1M stored
    .venv/bin/python bench/ingest.py --db sqlite --fill 0 # a quick look

PostgreSQL: ``--pg-admin-url`` names a server where a throw-away database may be created
(default: the local trust-auth server, postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lti_tool import migrate
from lti_tool.db import Database, make_engine
from lti_tool.lrs.sources import add_source

REPO = Path(__file__).resolve().parents[1]
MOODLE = "https://moodle.bench.example"
COURSES = 40
MODULES_PER_COURSE = 25
TEACHERS = 10_000
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
FACE_TO_FACE = "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
LMS_TYPE = "http://id.tincanapi.com/activitytype/lms"
INFO_EXTENSION = "http://lrs.learninglocker.net/define/extensions/info"
SHAPES = [
    ("http://adlnet.gov/expapi/verbs/completed", ASSESSMENT, "mod/quiz"),
    ("http://adlnet.gov/expapi/verbs/scored", ASSESSMENT, "mod/assign"),
    ("http://adlnet.gov/expapi/verbs/attended", FACE_TO_FACE, "mod/facetoface"),
]


def moodle_statement(n: int, *, client_id: bool = False) -> dict[str, Any]:
    """The n-th synthetic statement, shaped like logstore_xapi's quiz/assign/attendance output.

    Like Moodle's log store it carries no id, so the LRS assigns one; ``client_id`` gives it a
    random (version 4) id as cmi5 content and most activity providers do.
    """
    teacher = n % TEACHERS
    course = (n // 7) % COURSES
    module = (n // 3) % MODULES_PER_COURSE
    verb, activity_type, module_path = SHAPES[n % len(SHAPES)]
    statement: dict[str, Any] = {"id": str(uuid.uuid4())} if client_id else {}
    return statement | {
        "actor": {"name": f"教师{teacher}", "account": {"homePage": MOODLE, "name": str(teacher)}},
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[1]}},
        "object": {
            "id": f"{MOODLE}/{module_path}/view.php?id={course * 100 + module}",
            "objectType": "Activity",
            "definition": {"type": activity_type, "name": {"en": f"Module {module}"}},
        },
        "result": {
            "score": {"raw": n % 101, "min": 0, "max": 100, "scaled": (n % 101) / 50 - 1},
            "completion": True,
        },
        "timestamp": "2026-11-20T08:00:00+08:00",
        "context": {
            "platform": "Moodle",
            "language": "zh-CN",
            "registration": str(uuid.UUID(int=course + 1)),
            "extensions": {
                "http://lrs.learninglocker.net/define/extensions/info": {
                    "event_name": "\\\\mod_quiz\\\\event\\\\attempt_submitted",
                    "https://moodle.org/": "4.5",
                }
            },
            "contextActivities": {
                "grouping": [
                    {
                        "id": f"{MOODLE}/course/view.php?id={course}",
                        "objectType": "Activity",
                        "definition": {"type": "https://w3id.org/xapi/cmi5/activitytype/course"},
                    }
                ],
                "category": [
                    {
                        "id": MOODLE,
                        "objectType": "Activity",
                        "definition": {"type": "http://id.tincanapi.com/activitytype/lms"},
                    }
                ],
            },
        },
    }


@dataclass
class Run:
    """One measurement."""

    database: str
    stored_before: int
    batch: int
    statements: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float
    client_cpu_s: float
    database_cpu_s: float | None = None
    round: int = 1
    #: 10M Python additions just before this measurement (:func:`calibration_seconds`).
    calibration_s: float | None = None

    @property
    def rate(self) -> float:
        return self.statements / self.seconds

    @property
    def server_us(self) -> float:
        """gunicorn's CPU (master and workers, user + system) per statement, in µs."""
        return self.server_cpu_s / self.statements * 1e6

    @property
    def client_us(self) -> float:
        """This process's CPU (the client threads) per statement, in µs."""
        return self.client_cpu_s / self.statements * 1e6

    @property
    def database_us(self) -> float | None:
        """The PostgreSQL server's CPU (all its processes) per statement, in µs; None for
        SQLite, whose work runs inside the workers and is part of ``server_us``."""
        if self.database_cpu_s is None:
            return None
        return self.database_cpu_s / self.statements * 1e6

    def row(self) -> str:
        p50 = statistics.median(self.latencies_ms)
        p99 = sorted(self.latencies_ms)[int(len(self.latencies_ms) * 0.99) - 1]
        return (
            f"| {self.round} | {self.database} | {self.stored_before:,} | {self.batch} | "
            f"{self.statements:,} | {self.rate:,.0f} | {p50:.1f} | {p99:.1f} | "
            f"{self.server_us:.0f} | {self.client_us:.0f} | "
            f"{_or_dash(self.database_us, '.0f')} | {_or_dash(self.calibration_s, '.2f')} |"
        )


def _or_dash(value: float | None, spec: str) -> str:
    """A table cell: ``value`` formatted by ``spec``, or a dash where there is none."""
    return "—" if value is None else format(value, spec)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, its live children and its reaped children so far, from
    ``/proc`` (Linux).

    gunicorn's workers are the master's children, PostgreSQL's backends the postmaster's; a
    child that exited is counted in its parent's ``cutime``/``cstime`` once reaped. Read this
    before and after a measurement and take the difference.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        fields = _stat_fields(candidate)
        if fields is None:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if candidate == pid:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
    return total / tick


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()


def postmaster_pid(url: str) -> int | None:
    """The local PostgreSQL server's main process, found as the parent of our own backend;
    None when the server runs elsewhere (its CPU is then not reported)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
    finally:
        engine.dispose()
    fields = _stat_fields(backend)
    return int(fields[1]) if fields is not None else None  # ppid


def _children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in listed.split()]


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens and its master's pid."""

    port: int
    pid: int

    def cpu_seconds(self) -> float:
        return process_tree_cpu_seconds(self.pid)


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "TRELLIS_ENV": "production",
        "TRELLIS_SECRET_KEY": "bench-secret-" + "x" * 40,
        "TRELLIS_DATABASE_URL": database_url,
        "TRELLIS_INSTANCE_PATH": str(instance),
        "TRELLIS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not become healthy")
        yield Server(port=port, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def post_all(port: int, auth: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Post every body from ``clients`` threads; return elapsed seconds and request latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    queue = iter(range(len(bodies)))
    failures: list[str] = []

    def work() -> None:
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                return
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request(
                "POST",
                "/xapi/statements",
                body=bodies[index],
                headers={
                    "Authorization": auth,
                    "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            response.read()
            connection.close()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    failures.append(str(response.status))

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {sorted(set(failures))}")
    return elapsed, latencies


QUERIES = {
    "newest page (limit 100)": "limit=100",
    "agent": "agent={agent}&limit=100",
    "verb": "verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fattended&limit=100",
    "activity": f"activity={quote(MOODLE + '/mod/quiz/view.php?id=305', safe='')}&limit=100",
    "activity, related": (
        f"activity={quote(MOODLE + '/course/view.php?id=3', safe='')}"
        "&related_activities=true&limit=100"
    ),
    "registration": f"registration={uuid.UUID(int=4)}&limit=100",
    "agent + verb + since": (
        "agent={agent}&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fcompleted"
        "&since=2020-01-01T00%3A00%3A00Z&limit=100"
    ),
}


@dataclass
class QueryRun:
    """Latency of one kind of GET at one store size."""

    database: str
    stored: int
    name: str
    latencies_ms: list[float]

    def row(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        return f"| {self.database} | {self.stored:,} | {self.name} | {p50:.1f} | {p95:.1f} |"


def time_queries(port: int, auth: str, database: str, stored: int, rounds: int) -> list[QueryRun]:
    """Time each kind of GET ``rounds`` times, one at a time."""
    runs = []
    for name, template in QUERIES.items():
        latencies = []
        for n in range(rounds):
            agent = quote(
                json.dumps({"account": {"homePage": MOODLE, "name": str(n * 37 % TEACHERS)}})
            )
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.perf_counter()
            connection.request(
                "GET",
                "/xapi/statements?" + template.format(agent=agent),
                headers={"Authorization": auth, "X-Experience-API-Version": "1.0.3"},
            )
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            connection.close()
            if response.status != 200:
                raise RuntimeError(f"GET {name} answered {response.status}")
        runs.append(QueryRun(database, stored, name, latencies))
    return runs


def bodies_for(start: int, count: int, batch: int, *, client_ids: bool) -> list[bytes]:
    return [
        json.dumps(
            [
                moodle_statement(n, client_id=client_ids)
                for n in range(i, min(i + batch, start + count))
            ]
        ).encode()
        for i in range(start, start + count, batch)
    ]


class Counter:
    def __init__(self) -> None:
        self.next = 0

    def take(self, count: int) -> int:
        start, self.next = self.next, self.next + count
        return start


def bench_database(
    name: str,
    url: str,
    args: argparse.Namespace,
    results: list[Run],
    queries: list[QueryRun],
    round_number: int = 1,
) -> None:
    with tempfile.TemporaryDirectory(prefix=f"trellis-bench-{name}-") as folder:
        instance = Path(folder)
        if name == "sqlite":
            url = f"sqlite:///{instance / 'bench.sqlite3'}"
        migrate.upgrade(url)
        database = Database(make_engine(url))
        with database.session_scope() as session:
            credential = add_source(session, "bench", admin=True, now=datetime.now(UTC))
        database.engine.dispose()
        auth = (
            "Basic " + base64.b64encode(f"{credential.key}:{credential.secret}".encode()).decode()
        )
        postmaster = postmaster_pid(url) if name == "postgres" else None

        def database_cpu_seconds() -> float:
            return process_tree_cpu_seconds(postmaster) if postmaster is not None else 0.0

        counter = Counter()
        with gunicorn(url, instance, args.workers) as server:
            port = server.port
            for fill in sorted(args.fill):
                if counter.next < fill:
                    missing = fill - counter.next
                    print(f"[{name}] filling the store to {fill:,} statements …", flush=True)
                    started = time.perf_counter()
                    post_all(
                        port,
                        auth,
                        bodies_for(counter.take(missing), missing, 500, client_ids=args.client_ids),
                        args.clients,
                    )
                    print(f"[{name}]   filled in {time.perf_counter() - started:.0f} s", flush=True)
                    if name == "postgres":
                        analyze(url)
                queries.extend(time_queries(port, auth, name, counter.next, args.query_rounds))
                for batch in args.batches:
                    count = args.statements if batch > 1 else args.statements // 10
                    bodies = bodies_for(
                        counter.take(count), count, batch, client_ids=args.client_ids
                    )
                    calibration = calibration_seconds(repeat=1)
                    server_before, client_before = server.cpu_seconds(), own_cpu_seconds()
                    database_before = database_cpu_seconds()
                    seconds, latencies = post_all(port, auth, bodies, args.clients)
                    run = Run(
                        name,
                        fill,
                        batch,
                        count,
                        seconds,
                        latencies,
                        server_cpu_s=server.cpu_seconds() - server_before,
                        client_cpu_s=own_cpu_seconds() - client_before,
                        database_cpu_s=(
                            database_cpu_seconds() - database_before
                            if postmaster is not None
                            else None
                        ),
                        round=round_number,
                        calibration_s=calibration,
                    )
                    results.append(run)
                    print(run.row(), flush=True)


def analyze(url: str) -> None:
    """Give PostgreSQL statistics of the filled store, as autovacuum would on a production
    server. It is off on this machine's PostgreSQL: without this, the planner guessed on tables
    it had never analyzed, and the agent + verb GET walked every "completed" statement (1.0 s)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    print("[postgres]   analyzed (autovacuum's work on a production server)", flush=True)


def calibration_seconds(repeat: int = 3) -> float:
    """Seconds this machine takes for 10 million Python additions, best of ``repeat``.

    The figures of a run only mean something next to this one: the shared host's speed has varied
    up to twofold between sessions (and within minutes, 0.21–0.39 s on 2026-12-07), so compare
    runs only at a similar calibration."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best


def bench_postgres(
    args: argparse.Namespace, results: list[Run], queries: list[QueryRun], round_number: int
) -> None:
    """:func:`bench_database` on a throw-away database of the ``--pg-admin-url`` server."""
    database_name = f"trellis_bench_{os.getpid()}_{round_number}"
    admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database_name}"'))
    try:
        url = make_url(args.pg_admin_url).set(database=database_name)
        bench_database(
            "postgres",
            url.render_as_string(hide_password=False),
            args,
            results,
            queries,
            round_number,
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
        admin.dispose()


def summary(results: list[Run]) -> str:
    """One line per measurement: statements/s of each round, their median and the best."""
    rounds: dict[tuple[str, int, int], list[Run]] = {}
    for run in results:
        rounds.setdefault((run.database, run.stored_before, run.batch), []).append(run)
    lines = [
        "| database | stored before | batch | statements/s, each round | median | best "
        "| 10M additions s, each round |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for (database, stored, batch), runs in rounds.items():
        rates = [run.rate for run in runs]
        calibrations = [_or_dash(run.calibration_s, ".2f") for run in runs]
        lines.append(
            f"| {database} | {stored:,} | {batch} | {' / '.join(f'{r:,.0f}' for r in rates)} | "
            f"{statistics.median(rates):,.0f} | {max(rates):,.0f} | {' / '.join(calibrations)} |"
        )
    return "\n".join(lines)


def _numbers(value: str) -> list[int]:
    return [int(item) for item in value.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--fill",
        type=_numbers,
        default=[0, 1_000_000],
        help="store sizes to measure at, comma separated (default 0,1000000)",
    )
    parser.add_argument("--batches", type=_numbers, default=[1, 30, 100])
    parser.add_argument("--statements", type=int, default=30_000, help="statements per measurement")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--query-rounds", type=int, default=30, help="GETs timed per kind")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections")
    parser.add_argument(
        "--client-ids",
        action="store_true",
        help="statements carry random ids (as from cmi5 content); by default none, as from Moodle",
    )
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat everything this many times, each round on fresh databases, and summarise "
        "each measurement's rounds (the host's speed drifts; one run is one sample)",
    )
    args = parser.parse_args()

    results: list[Run] = []
    queries: list[QueryRun] = []
    calibration_before = calibration_seconds()
    print(f"machine: 10M Python additions in {calibration_before:.2f} s (best of 3)")
    print(
        "statement ids:",
        "random (version 4), sent by the client" if args.client_ids else "none sent (as Moodle)",
    )
    print(
        "| round | database | stored before | batch | statements | statements/s | p50 ms "
        "| p99 ms | server CPU µs/statement | client CPU µs/statement "
        "| database CPU µs/statement | 10M additions s |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for round_number in range(1, args.rounds + 1):
        if args.db in ("sqlite", "both"):
            bench_database("sqlite", "", args, results, queries, round_number)
        if args.db in ("postgres", "both"):
            bench_postgres(args, results, queries, round_number)
    if args.rounds > 1:
        print()
        print(summary(results))
    print()
    print("| database | stored | GET | p50 ms | p95 ms |")
    print("|---|---:|---|---:|---:|")
    for query in queries:
        print(query.row())
    calibration_after = calibration_seconds()
    print(
        f"machine: 10M Python additions in {calibration_before:.2f} s before, "
        f"{calibration_after:.2f} s after"
    )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"ingest-{stamp}.json").write_text(
        json.dumps(
            [
                {
                    "round": r.round,
                    "database": r.database,
                    "client_ids": args.client_ids,
                    "calibration_before_measurement_s": (
                        None if r.calibration_s is None else round(r.calibration_s, 2)
                    ),
                    "calibration_s": [round(calibration_before, 2), round(calibration_after, 2)],
                    "stored_before": r.stored_before,
                    "batch": r.batch,
                    "statements": r.statements,
                    "statements_per_s": round(r.rate),
                    "p50_ms": statistics.median(r.latencies_ms),
                    "server_cpu_us_per_statement": round(r.server_us),
                    "client_cpu_us_per_statement": round(r.client_us),
                    "database_cpu_us_per_statement": (
                        None if r.database_us is None else round(r.database_us)
                    ),
                }
                for r in results
            ],
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
