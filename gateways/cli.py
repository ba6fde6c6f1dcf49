"""The ``kentra`` command. Scripts send JSON in and get JSON out; people get tables and progress bars."""

from __future__ import annotations

import json
import logging
import re
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, NoReturn
from uuid import UUID

import typer
import uvicorn
from cryptography.exceptions import InvalidTag
from kafka.errors import KafkaError
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from typer.core import TyperGroup

from demo.history import DemoHistory, summarise
from demo.plan import next_month
from domain.errors import DomainError
from domain.periods import parse_period
from gateways.http.app import create_app
from gateways.importing import Limits, Report, check_file, checksum, kind_of
from gateways.importing import rows as import_rows
from gateways.importing import template as import_template_bytes
from gateways.kafka.checkpoints import publish_checkpoints, read_published
from gateways.kafka.consumer import RollupConsumer
from gateways.kafka.gateway import DirectSink, Gateway, KafkaSink
from gateways.observability import Check, Heartbeat, Metrics, configure_logging, database_check, serve_health
from gateways.reports import to_csv, to_xlsx
from gateways.subject_access import subject_access, to_pdf
from infra.accounts import UserExistsError, WeakPasswordError, check_password
from infra.backup import BackupError, backup, restore
from infra.bootstrap import Kentra, TenantNotProvisionedError, bootstrap
from infra.settings import Settings, SettingsError
from infra.tenant_registry import RegistryFileError, load_registry
from projections.audit import Checkpoint, public_key_hex
from projections.audit_export import ExportInvalidError, export_lines, verify_lines
from projections.queries import indicators
from projections.tables import people as people_table
from services.access import Principal, Role, check_principal
from services.casework import BatchRefusedError, Outcome, read_log
from services.commands import COMMAND_ADAPTER, AnyCommand
from services.disclosure import HIDDEN
from services.importing import LAYOUTS, ORDER, Importer

app = typer.Typer(
    help="Kentra: casework and ESF indicators for Community Centres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tenants_app = typer.Typer(help="The municipalities (tenants).", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
users_app = typer.Typer(help="Users of Kentra and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")
projections_app = typer.Typer(help="Read models: follow the logs, rebuild, lag.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
gateway_app = typer.Typer(help="Publish each tenant's log, pseudonymised, to Kafka.", no_args_is_help=True)
app.add_typer(gateway_app, name="gateway")
rollup_app = typer.Typer(help="Build the regional figures from the topic.", no_args_is_help=True)
app.add_typer(rollup_app, name="rollup")
audit_app = typer.Typer(help="Tamper evidence: the hash chain over each tenant's log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
out = Console()
err = Console(stderr=True)
worker_log = logging.getLogger("kentra.worker")

TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id, e.g. sofades")]
ByOption = Annotated[str, typer.Option("--by", help="Who asks (recorded in the tenant's access log)")]
DEMO_BATCH = 400


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def platform() -> Iterator[Kentra]:
    try:
        kentra = bootstrap(Settings.load())
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    try:
        yield kentra
    except TenantNotProvisionedError as error:
        fail(str(error))
    except DomainError as error:
        fail(error.message)
    finally:
        kentra.close()


def emit(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@tenants_app.command("list")
def tenants_list(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """List the tenants with their region, programme and structures."""
    try:
        registry = load_registry(Settings.load().tenants_file)
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    if as_json:
        emit([t.model_dump(mode="json", exclude={"reported"}) for t in registry.tenants])
        return
    table = Table("id", "Δήμος", "region", "programme (code)", "opened", "structures")
    for t in registry.tenants:
        programme = t.programmes[0]
        code = f"{programme.period} ({programme.code_kind} {programme.code})" if programme.code else programme.period
        table.add_row(t.id, t.name_el, t.region, code, t.opened or "—", ", ".join(s.id for s in t.structures))
    out.print(table)


@tenants_app.command("validate")
def tenants_validate(
    file: Annotated[Path | None, typer.Argument(help="Defaults to KENTRA_TENANTS_FILE")] = None,
) -> None:
    """Check a tenants file without changing anything."""
    try:
        registry = load_registry(file or Settings.load().tenants_file)
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    out.print(f"ok: {len(registry.tenants)} tenants in {len(registry.regions)} regions")


@tenants_app.command("sync")
def tenants_sync() -> None:
    """Create the store of every tenant in the tenants file that has none yet (idempotent)."""
    with platform() as kentra:
        kentra.provision_platform()
        for tenant in kentra.registry.tenants:
            created = kentra.provision(tenant.id)
            kentra.provision_rollup(tenant.id)
            out.print(f"{tenant.id}: {'created' if created else 'up to date'}")


def _parse_commands(text: str) -> list[AnyCommand]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"malformed JSON at line {error.lineno} column {error.colno}: {error.msg}")
    documents = data if isinstance(data, list) else [data]
    commands, problems = [], []
    for index, document in enumerate(documents):
        try:
            commands.append(COMMAND_ADAPTER.validate_python(document))
        except ValidationError as error:
            for problem in error.errors():
                field = ".".join(str(p) for p in problem["loc"])
                problems.append({"index": index, "field": field, "message": problem["msg"]})
    if problems:
        emit({"recorded": False, "errors": problems})
        fail(f"{len(problems)} invalid field(s); nothing was recorded")
    return commands


def _result(result: Outcome | DomainError) -> dict[str, Any]:
    if isinstance(result, DomainError):
        return {"ok": False, "error": type(result).__name__, "field": result.field, "message": result.message}
    return {"ok": True, **result.model_dump(mode="json")}


@app.command()
def record(
    tenant: TenantOption,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="JSON file; standard input if omitted")] = None,
) -> None:
    """Record casework: one JSON command, or a list recorded all-or-nothing. Prints the outcomes."""
    with platform() as kentra:
        casework = kentra.casework(tenant)  # an unknown tenant is the first thing to report
        if file is not None and not file.is_file():
            fail(f"no such file: {file}")
        commands = _parse_commands(file.read_text(encoding="utf-8") if file else sys.stdin.read())
        try:
            results = casework.execute_many(commands, atomic=True)
        except BatchRefusedError as refused:
            emit({"recorded": False, "results": [_result(r) for r in refused.results]})
            fail(refused.message, code=1)
        emit({"recorded": True, "results": [_result(r) for r in results]})


@app.command()
def show(
    tenant: TenantOption,
    entry_id: Annotated[UUID, typer.Argument(help="Id of a beneficiary, request, referral, visit or activity")],
    history: Annotated[bool, typer.Option("--history", help="Every event of the entry")] = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="Open sealed personal data (recorded as an access)")] = False,
    by: ByOption = "cli",
) -> None:
    """Show an entry (JSON): its current state, or with --history every event."""
    with platform() as kentra:
        casework = kentra.casework(tenant)
        shown = casework.history(entry_id, reveal=reveal) if history else casework.describe(entry_id, reveal=reveal)
        entry = casework.entry(entry_id)
        people = {entry.id} if entry.KIND == "beneficiary" else {getattr(entry, "beneficiary_id", None)}
        people |= set(getattr(entry, "beneficiary_ids", None) or [])
        for person in sorted(p for p in people if p is not None) if reveal else []:
            casework.record_access(person, accessed_by=by, role="operator", endpoint="cli show --reveal")
        emit(shown)


