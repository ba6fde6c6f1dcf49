"""How each casework event changes the read models. Idempotent: an event older than a row is ignored."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from psycopg import sql
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry
from domain.events import EventClass, event_name
from domain.home_visits import HomeVisit
from domain.referrals import Referral
from domain.requests import CaseRequest
from projections.esf_fold import ESF_FOLDED, apply_esf, erased_operations
from projections.household_fold import HOUSEHOLD_FOLDED, apply_households, erased_member
from projections.summary import Touched, before_change
from projections.tables import case_index, contacts, people, responsibility

Unseal = Callable[[str], dict[str, Any] | None]


class SealedData(Protocol):
    """What a fold needs of the tenant's vault: to open sealed values, and to fetch a batch's keys
    at once before opening them one by one."""

    def unseal(self, token: str) -> dict[str, Any] | None: ...

    def preload(self, tokens: Iterable[str]) -> None: ...


def preload_batch(sealed: SealedData, events: Iterable[Any]) -> None:
    """Fetch the keys of a batch of events' sealed values, at once."""
    sealed.preload(
        token
        for e in events
        for name in ("sealed", "sealed_special")  # an intake's, a later operation entry's
        if (token := getattr(e, name, None))
    )


CREATED: dict[EventClass, Callable[[Any], dict[str, Any]]] = {
    Beneficiary.Registered: lambda e: {
        "kind": "beneficiary",
        "subtype": None,
        "status": "registered",
        "beneficiary_id": None,
    },
    CaseRequest.Opened: lambda e: {
        "kind": "request",
        "subtype": e.category,
        "local_subtype": getattr(e, "local_category", None),  # issue 23; never in a Region's envelope
        "status": "opened",
        "beneficiary_id": e.beneficiary_id,
        "agency": e.agency,
    },
    Referral.Sent: lambda e: {
        "kind": "referral",
        "subtype": e.destination,
        "local_subtype": getattr(e, "local_destination", None),
        "status": "sent",
        "beneficiary_id": e.beneficiary_id,
    },
    HomeVisit.Conducted: lambda e: {
        "kind": "home_visit",
        "subtype": e.purpose,
        "local_subtype": getattr(e, "local_purpose", None),
        "status": "follow_up_due" if e.follow_up_due else "done",
        "beneficiary_id": e.beneficiary_id,
        "follow_up_due": e.follow_up_due,
        # Unpublished: a Region's envelope has none, and visits recorded before issue 20 neither.
        "order_deadline": getattr(e, "order_deadline", None),
    },
    Activity.Recorded: lambda e: {
        "kind": "activity",
        "subtype": e.kind,
        "local_subtype": getattr(e, "local_kind", None),
        "status": "recorded",
        "beneficiary_id": e.beneficiary_ids[0] if len(e.beneficiary_ids) == 1 else None,
    },
}

STEPS: dict[EventClass, Callable[[Any], dict[str, Any]]] = {
    CaseRequest.ProgressStarted: lambda e: {"status": "in_progress"},
    CaseRequest.Closed: lambda e: {"status": e.status, "closed_on": e.occurred_on},
    CaseRequest.Reopened: lambda e: {"status": "in_progress", "closed_on": None},
    # The agency and its status as staff last saw them; its protocol number (``reference``) stays in the entry.
    CaseRequest.AgencyStatusRecorded: lambda e: {
        "agency": e.agency,
        "agency_status": e.status,
        "agency_status_on": e.occurred_on,
    },
    Referral.Answered: lambda e: {
        "status": "accepted" if e.accepted else "declined",
        "closed_on": None if e.accepted else e.occurred_on,
        "answered_on": e.occurred_on,
    },
    Referral.OutcomeRecorded: lambda e: {"status": "completed", "outcome": e.outcome, "closed_on": e.occurred_on},
    HomeVisit.FollowUpCompleted: lambda e: {"status": "done", "closed_on": e.occurred_on},
    CaseEntry.Voided: lambda e: {"voided": True},
}

