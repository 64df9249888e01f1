"""Administrator commands: ``trellis programmes``, ``frameworks``, ``rulesets``, ``competencies``.

Each command is one use case: it opens a session, calls the service, commits once.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from competency_models.frameworks import FrameworkImportError
from competency_models.inference import InferenceError, method_from_config
from competency_models.mapping import RuleSetError
from lti_tool.competencies import frameworks_store, programmes, rulesets_store
from lti_tool.competencies.clock import as_utc, utcnow
from lti_tool.competencies.level_statements import store_level_statements
from lti_tool.competencies.mapping_setup import (
    DEFAULT_METHOD_CONFIG,
    MethodOverrides,
    load_setup,
)
from lti_tool.competencies.processing import process_all, process_pending
from lti_tool.competencies.projection_dump import dump_projection
from lti_tool.competencies.rebuild import people_with_statements, rebuild
from lti_tool.db import database
from lti_tool.settings import current_settings
from lti_tool.stopping import StopRequest

logger = logging.getLogger("trellis.competencies")

programmes_cli = AppGroup("programmes", help="Training programmes (培训项目 / 班).")
frameworks_cli = AppGroup(
    "frameworks", help="Competency frameworks: list, import, export, default method."
)
rulesets_cli = AppGroup("rulesets", help="Mapping rule sets: list, add, activate.")
competencies_cli = AppGroup(
    "competencies", help="The competency engine: process the queue, rebuild from statements."
)


def system_home_page() -> str:
    """The authority home page of Trellis's own statements outside a request."""
    return f"{current_settings().base_url or 'http://localhost'}/xapi"


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None


def _json_option(value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"{name}: not JSON ({error})") from None


# --- programmes ------------------------------------------------------------------------------


@programmes_cli.command("add")
@click.argument("programme_id")
@click.option("--title", required=True, help="The programme's name (国培计划…).")
@click.option("--starts", help="First day of the training (ISO 8601): before it is 'pre'.")
@click.option("--ends", help="First day after the training (ISO 8601): from it on is 'post'.")
@click.option("--method", help='Estimation method as JSON, e.g. {"method": "mean"}.')
@click.option("--rollup", help='Roll-up rule as JSON, e.g. {"rule": "all_at_least", "rank": 3}.')
@click.option("--course", "courses", multiple=True, help="A course activity IRI (repeatable).")
@click.option("--framework", "frameworks", multiple=True, help="A framework id (repeatable).")
@click.option("--ruleset", "rulesets", multiple=True, help="A rule set id (repeatable).")
def programmes_add(
    programme_id: str,
    title: str,
    starts: str | None,
    ends: str | None,
    method: str | None,
    rollup: str | None,
    courses: tuple[str, ...],
    frameworks: tuple[str, ...],
    rulesets: tuple[str, ...],
) -> None:
    """Create a programme with its courses, frameworks, rule sets and phase dates."""
    with database().session_scope() as session:
        try:
            programmes.create_programme(
                session,
                programme_id,
                title,
                now=utcnow(),
                starts_at=_date(starts),
                ends_at=_date(ends),
                method_config=_json_option(method, "--method"),
                rollup_config=_json_option(rollup, "--rollup"),
                courses=courses,
                frameworks=frameworks,
                rulesets=rulesets,
            )
        except programmes.ProgrammeError as error:
            _fail(str(error))
    click.echo(programme_id)


@programmes_cli.command("list")
def programmes_list() -> None:
    """List programmes, one a line: id, title, start, end."""
    with database().session_scope() as session:
        for programme in programmes.list_programmes(session):
            starts = programme.starts_at.date().isoformat() if programme.starts_at else "-"
            ends = programme.ends_at.date().isoformat() if programme.ends_at else "-"
            click.echo(f"{programme.id}\t{programme.title}\t{starts}\t{ends}")


@programmes_cli.command("add-course")
@click.argument("programme_id")
@click.argument("course")
def programmes_add_course(programme_id: str, course: str) -> None:
    """Add a course (its activity IRI, as statements name it) to a programme."""
    with database().session_scope() as session:
        try:
            programmes.add_context(session, programme_id, programmes.COURSE, course)
        except programmes.ProgrammeError as error:
            _fail(str(error))


@programmes_cli.command("bind")
@click.argument("programme_id")
@click.argument("module")
@click.argument("framework_id")
@click.argument("code")
def programmes_bind(programme_id: str, module: str, framework_id: str, code: str) -> None:
    """Bind a course module (course, AU, rubric criterion) to a competency of a framework."""
    with database().session_scope() as session:
        try:
            version = frameworks_store.latest_framework(session, framework_id)
            if version is None or code not in version.framework:
                _fail(f"framework {framework_id!r} has no item {code!r}")
            programmes.bind_module(session, programme_id, module, framework_id, code)
        except programmes.ProgrammeError as error:
            _fail(str(error))


