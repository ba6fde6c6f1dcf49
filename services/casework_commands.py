"""What each casework command does, one handler per command type (``HANDLERS``).

``Casework._run`` looks the handler up by the command's class (``services.casework.HANDLERS``): a
command type without a handler fails tests/unit/test_command_handlers.py, not at the first call.
Corrections (amend, void) are in services/casework_corrections.py.
The rules of creation (ages, dates, who an entry is about) are the aggregates' own factory methods
(domain/); a handler loads what a command names, seals what it carries, and calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry
from domain.errors import (
    BeneficiaryErasedError,
    ConcurrentChangeError,
    DateOrderError,
    DuplicateBeneficiaryError,
    InvalidValueError,
)
from domain.home_visits import HomeVisit
from domain.profile import PersonalDetails
from domain.referrals import Referral
from domain.requests import CaseRequest
from services import casework_consent as consent
from services import casework_esf as esf
from services import commands as c
from services.casework_catalogue import code_of
from services.idempotency import entry_id_for
from services.people_index import indexes_of

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork

E = TypeVar("E", bound=CaseEntry)


class StepCommand(Protocol):
    """A command acting on an existing entry: when, who, where, and the version it expects."""

    @property
    def occurred_on(self) -> date: ...
    @property
    def structure(self) -> str | None: ...
    @property
    def expected_version(self) -> int | None: ...
    @property
    def recorded_by(self) -> str: ...


def validated(model: type[BaseModel], data: Any, prefix: str) -> BaseModel:
    """Validate with pydantic, turning its first error into a DomainError that names the field."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
        raise InvalidValueError(f"{path}: {first['msg']}", field=path) from None


def plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Enum members as their codes, so events hold plain JSON values."""
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items()}


# ---------------------------------------------------------------------- what handlers share
def structure_of(app: Casework, structure: str | None, default: str) -> str:
    """The structure's id in the tenant (refused if unknown), or the default's."""
    return app.tenant.structure(structure or default).id


def after_opening(app: Casework, work: UnitOfWork, command: c.AnyCommand) -> None:
    """Nothing is dated before the structure it is recorded in opened (tenants.toml; a month
    alone means its first day). A step names no structure: its entry's, whose own date was
    checked, and the step comes after it; the centre's opening is checked all the same."""
    day: Any = getattr(command, "occurred_on", None)
    structure: Any = getattr(command, "structure", None)
    if isinstance(command, c.AmendEntry):
        if not {"occurred_on", "structure"} & set(command.changes):
            return
        entry = work.get(command.entry_id, CaseEntry, "entry")
        day = command.changes.get("occurred_on", entry.occurred_on)
        structure = command.changes.get("structure") or entry.structure
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return  # refused by the command's own validation, with the field named
    if not isinstance(day, date):
        return
    opened = app.tenant.opened_on_for(structure) if isinstance(structure, str) else app.tenant.opened_on
    if opened is not None and day < opened:
        where = f"the structure {structure!r}" if isinstance(structure, str) else "the centre"
        raise DateOrderError(f"occurred_on {day} is before {where} opened ({opened})", field="occurred_on")


def sealer(app: Casework, data: Mapping[str, Any]) -> Callable[[UUID], str | None]:
    """Seals ``data`` (its values given) under a subject's key, once the aggregate has said whose."""

    def seal(subject_id: UUID) -> str | None:
        kept = {k: v for k, v in data.items() if v is not None}
        return app.vault.seal(subject_id, kept) if kept else None

    return seal


def expect(work: UnitOfWork, entry: CaseEntry, expected_version: int | None) -> None:
    """An entry open for changes, not about an erased person, at the version the caller saw."""
    entry.ensure_open_for_changes()
    _not_about_an_erased_person(work, entry)
    if expected_version is not None and entry.version != expected_version:
        raise ConcurrentChangeError(
            f"{entry.KIND} {entry.id} is at version {entry.version}, not {expected_version}; reload and retry"
        )


def _not_about_an_erased_person(work: UnitOfWork, entry: CaseEntry) -> None:
    """Refuse any change to an entry whose personal data are an erased person's (a request, referral,
    home visit or one-person activity of theirs): nothing more is recorded about them, and their
    key, which sealing would need, is gone. A beneficiary checks itself; an activity of several
    people is sealed under its own key and stays correctable."""
    if entry.subject_id == entry.id:
        return
    person = work.exists(entry.subject_id)
    if isinstance(person, Beneficiary) and person.erased:
        raise BeneficiaryErasedError(person.id)


def step_on(
    app: Casework, work: UnitOfWork, entry_id: UUID, cls: type[E], kind: str, *, cmd: StepCommand
) -> tuple[E, dict[str, Any]]:
    """Load an entry for a lifecycle step: checked version, and the step's when, who and where."""
    entry = work.get(entry_id, cls, kind)
    expect(work, entry, cmd.expected_version)
    return entry, {
        "occurred_on": cmd.occurred_on,
        "today": app.today(),
        "recorded_by": cmd.recorded_by,
        "structure": structure_of(app, cmd.structure, entry.structure),
    }


