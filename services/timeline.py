"""An entry as its page shows it: every fact recorded, the timeline of every event behind it (who,
when it happened, when it was recorded, and for a correction the old and new values with its
reason), and the steps its state allows the reader.

Who sees what is asked of ``services.access`` alone: an entry of a structure the caller may not see
is "not found", sealed values open only for those ``sees_person`` allows (each look recorded in the
tenant's log), and the others read ``SEALED`` where a value was sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.catalogue import ReferralStatus, RequestStatus
from domain.documents import Document
from domain.entries import CaseEntry
from domain.errors import EntryNotFoundError
from domain.home_visits import HomeVisit
from domain.profile import PersonalDetails
from domain.referrals import Referral
from domain.requests import ACTIVE, CaseRequest
from projections.person_queries import activities_of
from projections.runner import CaseworkViews
from services.access import (
    AccessDeniedError,
    Principal,
    confined_structure,
    history_for,
    may_read_casework,
    may_read_document,
    may_record_casework,
    sees_person,
    sees_structure,
)
from services.casework import Casework
from services.casework_documents import documents_index
from services.people import visible_entry
from services.stored import fold

SEALED = "[sealed]"  # a sealed value the reader may not open (as Casework.history gives it)
ERASED = "[erased]"  # a sealed value whose key is gone
HIDDEN = "[hidden]"  # a special-category answer: that it changed is shown, never the answer
_BOOKKEEPING = {"id", "originator_id", "originator_version", "timestamp", "originator_topic"}
_STEP_COMMON = {"occurred_on", "recorded_by", "structure"}
_LINKED = {"beneficiary_id", "request_id", "sealed_changes"}
CLOSED = frozenset({RequestStatus.RESOLVED.value, RequestStatus.CLOSED_UNRESOLVED.value, RequestStatus.WITHDRAWN.value})
# The facts each kind's page lists, in order (sealed ones, such as notes, come from its sealed data).
FACTS: dict[str, tuple[str, ...]] = {
    "beneficiary": ("registered_on", "structure", "recorded_by", "responsible", "responsible_since"),
    "request": (
        "category",
        "local_category",  # issue 23: the municipality's own category, beside the national one
        "occurred_on",
        "structure",
        "request_status",
        "agency",
        "agency_reference",
        "agency_status",
        "closed_on",
        "recorded_by",
    ),
    "referral": (
        "destination",
        "local_destination",
        "occurred_on",
        "structure",
        "referral_status",
        "answered_on",
        "outcome",
        "outcome_on",
    ),
    "home_visit": (
        "purpose",
        "local_purpose",
        "occurred_on",
        "structure",
        "order_deadline",
        "follow_up_due",
        "follow_up_done_on",
        "recorded_by",
    ),
    "activity": (
        "activity_kind",
        "local_kind",
        "occurred_on",
        "structure",
        "participants",
        "event_type",
        "agency",
        "recorded_by",
    ),
}
_RENAMED = {
    "status": {"request": "request_status", "referral": "referral_status"},
    "kind": {"activity": "activity_kind"},
}


@dataclass(frozen=True)
class Change:
    """One value a correction changed: its field (``profile.gender``, ``personal.last_name``) and values."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Moment:
    """One event of the entry's timeline."""

    event: str  # the event's name: Opened, AgencyStatusRecorded, Amended, Voided...
    version: int
    occurred_on: date | None
    recorded_at: datetime  # when it was recorded (UTC)
    recorded_by: str
    structure: str | None
    facts: tuple[tuple[str, Any], ...]  # what the event says, field by field
    changes: tuple[Change, ...] = ()
    reason: str | None = None  # a correction's CorrectionReason code
    reason_note: Any = None


@dataclass(frozen=True)
class EntryView:
    """An entry for its page: facts (codes, dates; sealed values opened or ``SEALED``), the person it
    is about, the activity's people the reader may see, its timeline and the steps it allows now."""

    id: UUID
    kind: str
    version: int
    structure: str
    voided: bool
    erased: bool  # the person the entry is about was erased
    revealed: bool
    facts: dict[str, Any]
    personal: dict[str, Any]  # a person's own details and ESF profile (revealed only)
    person: tuple[UUID, str | None] | None  # whom a request, referral or visit is about, and their name
    people: tuple[tuple[UUID, str | None], ...]
    timeline: tuple[Moment, ...]
    steps: tuple[str, ...]