@app.command()
def find(
    tenant: TenantOption,
    amka: Annotated[str, typer.Option("--amka", help="ΑΜΚΑ, 11 digits")],
    by: ByOption = "cli",
) -> None:
    """Find a registered beneficiary by ΑΜΚΑ (JSON: the id, or null). The search is recorded, never the ΑΜΚΑ."""
    with platform() as kentra:
        casework = kentra.casework(tenant)
        found = casework.find_by_amka(amka)
        casework.record_search(
            by="amka", found=int(found is not None), searched_by=by, role="operator", endpoint="cli find"
        )
        if found is not None:
            casework.record_access(found, accessed_by=by, role="operator", endpoint="cli find")
        emit({"beneficiary_id": str(found) if found else None})


@app.command("schema")
def schema() -> None:
    """The JSON Schema of the commands `kentra record` takes."""
    emit(COMMAND_ADAPTER.json_schema())


def _run_demo(kentra: Kentra, tenant_ids: list[str]) -> dict[str, dict[str, Any]]:
    histories = {tid: list(DemoHistory(kentra.registry.tenant(tid), kentra.today()).commands()) for tid in tenant_ids}
    refused: list[str] = []
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("commands"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as progress:
        tasks = {tid: progress.add_task(tid, total=len(cmds)) for tid, cmds in histories.items()}
        for tid, commands in histories.items():
            kentra.provision(tid)
            casework = kentra.casework(tid)
            for start in range(0, len(commands), DEMO_BATCH):
                chunk = commands[start : start + DEMO_BATCH]
                for result in casework.execute_many(chunk):
                    if isinstance(result, DomainError):
                        refused.append(f"{tid}: {type(result).__name__}: {result.message}")
                progress.advance(tasks[tid], len(chunk))
    if refused:
        fail(f"{len(refused)} demo commands were refused, first: {refused[0]}", code=1)
    _fold_with_progress(kentra, tenant_ids, rebuild=False)
    for tid in tenant_ids:
        chain = kentra.audit_chain(tid)
        if chain.extend() or not chain.checkpoints():
            chain.checkpoint()
    if not kentra.settings.kafka_bootstrap_servers:  # the embedded default: the Regions' figures in process
        gateway = Gateway(kentra, DirectSink(kentra))
        for tid in tenant_ids:
            gateway.catch_up(tid)
    return {tid: summarise(iter(read_log(kentra.casework(tid)))) for tid in tenant_ids}


def _print_regions(kentra: Kentra, tenant_ids: list[str]) -> None:
    """What each Region sees for 2022: pseudonymised, consolidated, disclosure-controlled (χ: hidden)."""
    from gateways.http.regions import regional_answer  # noqa: PLC0415 - only the demo needs the web stack

    if kentra.settings.kafka_bootstrap_servers:
        return  # with Kafka the figures arrive through `kentra rollup run`
    for region in kentra.registry.regions:
        if not any(t.id in tenant_ids for t in kentra.registry.tenants_of(region.id)):
            continue
        answer = regional_answer(kentra, region.id, parse_period("2022"))
        table = Table(
            "δήμος",
            "ωφελούμενοι (Γ/Α)",
            "αιτήματα",
            "παραπομπές",
            title=f"{region.name_el}, έτος 2022: όπως τα βλέπει η Περιφέρεια ({HIDDEN}: κρυφό κελί)",
        )
        rows = [(m["name_el"], m["indicators"]) for m in answer["municipalities"]]
        rows.append(("Σύνολο Περιφέρειας", answer["consolidated"]))
        for name, doc in rows:
            served = doc["beneficiaries_served"]
            table.add_row(
                name,
                f"{_cell(served['total'])} ({_cell(served['female'])}/{_cell(served['male'])})",
                _cell(doc["requests"]["total"]),
                _cell(doc["referrals"]["total"]),
            )
        distinct = answer["consolidated"].get("people_served_region_wide")
        if distinct is not None:
            table.caption = f"μοναδικά άτομα σε όλη την Περιφέρεια: {_cell(distinct['distinct'])}"
        out.print(table)


def _cell(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def _print_summary(kentra: Kentra, summaries: dict[str, dict[str, Any]]) -> None:
    table = Table(
        "tenant",
        "casework events",
        "beneficiaries",
        "requests",
        "referrals",
        "home visits",
        "activities",
        title="Kentra demo: what each tenant's log now holds",
    )
    for tid, summary in summaries.items():
        by_type = summary["by_type"]
        table.add_row(
            tid,
            f"{summary['events']:,}",
            f"{by_type.get('Beneficiary.Registered', 0):,}",
            f"{by_type.get('CaseRequest.Opened', 0):,}",
            f"{by_type.get('Referral.Sent', 0):,}",
            f"{by_type.get('HomeVisit.Conducted', 0):,}",
            f"{by_type.get('Activity.Recorded', 0):,}",
        )
    out.print(table)
    for tid in summaries:
        reported = [f for f in kentra.registry.tenant(tid).reported if f.metric == "beneficiaries_per_month"]
        if not reported:
            continue
        first = date.fromisoformat(reported[0].period + "-01")
        last = next_month(date.fromisoformat(reported[-1].period + "-01")) - timedelta(days=1)
        views = kentra.views(tid)
        with views.engine.connect() as conn:
            served = {m["month"]: m for m in indicators(conn, first, last, None)["beneficiaries_served"]["per_month"]}
        seed = Table(
            "μήνας",
            "δημοσιευμένο (Γ/Α)",
            "Kentra (Γ/Α)",
            title=f"{tid}: μοναδικοί ωφελούμενοι ανά μήνα, γυναίκες/άνδρες, από τους δείκτες",
        )
        for figure in reported:
            month = served.get(figure.period, {})
            seed.add_row(
                figure.period,
                f"{figure.value} ({figure.female}/{figure.male})",
                f"{month.get('total', 0)} ({month.get('female', 0)}/{month.get('male', 0)})",
            )
        out.print(seed)
    _print_regions(kentra, list(summaries))
    out.print(
        f"Data directory: {kentra.settings.data_dir.resolve()}"
        if kentra.settings.embedded
        else "Store: PostgreSQL (KENTRA_DATABASE_URL)"
    )


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web application afterwards")] = True,
    tenant: Annotated[list[str] | None, typer.Option("--tenant", "-t", help="Only these tenants")] = None,
) -> None:
    """Load the four tenants and a realistic, deterministic history for each; then print a summary.

    Safe to run again: the history's command ids are fixed, so a second run records nothing new.
    """
    with platform() as kentra:
        tenant_ids = tenant or [t.id for t in kentra.registry.tenants]
        for tid in tenant_ids:
            kentra.registry.tenant(tid)
        summaries = _run_demo(kentra, tenant_ids)
        _print_summary(kentra, summaries)
        if serve:
            table = Table(title="Χρήστες επίδειξης (νέος κωδικός σε κάθε εκτέλεση) / demo users")
            for column in ("χρήστης / user", "ρόλος / role", "κωδικός / password"):
                table.add_column(column)
            for name, principal, password in demo_users(kentra):
                table.add_row(name, principal.role.value, password)
            out.print(table)
            out.print("Kentra: http://127.0.0.1:8000/  (Ctrl-C to stop)")
            configure_logging(kentra.settings.log_level)
            uvicorn.run(create_app(kentra), host="127.0.0.1", port=8000, log_config=None, access_log=False)


def demo_users(kentra: Kentra) -> list[tuple[str, Principal, str]]:
    """One user per role for trying the pages, each with a fresh random password (development only)."""
    if kentra.settings.environment != "development":
        fail("demo users exist only in development")
    kentra.provision_platform()
    wanted = [
        Principal("demo.coordinator", Role.COORDINATOR, frozenset({"sofades"})),
        Principal("demo.caseworker", Role.CASEWORKER, frozenset({"sofades"}), structure="centre"),
        Principal("demo.analyst", Role.REGIONAL_ANALYST, region="thessaly"),
        Principal("demo.auditor", Role.AUDITOR, frozenset({"sofades"})),
    ]
    made = []
    for principal in wanted:
        password = secrets.token_urlsafe(12)
        if not kentra.accounts.set_password(principal.username, password):
            kentra.accounts.add(principal, password)
        made.append((principal.username, principal, password))
    return made


@app.command()
def version() -> None:
    """Print Kentra's version."""
    out.print(package_version("kentra"))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name: lower-case letters, digits, '.', '_', '-'")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do")],
    tenant: Annotated[list[str] | None, typer.Option("--tenant", help="Tenant(s) the user works for")] = None,
    structure: Annotated[str | None, typer.Option("--structure", help="A caseworker's structure")] = None,
    region: Annotated[str | None, typer.Option("--region", help="A regional analyst's region")] = None,
    personal_data: Annotated[
        bool, typer.Option("--personal-data", help="An auditor may see whom records are about (each use is logged)")
    ] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Add a user. The password is read from standard input, never from the command line."""
    if not password_stdin:
        fail("give --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\n")
    try:
        check_password(password, name)
    except WeakPasswordError as error:
        fail(str(error))
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
        fail("user names are lower-case letters, digits, '.', '_' and '-' (at most 64)")
    with platform() as kentra:
        principal = check_principal(
            Principal(
                username=name,
                role=role,
                tenants=frozenset(tenant or ()),
                structure=structure,
                region=region,
                personal_data=personal_data,
            ),
            kentra.registry,
        )
        try:
            kentra.accounts.add(principal, password)
        except UserExistsError as error:
            fail(str(error))
        out.print(f"added {name} ({role.value})")


@users_app.command("password")
def users_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Set a user's password (from standard input). Every session of the user ends at once."""
    if not password_stdin:
        fail("give --password-stdin and the new password on standard input")
    password = sys.stdin.readline().rstrip("\n")
    with platform() as kentra:
        try:
            changed = kentra.accounts.set_password(name, password)
        except WeakPasswordError as error:
            fail(str(error))
        if not changed:
            fail(f"no user {name!r}")
        out.print(f"new password for {name}; their sessions have ended")


