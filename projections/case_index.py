"""The case index: one row per casework entry, for listing and filtering without personal data.

It follows the tenant's log from a tracked position. Each batch's rows and the new position are
written in one transaction, and an event is applied only if it is newer than the row's version,
so a crash, a retry or two followers at once never count twice or skip.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
    update,
)

metadata = MetaData()

case_index = Table(
    "view_case_index",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False, index=True),
    Column("subtype", String(40)),  # request category, referral destination, visit purpose, activity kind
    Column("status", String(30), nullable=False),
    Column("structure", String(40), nullable=False),
    Column("beneficiary_id", Uuid, index=True),
    Column("occurred_on", Date, nullable=False, index=True),
    Column("closed_on", Date),
    Column("follow_up_due", Date),
    Column("outcome", String(30)),
    Column("voided", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
)

positions = Table(
    "view_positions",
    metadata,
    Column("view", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
)

VIEW = "case_index"
BATCH = 2000


CREATED: dict[str, Callable[[Any], dict[str, Any]]] = {
    "Beneficiary.Registered": lambda e: {
        "kind": "beneficiary",
        "subtype": None,
        "status": "registered",
        "beneficiary_id": None,
    },
    "CaseRequest.Opened": lambda e: {
        "kind": "request",
        "subtype": e.category,
        "status": "opened",
        "beneficiary_id": e.beneficiary_id,
    },
    "Referral.Sent": lambda e: {
        "kind": "referral",
        "subtype": e.destination,
        "status": "sent",
        "beneficiary_id": e.beneficiary_id,
    },
    "HomeVisit.Conducted": lambda e: {
        "kind": "home_visit",
        "subtype": e.purpose,
        "status": "follow_up_due" if e.follow_up_due else "done",
        "beneficiary_id": e.beneficiary_id,
        "follow_up_due": e.follow_up_due,
    },
    "Activity.Recorded": lambda e: {
        "kind": "activity",
        "subtype": e.kind,
        "status": "recorded",
        "beneficiary_id": e.beneficiary_ids[0] if len(e.beneficiary_ids) == 1 else None,
    },
}


def _created(name: str, e: Any) -> dict[str, Any] | None:
    """The row a created event starts, or None for any other event."""
    if name not in CREATED:
        return None
    return {
        "entry_id": e.originator_id,
        "structure": e.structure,
        "occurred_on": e.occurred_on,
        "version": e.originator_version,
        "voided": False,
        **CREATED[name](e),
    }


AMENDED_FIELDS = {
    "category": "subtype",
    "destination": "subtype",
    "purpose": "subtype",
    "occurred_on": "occurred_on",
    "structure": "structure",
    "follow_up_due": "follow_up_due",
}


STEPS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "CaseRequest.ProgressStarted": lambda e: {"status": "in_progress"},
    "CaseRequest.Closed": lambda e: {"status": e.status, "closed_on": e.occurred_on},
    "Referral.Answered": lambda e: {
        "status": "accepted" if e.accepted else "declined",
        "closed_on": None if e.accepted else e.occurred_on,
    },
    "Referral.OutcomeRecorded": lambda e: {"status": "completed", "outcome": e.outcome, "closed_on": e.occurred_on},
    "HomeVisit.FollowUpCompleted": lambda e: {"status": "done", "closed_on": e.occurred_on},
    "CaseEntry.Voided": lambda e: {"voided": True},
}


def _amended(e: Any) -> dict[str, Any]:
    changes = {AMENDED_FIELDS[k]: v for k, v in e.changes.items() if k in AMENDED_FIELDS}
    for field in ("occurred_on", "follow_up_due"):
        if isinstance(changes.get(field), str):
            changes[field] = date.fromisoformat(changes[field])
    return changes


def _changes(name: str, e: Any) -> dict[str, Any] | None:
    """The row changes an event makes to an existing entry, or None if it does not touch the index."""
    if name in STEPS:
        return STEPS[name](e)
    if name == "CaseEntry.Amended":
        return _amended(e)
    return {} if name.startswith(("CaseRequest.", "Referral.", "HomeVisit.", "Activity.", "Beneficiary.")) else None


def apply(conn: Connection, domain_event: Any) -> None:
    name = type(domain_event).__qualname__
    created = _created(name, domain_event)
    entry_id: UUID = domain_event.originator_id
    if created is not None:
        if conn.execute(select(case_index.c.version).where(case_index.c.entry_id == entry_id)).first() is None:
            conn.execute(insert(case_index).values(**created))
        return
    changes = _changes(name, domain_event)
    if changes is None:
        return  # not a casework entry (command records, access log)
    conn.execute(
        update(case_index)
        .where(case_index.c.entry_id == entry_id, case_index.c.version < domain_event.originator_version)
        .values(**changes, version=domain_event.originator_version)
    )


class _MovedMeanwhileError(Exception):
    pass


class CaseIndex:
    """The view and its follower for one tenant."""

    def __init__(self, app: Application[UUID], engine: Engine, schema: str | None = None) -> None:
        self.app = app
        self.engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine

    def create_tables(self) -> None:
        metadata.create_all(self.engine)

    def position(self) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(positions.c.position).where(positions.c.view == VIEW)).first()
        return 0 if row is None else int(row[0])

    def lag(self) -> int:
        """Events recorded but not yet in the view."""
        head = self.app.recorder.max_notification_id() or 0
        return max(0, head - self.position())

    def catch_up(self, *, limit: int | None = None) -> int:
        """Fold events recorded since the tracked position; returns how many were read."""
        done = 0
        while limit is None or done < limit:
            start = self.position()
            notifications = self.app.recorder.select_notifications(start=start, limit=BATCH, inclusive_of_start=False)
            if not notifications:
                break
            try:
                with self.engine.begin() as conn:
                    for notification in notifications:
                        apply(conn, self.app.mapper.to_domain_event(notification))
                    self._advance(conn, start, notifications[-1].id)
            except _MovedMeanwhileError:
                continue  # another follower folded this batch: go on from where it left the view
            done += len(notifications)
        return done

    def _advance(self, conn: Connection, start: int, to: int) -> None:
        moved = conn.execute(
            update(positions).where(positions.c.view == VIEW, positions.c.position == start).values(position=to)
        ).rowcount
        if moved == 0 and start == 0:
            conn.execute(insert(positions).values(view=VIEW, position=to))
        elif moved == 0:
            raise _MovedMeanwhileError

    def page(
        self,
        *,
        kind: str,
        filters: dict[str, Any],
        occurred_from: date | None,
        occurred_to: date | None,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        conditions = [case_index.c.kind == kind]
        conditions += [case_index.c[name] == value for name, value in filters.items() if value is not None]
        if occurred_from is not None:
            conditions.append(case_index.c.occurred_on >= occurred_from)
        if occurred_to is not None:
            conditions.append(case_index.c.occurred_on <= occurred_to)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(case_index).where(*conditions)).scalar_one()
            rows = (
                conn.execute(
                    select(case_index)
                    .where(*conditions)
                    .order_by(case_index.c.occurred_on.desc(), case_index.c.entry_id)
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
        return [dict(row) for row in rows], int(total)
