"""How the ESF participation events change the municipality's own views (issue 21).

``Beneficiary.OperationEntered`` adds a row to ``view_operation_entries`` (the entry data of that day;
special-category answers unsealed with the person's key, like the intake's); ``OperationLeft`` and
``LongTermResultRecorded`` fill ``view_operation_exits``; ``OperationRecordCorrected`` corrects either;
an erasure's statistics restate later entries' special answers (the person's key is gone). These
events are internal: a Region's store never sees them. ``SituationChanged`` changes no view: entry
data are as at entry, and the results come from the status staff record on leaving and after six
months, not from a situation inferred meanwhile.

Idempotent like the rest of the fold: a row newer than (or as new as) an event is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, delete, insert, select, update

from domain.beneficiaries import Beneficiary
from domain.esf import follow_up_due
from domain.events import EventClass
from projections.tables import operation_entries, operation_exits

Unseal = Callable[[str], dict[str, Any] | None]
SPECIAL = ("disability", "minority", "other_disadvantage")

ESF_FOLDED: frozenset[EventClass] = frozenset(
    {
        Beneficiary.OperationEntered,
        Beneficiary.OperationLeft,
        Beneficiary.LongTermResultRecorded,
        Beneficiary.OperationRecordCorrected,
    }
)


def as_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def answers_in(opened: dict[str, Any] | None) -> dict[str, Any] | None:
    """The special-category answers in an unsealed value: ``{"special": {...}}`` (the intake's shape)
    or the answers themselves."""
    if not opened:
        return None
    found = opened.get("special", opened)
    if not isinstance(found, dict) or not set(SPECIAL) <= set(found):
        return None
    return {k: found[k] for k in SPECIAL}


def sealed_answers(unseal: Unseal, token: str | None) -> dict[str, Any] | None:
    """The special-category answers sealed in ``token``, or None once the key is gone."""
    return answers_in(unseal(token)) if token else None


def entry_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """An entry's profile (domain.profile.ParticipantProfile) as the views' columns."""
    return {
        "gender": profile["gender"],
        "age_at_entry": profile["age_at_entry"],
        "employment_status": profile["employment_status"],
        "isced_level": profile["isced_level"],
        "household_situation": profile.get("household_situation"),
        "residence_area": profile["residence_area"],
        "foreign_background": profile["foreign_background"],
        "third_country_national": profile["third_country_national"],
        "homeless": profile["homeless_or_housing_exclusion"],
    }


def _key(table: Any, person: UUID, operation: str) -> Any:
    return and_(table.c.beneficiary_id == person, table.c.operation == operation)


def _held_version(conn: Any, table: Any, person: UUID, operation: str) -> int | None:
    row = conn.execute(select(table.c.version).where(_key(table, person, operation))).first()
    return None if row is None else int(row[0])


def _set(conn: Any, table: Any, e: Any, values: dict[str, Any]) -> None:
    """``values`` on the person's row for the event's operation, if the row is older than the event."""
    if not values:
        return
    conn.execute(
        update(table)
        .where(_key(table, e.originator_id, e.operation), table.c.version < e.originator_version)
        .values(**values, version=e.originator_version)
    )


def apply_esf(conn: Connection | Any, kind: EventClass, e: Any, unseal: Unseal) -> None:
    """Fold one ESF participation event (``conn`` a connection or the fold's ``Batched``)."""
    if kind is Beneficiary.OperationEntered:
        _entered(conn, e, unseal)
    elif kind is Beneficiary.OperationLeft:
        _left(conn, e)
    elif kind is Beneficiary.LongTermResultRecorded:
        _set(conn, operation_exits, e, _follow_up(e.occurred_on, e.status))
    elif kind is Beneficiary.OperationRecordCorrected:
        _corrected(conn, e, unseal)


def _entered(conn: Any, e: Any, unseal: Unseal) -> None:
    if _held_version(conn, operation_entries, e.originator_id, e.operation) is not None:
        return  # folded before: one entry per person and operation
    special = sealed_answers(unseal, e.sealed_special)
    conn.execute(
        insert(operation_entries).values(
            beneficiary_id=e.originator_id,
            operation=e.operation,
            entered_on=e.occurred_on,
            structure=e.structure,
            automatic=bool(e.automatic),
            version=e.originator_version,
            **entry_profile(e.profile),
            **{k: special[k] if special else None for k in SPECIAL},
        )
    )


def _leaving(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_searching": bool(status["job_searching"]),
        "in_education_or_training": bool(status["in_education_or_training"]),
        "qualification_gained": bool(status["qualification_gained"]),
        "employed": bool(status["employed"]),
    }


def _follow_up(day: Any, status: dict[str, Any]) -> dict[str, Any]:
    values = {
        "employed_after_six_months": bool(status["employed"]),
        "improved_after_six_months": bool(status["improved_labour_market_situation"]),
    }
    return {"followed_up_on": as_date(day), **values} if day is not None else values


def _left(conn: Any, e: Any) -> None:
    held = _held_version(conn, operation_exits, e.originator_id, e.operation)
    if held is not None and held >= e.originator_version:
        return
    left_on = as_date(e.occurred_on)
    conn.execute(delete(operation_exits).where(_key(operation_exits, e.originator_id, e.operation)))
    conn.execute(
        insert(operation_exits).values(
            beneficiary_id=e.originator_id,
            operation=e.operation,
            structure=e.structure,
            left_on=left_on,
            follow_up_due=follow_up_due(left_on),
            followed_up_on=None,
            employed_after_six_months=None,
            improved_after_six_months=None,
            version=e.originator_version,
            **_leaving(e.status),
        )
    )


def _corrected(conn: Any, e: Any, unseal: Unseal) -> None:
    changes: dict[str, Any] = dict(e.changes)
    values: dict[str, Any] = {}
    if e.record == "entry":
        if "occurred_on" in changes:
            values["entered_on"] = as_date(changes["occurred_on"])
        if "profile" in changes:
            values.update(entry_profile(changes["profile"]))
        special = sealed_answers(unseal, e.sealed_special)
        if special is not None:
            values.update(special)
        _set(conn, operation_entries, e, values)
    elif e.record == "exit":
        if "occurred_on" in changes:
            left_on = as_date(changes["occurred_on"])
            values.update(left_on=left_on, follow_up_due=follow_up_due(left_on))
        if "status" in changes:
            values.update(_leaving(changes["status"]))
        _set(conn, operation_exits, e, values)
    elif e.record == "long_term" and "status" in changes:
        _set(conn, operation_exits, e, _follow_up(None, changes["status"]))


def erased_operations(conn: Any, e: Any, opened: dict[str, Any] | None) -> None:
    """An erasure's statistics (``{"special": ..., "operations": {"2021-2027": answers}}``) restate the
    later entries' special answers; an entry they do not name is left without them, as a rebuild,
    unable to open ``sealed_special`` once the person's key is gone, would leave it."""
    operations = (opened or {}).get("operations") or {}
    if not isinstance(operations, dict):
        operations = {}
    person = e.originator_id
    held = conn.execute(
        select(operation_entries.c.operation).where(
            operation_entries.c.beneficiary_id == person, operation_entries.c.version < e.originator_version
        )
    ).all()
    for (operation,) in held:
        value = operations.get(operation)
        special = answers_in(value if isinstance(value, dict) else None) or dict.fromkeys(SPECIAL)
        _set(conn, operation_entries, _At(person, operation, e.originator_version), special)


class _At:
    """Where an update lands, for ``_set``: a person's row for one operation, as of a version."""

    def __init__(self, person: UUID, operation: str, version: int) -> None:
        self.originator_id, self.operation, self.originator_version = person, operation, version