AMENDED_FIELDS = {
    "category": "subtype",
    "destination": "subtype",
    "purpose": "subtype",
    # The municipality's own code beside it (issue 23): internal, so only a tenant's own store has it.
    "local_category": "local_subtype",
    "local_destination": "local_subtype",
    "local_purpose": "local_subtype",
    "occurred_on": "occurred_on",
    "structure": "structure",
    "follow_up_due": "follow_up_due",
    "agency": "agency",
    "order_deadline": "order_deadline",
}
DATES = ("occurred_on", "follow_up_due", "order_deadline")
SPECIAL = ("disability", "minority", "other_disadvantage")
CONTACT_KINDS: dict[EventClass, str] = {
    Beneficiary.Registered: "intake",
    CaseRequest.Opened: "request",
    Referral.Sent: "referral",
    HomeVisit.Conducted: "home_visit",
    Activity.Recorded: "activity",
}


# Every event class apply() folds; the others (command records, the access log...) change no view.
FOLDED: frozenset[EventClass] = frozenset((*CREATED, *STEPS, Beneficiary.Erased, CaseEntry.Amended))
# Published events that change no view (the Region receives them all the same).
UNFOLDED: frozenset[EventClass] = frozenset()
# Internal events that the municipality's own views read (never the Region's, which never receives
# them). The shared tables here do not change with them: a case given to someone else keeps the
# person's structure as at entry in ``people`` (the ESF figures'); the worklists' view folds them.
# The ESF participation events fill the operation entries and exits (projections/esf_fold.py).
MUNICIPAL: frozenset[EventClass] = frozenset({Beneficiary.CaseAssigned, *ESF_FOLDED, *HOUSEHOLD_FOLDED})
_FOLDED_NAMES = frozenset(event_name(cls) for cls in (*FOLDED, *MUNICIPAL))


def folds(topic: str) -> bool:
    """Whether apply() would fold an event of this stored topic ("module:Qual.Name"), so the others
    need not be decoded at all."""
    return topic.partition(":")[2] in _FOLDED_NAMES


EXISTS = select(case_index.c.version).where(case_index.c.entry_id == bindparam("entry"))


def as_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def person_row(profile: dict[str, Any], special: dict[str, Any] | None) -> dict[str, Any]:
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
        "disability": special["disability"] if special else None,
        "minority": special["minority"] if special else None,
        "other_disadvantage": special["other_disadvantage"] if special else None,
    }


def _special(unseal: Unseal, sealed: str | None) -> dict[str, Any] | None:
    opened = unseal(sealed) if sealed else None
    return opened.get("special") if opened else None


def _beneficiaries_of(kind: EventClass, e: Any) -> list[UUID]:
    if kind is Beneficiary.Registered:
        return [e.originator_id]
    if kind is Activity.Recorded:
        return list(e.beneficiary_ids)
    return [e.beneficiary_id]


class Batched:
    """A connection for folding a whole batch of events: the rows of new entries are held and sent
    together, one statement per table, and a step on an entry still held changes the held row.
    Anything else sent through it (an update, a select) first sends what is held, so every statement
    sees the rows of the events before it, exactly as folding one at a time would.

    For events not folded before only: the callers fold under a lock on the position, whose rows and
    position are written in one transaction (or into a fresh database), so none was.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.held: dict[Any, list[dict[str, Any]]] = {case_index: [], contacts: [], people: []}
        self.rows_of: dict[tuple[str, UUID], list[dict[str, Any]]] = {}  # held rows by (table, entry)
        self.created: set[UUID] = set()  # entries created in this batch (each once, however often seen)
        self.touched = Touched()  # what the indicators' summaries recompute at the end of the batch

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.conn.execute(*args, **kwargs)

    def hold(self, table: Any, rows: list[dict[str, Any]]) -> None:
        self.held[table].extend(rows)
        key = "beneficiary_id" if table is people else "entry_id"
        for row in rows:
            self.rows_of.setdefault((table.name, row[key]), []).append(row)

    def update_held(self, table: Any, entry_id: UUID, version: int, values: dict[str, Any]) -> bool:
        """``_update`` on rows still held, if the entry's rows are (then no statement is needed)."""
        rows = self.rows_of.get((table.name, entry_id))
        if rows is None:
            return False
        for row in rows:
            if row["version"] < version:
                row.update(values, version=version)
        return True

    def flush(self) -> None:
        for table, rows in self.held.items():
            if len(rows) >= COPY_FROM and self.conn.dialect.name == "postgresql":
                _copy(self.conn, table, rows)
            elif rows:
                self.conn.execute(insert(table), rows)
            rows.clear()
        self.rows_of.clear()


COPY_FROM = 50  # rows: from this many, PostgreSQL's COPY beats a multi-row INSERT


