"""`kentra catalogue`: a municipality's own request categories, agencies, activity kinds and visit
purposes, each mapped to a national code (issue 23).

An operator's commands (like `kentra esf submit`): they record in the tenant's log directly, as a
coordinator of that tenant named by ``--by``; staff use the page `/t/<tenant>/catalogue` or the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from gateways.cli.common import TenantOption, emit, out, platform

if TYPE_CHECKING:
    from domain.local_catalogue import LocalEntry

commands = typer.Typer(
    help="The municipality's own catalogue entries (local codes mapped to national ones).", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="JSON on standard output instead of a table")]
KindOption = Annotated[str, typer.Option("--kind", help="request_category, agency, activity_kind or visit_purpose")]
CodeOption = Annotated[str, typer.Option("--code", help="The local code: local_ and lower-case letters, digits, _")]
ByOption = Annotated[str, typer.Option("--by", help="The coordinator who decided (recorded with it)")]
KeyOption = Annotated[str | None, typer.Option("--command-id", help="Sent again with the same id, it records nothing")]


def _row(entry: LocalEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "code": entry.code,
        "label_el": entry.label_el,
        "label_en": entry.label_en,
        "national": entry.national,
        "added_on": entry.added_on.isoformat(),
        "retired_on": entry.retired_on.isoformat() if entry.retired_on else None,
        "active": entry.active,
    }


def _coordinator(tenant: str, by: str) -> Any:
    from services.access import Principal, Role

    return Principal(by, Role.COORDINATOR, frozenset({tenant}))


@commands.command("list")
def catalogue_list(
    tenant: TenantOption,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind")] = None,
    as_json: JsonOption = False,
) -> None:
    """The tenant's own entries, retired ones too, with the national code each counts under."""
    from services import casework_catalogue as catalogue

    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        rows = [_row(e) for e in catalogue.local_entries(casework, _coordinator(tenant, "cli"), kind)]
        if as_json:
            emit({"tenant": tenant, "entries": rows})
            return
        table = Table("kind", "code", "Ελληνικά", "English", "national", "state")
        for row in rows:
            state = "ενεργό" if row["active"] else f"αποσύρθηκε {row['retired_on']}"
            table.add_row(row["kind"], row["code"], row["label_el"], row["label_en"], row["national"], state)
        out.print(table)


@commands.command("add")
def catalogue_add(
    tenant: TenantOption,
    kind: KindOption,
    code: CodeOption,
    label_el: Annotated[str, typer.Option("--label-el", help="The Greek label staff see")],
    label_en: Annotated[str, typer.Option("--label-en", help="The English label")],
    national: Annotated[str, typer.Option("--national", help="The national code of the same kind it counts under")],
    by: ByOption = "cli",
    command_id: KeyOption = None,
) -> None:
    """Add a local entry mapped to a national code of its kind; prints what was recorded (JSON)."""
    from services import casework_catalogue as catalogue
    from services import commands as c

    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        body = _validated(
            c.LocalEntryFields,
            {"kind": kind, "code": code, "label_el": label_el, "label_en": label_en, "national": national},
        )
        outcome = catalogue.manage(casework, _coordinator(tenant, by), body, "add_local_entry", command_id)
        emit({"tenant": tenant, "kind": kind, "code": code, "version": outcome.version, "replayed": outcome.replayed})


@commands.command("retire")
def catalogue_retire(
    tenant: TenantOption, kind: KindOption, code: CodeOption, by: ByOption = "cli", command_id: KeyOption = None
) -> None:
    """Retire a local entry: its records keep it, no new record takes it; prints what was recorded (JSON)."""
    from services import casework_catalogue as catalogue
    from services import commands as c

    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        ref = _validated(c.LocalEntryRef, {"kind": kind, "code": code})
        outcome = catalogue.manage(casework, _coordinator(tenant, by), ref, "retire_local_entry", command_id)
        emit({"tenant": tenant, "kind": kind, "code": code, "version": outcome.version, "replayed": outcome.replayed})


def _validated(model: Any, data: dict[str, Any]) -> Any:
    """The options as the API's schema checks them; a refusal names the option."""
    from pydantic import ValidationError

    from gateways.cli.common import fail

    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        option = "--" + str(first["loc"][0]).replace("_", "-")
        fail(f"{option}: {first['msg']}")