@users_app.command("list")
def users_list() -> None:
    """List users and their scope (JSON)."""
    with platform() as kentra:
        emit(
            [
                {
                    "username": p.username,
                    "role": p.role.value,
                    "tenants": sorted(p.tenants),
                    "structure": p.structure,
                    "region": p.region,
                    "personal_data": p.personal_data,
                }
                for p in kentra.accounts.all()
            ]
        )


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: their tokens stop working at once, and their sessions end."""
    with platform() as kentra:
        if not kentra.accounts.set_active(name, False):
            fail(f"no user {name!r}")
        out.print(f"disabled {name}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve /metrics here, apart from the API [default: KENTRA_METRICS_PORT]"),
    ] = None,
    metrics_host: Annotated[
        str | None, typer.Option(help="Address of the metrics port [default: KENTRA_METRICS_HOST, 127.0.0.1]")
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs); /metrics only on --metrics-port.

    A chain follower runs beside it: every second each tenant's audit chain is extended over what
    was recorded (through the chain role, not the API's) and a checkpoint signed when one is due.
    """
    with platform() as kentra:
        configure_logging(kentra.settings.log_level)
        kentra.provision_platform()
        api = create_app(kentra)
        metrics_port = metrics_port or kentra.settings.metrics_port
        if metrics_port:
            where = metrics_host or kentra.settings.metrics_host
            serve_health(metrics_port, api.state.metrics, {}, {"database": database_check(kentra)}, host=where)
            worker_log.info("metrics on %s:%d", where, metrics_port)
        stopping = threading.Event()
        every = timedelta(seconds=kentra.settings.checkpoint_interval_seconds)
        follower = threading.Thread(
            target=_follow_chains, args=(kentra, stopping, every), name="kentra-chain-follower", daemon=True
        )
        follower.start()
        try:
            # log_config=None keeps our JSON logging; uvicorn's access log would write raw query strings.
            uvicorn.run(api, host=host, port=port, log_config=None, access_log=False)
        finally:
            stopping.set()
            follower.join(timeout=10)