def _name(opened: dict[str, Any] | None) -> str | None:
    personal = (opened or {}).get("personal") or {}
    return " ".join(p for p in (personal.get("first_name"), personal.get("last_name")) if p) or None


def about_erased(casework: Casework, entry: CaseEntry) -> bool:
    """Whether the entry is an erased person's (their record, or a request, referral, visit or session of theirs)."""
    if isinstance(entry, Beneficiary):
        return entry.erased
    if entry.subject_id == entry.id:
        return False
    try:
        person = casework.entry(entry.subject_id)
    except EntryNotFoundError:
        return False
    return isinstance(person, Beneficiary) and person.erased


def entry_of(casework: Casework, user: Principal, entry_id: UUID, kind: str) -> CaseEntry:
    """The entry of this kind if the caller may read it; else EntryNotFoundError, the same answer for an
    unknown id, another structure's, another kind's or another tenant's entry."""
    try:
        may_read_casework(user, casework.tenant.id)
    except AccessDeniedError:
        raise EntryNotFoundError(entry_id, kind) from None
    entry = visible_entry(casework, user, entry_id)
    if kind != entry.KIND:
        raise EntryNotFoundError(entry_id, kind)
    return entry


def correctable(casework: Casework, user: Principal, entry: CaseEntry, endpoint: str) -> dict[str, Any]:
    """The values a correction of the entry starts from, by the correction's own names
    (``changes.category``, ``changes.profile.gender``, ``personal.last_name``); a person's details
    only for those ``sees_person`` allows, the look recorded. Never the special-category answers."""
    values: dict[str, Any] = {}
    for name in entry.AMENDABLE:
        value = getattr(entry, name, None)
        if isinstance(value, dict):
            values.update({f"changes.{name}.{k}": v for k, v in value.items()})
        elif not isinstance(value, list):
            values[f"changes.{name}"] = value
    if isinstance(entry, Beneficiary) and sees_person(user, casework.tenant.id, entry.structure):
        casework.record_access(entry.id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
        personal = (casework.personal_data(entry) or {}).get("personal") or {}
        values.update({f"personal.{k}": v for k, v in personal.items()})
    return values


def read_entry(casework: Casework, user: Principal, entry_id: UUID, kind: str, endpoint: str) -> EntryView:
    """The entry of this kind for its page, or EntryNotFoundError for one the caller may not see (an
    unknown id, another structure's, another kind's, another tenant's: the same answer). Personal
    data open only for those ``sees_person`` allows, and each look is recorded in the tenant's log."""
    entry = entry_of(casework, user, entry_id, kind)
    tenant = casework.tenant.id
    reveal = sees_person(user, tenant, entry.structure)
    looked_at: list[UUID] = []
    person: tuple[UUID, str | None] | None = None
    people: list[tuple[UUID, str | None]] = []
    if isinstance(entry, CaseRequest | Referral | HomeVisit):
        about = casework.entry(entry.beneficiary_id)
        # The person is named only where the caller may see them now: a person given to the other
        # structure since is not named on her old entries (their own facts stay hers to read).
        named = reveal and sees_person(user, tenant, about.structure)
        person = (about.id, _name(casework.personal_data(about)) if named else None)
        looked_at.append(about.id)
    for beneficiary_id in entry.beneficiary_ids if isinstance(entry, Activity) else ():
        other = casework.entry(beneficiary_id)
        if sees_structure(user, other.structure):  # a person of a structure she may not see is not named
            shown = reveal and sees_person(user, tenant, other.structure)
            people.append((other.id, _name(casework.personal_data(other)) if shown else None))
            looked_at.append(other.id)
    if isinstance(entry, Beneficiary):
        looked_at.append(entry.id)
    if reveal:
        for subject in looked_at:
            casework.record_access(subject, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    opened = casework.personal_data(entry) if reveal else None
    erased = about_erased(casework, entry)
    rows = tuple(timeline(casework, user, entry, reveal=reveal))
    facts = _facts(entry, reveal, opened, erased)
    if not any(row.version == 1 for row in rows):
        # Created in a structure the caller may not see (a case given to hers since): not who took it.
        facts.pop("recorded_by", None)
    return EntryView(
        id=entry.id,
        kind=entry.KIND,
        version=entry.version,
        structure=entry.structure,
        voided=entry.voided,
        erased=erased,
        revealed=reveal,
        facts=facts,
        personal=_personal(entry, opened) if reveal else {},
        person=person,
        people=tuple(people),
        timeline=rows,
        steps=steps_for(user, tenant, entry, erased=erased),
    )


def _facts(entry: CaseEntry, reveal: bool, opened: dict[str, Any] | None, erased: bool) -> dict[str, Any]:
    state = vars(entry)
    facts: dict[str, Any] = {}
    for name in FACTS[entry.KIND]:
        source = {"request_status": "status", "referral_status": "status", "activity_kind": "kind"}.get(name, name)
        source = "occurred_on" if name == "registered_on" else source
        if source in state and not (name.startswith("local_") and state[source] is None):  # none: national
            facts[name] = state[source]
    if isinstance(entry, Referral) and entry.request_id is not None:
        facts["request_id"] = entry.request_id
    if not isinstance(entry, Beneficiary) and entry.sealed:
        if not reveal:
            facts["sealed"] = SEALED
        elif opened is None:
            facts["sealed"] = ERASED if erased else SEALED
        else:
            facts.update(opened)  # notes, findings, a volunteer's details
    return facts


def _personal(entry: CaseEntry, opened: dict[str, Any] | None) -> dict[str, Any]:
    """A person's details and ESF entry profile (never their special-category answers)."""
    if not isinstance(entry, Beneficiary):
        return {}
    given = (opened or {}).get("personal") or {}
    details = {f"personal.{k}": _typed(k, given.get(k)) for k in PersonalDetails.model_fields}  # the form's order
    return {**details, **{f"profile.{k}": v for k, v in entry.profile.items()}}


def _typed(name: str, value: Any) -> Any:
    """A date field's JSON value as a date again."""
    leaf = name.rsplit(".", 1)[-1]
    dated = leaf in ("occurred_on", "until") or leaf.endswith(("_on", "_due", "_deadline", "birth_date"))
    if dated and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _opened_items(value: Any, field: str) -> list[tuple[str, Any]]:
    """A sealed attribute of an event as facts: its opened values, or one ``SEALED``/``ERASED`` fact."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items() if k not in ("personal", "special")]
    return [(field, value)]


def _changes(
    casework: Casework, entry: CaseEntry, version: int, attributes: dict[str, Any], reveal: bool
) -> list[Change]:
    """Old and new values of an amendment: the old ones are the entry as it was just before it."""
    before = casework.repository.get(entry.id, version=version - 1, projector_func=fold)
    found: list[Change] = []
    for name, new in (attributes.get("changes") or {}).items():
        old = getattr(before, name, None)
        if isinstance(new, dict):  # a person's profile: each answer that changed, its values for those cleared
            for key, value in new.items():
                if (old or {}).get(key) != value:
                    was, now = ((old or {}).get(key), value) if reveal else (HIDDEN, HIDDEN)
                    found.append(Change(f"profile.{key}", was, now))
        elif isinstance(new, list):
            found.append(Change(name, len(old or []), len(new)))  # an activity's people, counted
        else:
            found.append(Change(name, _typed(name, old), _typed(name, new)))
    sealed = attributes.get("sealed_changes")
    if isinstance(before, Beneficiary) and sealed is not None:
        if not isinstance(sealed, dict):
            return [*found, Change("personal", sealed, sealed)]
        earlier = (casework.personal_data(before) if reveal else None) or {}
        for part in ("personal", "special"):
            was, now = earlier.get(part) or {}, sealed.get(part) or {}
            for key in sorted(set(was) | set(now)):
                if was.get(key) != now.get(key):
                    hide = part == "special"
                    name = f"{part}.{key}"
                    found.append(
                        Change(name, HIDDEN if hide else _typed(name, was.get(key)), HIDDEN if hide else now.get(key))
                    )
    return found


def _event_facts(kind: str, name: str, attributes: dict[str, Any], reveal: bool) -> list[tuple[str, Any]]:
    """What a creation or a step says, field by field (sealed values opened, or one ``sealed`` fact)."""
    facts: list[tuple[str, Any]] = []
    for field, given in attributes.items():
        if field in _BOOKKEEPING or field in _STEP_COMMON or field in _LINKED or given is None:
            continue  # the entry's page links to the person and the request itself
        # An activity's people, counted (its page names those the reader may see).
        value: Any = len(given) if isinstance(given, list) else given
        if field.startswith("sealed"):
            facts += _opened_items(value, "sealed")
        elif field == "accepted":
            facts.append(("referral_status", "accepted" if value else "declined"))
        elif field == "profile":
            facts += [(f"profile.{k}", v) for k, v in value.items()] if reveal else []
        elif field in ("reason", "legal_ground"):  # a hold's or an erasure's words, typed by a coordinator
            facts += [(f"{name.lower()}_{field}", value)] if reveal and value else []
        else:
            shown = _RENAMED.get(field, {}).get(kind, field)
            if field == "status" and name == "AgencyStatusRecorded":
                shown = "agency_status"
            facts.append((shown, _typed(shown, value)))
    return facts


def timeline(casework: Casework, user: Principal, entry: CaseEntry, *, reveal: bool) -> list[Moment]:
    """Every event of the entry the caller may see (``history_for``: a caseworker reads none recorded in
    a structure she may not see, before a case came to hers), oldest first, as rows a page can show."""
    moments = []
    for row in history_for(user, casework.history(entry.id, reveal=reveal)):
        name = row["event"].rsplit(".", 1)[-1]
        attributes: dict[str, Any] = row["attributes"]
        version = int(row["version"])
        correction = name in ("Amended", "Voided")
        raw = attributes.get("sealed_reason")
        moments.append(
            Moment(
                event=name,
                version=version,
                occurred_on=_typed("occurred_on", attributes.get("occurred_on")),
                recorded_at=datetime.fromisoformat(row["recorded_at"]),
                recorded_by=str(attributes.get("recorded_by") or ""),  # None: withheld
                structure=attributes.get("structure"),
                facts=() if correction else tuple(_event_facts(entry.KIND, name, attributes, reveal)),
                changes=tuple(_changes(casework, entry, version, attributes, reveal)) if name == "Amended" else (),
                reason=attributes.get("reason") if correction else None,
                reason_note=(raw.get("reason_note") if isinstance(raw, dict) else raw) if correction else None,
            )
        )
    return sorted([*moments, *_documents_attached(casework, user, entry)], key=lambda m: m.recorded_at)


# issue 23: documents
def _documents_attached(casework: Casework, user: Principal, entry: CaseEntry) -> list[Moment]:
    """The documents attached to a request, referral or visit, each a moment of its timeline (its kind
    and date; the filename is on the list of documents, for who may read it). Voided ones are left out."""
    if not isinstance(entry, CaseRequest | Referral | HomeVisit):
        return []
    person = casework.entry(entry.beneficiary_id)
    ids = casework.vault.indexed(documents_index(casework.vault, person.id))
    return [
        Moment(
            event="DocumentAttached",
            version=0,
            occurred_on=document.occurred_on,
            recorded_at=document.created_on,
            recorded_by=document.recorded_by,
            structure=document.structure,
            facts=(("document_kind", document.document_kind), ("document_date", document.document_date)),
        )
        for document in casework.entries(ids).values()
        if isinstance(document, Document)
        and document.entry_id == entry.id
        and not document.voided
        and may_read_document(user, casework.tenant.id, person.structure, document.structure)
    ]


def steps_for(user: Principal, tenant: str, entry: CaseEntry, *, erased: bool) -> tuple[str, ...]:
    """The steps the entry's state allows and the caller may record (none on a voided entry or an
    erased person's). The domain still checks each one when it is recorded."""
    try:
        may_record_casework(user, tenant, entry.structure)
    except AccessDeniedError:
        return ()
    if entry.voided or erased:
        return ()
    steps: list[str] = []
    if isinstance(entry, CaseRequest):
        steps.append("agency-status")
        if entry.status == RequestStatus.OPENED.value:
            steps.append("progress")
        if entry.status in ACTIVE:
            steps += ["resolve", "close", "withdraw"]
        if entry.status in CLOSED and hasattr(entry, "reopen"):
            steps.append("reopen")
    elif isinstance(entry, Referral):
        if entry.status == ReferralStatus.SENT.value:
            steps += ["accept", "decline"]
        elif entry.status == ReferralStatus.ACCEPTED.value:
            steps.append("outcome")
    elif isinstance(entry, HomeVisit) and entry.follow_up_due is not None and entry.follow_up_done_on is None:
        steps.append("follow-up")
    return (*steps, "amend", "void")


def activities_of_person(
    views: CaseworkViews, user: Principal, beneficiary_id: UUID, limit: int = 200
) -> list[dict[str, Any]]:
    """The activities a person took part in, newest first; a caseworker's own structure's only."""
    views.catch_up()  # read your own writes
    return views.read(
        activities_of, beneficiary_id=beneficiary_id, structure=confined_structure(user, None), limit=limit
    )