def claim_amka(app: Casework, work: UnitOfWork, amka: str, owner: UUID) -> None:
    """Take the ΑΜΚΑ's blind index for ``owner``; refused if an active person holds it."""
    index = app.vault.blind_index("amka", amka)
    holder = work.preclaimed.pop(index, None)  # claimed for the batch at its start, if an intake
    if holder is None:
        holder = app.vault.claim("amka", index, owner)
    if holder != owner:
        existing = work.exists(holder)
        if existing is not None and not existing.voided:
            raise DuplicateBeneficiaryError(holder)
        # The holder was voided, or a crash left a claim with no record behind it: take it over.
        app.vault.release("amka", index, holder)
        holder = app.vault.claim("amka", index, owner)
        if holder != owner:
            raise DuplicateBeneficiaryError(holder)
    work.claims.append(("amka", index, owner))


def index_names(app: Casework, personal: PersonalDetails, owner: UUID) -> set[str]:
    """Index the person under what staff find them by (``services.people_index``: exact names, the
    surname's skeleton prefixes, the birth date; blind indexes); returns those indexes."""
    indexes = indexes_of(app.vault, personal.model_dump())
    for index in sorted(indexes):
        app.vault.add_to_index(index, owner)
    return indexes


# ---------------------------------------------------------------------- creations
def register_beneficiary(app: Casework, work: UnitOfWork, cmd: c.RegisterBeneficiary) -> Beneficiary:
    """An intake: the person's key seals their personal data, their ΑΜΚΑ and names are indexed."""
    beneficiary_id = entry_id_for(app.tenant.id, cmd.command_id)

    def seal() -> str:
        if cmd.personal.amka is not None:
            claim_amka(app, work, cmd.personal.amka, beneficiary_id)
        index_names(app, cmd.personal, beneficiary_id)
        personal = {"personal": cmd.personal.model_dump(mode="json"), "special": cmd.special.model_dump(mode="json")}
        return app.vault.seal(beneficiary_id, personal)

    return Beneficiary.register(
        id=beneficiary_id,
        occurred_on=cmd.occurred_on,
        structure=structure_of(app, cmd.structure, "centre"),
        recorded_by=cmd.recorded_by,
        answers=cmd.profile.model_dump(),
        birth_date=cmd.personal.birth_date,
        amka=cmd.personal.amka,
        amka_date_mismatch_confirmed=cmd.amka_date_mismatch_confirmed,
        today=app.today(),
        seal=seal,
    )


def open_request(app: Casework, work: UnitOfWork, cmd: c.OpenRequest) -> CaseRequest:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    beneficiary.ensure_served_on(cmd.occurred_on, app.today())  # the person before the structure or request
    category, local_category = code_of(app, work, "request_category", cmd.category, "category")
    request = CaseRequest.open(
        id=entry_id_for(app.tenant.id, cmd.command_id),
        beneficiary=beneficiary,
        category=category,
        local_category=local_category,
        occurred_on=cmd.occurred_on,
        structure=structure_of(app, cmd.structure, beneficiary.structure),
        recorded_by=cmd.recorded_by,
        agency=cmd.agency.value if cmd.agency else None,
        agency_reference=cmd.agency_reference,
        today=app.today(),
        seal=sealer(app, {"notes": cmd.notes}),
    )
    esf.enter_at_contact(app, beneficiary, cmd.occurred_on, cmd.recorded_by)  # once the contact passed
    return request


def send_referral(app: Casework, work: UnitOfWork, cmd: c.SendReferral) -> Referral:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    beneficiary.ensure_served_on(cmd.occurred_on, app.today())  # the person before the structure or request
    request = work.get(cmd.request_id, CaseRequest, "request") if cmd.request_id is not None else None
    destination, local_destination = code_of(app, work, "agency", cmd.destination, "destination")
    consent.check_referral(app, work, beneficiary, cmd, destination)  # issue 23: by the national code
    referral = Referral.send(
        id=entry_id_for(app.tenant.id, cmd.command_id),
        beneficiary=beneficiary,
        request=request,
        destination=destination,
        local_destination=local_destination,
        occurred_on=cmd.occurred_on,
        structure=structure_of(app, cmd.structure, beneficiary.structure),
        recorded_by=cmd.recorded_by,
        today=app.today(),
        seal=sealer(app, {"notes": cmd.notes}),
    )
    consent.record_with_referral(app, work, beneficiary, cmd, referral)  # issue 23: consent, with the referral
    esf.enter_at_contact(app, beneficiary, cmd.occurred_on, cmd.recorded_by)
    return referral