# --- frameworks ------------------------------------------------------------------------------


@frameworks_cli.command("list")
def frameworks_list() -> None:
    """List stored frameworks, one version a line: id, title, version, item count."""
    with database().session_scope() as session:
        for row in frameworks_store.list_frameworks(session):
            title = row.title_zh or row.title_en
            click.echo(f"{row.framework_id}\t{title}\t{row.version}\t{row.item_count}")


@frameworks_cli.command("show")
@click.argument("framework_id")
@click.option("--version", help="A stored version (default: the newest).")
def frameworks_show(framework_id: str, version: str | None) -> None:
    """Show a framework's provenance: source and notes (what is verified, what is not)."""
    with database().session_scope() as session:
        try:
            framework = frameworks_store.get_framework(session, framework_id, version).framework
        except frameworks_store.FrameworkStoreError as error:
            _fail(str(error))
        method_config = frameworks_store.framework_method_config(session, framework_id)
    click.echo(f"{framework.id} {framework.version}: {framework.title}")
    click.echo(f"fingerprint: {framework.fingerprint}")
    click.echo(f"scale: {framework.scale.id}")
    click.echo(f"source: {framework.source or '-'}")
    for key, note in sorted(framework.notes.items()):
        click.echo(f"note {key}: {note}")
    click.echo(_method_line(method_config))


@frameworks_cli.command("method")
@click.argument("framework_id")
@click.option("--set", "config", help='Estimation method as JSON, e.g. {"method": "latest"}.')
@click.option("--clear", is_flag=True, help="Remove the framework's own method.")
def frameworks_method(framework_id: str, config: str | None, clear: bool) -> None:
    """Show, set or clear a framework's default estimation method (all its versions).

    A programme's own method (programmes add --method) takes precedence; without either, the
    built-in default applies. Rebuild afterwards to recompute estimates already made.
    """
    if config is not None and clear:
        _fail("--set and --clear exclude each other")
    with database().session_scope() as session:
        try:
            if config is not None or clear:
                frameworks_store.set_framework_method(
                    session, framework_id, _json_option(config, "--set"), now=utcnow()
                )
            elif frameworks_store.latest_framework(session, framework_id) is None:
                _fail(f"no framework {framework_id} is stored")
        except frameworks_store.FrameworkStoreError as error:
            _fail(str(error))
        method_config = frameworks_store.framework_method_config(session, framework_id)
    click.echo(_method_line(method_config))
    if config is not None or clear:
        click.echo(
            "estimates keep the method they were computed with until their next evidence or a "
            "rebuild: trellis competencies rebuild [--dry-run --diff]",
            err=True,
        )


def _method_line(config: dict[str, object] | None) -> str:
    if config is None:
        default = method_from_config(DEFAULT_METHOD_CONFIG).describe()
        return f"method: - (the default applies: {default}, unless a programme sets its own)"
    shown = json.dumps(config, ensure_ascii=False, sort_keys=True)
    return f"method: {shown} ({method_from_config(config).describe()})"


@frameworks_cli.command("export")
@click.argument("framework_id")
@click.option("--format", "format_", type=click.Choice(["case", "csv", "trellis"]), default="case")
@click.option("--version", help="A stored version (default: the newest).")
def frameworks_export(framework_id: str, format_: str, version: str | None) -> None:
    """Write a framework to standard output as a CASE package, CSV or Trellis JSON."""
    with database().session_scope() as session:
        try:
            framework = frameworks_store.get_framework(session, framework_id, version).framework
        except frameworks_store.FrameworkStoreError as error:
            _fail(str(error))
    data = frameworks_store.export_framework(framework, format_)  # type: ignore[arg-type]
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@frameworks_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def frameworks_import(file: Path) -> None:
    """Import a framework from CASE JSON, Trellis JSON or CSV (detected)."""
    with database().session_scope() as session:
        try:
            version, created = frameworks_store.import_framework(
                session, file.read_bytes(), filename=file.name, now=utcnow()
            )
        except FrameworkImportError as error:
            _fail(f"nothing imported: {error}")
        except frameworks_store.FrameworkStoreError as error:
            _fail(f"nothing imported: {error}")
    framework = version.framework
    state = "imported" if created else "already stored"
    click.echo(f"{framework.id}\t{framework.version}\t{len(framework)} items\t{state}")