CHAIN_FOLLOW_SECONDS = 1.0


def _follow_chains(kentra: Kentra, stopping: threading.Event, every: timedelta) -> None:
    """Keep every tenant's audit chain within a second of its log until ``stopping`` is set."""
    while not stopping.is_set():
        for tid in _tenants(kentra, None):
            try:
                chain = kentra.audit_chain(tid)
                chain.extend()
                if chain.checkpoint_due(every):
                    chain.checkpoint()
            except Exception as error:  # a store away for a moment: try again next round
                worker_log.warning("audit chain of %s not extended (%s); retrying", tid, type(error).__name__)
        stopping.wait(CHAIN_FOLLOW_SECONDS)


def _tenants(kentra: Kentra, tenant: list[str] | None) -> list[str]:
    ids = tenant or [t.id for t in kentra.registry.tenants]
    for tid in ids:
        kentra.registry.tenant(tid)
    return [tid for tid in ids if kentra.is_provisioned(tid)]


def _fold_with_progress(kentra: Kentra, tenant_ids: list[str], *, rebuild: bool) -> None:
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as progress:
        for tid in tenant_ids:
            views = kentra.views(tid)
            total = views.head() if rebuild else views.head() - views.position()
            task = progress.add_task(f"{tid} (δείκτες)", total=max(total, 0))

            def step(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            if rebuild:
                views.rebuild(on_batch=step)
            else:
                views.catch_up(on_batch=step)


@projections_app.command("rebuild")
def projections_rebuild(
    tenant: Annotated[list[str] | None, typer.Option("--tenant", "-t", help="Only these tenants")] = None,
) -> None:
    """Empty the read models and fold each tenant's whole log again, with a progress bar."""
    with platform() as kentra:
        _fold_with_progress(kentra, _tenants(kentra, tenant), rebuild=True)


@projections_app.command("status")
def projections_status() -> None:
    """How far each tenant's read models are behind its log (JSON)."""
    with platform() as kentra:
        emit({tid: kentra.views(tid).lag() for tid in _tenants(kentra, None)})


@projections_app.command("run")
def projections_run(
    interval: Annotated[float, typer.Option(help="Seconds to wait when every tenant is up to date")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Catch up once and exit")] = False,
    checkpoint_every: Annotated[
        float | None,
        typer.Option(
            min=1, help="Seconds between signed audit checkpoints [default: KENTRA_CHECKPOINT_INTERVAL_SECONDS]"
        ),
    ] = None,
    health_port: HealthPort = None,
) -> None:
    """Follow every tenant's log and keep the read models and audit chain current, until stopped.

    Signs a checkpoint of each tenant's chain when its head moved and the last one is older than
    the interval. Stops on SIGTERM or Ctrl-C.
    """
    stopping = _stop_on_signals()
    with platform() as kentra:
        heartbeat = Heartbeat()
        _observe_worker(kentra, health_port, heartbeat, {})
        tenant_ids = _tenants(kentra, None)
        every = timedelta(seconds=checkpoint_every or kentra.settings.checkpoint_interval_seconds)
        worker_log.info("following %d tenants", len(tenant_ids))
        while not stopping.is_set():
            heartbeat.beat()
            folded = sum(kentra.views(tid).catch_up(limit=10_000) for tid in tenant_ids)
            folded += sum(kentra.audit_chain(tid).extend() for tid in tenant_ids)
            for tid in tenant_ids:
                chain = kentra.audit_chain(tid)
                if chain.checkpoint_due(every):
                    chain.checkpoint()
            if once and folded == 0:
                break
            if folded == 0:
                stopping.wait(interval)


def _stop_on_signals() -> threading.Event:
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    return stopping


HealthPort = Annotated[
    int | None,
    typer.Option(
        min=1, max=65535, help="Serve /health/live, /health/ready and /metrics here [default: KENTRA_HEALTH_PORT]"
    ),
]


def _observe_worker(kentra: Kentra, port: int | None, heartbeat: Heartbeat, ready: dict[str, Check]) -> Metrics:
    """JSON logs, and health and metrics on the port if one is given (by option or setting)."""
    configure_logging(kentra.settings.log_level)
    metrics = Metrics(kentra)
    port = port or kentra.settings.health_port
    if port:
        serve_health(port, metrics, {"loop": heartbeat.check}, {"database": database_check(kentra), **ready})
        worker_log.info("health and metrics on port %d", port)
    return metrics


def _broker_check(servers: str) -> Check:
    """The broker answers: one of the bootstrap servers accepts a connection (cheap enough for probes)."""

    def check() -> None:
        for server in servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                socket.create_connection((host or "localhost", int(port or 9092)), timeout=2).close()
            except (OSError, ValueError):
                continue
            return
        raise ConnectionError("no bootstrap server answers")

    return check


@gateway_app.command("run")
def gateway_run(
    interval: Annotated[float, typer.Option(help="Seconds to wait when every log is published")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Publish what is there and exit")] = False,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Log events per delivery")] = 1000,
    health_port: HealthPort = None,
) -> None:
    """Publish every tenant's log to kentra.events.v1, in order; the position moves only once acknowledged.

    Signed audit checkpoints go to kentra.checkpoints.v1. Without KENTRA_KAFKA_BOOTSTRAP_SERVERS the
    envelopes go straight to the regional roll-up in process, and checkpoints stay unpublished. A
    broker that is away, at start or later, is waited for: nothing moves until it acknowledges.
    """
    stopping = _stop_on_signals()
    with platform() as kentra:
        servers = kentra.settings.kafka_bootstrap_servers
        topic = kentra.settings.kafka_topic
        heartbeat = Heartbeat()
        current: dict[str, Any] = {}  # the gateway and sinks in use; dropped and made anew after a broker error

        def connect() -> Gateway:
            if "gateway" not in current:
                if servers:
                    current["sinks"] = [
                        KafkaSink(servers, topic=topic),
                        KafkaSink(servers, topic=kentra.settings.kafka_checkpoint_topic),
                    ]
                    current["gateway"] = Gateway(kentra, current["sinks"][0], batch=batch)
                else:
                    current["sinks"] = []
                    current["gateway"] = Gateway(kentra, DirectSink(kentra), batch=batch)
            gateway: Gateway = current["gateway"]
            return gateway

        def disconnect() -> None:
            for sink in current.pop("sinks", []):
                sink.close()
            current.pop("gateway", None)

        broker = {"broker": _broker_check(servers)} if servers else {}
        metrics = _observe_worker(kentra, health_port, heartbeat, broker)
        tenant_ids = _tenants(kentra, None)
        worker_log.info("publishing %d tenants to %s", len(tenant_ids), servers or "the in-process roll-up")
        try:
            while not stopping.is_set():
                heartbeat.beat()
                try:
                    gateway = connect()
                    published = sum(gateway.publish(tid) for tid in tenant_ids)
                    if servers:
                        checkpoints = current["sinks"][1]
                        published += sum(
                            publish_checkpoints(kentra.audit_chain(tid), checkpoints) for tid in tenant_ids
                        )
                except KafkaError as error:  # the broker is away: nothing moved, try again shortly
                    metrics.delivery_errors.labels(topic).inc()
                    worker_log.warning("broker unavailable (%s); retrying", type(error).__name__)
                    disconnect()  # start afresh rather than trust a producer in doubt
                    stopping.wait(interval)
                    continue
                if once and published == 0:
                    break
                if published == 0:
                    stopping.wait(interval)
        finally:
            disconnect()


@gateway_app.command("replay")
def gateway_replay(
    tenant: Annotated[list[str], typer.Option("--tenant", "-t", help="The tenant(s) whose log to publish again")],
) -> None:
    """Publish these tenants' logs again from the start, on the gateway's next run.

    After a new linkage key of their Region (docs/regions.md): once the Region's roll-up of each was
    emptied, the replay rebuilds it with every link under the new key.
    """
    with platform() as kentra:
        gateway = Gateway(kentra, DirectSink(kentra))
        for tid in tenant:
            out.print(f"{tid}: published again from the start on the next run (was at {gateway.replay(tid)})")


ONCE_GIVE_UP_IDLE_POLLS = 60  # `rollup run --once` with nothing assigned for a minute: stop anyway


@rollup_app.command("run")
def rollup_run(
    once: Annotated[
        bool, typer.Option("--once", help="Consume to the end of the partitions the group gives it, then exit")
    ] = False,
    group: Annotated[str, typer.Option(help="Kafka consumer group")] = "kentra-rollup",
    health_port: HealthPort = None,
) -> None:
    """Consume kentra.events.v1 and build each municipality's regional figures (idempotent per event).

    A broker that is away at start is waited for.
    """
    stopping = _stop_on_signals()
    with platform() as kentra:
        servers = kentra.settings.kafka_bootstrap_servers
        if not servers:
            fail("no KENTRA_KAFKA_BOOTSTRAP_SERVERS: without Kafka the gateway delivers to the roll-up itself")
        for tenant in kentra.registry.tenants:
            kentra.provision_rollup(tenant.id)
        heartbeat = Heartbeat()
        current: list[RollupConsumer] = []

        _observe_worker(kentra, health_port, heartbeat, {"broker": _broker_check(servers)})
        try:
            idle = 0
            while not stopping.is_set():
                heartbeat.beat()
                if not current:
                    try:
                        current.append(RollupConsumer(kentra, servers, group=group, topic=kentra.settings.kafka_topic))
                    except KafkaError as error:
                        worker_log.warning("broker unavailable (%s); retrying", type(error).__name__)
                        stopping.wait(1.0)
                        continue
                applied = current[0].poll_once(timeout_ms=1000)
                idle = 0 if applied else idle + 1
                # Caught up, not merely idle: after a crash the group first waits out the dead
                # member's session (10 s) before it assigns the partitions again.
                if once and not applied and (current[0].caught_up() or idle >= ONCE_GIVE_UP_IDLE_POLLS):
                    break
        finally:
            for consumer in current:
                consumer.close()


privacy_app = typer.Typer(
    help="Personal data: retention, legal holds, erasure by key deletion, subject access.", no_args_is_help=True
)
app.add_typer(privacy_app, name="privacy")
BeneficiaryOption = Annotated[UUID, typer.Option("--beneficiary", "-b", help="The beneficiary's id")]


@privacy_app.command("erase")
def privacy_erase(
    tenant: TenantOption,
    beneficiary: BeneficiaryOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the log)")],
    legal_ground: Annotated[
        str | None, typer.Option("--legal-ground", help="Required before the erasure date: the documented ground")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who decided (kept in the log)")] = "cli",
) -> None:
    """Erase a beneficiary's personal data by deleting their key (refused before their erasure date
    unless --legal-ground is given). The erasure is an event; the ESF figures stay as they were."""
    with platform() as kentra:
        emit(kentra.erase(tenant, beneficiary, reason=reason, legal_ground=legal_ground, erased_by=by))


@privacy_app.command("hold")
def privacy_hold(
    tenant: TenantOption,
    beneficiary: BeneficiaryOption,
    until: Annotated[str, typer.Option("--until", help="Last day of the hold, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", help="The case, audit or complaint")],
    by: Annotated[str, typer.Option("--by", help="Who placed it")] = "cli",
) -> None:
    """Place a legal hold: the beneficiary's data are kept at least until the day after it ends."""
    try:
        last = date.fromisoformat(until)
    except ValueError:
        fail("--until is a date YYYY-MM-DD")
    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        casework.place_legal_hold(beneficiary, until=last, reason=reason, recorded_by=by)
        when = casework.erasure_date(beneficiary)
        emit({"beneficiary_id": str(beneficiary), "held_until": until, "earliest_erasure": _day(when.earliest)})


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


@privacy_app.command("due")
def privacy_due(
    tenant: TenantOption,
    erase: Annotated[bool, typer.Option("--erase", help="Erase every one listed, and report")] = False,
    reason: Annotated[str, typer.Option("--reason", help="With --erase: the reason kept in the log")] = (
        "retention period ended"
    ),
) -> None:
    """List the beneficiaries past their erasure date (JSON); with --erase, erase them (a scheduled run)."""
    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        views = kentra.views(tenant)
        views.catch_up()
        with views.engine.connect() as conn:
            ids = [
                row[0] for row in conn.execute(select(people_table.c.beneficiary_id).order_by(people_table.c.intake_on))
            ]
        due, today = [], casework.today()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as progress:
            task = progress.add_task("ελέγχονται οι ημερομηνίες διαγραφής", total=len(ids))
            for person in ids:
                progress.advance(task)
                if getattr(casework.entry(person), "erased", False):
                    continue
                when = casework.erasure_date(person)
                if when.allows(today):
                    due.append({"beneficiary_id": str(person), "earliest": _day(when.earliest), "why": when.why})
        if not erase:
            emit({"tenant": tenant, "today": today.isoformat(), "due": due})
            return
        erased = [
            kentra.erase(tenant, UUID(item["beneficiary_id"]), reason=reason, legal_ground=None, erased_by="scheduled")
            for item in due
        ]
        emit({"tenant": tenant, "today": today.isoformat(), "erased": len(erased), "report": due})


@privacy_app.command("export")
def privacy_export(
    tenant: TenantOption,
    beneficiary: BeneficiaryOption,
    to: Annotated[Path, typer.Option("--to", help="File to write: .json or .pdf")],
    by: Annotated[str, typer.Option("--by", help="Who asks (recorded as an access)")] = "cli",
) -> None:
    """Everything held on one beneficiary (subject access), as JSON or a Greek PDF; the export is recorded."""
    if to.suffix not in (".json", ".pdf"):
        fail("--to must end in .json or .pdf")
    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        document = subject_access(kentra, registered.id, beneficiary, asked_by=by, role="operator")
        if to.suffix == ".pdf":
            to.write_bytes(to_pdf(document, registered.name_el))
        else:
            to.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        out.print(f"wrote {to}: {len(document['entries'])} entries, {len(document['accessed_by'])} recorded accesses")


class _ImportGroup(TyperGroup):
    """`kentra import --tenant T FILE...` runs an import; `kentra import template …` writes a template."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return list(super().parse_args(ctx, args))


import_app = typer.Typer(
    cls=_ImportGroup,
    help="Import historical records from CSV or XLSX (layouts: docs/import.md).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


class _RowRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} γραμμές/s")


@import_app.command("run")
def import_run(
    tenant: TenantOption,
    files: Annotated[list[Path], typer.Argument(help="CSV or XLSX files; people first, whatever the order given")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate everything, record nothing")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="The kind, if the header cannot tell it")] = None,
    report: Annotated[Path, typer.Option("--report", help="Where the rejected rows are written")] = Path(
        "import-report.csv"
    ),
) -> None:
    """Import rows as events with their original dates; re-running records nothing new; a changed
    row becomes a correction; rejected rows go to the report (line, field, reason in Greek and English)."""
    if kind is not None and kind not in LAYOUTS:
        fail(f"--kind is one of {', '.join(LAYOUTS)}")
    for path in files:
        if not path.is_file():
            fail(f"no such file: {path}")
    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        limits = Limits.of(kentra.settings)
        try:
            for path in files:  # every file within the limits before a row of any is recorded
                check_file(path, limits)
            plan = sorted(
                ((LAYOUTS[kind] if kind else kind_of(path, limits), path) for path in files),
                key=lambda pair: ORDER.index(pair[0].kind),
            )
        except DomainError as error:
            fail(error.message)
        written = Report(report)
        importer = Importer(casework, on_problem=written.add)
        summaries = []
        try:
            columns = (TextColumn("{task.description:<32}"), MofNCompleteColumn(), _RowRate(), TimeElapsedColumn())
            with Progress(*columns, console=err) as progress:
                for layout, path in plan:
                    written.file = path.name
                    task = progress.add_task(f"{path.name} ({layout.el})", total=None)
                    summary = importer.run(
                        layout,
                        import_rows(path, layout, limits),
                        source=path.name,
                        checksum=checksum(path),
                        dry_run=dry_run,
                        on_rows=partial(progress.advance, task),
                    )
                    summaries.append({"file": path.name, **summary.as_dict()})
        except DomainError as error:
            fail(error.message)
        finally:
            written.close()
        emit({"dry_run": dry_run, "files": summaries, "report": str(report), "rejected_rows_reported": written.count})


@import_app.command("template")
def import_template(
    kind: Annotated[str, typer.Option("--kind", help=" | ".join(LAYOUTS))],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    lang: Annotated[str, typer.Option("--lang", help="el (Greek headers) or en")] = "el",
    to: Annotated[Path | None, typer.Option("--to", help="File to write [default: <kind>.<format>]")] = None,
) -> None:
    """Write an empty file with the kind's columns and one example row."""
    if kind not in LAYOUTS or fmt not in ("xlsx", "csv") or lang not in ("el", "en"):
        fail(f"--kind is one of {', '.join(LAYOUTS)}; --format xlsx or csv; --lang el or en")
    target = to or Path(f"{kind}.{fmt}")
    target.write_bytes(import_template_bytes(kind, fmt, lang))
    out.print(f"wrote {target}")


keys_app = typer.Typer(help="The master key: rotation without rewriting any event.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate(
    tenant: Annotated[list[str] | None, typer.Option("--tenant", "-t", help="Only these tenants")] = None,
) -> None:
    """Re-wrap every beneficiary key (and the tenant's stable secrets) under the new master key.

    Set KENTRA_MASTER_KEY (or _FILE) to the new key and KENTRA_PREVIOUS_MASTER_KEY (or _FILE) to the
    old one. Events are not touched. Idempotent: run it again if it was cut short. Afterwards remove
    the previous key from the settings and destroy it.
    """
    with platform() as kentra:
        try:
            for tid in _tenants(kentra, tenant):
                with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
                    task = bar.add_task(f"{tid}: κλειδιά", total=None)
                    count = kentra.rotate_master_key(tid, on_batch=partial(bar.advance, task))
                out.print(f"{tid}: {count} keys re-wrapped under the new master key")
        except SettingsError as error:
            fail(str(error))
        except InvalidTag:
            fail(
                "the previous master key does not open this tenant's keys: is KENTRA_PREVIOUS_MASTER_KEY right?", code=1
            )


@app.command("backup")
def backup_command(
    to: Annotated[Path, typer.Option("--to", help="A new, empty directory")],
) -> None:
    """Sign each tenant's chain head, then copy the event logs, vaults, views and users (not the keys).

    SQLite files are copied with SQLite's online backup; PostgreSQL with pg_dump. A manifest keeps
    every file's SHA-256 and each tenant's signed head.
    """
    with platform() as kentra:
        try:
            manifest = backup(kentra, to)
        except BackupError as error:
            fail(str(error), code=1)
        emit({"backup": str(to), "store": manifest["store"], "tenants": manifest["tenants"]})


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Option("--from", help="A directory written by `kentra backup`")],
) -> None:
    """Restore a backup into an empty store, then verify every tenant's chain against the backup's heads.

    Needs the same master key as when the backup was made. Exit 1 if anything does not verify.
    """
    with platform() as kentra:
        try:
            manifest = restore(kentra, source)
        except BackupError as error:
            fail(str(error), code=1)
        kentra.provision_platform()
        results, broken = {}, []
        for tenant_id, head in manifest["tenants"].items():
            kentra.provision(tenant_id)  # roles, triggers and grants: a dump carries none of them
            chain = kentra.audit_chain(tenant_id)
            verdict = chain.verify()
            matches = verdict.ok and chain.hash_at(head["position"]) == head["hash"]
            results[tenant_id] = {**verdict.as_dict(), "backup_head": head["position"], "matches_backup": matches}
            if not matches:
                broken.append(tenant_id)
        emit(results)
        if broken:
            fail(
                f"restored, but these tenants do not verify: {', '.join(broken)} (is the master key the same?)", code=1
            )


