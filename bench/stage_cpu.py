"""Where a POST's CPU goes: a gunicorn config that times the stages of ingest in each worker.

Load it into the benchmark's gunicorn through ``GUNICORN_CMD_ARGS`` (gunicorn reads it, and
``bench/ingest.py`` passes its environment on), then summarise what the workers wrote:

    GUNICORN_CMD_ARGS="-c bench/stage_cpu.py" STAGE_CPU_DIR=/tmp/stages \\
        .venv/bin/python bench/ingest.py --db postgres --fill 0 --batches 100 --statements 60000
    .venv/bin/python bench/stage_cpu.py /tmp/stages

Each stage is a function wrapped once the worker has loaded the app; the wrapper adds the
worker thread's CPU time (``time.thread_time``: user + system, so the driver's socket calls are
in it, waiting is not) and wall time to that stage. Stages nest: a stage's figure includes the
stages it calls. The wrappers cost about a microsecond a call, which the per-statement stages
(called once a statement) carry into their figures; compare runs made with the same config.
Figures are per request, averaged over every request the workers served (the benchmark's few
GETs included).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: (module, class or None, function): what each worker times.
STAGES: list[tuple[str, str | None, str]] = [
    ("gunicorn.workers.sync", "SyncWorker", "handle_request"),
    ("flask.app", "Flask", "wsgi_app"),
    ("flask.app", "Flask", "dispatch_request"),
    ("flask.app", "Flask", "process_response"),
    ("lti_tool.lrs.api", None, "read_request"),
    ("lti_tool.lrs.api", None, "authenticate_request"),
    ("lti_tool.lrs.statement_resource", None, "read_statement_upload"),
    ("lti_tool.lrs.statement_resource", None, "store_statements"),
    ("lti_tool.lrs.statements", None, "validate_statements"),
    ("lti_tool.lrs.statements", None, "normalise_statement"),
    ("lti_tool.lrs.statements", None, "_prepare"),
    ("lti_tool.lrs.statements", None, "known_batch_ids"),
    ("lti_tool.lrs.statements", None, "_store_prepared"),
    ("lti_tool.lrs.statements", None, "resolve_people"),
    ("lti_tool.lrs.statement_store", "StatementStore", "insert"),
    ("lti_tool.lrs.statement_store", "StatementStore", "_key_ids"),
    ("lti_tool.lrs.statement_store", "StatementStore", "_ids_voided_by_stored_statements"),
    ("lti_tool.lrs.statement_store", "StatementStore", "_next_positions"),
    ("lti_tool.driver_sql", "DriverSQL", "fetch"),
    ("lti_tool.driver_sql", "DriverSQL", "insert_new"),
    ("lti_tool.driver_sql", "DriverSQL", "_copy"),
    ("sqlalchemy.orm.session", "Session", "commit"),
]

#: stage name → [calls, CPU seconds, wall seconds], in this worker.
_totals: dict[str, list[float]] = {}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    cell = _totals.setdefault(name, [0, 0.0, 0.0])

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            cell[0] += 1
            cell[1] += time.thread_time() - cpu
            cell[2] += time.perf_counter() - wall

    return timed


def post_worker_init(worker: Any) -> None:
    """gunicorn hook: wrap every stage (the app is loaded by now)."""
    for module_name, class_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        owner = getattr(module, class_name) if class_name else module
        label = f"{class_name or module_name.rsplit('.', 1)[-1]}.{attribute}"
        wrapped = _timed(label, getattr(owner, attribute))
        is_static = isinstance(inspect.getattr_static(owner, attribute), staticmethod)
        setattr(owner, attribute, staticmethod(wrapped) if is_static else wrapped)


def worker_exit(server: Any, worker: Any) -> None:
    """gunicorn hook: write this worker's totals to ``$STAGE_CPU_DIR/<pid>.json``."""
    folder = Path(os.environ.get("STAGE_CPU_DIR", "bench/results/stages"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{os.getpid()}.json").write_text(json.dumps(_totals))


def summarise(folder: Path) -> str:
    """A table of every stage: calls, CPU and wall µs per request, over all workers' files."""
    totals: dict[str, list[float]] = {}
    for path in sorted(folder.glob("*.json")):
        for name, (calls, cpu, wall) in json.loads(path.read_text()).items():
            total = totals.setdefault(name, [0, 0.0, 0.0])
            total[0] += calls
            total[1] += cpu
            total[2] += wall
    requests = totals.get("SyncWorker.handle_request", [0])[0]
    if not requests:
        raise SystemExit(f"{folder}: no requests recorded")
    lines = [
        "| stage | calls a request | CPU µs a request | wall µs a request |",
        "|---|---:|---:|---:|",
    ]
    for name, (calls, cpu, wall) in sorted(totals.items(), key=lambda item: -item[1][1]):
        lines.append(
            f"| {name} | {calls / requests:.2f} | {cpu / requests * 1e6:,.0f} "
            f"| {wall / requests * 1e6:,.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python bench/stage_cpu.py FOLDER")
    print(summarise(Path(sys.argv[1])))