@frameworks_cli.command("load-builtin")
def frameworks_load_builtin() -> None:
    """Store the built-in frameworks (JY/T 0646—2022, subject teaching literacy, DigCompEdu)."""
    with database().session_scope() as session:
        loaded = frameworks_store.load_builtin_frameworks(session, now=utcnow())
    for version, created in loaded:
        state = "loaded" if created else "already stored"
        click.echo(f"{version.framework.id}\t{version.framework.version}\t{state}")


# --- rule sets -------------------------------------------------------------------------------


@rulesets_cli.command("list")
def rulesets_list() -> None:
    """List rule sets, one version a line: id, version, active, scope, title."""
    with database().session_scope() as session:
        for row in rulesets_store.list_rulesets(session):
            scope = row.scope_kind + (f":{row.scope_target}" if row.scope_target else "")
            state = "active" if row.active else "inactive"
            click.echo(f"{row.ruleset_id}\t{row.version}\t{state}\t{scope}\t{row.title}")


@rulesets_cli.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--activate", is_flag=True, help="Make this version the active one.")
def rulesets_add(file: Path, activate: bool) -> None:
    """Add a rule-set version from JSON or YAML (the first version is activated)."""
    with database().session_scope() as session:
        try:
            row, created = rulesets_store.add_ruleset(
                session, file.read_text("utf-8"), now=utcnow(), activate=activate
            )
        except RuleSetError as error:
            _fail(f"nothing added: {error}")
        except rulesets_store.RuleSetStoreError as error:
            _fail(f"nothing added: {error}")
        state = ("added" if created else "already stored") + (", active" if row.active else "")
        click.echo(f"{row.ruleset_id}\t{row.version}\t{state}")


@rulesets_cli.command("activate")
@click.argument("ruleset_id")
@click.argument("version", type=int)
def rulesets_activate(ruleset_id: str, version: int) -> None:
    """Make a stored version the active one (then rebuild to apply it to past statements)."""
    with database().session_scope() as session:
        try:
            rulesets_store.activate_ruleset(session, ruleset_id, version)
        except rulesets_store.RuleSetStoreError as error:
            _fail(str(error))


@rulesets_cli.command("load-builtin")
def rulesets_load_builtin() -> None:
    """Store the starter rule sets (Moodle logstore_xapi, cmi5, offline capture)."""
    with database().session_scope() as session:
        for row, created in rulesets_store.load_builtin_rulesets(session, now=utcnow()):
            state = "loaded" if created else "already stored"
            click.echo(f"{row.ruleset_id}\t{row.version}\t{state}")


# --- the engine ------------------------------------------------------------------------------


@competencies_cli.command("process")
@click.option("--once", is_flag=True, required=True, help="Process what is queued, then stop.")
def competencies_process(once: bool) -> None:
    """Process every queued batch of statements once, then exit."""
    done = process_all(database().sessionmaker, home_page=system_home_page())
    click.echo(f"{done} batches processed")


@competencies_cli.command("worker")
@click.option("--interval", default=0.5, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=50, show_default=True, help="Outbox entries per transaction.")
@click.option("--max-idle", type=float, help="Stop after this many idle seconds (tests).")
def competencies_worker(interval: float, batch: int, max_idle: float | None) -> None:
    """Process queued statements as they arrive (Ctrl-C or SIGTERM stop it after the batch).

    On PostgreSQL run as many as needed (entries are claimed with SKIP LOCKED); on SQLite run
    one.
    """
    factory = database().sessionmaker
    stop = StopRequest()
    with stop.on_signals():
        _process_until_stopped(factory, stop, interval=interval, batch=batch, max_idle=max_idle)


def _process_until_stopped(
    factory: sessionmaker[Session],
    stop: StopRequest,
    *,
    interval: float,
    batch: int,
    max_idle: float | None,
) -> None:
    idle_since = time.monotonic()
    while not stop.requested():
        try:
            done = process_pending(factory, home_page=system_home_page(), limit=batch)
        except DBAPIError as error:
            # A lock timeout or a lost connection: the entries stay queued; try again.
            logger.warning("competency batch failed, will retry: %s", error.orig)
            stop.wait(interval)
            continue
        if done:
            idle_since = time.monotonic()
            continue
        if max_idle is not None and time.monotonic() - idle_since >= max_idle:
            return
        stop.wait(interval)