@audit_app.command("chain")
def audit_chain(
    tenant: Annotated[list[str] | None, typer.Option("--tenant", "-t", help="Only these tenants")] = None,
) -> None:
    """Extend each tenant's hash chain over the events recorded since (also done by `projections run`)."""
    with platform() as kentra:
        for tid in _tenants(kentra, tenant):
            out.print(f"{tid}: {kentra.audit_chain(tid).extend()} events chained")


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Verify this tenant's live log")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Verify an export offline")] = None,
    public_key: Annotated[str | None, typer.Option("--public-key", help="With --file: the tenant's key (hex)")] = None,
) -> None:
    """Verify a tenant's live chain, or an exported file offline; exit 1 naming where it breaks."""
    if (tenant is None) == (file is None):
        fail("give --tenant (the live log) or --file (an export), not both")
    if file is not None:
        if public_key is None:
            fail("--file needs --public-key: the key the municipality published, not the one in the file")
        if not file.is_file():
            fail(f"no such file: {file}")
        try:
            with file.open(encoding="utf-8") as lines:
                emit(verify_lines(lines, public_key))
        except ExportInvalidError as error:
            fail(str(error), code=1)
        return
    with platform() as kentra:
        kentra.registry.tenant(tenant or "")
        servers = kentra.settings.kafka_bootstrap_servers
        published: list[Checkpoint] = []
        if servers:  # the copies outside the database: a deleted checkpoint is still on the topic
            try:
                published = read_published(servers, tenant or "", topic=kentra.settings.kafka_checkpoint_topic)
            except (KafkaError, TimeoutError) as error:
                fail(f"cannot read the checkpoints topic ({type(error).__name__}); is the broker up?", code=1)
        verdict = kentra.audit_chain(tenant or "").verify(published)
        emit({"tenant": tenant, **verdict.as_dict(), "published_checkpoints": len(published) if servers else None})
        if not verdict.ok:
            fail(f"the chain breaks at position {verdict.first_broken}: {verdict.problem}", code=1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    tenant: Annotated[list[str] | None, typer.Option("--tenant", "-t", help="Only these tenants")] = None,
) -> None:
    """Chain what is recorded and sign each tenant's head now (the gateway publishes it)."""
    with platform() as kentra:
        emit([kentra.audit_chain(tid).checkpoint().as_dict() for tid in _tenants(kentra, tenant)])


