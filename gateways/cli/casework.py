"""`kentra record`, `show`, `find` and `schema`: casework as scripts record and read it, in JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from domain.errors import DomainError
from gateways.cli.common import ByOption, TenantOption, emit, fail, platform

if TYPE_CHECKING:
    from services.casework import Outcome
    from services.commands import AnyCommand


def _parse_commands(text: str) -> list[AnyCommand]:
    from pydantic import ValidationError

    from services.commands import COMMAND_ADAPTER

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


def record(
    tenant: TenantOption,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="JSON file; standard input if omitted")] = None,
) -> None:
    """Record casework: one JSON command, or a list recorded all-or-nothing. Prints the outcomes."""
    from services.casework import BatchRefusedError

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


def schema() -> None:
    """The JSON Schema of the commands `kentra record` takes."""
    from services.commands import COMMAND_ADAPTER

    emit(COMMAND_ADAPTER.json_schema())
