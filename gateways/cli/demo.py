"""`kentra demo`: the four tenants with a realistic history each, a summary, and the pages to try."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from domain.clock import ATHENS
from domain.errors import DomainError
from gateways.cli.common import TenantsOption, err, fail, fold_with_progress, out, platform

if TYPE_CHECKING:
    from demo.esf import Segment
    from infra.bootstrap import Kentra
    from services.access import Principal

DEMO_BATCH = 400


def _run_demo(kentra: Kentra, tenant_ids: list[str]) -> dict[str, dict[str, Any]]:
    from demo.esf import DemoEsf
    from demo.esf_day import record_returning
    from demo.history import DemoHistory, summarise
    from gateways.kafka.gateway import DirectSink, Gateway
    from services.casework import read_log

    histories = {tid: list(DemoHistory(kentra.registry.tenant(tid), kentra.today()).commands()) for tid in tenant_ids}
    # The history with its ESF records, cut where each past delivery was made (demo/esf.py).
    plans = {
        tid: DemoEsf(kentra.registry.tenant(tid), kentra.today(), commands).segments()
        for tid, commands in histories.items()
    }
    refused = _record_history(kentra, plans)
    if refused:
        fail(f"{len(refused)} demo commands were refused, first: {refused[0]}", code=1)
    if _with_day(kentra, tenant_ids):
        from demo.cast import DAY_TENANT
        from demo.today import record_day

        try:
            record_day(kentra)  # the demo users' recent day at Sofades, after the history (demo/today.py)
            record_returning(kentra, histories[DAY_TENANT])  # and its people back under 2021-2027
        except DomainError as refusal:  # all or nothing: say which command stopped it
            first = next((r for r in getattr(refusal, "results", ()) if isinstance(r, DomainError)), refusal)
            fail(
                f"the demo's day was refused ({refusal.message}), first: {type(first).__name__}: {first.message}",
                code=1,
            )
    fold_with_progress(kentra, tenant_ids, rebuild=False)
    for tid in tenant_ids:
        chain = kentra.audit_chain(tid)
        if chain.extend() or not chain.checkpoints():
            chain.checkpoint()
    if not kentra.settings.kafka_bootstrap_servers:  # the embedded default: the Regions' figures in process
        gateway = Gateway(kentra, DirectSink(kentra))
        for tid in tenant_ids:
            gateway.catch_up(tid)
    return {tid: summarise(iter(read_log(kentra.casework(tid)))) for tid in tenant_ids}


def _record_history(kentra: Kentra, plans: dict[str, list[Segment]]) -> list[str]:
    """Record each tenant's history in batches, and each past delivery where its period's records are in."""
    from demo.esf import count
    from demo.esf_day import deliver

    refused: list[str] = []
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("commands"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as progress:
        tasks = {tid: progress.add_task(tid, total=count(segments)) for tid, segments in plans.items()}
        for tid, segments in plans.items():
            kentra.provision(tid)
            casework = kentra.casework(tid)
            for segment in segments:
                commands = segment.commands
                for start in range(0, len(commands), DEMO_BATCH):
                    chunk = commands[start : start + DEMO_BATCH]
                    for result in casework.execute_many(chunk):
                        if isinstance(result, DomainError):
                            refused.append(f"{tid}: {type(result).__name__}: {result.message}")
                    progress.advance(tasks[tid], len(chunk))
                if segment.submission is not None and not refused:
                    deliver(kentra, segment.submission)
    return refused


def _with_day(kentra: Kentra, tenant_ids: list[str]) -> bool:
    """The demo users' day is Sofades', and theirs: recorded only where the demo users exist."""
    from demo.cast import DAY_TENANT

    return DAY_TENANT in tenant_ids and kentra.settings.environment == "development"


TRY_THIS = (
    "Δοκιμάστε: συνδεθείτε ως demo.caseworker (Μαρία Οικονόμου, Κέντρο Κοινότητας Σοφάδων) και ανοίξτε "
    "«Οι εργασίες μου»: η ημέρα εργασίας της επίδειξης ({day}) της αφήνει ανοιχτές αιτήσεις, μία στον ΟΠΕΚΑ "
    "χωρίς απάντηση 40 ημέρες, μια παραπομπή στη ΔΥΠΑ που περιμένει απάντηση 20 ημέρες, μια επανεπίσκεψη "
    "εκπρόθεσμη και μία που λήγει εκείνη την ημέρα, και δύο υποθέσεις που της ανατέθηκαν. Ανοίξτε το ιστορικό "
    "της αίτησης επιδόματος στέγασης της Γεωργίας Καλαμπόκα, που επιλύθηκε και ξανάνοιξε με αιτιολογία, και "
    "τις διορθώσεις (λάθος ημερομηνία, νέα διεύθυνση, διπλή καταχώριση). Ως demo.mediator (Άννα Καραγιάννη) "
    "βλέπετε τις εργασίες του Παραρτήματος Ρομά."
)


def _print_regions(kentra: Kentra, tenant_ids: list[str]) -> None:
    """What each Region sees for 2022: pseudonymised, consolidated, disclosure-controlled (χ: hidden)."""
    from domain.periods import parse_period
    from gateways.regional import consolidate
    from services.disclosure import HIDDEN

    def cell(value: int | None) -> str:
        return HIDDEN if value is None else str(value)

    if kentra.settings.kafka_bootstrap_servers:
        return  # with Kafka the figures arrive through `kentra rollup run`
    for region in kentra.registry.regions:
        if not any(t.id in tenant_ids for t in kentra.registry.tenants_of(region.id)):
            continue
        answer = consolidate(kentra, region.id, parse_period("2022"))
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
                f"{cell(served['total'])} ({cell(served['female'])}/{cell(served['male'])})",
                cell(doc["requests"]["total"]),
                cell(doc["referrals"]["total"]),
            )
        distinct = answer["consolidated"].get("people_served_region_wide")
        if distinct is not None:
            table.caption = f"μοναδικά άτομα σε όλη την Περιφέρεια: {cell(distinct['distinct'])}"
        out.print(table)


TRY_ESF = (
    "ΕΚΤ: ως demo.coordinator ανοίξτε /t/sofades/esf (οι δύο πράξεις των Σοφάδων, είσοδοι, αποχωρήσεις, "
    "αποτελέσματα) και, ως demo.coordinator ή demo.auditor (Σοφία Λαμπράκη), /t/sofades/esf/submissions: "
    "οι υποβολές του 2022 στη "
    "Διαχειριστική Αρχή (ΟΠΣ 5002786). Η υποβολή του Α΄ εξαμήνου αναθεωρήθηκε από μεταγενέστερες διορθώσεις "
    "(λάθος πληκτρολόγησης στην εργασιακή κατάσταση κατά την είσοδο, κατάσταση αποχώρησης): ανοίξτε την για "
    "τα κελιά που άλλαξαν και τα γεγονότα που τα άλλαξαν· του Β΄ εξαμήνου ισχύει. Η «Παρακολούθηση 6 μηνών» "
    "της demo.caseworker έχει συμμετέχοντες της πράξης 2021-2027 που αποχώρησαν πριν από έξι μήνες και πλέον. "
    "Οι υποβολές έγιναν τις ημερομηνίες που δείχνει ο πίνακας· καταχωρίστηκαν στο Kentra τώρα, με την "
    "εκτέλεση της επίδειξης, και το λένε."
)


def _print_submissions(kentra: Kentra, tenant_ids: list[str]) -> None:
    """The demo's deliveries: the day each was delivered, the day it was entered in Kentra, whether it holds."""
    from services.esf_submissions import changed_cells, delivery_figures, recorded

    table = Table(
        "δήμος",
        "πράξη",
        "περίοδος",
        "υποβλήθηκε",
        "καταχωρίστηκε στο Kentra",
        "κατάσταση",
        title="Υποβολές στη Διαχειριστική Αρχή (ΕΚΤ), όπως τις κατέγραψε η επίδειξη",
    )
    for tid in tenant_ids:
        tenant, views = kentra.registry.tenant(tid), kentra.views(tid)
        for sub in recorded(kentra.casework(tid)):
            now, _ = delivery_figures(views, sub.operation, sub.period_from, sub.period_to)
            changed = changed_cells(sub, now)
            table.add_row(
                tenant.name_el,
                f"{sub.operation} · ΟΠΣ {sub.code}" if sub.code else sub.operation,
                f"{sub.period_from:%d/%m/%Y}-{sub.period_to:%d/%m/%Y}",
                f"{sub.submitted_on:%d/%m/%Y}",
                f"{sub.recorded_at.astimezone(ATHENS):%d/%m/%Y %H:%M}",
                f"αναθεωρήθηκε: {len(changed)} κελιά" if changed else "ισχύει",
            )
    if table.row_count:
        table.caption = "υποβλήθηκε: η ημέρα παράδοσης που δηλώνει η επίδειξη· καταχωρίστηκε: η εκτέλεσή της"
        out.print(table)