@competencies_cli.command("rebuild")
@click.option("--programme", "programme_id", help="Rebuild this programme only.")
@click.option("--ruleset", "ruleset_id", help="The rule set --ruleset-version applies to.")
@click.option(
    "--ruleset-version", type=int, help="Map with this version instead of the active one."
)
@click.option("--framework", "framework_id", help="The framework --method applies to.")
@click.option(
    "--method",
    "method",
    help="Dry run with this estimation method (JSON, or null for none) in place of the "
    "stored one of --framework, or else of --programme.",
)
@click.option("--dry-run", is_flag=True, help="Compute and compare; write nothing.")
@click.option("--diff", is_flag=True, help="List the teachers whose levels would change.")
@click.option(
    "--workers", default=2, show_default=True, help="Processes that map and replay statements."
)
def competencies_rebuild(
    programme_id: str | None,
    ruleset_id: str | None,
    ruleset_version: int | None,
    framework_id: str | None,
    method: str | None,
    dry_run: bool,
    diff: bool,
    workers: int,
) -> None:
    """Recompute evidence, estimates and trajectories from the statements, deterministically."""
    if diff and not dry_run:
        _fail("--diff goes with --dry-run")
    with database().session_scope() as session:
        override = _override(session, ruleset_id, ruleset_version)
        if programme_id is not None:
            try:
                programmes.get_programme(session, programme_id)
            except programmes.ProgrammeError as error:
                _fail(str(error))
        methods = _method_overrides(session, framework_id, programme_id, method, dry_run)
        try:
            setup = load_setup(session, ruleset_override=override, method_overrides=methods)
        except rulesets_store.RuleSetStoreError as error:
            _fail(str(error))
        people = len(people_with_statements(session))
        with click.progressbar(length=people, label="rebuilding", file=sys.stderr) as bar:
            report = rebuild(
                session,
                programme_id=programme_id,
                dry_run=dry_run,
                progress=bar.update,
                setup=setup,
                workers=workers,
                ruleset_override=override,
                method_overrides=methods,
            )
        if dry_run:
            session.rollback()
        else:
            session.commit()
            store_level_statements(
                session, setup, report.levels_reached, home_page=system_home_page(), now=utcnow()
            )
    click.echo(
        f"{'would rebuild' if dry_run else 'rebuilt'}: {report.people} teachers, "
        f"{report.statements} statements, {report.evidence} evidence, {report.streams} estimates"
    )
    if dry_run:
        teachers = sorted({change.person_id for change in report.changes})
        click.echo(f"{len(teachers)} teachers' levels would change")
        if diff:
            for change in report.changes:
                scope = change.scope or "-"
                click.echo(
                    f"{change.person_id}\t{scope}\t{change.framework_id}#{change.code}\t"
                    f"{change.old_rank or '-'} -> {change.new_rank or '-'}"
                )


def _method_overrides(
    session: Any,
    framework_id: str | None,
    programme_id: str | None,
    method: str | None,
    dry_run: bool,
) -> MethodOverrides | None:
    if method is None:
        if framework_id is not None:
            _fail("--framework goes with --method")
        return None
    if not dry_run:
        _fail(
            "--method goes with --dry-run; to change a framework's method use "
            "trellis frameworks method ID --set JSON"
        )
    config = _json_option(method, "--method")
    if config is not None:
        try:
            method_from_config(config)
        except InferenceError as error:
            _fail(f"--method: {error}")
    if framework_id is not None:
        if frameworks_store.latest_framework(session, framework_id) is None:
            _fail(f"no framework {framework_id} is stored")
        return MethodOverrides(frameworks={framework_id: config})
    if programme_id is not None:
        return MethodOverrides(programmes={programme_id: config})
    _fail("--method needs --framework ID or --programme ID to say whose method it replaces")


def _override(session: Any, ruleset_id: str | None, version: int | None) -> tuple[str, int] | None:
    if version is None:
        if ruleset_id is not None:
            _fail("--ruleset goes with --ruleset-version")
        return None
    if ruleset_id is None:
        candidates = sorted(
            {
                row.ruleset_id
                for row in rulesets_store.list_rulesets(session)
                if row.version == version
            }
        )
        if len(candidates) != 1:
            _fail(
                f"--ruleset-version {version}: name the rule set with --ruleset "
                f"(version {version} exists for: {', '.join(candidates) or 'none'})"
            )
        ruleset_id = candidates[0]
    return ruleset_id, version


@competencies_cli.command("dump")
@click.option("--programme", "programme_id", help="This programme's scope only.")
def competencies_dump(programme_id: str | None) -> None:
    """Write evidence, estimates and trajectory points as sorted JSON lines (for comparison)."""
    with database().session_scope() as session:
        data = dump_projection(session, programme_id)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def register_commands(app_cli: click.Group) -> None:
    """Add the engine's command groups to ``trellis``."""
    for group in (programmes_cli, frameworks_cli, rulesets_cli, competencies_cli):
        app_cli.add_command(group)