def record_home_visit(app: Casework, work: UnitOfWork, cmd: c.RecordHomeVisit) -> HomeVisit:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    beneficiary.ensure_served_on(cmd.occurred_on, app.today())  # the person before the structure or request
    purpose, local_purpose = code_of(app, work, "visit_purpose", cmd.purpose, "purpose")
    visit = HomeVisit.conduct(
        id=entry_id_for(app.tenant.id, cmd.command_id),
        beneficiary=beneficiary,
        purpose=purpose,
        local_purpose=local_purpose,
        occurred_on=cmd.occurred_on,
        structure=structure_of(app, cmd.structure, beneficiary.structure),
        recorded_by=cmd.recorded_by,
        follow_up_due=cmd.follow_up_due,
        today=app.today(),
        seal=sealer(app, {"findings": cmd.findings, "order_reference": cmd.order_reference}),
        order_reference=cmd.order_reference,
        order_deadline=cmd.order_deadline,
    )
    esf.enter_at_contact(app, beneficiary, cmd.occurred_on, cmd.recorded_by)
    return visit


def record_activity(app: Casework, work: UnitOfWork, cmd: c.RecordActivity) -> Activity:
    kind, local_kind = code_of(app, work, "activity_kind", cmd.kind, "kind")
    activity = Activity.record(
        id=entry_id_for(app.tenant.id, cmd.command_id),
        kind=kind,
        local_kind=local_kind,
        occurred_on=cmd.occurred_on,
        structure=structure_of(app, cmd.structure, "centre"),
        recorded_by=cmd.recorded_by,
        # Loaded one by one as the activity checks them, so the first fault found is the one reported.
        beneficiaries=(work.get(b, Beneficiary, "beneficiary") for b in cmd.beneficiary_ids),
        participants=cmd.participants,
        event_type=cmd.event_type.value if cmd.event_type else None,
        agency=cmd.agency.value if cmd.agency else None,
        today=app.today(),
        seal=sealer(
            app,
            {"notes": cmd.notes, "volunteer": cmd.volunteer.model_dump(mode="json") if cmd.volunteer else None},
        ),
    )
    for beneficiary_id in cmd.beneficiary_ids:  # each person named, loaded and checked by the activity
        person = work.get(beneficiary_id, Beneficiary, "beneficiary")
        esf.enter_at_contact(app, person, cmd.occurred_on, cmd.recorded_by)
    return activity


# ---------------------------------------------------------------------- steps
def start_request_progress(app: Casework, work: UnitOfWork, cmd: c.StartRequestProgress) -> CaseRequest:
    request, step = step_on(app, work, cmd.request_id, CaseRequest, "request", cmd=cmd)
    request.start_progress(**step)
    return request


def close_request(app: Casework, work: UnitOfWork, cmd: c.CloseRequest) -> CaseRequest:
    """Resolve, close unresolved or withdraw: one command type, three names."""
    request, step = step_on(app, work, cmd.request_id, CaseRequest, "request", cmd=cmd)
    close = {
        "resolve_request": request.resolve,
        "close_request_unresolved": request.close_unresolved,
        "withdraw_request": request.withdraw,
    }[cmd.command]
    close(**step, sealed=sealer(app, {"notes": cmd.notes})(request.subject_id))
    return request


def reopen_request(app: Casework, work: UnitOfWork, cmd: c.ReopenRequest) -> CaseRequest:
    request, step = step_on(app, work, cmd.request_id, CaseRequest, "request", cmd=cmd)
    request.reopen(**step, sealed_reason=sealer(app, {"reason": cmd.reason})(request.subject_id))
    return request


def record_agency_status(app: Casework, work: UnitOfWork, cmd: c.RecordAgencyStatus) -> CaseRequest:
    request, step = step_on(app, work, cmd.request_id, CaseRequest, "request", cmd=cmd)
    request.record_agency_status(agency=cmd.agency, reference=cmd.reference, status=cmd.status, **step)
    return request


def answer_referral(app: Casework, work: UnitOfWork, cmd: c.AnswerReferral) -> Referral:
    """Accept or decline: one command type, two names."""
    referral, step = step_on(app, work, cmd.referral_id, Referral, "referral", cmd=cmd)
    if cmd.command == "accept_referral":
        referral.accept(**step)
    else:
        referral.decline(**step, sealed_reason=sealer(app, {"notes": cmd.notes})(referral.subject_id))
    return referral


def record_referral_outcome(app: Casework, work: UnitOfWork, cmd: c.RecordReferralOutcome) -> Referral:
    referral, step = step_on(app, work, cmd.referral_id, Referral, "referral", cmd=cmd)
    referral.record_outcome(outcome=cmd.outcome, sealed=sealer(app, {"notes": cmd.notes})(referral.subject_id), **step)
    return referral


def complete_home_visit_follow_up(app: Casework, work: UnitOfWork, cmd: c.CompleteHomeVisitFollowUp) -> HomeVisit:
    visit, step = step_on(app, work, cmd.visit_id, HomeVisit, "home visit", cmd=cmd)
    visit.complete_follow_up(**step, sealed=sealer(app, {"notes": cmd.notes})(visit.subject_id))
    return visit
