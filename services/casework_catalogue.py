"""What the catalogue commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``; and how a record's coded field takes a local code.

A municipality's own catalogue: local request categories, agencies, activity kinds and visit
purposes, each mapped to a national code (domain/local_catalogue.py). The entries are events of one
aggregate in the tenant's own log, recorded through ``Casework.execute`` like every command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from eventsourcing.application import AggregateNotFoundError
from pydantic import BaseModel

from domain.entries import CaseEntry
from domain.local_catalogue import LocalCatalogue, LocalEntry, catalogue_id, is_local, resolve
from services import commands as c
from services.access import Principal, may_manage_catalogue, may_read_catalogue
from services.stored import fold

if TYPE_CHECKING:
    from services.casework import Casework, Outcome, UnitOfWork

# The catalogue kind of each coded field a record takes a local code in, by the entry's kind.
FIELD_KINDS: dict[str, dict[str, str]] = {
    "request": {"category": "request_category"},
    "referral": {"destination": "agency"},
    "home_visit": {"purpose": "visit_purpose"},
    "activity": {"kind": "activity_kind"},
}


def stored_catalogue(app: Casework) -> LocalCatalogue | None:
    """The tenant's catalogue as recorded, or None before its first entry."""
    try:
        found = app.repository.get(catalogue_id(app.tenant.id), projector_func=fold)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, LocalCatalogue) else None


def _catalogue(app: Casework, work: UnitOfWork) -> LocalCatalogue | None:
    """The catalogue as this batch sees it (with what earlier commands of the batch added)."""
    key = catalogue_id(app.tenant.id)
    held: Any = work.entries.get(key)
    if isinstance(held, LocalCatalogue):
        return held
    found = stored_catalogue(app)
    if found is not None:
        work.entries[key] = found  # type: ignore[assignment]  # saved with the batch like an entry
    return found


def code_of(app: Casework, work: UnitOfWork, kind: str, code: str, field: str) -> tuple[str, str | None]:
    """A coded field's value for a new record: (national code, local code or None). A local code must be
    this municipality's, of this kind, and not retired (refused naming ``field``)."""
    value = str(code.value if hasattr(code, "value") else code)
    catalogue = _catalogue(app, work) if is_local(value) else None
    return resolve(catalogue, kind, value, field)


def local_changes(app: Casework, work: UnitOfWork, entry: CaseEntry, changes: dict[str, Any]) -> dict[str, Any]:
    """An amendment's coded fields as national codes, with the local field beside each: set to the local
    code given, or cleared when a national one replaces a local one."""
    resolved = dict(changes)
    for name, kind in FIELD_KINDS.get(entry.KIND, {}).items():
        if name not in changes or changes[name] is None:
            continue
        national, local = code_of(app, work, kind, str(changes[name]), f"changes.{name}")
        resolved[name] = national
        local_field = entry.LOCAL[name]
        if local != getattr(entry, local_field, None):
            resolved[local_field] = local
    return resolved


# ---------------------------------------------------------------------- the commands
def _started(app: Casework, work: UnitOfWork) -> LocalCatalogue:
    catalogue = _catalogue(app, work)
    if catalogue is None:
        catalogue = LocalCatalogue.start(app.tenant.id)
        work.entries[catalogue.id] = catalogue  # type: ignore[assignment]
    return catalogue


def add_local_entry(app: Casework, work: UnitOfWork, cmd: c.AddLocalEntry) -> LocalCatalogue:
    catalogue = _started(app, work)
    catalogue.add(
        kind=cmd.kind,
        code=cmd.code,
        label_el=cmd.label_el,
        label_en=cmd.label_en,
        national=cmd.national,
        occurred_on=app.today(),
        recorded_by=cmd.recorded_by,
    )
    return catalogue


def retire_local_entry(app: Casework, work: UnitOfWork, cmd: c.RetireLocalEntry) -> LocalCatalogue:
    catalogue = _started(app, work)
    catalogue.retire(kind=cmd.kind, code=cmd.code, occurred_on=app.today(), recorded_by=cmd.recorded_by)
    return catalogue


def relabel_local_entry(app: Casework, work: UnitOfWork, cmd: c.RelabelLocalEntry) -> LocalCatalogue:
    catalogue = _started(app, work)
    catalogue.relabel(
        kind=cmd.kind,
        code=cmd.code,
        label_el=cmd.label_el,
        label_en=cmd.label_en,
        occurred_on=app.today(),
        recorded_by=cmd.recorded_by,
    )
    return catalogue


HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {
    c.AddLocalEntry: add_local_entry,
    c.RetireLocalEntry: retire_local_entry,
    c.RelabelLocalEntry: relabel_local_entry,
}


# ---------------------------------------------------------------------- use cases (API, pages, CLI)
def local_entries(casework: Casework, user: Principal, kind: str | None = None) -> list[LocalEntry]:
    """The tenant's own entries, retired ones too (old records read their labels), by kind and code."""
    may_read_catalogue(user, casework.tenant.id)
    catalogue = stored_catalogue(casework)
    if catalogue is None:
        return []
    return [e for e in sorted(catalogue.entries.values(), key=lambda e: (e.kind, e.code)) if kind in (None, e.kind)]


def labels_of(casework: Casework) -> dict[str, tuple[str, str]]:
    """Every local code of the tenant with its (Greek, English) labels, for the pages that show records."""
    catalogue = stored_catalogue(casework)
    return {e.code: (e.label_el, e.label_en) for e in (catalogue.entries.values() if catalogue else ())}


def manage(casework: Casework, user: Principal, payload: c.Payload, command: str, key: str | None = None) -> Outcome:
    """Record a catalogue command for a coordinator of the tenant."""
    may_manage_catalogue(user, casework.tenant.id)
    document = {
        **payload.model_dump(mode="json"),
        "command": command,
        "command_id": key or f"catalogue-{uuid4()}",
        "recorded_by": user.username,
    }
    return casework.execute(c.COMMAND_ADAPTER.validate_python(document))