@audit_app.command("export")
def audit_export(tenant: TenantOption, to: Annotated[Path, typer.Option("--to", help="File to write")]) -> None:
    """Write the tenant's chained events with their hashes and a signed checkpoint (refused if broken)."""
    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        chain = kentra.audit_chain(tenant)
        chain.extend()
        verdict = chain.verify()
        if not verdict.ok:
            fail(f"the chain breaks at position {verdict.first_broken}: {verdict.problem}; not exported", code=1)
        earlier = chain.checkpoints()
        final = chain.checkpoint()
        partial = to.with_name(to.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as handle:
                for line in export_lines(registered.id, chain.stored_events(), earlier, final):
                    handle.write(line + "\n")
        except ExportInvalidError as error:
            partial.unlink(missing_ok=True)
            fail(f"{error}; not exported", code=1)
        partial.replace(to)  # a reader never sees half a file
        out.print(
            f"wrote the log up to position {final.position} and {len(earlier) + 1} checkpoints to {to};"
            f" public key {final.public_key}"
        )


@audit_app.command("public-key")
def audit_public_key(tenant: TenantOption) -> None:
    """The tenant's checkpoint public key (hex), for auditors to verify exports with."""
    with platform() as kentra:
        print(public_key_hex(kentra.keys(kentra.registry.tenant(tenant)).signing_key()))


@app.command()
def report(
    tenant: TenantOption,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or json")] = "xlsx",
    structure: Annotated[str | None, typer.Option("--structure", help="One structure only")] = None,
) -> None:
    """Write a tenant's programme indicators for a period to a CSV, XLSX or JSON file."""
    if format not in ("csv", "xlsx", "json"):
        fail("--format is csv, xlsx or json")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        fail("--from and --to are dates YYYY-MM-DD")
    if last < first:
        fail("--to is before --from")
    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        if structure is not None:
            registered.structure(structure)
        _fold_with_progress(kentra, [tenant], rebuild=False)
        views = kentra.views(tenant)
        with views.engine.connect() as conn:
            doc = {"tenant": tenant, **indicators(conn, first, last, structure)}
        if format == "csv":
            output.write_text(to_csv(doc), encoding="utf-8")
        elif format == "xlsx":
            output.write_bytes(to_xlsx(doc, f"{registered.name_el}: δείκτες Κέντρου Κοινότητας"))
        else:
            output.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        out.print(f"wrote {output} ({format})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