def _print_summary(kentra: Kentra, summaries: dict[str, dict[str, Any]]) -> None:
    from demo.plan import next_month
    from services.reporting import indicators

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
        figures = indicators(kentra.views(tid), first, last, None)
        served = {m["month"]: m for m in figures["beneficiaries_served"]["per_month"]}
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
    _print_submissions(kentra, list(summaries))
    if _with_day(kentra, list(summaries)):
        from demo.cast import DAY_TENANT
        from demo.today import first_recorded_on

        day = first_recorded_on(kentra.casework(DAY_TENANT), kentra.today())
        out.print(TRY_THIS.format(day=f"{day:%d/%m/%Y}"))
        out.print(TRY_ESF)
    out.print(
        f"Data directory: {kentra.settings.data_dir.resolve()}"
        if kentra.settings.embedded
        else "Store: PostgreSQL (KENTRA_DATABASE_URL)"
    )


def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web application afterwards")] = True,
    tenant: TenantsOption = None,
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
            import uvicorn

            from gateways.http.app import create_app
            from gateways.observability import configure_logging

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
    from demo.cast import DEMO_USERS

    if kentra.settings.environment != "development":
        fail("demo users exist only in development")
    kentra.provision_platform()
    made = []
    for principal in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        if kentra.accounts.set_password(principal.username, password):
            kentra.accounts.set_full_name(principal.username, principal.full_name)
        else:
            kentra.accounts.add(principal, password)
        made.append((principal.username, principal, password))
    return made