def _copy(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Send rows with COPY, on the connection's own transaction and into its tenant's schema."""
    schema = (conn.get_execution_options().get("schema_translate_map") or {}).get(None)
    names = [column.name for column in table.columns]
    target = sql.Identifier(schema, table.name) if schema else sql.Identifier(table.name)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target, sql.SQL(", ").join(map(sql.Identifier, names)))
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copying:
        for row in rows:
            copying.write_row([row.get(name) for name in names])


def apply(
    conn: Connection | Batched,
    e: Any,
    unseal: Unseal,
    kind: EventClass | None = None,
    touched: Touched | None = None,
) -> None:
    """Fold one event into every read model: a domain event, or a regional envelope's facts with
    ``kind``, the event class the envelope names. What it changes that the indicators' summaries
    count is marked in ``touched`` (a ``Batched``'s own by default), for ``summary.refresh``."""
    kind = kind or type(e)
    _touch(conn, touched if touched is not None else getattr(conn, "touched", None), kind, e)
    if kind in CREATED:
        _created(conn, kind, e, unseal)
        return
    if kind is Beneficiary.CaseAssigned:
        _assigned(conn, e)
        return
    if kind in ESF_FOLDED:
        apply_esf(conn, kind, e, unseal)
        return
    if kind in HOUSEHOLD_FOLDED:  # issue 23: households
        apply_households(conn, kind, e, unseal)
        return
    if kind in STEPS:
        changes = STEPS[kind](e)
    elif kind is Beneficiary.Erased:
        changes = {}  # only the ESF answers, kept under the tenant's statistics key (below)
    elif kind is CaseEntry.Amended:
        changes = {
            AMENDED_FIELDS[k]: as_date(v) if k in DATES else v for k, v in e.changes.items() if k in AMENDED_FIELDS
        }
    else:
        return  # command records, access log, steps that change no view
    entry_id: UUID = e.originator_id
    version: int = e.originator_version
    _update(conn, case_index.c.entry_id, entry_id, version, changes)
    contact_changes = {
        k: v
        for k, v in (
            ("day", changes.get("occurred_on")),
            ("structure", changes.get("structure")),
            ("voided", changes.get("voided")),
        )
        if v is not None
    }
    if kind is CaseEntry.Amended and "beneficiary_ids" in e.changes:
        ids = [UUID(str(b)) for b in e.changes["beneficiary_ids"]]
        _replace_contacts(conn, entry_id, ids, version, contact_changes)
    elif contact_changes:
        _update(conn, contacts.c.entry_id, entry_id, version, contact_changes)
    person = _person_changes(kind, e, changes, unseal)
    if person:
        _update(conn, people.c.beneficiary_id, entry_id, version, person)
    if kind is Beneficiary.Erased:
        erased_operations(conn, e, unseal(e.sealed_changes) if e.sealed_changes else None)
        erased_member(conn, entry_id)  # issue 23: households


def _touch(conn: Connection | Batched, touched: Touched | None, kind: EventClass, e: Any) -> None:
    """Mark what the event changes that the summaries count: a new entry's day and people; a changed
    entry (its days and people are read at the end of the batch), and before an amendment, which may
    move it, its days and people as they are."""
    if touched is None:
        return
    if kind in CREATED:
        touched.days.add(e.occurred_on)
        touched.people.update(_beneficiaries_of(kind, e))
    elif kind in STEPS or kind is Beneficiary.Erased:
        touched.entries.add(e.originator_id)
    elif kind is CaseEntry.Amended:
        before_change(conn.conn if isinstance(conn, Batched) else conn, touched, e.originator_id)


_UPDATES: dict[tuple[str, tuple[str, ...]], Any] = {}


def _update(conn: Connection | Batched, key: Any, entry_id: UUID, version: int, values: dict[str, Any]) -> None:
    """Set ``values`` on the rows of ``entry_id`` older than ``version``; one compiled statement per shape."""
    table, names = key.table, tuple(sorted(values))
    if isinstance(conn, Batched) and conn.update_held(table, entry_id, version, values):
        return
    statement = _UPDATES.get((table.name, names))
    if statement is None:
        statement = (
            update(table)
            .where(key == bindparam("w_entry"), table.c.version < bindparam("w_version"))
            .values({**{name: bindparam("v_" + name) for name in names}, "version": bindparam("w_version")})
        )
        _UPDATES[(table.name, names)] = statement
    conn.execute(statement, {"w_entry": entry_id, "w_version": version, **{"v_" + k: v for k, v in values.items()}})


def _created(conn: Connection | Batched, kind: EventClass, e: Any, unseal: Unseal) -> None:
    entry_id: UUID = e.originator_id
    version: int = e.originator_version
    if isinstance(conn, Batched):
        if entry_id in conn.created:
            return
        conn.created.add(entry_id)
        add = conn.hold
    else:
        if conn.execute(EXISTS, {"entry": entry_id}).first() is not None:
            return  # folded before
        plain = conn

        def add(table: Any, rows: list[dict[str, Any]]) -> None:
            # Parameters apart from the statement: SQLAlchemy compiles each statement once and reuses it.
            plain.execute(insert(table), rows)

    add(
        case_index,
        [
            {
                "entry_id": entry_id,
                "structure": e.structure,
                "occurred_on": e.occurred_on,
                "recorded_by": e.recorded_by,
                "version": version,
                "voided": False,
                "closed_on": None,
                "follow_up_due": None,
                "outcome": None,
                "agency": None,
                "agency_status": None,
                "agency_status_on": None,
                "answered_on": None,
                "order_deadline": None,
                "local_subtype": None,
                **CREATED[kind](e),
            }
        ],
    )
    served = [
        {
            "entry_id": entry_id,
            "beneficiary_id": beneficiary_id,
            "day": e.occurred_on,
            "structure": e.structure,
            "kind": CONTACT_KINDS[kind],
            "voided": False,
            "version": version,
        }
        for beneficiary_id in _beneficiaries_of(kind, e)
    ]
    if served:
        add(contacts, served)
    if kind is Beneficiary.Registered:
        add(
            people,
            [
                {
                    "beneficiary_id": entry_id,
                    "structure": e.structure,
                    "intake_on": e.occurred_on,
                    "voided": False,
                    "erased": False,
                    "version": version,
                    **person_row(e.profile, _special(unseal, e.sealed)),
                }
            ],
        )


def _assigned(conn: Connection | Batched, e: Any) -> None:
    """Who is responsible for a person now (the worklists' view alone: ``people`` keeps the structure
    as at entry). Rare: sent at once, replacing the person's row if this assignment is newer."""
    person: UUID = e.originator_id
    held = conn.execute(select(responsibility.c.version).where(responsibility.c.beneficiary_id == person)).first()
    if held is not None and held[0] >= e.originator_version:
        return
    conn.execute(delete(responsibility).where(responsibility.c.beneficiary_id == person))
    conn.execute(
        insert(responsibility).values(
            beneficiary_id=person,
            worker=e.worker,
            structure=e.structure,
            since=e.occurred_on,
            version=e.originator_version,
        )
    )


def _person_changes(kind: EventClass, e: Any, changes: dict[str, Any], unseal: Unseal) -> dict[str, Any]:
    person = {
        k: v
        for k, v in (
            ("intake_on", changes.get("occurred_on")),
            ("structure", changes.get("structure")),
            ("voided", changes.get("voided")),
            ("erased", True if kind is Beneficiary.Erased else None),
        )
        if v is not None
    }
    if kind is not CaseEntry.Amended and kind is not Beneficiary.Erased:
        return person
    special = _special(unseal, e.sealed_changes)
    amended = getattr(e, "changes", {})  # an erasure changes no field, only restates the ESF answers
    if "profile" in amended:
        row = person_row(amended["profile"], special)
        person.update(row if special is not None else {k: v for k, v in row.items() if k not in SPECIAL})
    elif special is not None:
        person.update({k: special[k] for k in SPECIAL})
    return person


def _replace_contacts(
    conn: Connection | Batched, entry_id: UUID, beneficiary_ids: list[UUID], version: int, overrides: dict[str, Any]
) -> None:
    current = conn.execute(select(case_index).where(case_index.c.entry_id == entry_id)).mappings().first()
    previous = conn.execute(select(contacts.c.version).where(contacts.c.entry_id == entry_id)).first()
    if current is None or (previous is not None and previous[0] >= version):
        return
    conn.execute(delete(contacts).where(contacts.c.entry_id == entry_id))
    values = {"day": current["occurred_on"], "structure": current["structure"], "voided": current["voided"]}
    values.update(overrides)
    for beneficiary_id in beneficiary_ids:
        conn.execute(
            insert(contacts).values(
                entry_id=entry_id, beneficiary_id=beneficiary_id, kind="activity", version=version, **values
            )
        )
