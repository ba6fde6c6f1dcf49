"""The casework service of one tenant: records commands as events in the tenant's own log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from domain.access_log import AuditQuery, PersonalDataAccess, PersonalDataSearch
from domain.activities import Activity, check_activity_shape
from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import (
    AmkaDateMismatchError,
    BeneficiaryErasedError,
    CommandIdReusedError,
    ConcurrentChangeError,
    DateOrderError,
    DomainError,
    DuplicateBeneficiaryError,
    EntryNotFoundError,
    EntryVoidedError,
    ErasureNotDueError,
    InvalidValueError,
)
from domain.home_visits import HomeVisit
from domain.identifiers import amka_matches_birth_date, normalise_amka, normalise_name
from domain.profile import (
    ParticipantProfile,
    PersonalDetails,
    SpecialCategoryAnswers,
    age_on,
)
from domain.referrals import Referral
from domain.requests import CaseRequest
from domain.retention import ErasureDate, earliest_erasure
from domain.tenants import Tenant
from domain.undecodable import decodable
from services import commands as c
from services.idempotency import CommandRecord, command_record_id, entry_id_for
from services.ports import PersonalDataVault, ServiceDays, StoredEventsFactory
from services.stored import EachStoredEvents, fold

ATHENS = ZoneInfo("Europe/Athens")
E = TypeVar("E", bound=CaseEntry)


def athens_today() -> date:
    return datetime.now(ATHENS).date()


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


class DateAsISO(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BatchRefusedError(DomainError):
    """An all-or-nothing batch had refused commands, so none of it was recorded."""

    def __init__(self, results: list[Outcome | DomainError]) -> None:
        refused = sum(isinstance(result, DomainError) for result in results)
        super().__init__(f"{refused} of {len(results)} commands were refused; nothing was recorded")
        self.results = results


class Outcome(BaseModel):
    """What a command did: the entry it created or changed, and that entry's version after it."""

    model_config = ConfigDict(frozen=True)

    command_id: str
    command: str
    entry_id: UUID
    kind: str
    version: int
    replayed: bool = False


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


class _Work:
    """A unit of work: the entries a batch of commands touched, saved together at the end."""

    def __init__(self, app: Casework) -> None:
        self.app = app
        self.entries: dict[UUID, CaseEntry] = {}
        self.records: dict[UUID, CommandRecord] = {}
        self.claims: list[tuple[str, str, UUID]] = []
        # What the batch's first look found (Casework._prefetch), so each command need not ask again:
        self.seen: dict[UUID, CommandRecord] = {}  # command records stored before this batch
        self.absent: set[UUID] = set()  # ids looked for then and not found
        self.reserved: dict[str, UUID] = {}  # ΑΜΚΑ index -> the intake this batch claimed it for
        self.preclaimed: dict[str, UUID] = {}  # ΑΜΚΑ index -> who held it after that claim

    def get(self, entry_id: UUID, cls: type[E], kind: str) -> E:
        entry = self.entries.get(entry_id)
        if entry is None:
            if entry_id in self.absent:
                raise EntryNotFoundError(entry_id, kind)
            try:
                entry = self.app.repository.get(entry_id, projector_func=fold)
            except AggregateNotFoundError:
                raise EntryNotFoundError(entry_id, kind) from None
            if not isinstance(entry, CaseEntry):
                raise EntryNotFoundError(entry_id, kind)
            self.entries[entry_id] = entry
        if not isinstance(entry, cls):
            raise EntryNotFoundError(entry_id, kind)
        return entry

    def exists(self, entry_id: UUID) -> CaseEntry | None:
        try:
            return self.get(entry_id, CaseEntry, "entry")
        except EntryNotFoundError:
            return None

    def add(self, entry: CaseEntry) -> None:
        self.entries[entry.id] = entry

    def pending(self) -> list[Any]:
        """What has events to save (entries only looked at are left out: the library checks each one given)."""
        return [*(entry for entry in self.entries.values() if entry.pending_events), *self.records.values()]

    def unused_claims(self) -> dict[str, UUID]:
        """Claims this batch made for intakes that were refused before they took them."""
        return {index: holder for index, holder in self.preclaimed.items() if self.reserved.get(index) == holder}


_NAMED = ("beneficiary_id", "request_id", "referral_id", "visit_id", "entry_id")


def _named_ids(command: c.AnyCommand) -> list[UUID]:
    """The existing entries a command names (what its handler will load)."""
    fields = type(command).model_fields
    named = [value for name in _NAMED if name in fields and isinstance(value := getattr(command, name), UUID)]
    return [*named, *((getattr(command, "beneficiary_ids", None) or []) if "beneficiary_ids" in fields else [])]


class Casework(Application[UUID]):
    """One per tenant. Every public command method is idempotent on its ``command_id``."""

    name = "Casework"

    def __init__(
        self,
        *,
        tenant: Tenant,
        vault: PersonalDataVault,
        env: Mapping[str, str],
        today: Callable[[], date] = athens_today,
        served_on: ServiceDays | None = None,
        stored_events: StoredEventsFactory = EachStoredEvents,
    ) -> None:
        self.tenant = tenant
        self.vault = vault
        self.today = today
        self.served_on = served_on or (lambda _: [])
        super().__init__(env)
        self.stored_events = stored_events(self.recorder)  # the recorder exists only once the library made it

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # ------------------------------------------------------------------ commands
    def execute(self, command: c.AnyCommand) -> Outcome:
        """Record one command. Raises a DomainError if it is refused; nothing is then recorded."""
        result = self.execute_many([command])[0]
        if isinstance(result, DomainError):
            raise result
        return result

    def execute_many(self, commands: Iterable[c.AnyCommand], *, atomic: bool = False) -> list[Outcome | DomainError]:
        """Record many commands in one transaction; each refused one is reported and skipped.

        Later commands may act on entries that earlier ones in the same batch created. With
        ``atomic``, one refusal records nothing at all and raises BatchRefusedError.
        """
        batch = list(commands)
        work = _Work(self)
        results: list[Outcome | DomainError] = []
        with self.vault.batch():
            self._prefetch(work, batch)
            for command in batch:
                try:
                    results.append(self._run(work, command))
                except DomainError as error:
                    results.append(error)
        self.vault.release_many("amka", work.unused_claims())
        if atomic and any(isinstance(result, DomainError) for result in results):
            for kind, index, owner in work.claims:
                self.vault.release(kind, index, owner)
            raise BatchRefusedError(results)
        try:
            self.save(*work.pending())
        except IntegrityError:
            for kind, index, owner in work.claims:
                self.vault.release(kind, index, owner)
            if len(batch) == 1:
                record = self._record_of(batch[0])
                if record is None:
                    raise ConcurrentChangeError(
                        "the record was changed by someone else at the same time; reload and retry"
                    ) from None
                return [self._replay(batch[0], record)]
            # Someone else wrote to one of these entries meanwhile: fall back to one at a time.
            return [self._one_at_a_time(command) for command in batch]
        return results

    def _prefetch(self, work: _Work, batch: list[c.AnyCommand]) -> None:
        """Ask at once what the batch's commands would each ask the stores in turn: whether they were
        recorded before, the entries they name, the keys they will seal with, and their intakes' ΑΜΚΑ
        claims. A batch of 500 then makes a handful of queries instead of some 2,000."""
        records = {command_record_id(self.tenant.id, command.command_id): command for command in batch}
        named = {entry_id for command in batch for entry_id in _named_ids(command)}
        loaded = self._load_many([*records, *named])
        sorting: list[tuple[Iterable[UUID], type, dict[UUID, Any]]] = [
            (records, CommandRecord, work.seen),
            (named, CaseEntry, work.entries),
        ]
        for ids, kind, into in sorting:
            for aggregate_id in ids:
                found = loaded.get(aggregate_id)
                if isinstance(found, kind):
                    into[aggregate_id] = found
                elif found is None:
                    work.absent.add(aggregate_id)
        # The people the named entries are about, whom a step must find not erased: one more query.
        subjects_of = {e.subject_id for e in work.entries.values()} - set(work.entries) - work.absent
        for subject_id, found in self._load_many(list(subjects_of)).items():
            if isinstance(found, CaseEntry):
                work.entries[subject_id] = found
        new = [command for record_id, command in records.items() if record_id not in work.seen]
        # Keys: an intake always seals (under its new person's key); other entries only when they carry
        # notes, so a single one is left to ask for its key if it needs it.
        subjects = [
            entry_id_for(self.tenant.id, cmd.command_id) for cmd in new if isinstance(cmd, c.RegisterBeneficiary)
        ]
        if len(batch) > 1:
            subjects += [entry.subject_id for entry in work.entries.values()]
        self.vault.preload_subjects(subjects)
        for command in new:
            if isinstance(command, c.RegisterBeneficiary) and command.personal.amka is not None:
                index = self.vault.blind_index("amka", command.personal.amka)
                work.reserved.setdefault(index, entry_id_for(self.tenant.id, command.command_id))
        work.preclaimed = self.vault.claim_many("amka", work.reserved)

    def _load_many(self, ids: list[UUID]) -> dict[UUID, Any]:
        """Aggregates by id, as ``repository.get`` would give them, read at once (``StoredEvents``)."""
        loaded: dict[UUID, Any] = {}
        for aggregate_id, stored in self.stored_events.stored_events_of(ids).items():
            aggregate = fold(None, (self.mapper.to_domain_event(event) for event in stored))
            if aggregate is not None:
                loaded[aggregate_id] = aggregate
        return loaded

    def _one_at_a_time(self, command: c.AnyCommand) -> Outcome | DomainError:
        try:
            return self.execute(command)
        except DomainError as error:
            return error

    def _fingerprint(self, command: c.AnyCommand) -> str:
        payload = command.model_dump(mode="json", exclude={"command_id"})
        return self.vault.fingerprint(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode())

    def _record_of(self, command: c.AnyCommand) -> CommandRecord | None:
        try:
            record_id = command_record_id(self.tenant.id, command.command_id)
            record: object = self.repository.get(record_id, projector_func=fold)
        except AggregateNotFoundError:
            return None
        assert isinstance(record, CommandRecord)
        return record

    def _replay(self, command: c.AnyCommand, record: CommandRecord) -> Outcome:
        if record.command != command.command or record.fingerprint != self._fingerprint(command):
            raise CommandIdReusedError
        return Outcome(
            command_id=command.command_id,
            command=record.command,
            entry_id=record.entry_id,
            kind=record.kind,
            version=record.entry_version,
            replayed=True,
        )

    def _run(self, work: _Work, command: c.AnyCommand) -> Outcome:
        record_id = command_record_id(self.tenant.id, command.command_id)
        earlier = work.records.get(record_id) or work.seen.get(record_id)
        if earlier is None and record_id not in work.absent:
            earlier = self._record_of(command)
        if earlier is not None:
            return self._replay(command, earlier)
        handler: Callable[[_Work, Any], CaseEntry] = getattr(self, f"_{command.command}")
        self._after_opening(work, command)
        entry = handler(work, command)
        work.add(entry)
        work.records[record_id] = CommandRecord(
            id=record_id,
            command=command.command,
            fingerprint=self._fingerprint(command),
            entry_id=entry.id,
            kind=entry.KIND,
            version=entry.version,
        )
        return Outcome(
            command_id=command.command_id,
            command=command.command,
            entry_id=entry.id,
            kind=entry.KIND,
            version=entry.version,
        )

    # ------------------------------------------------------------------ helpers
    def _structure(self, structure: str | None, default: str) -> str:
        return self.tenant.structure(structure or default).id

    def _after_opening(self, work: _Work, command: c.AnyCommand) -> None:
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
        opened = self.tenant.opened_on_for(structure) if isinstance(structure, str) else self.tenant.opened_on
        if opened is not None and day < opened:
            where = f"the structure {structure!r}" if isinstance(structure, str) else "the centre"
            raise DateOrderError(f"occurred_on {day} is before {where} opened ({opened})", field="occurred_on")

    def _not_future(self, day: date, field: str = "occurred_on") -> None:
        ensure_not_future(day, self.today(), field)

    def _seal(self, subject_id: UUID, data: Mapping[str, Any]) -> str | None:
        kept = {k: v for k, v in data.items() if v is not None}
        return self.vault.seal(subject_id, kept) if kept else None

    def _expect(self, work: _Work, entry: CaseEntry, expected_version: int | None) -> None:
        entry.ensure_open_for_changes()
        self._not_about_an_erased_person(work, entry)
        if expected_version is not None and entry.version != expected_version:
            raise ConcurrentChangeError(
                f"{entry.KIND} {entry.id} is at version {entry.version}, not {expected_version}; reload and retry"
            )

    def _not_about_an_erased_person(self, work: _Work, entry: CaseEntry) -> None:
        """Refuse any change to an entry whose personal data are an erased person's (a request, referral,
        home visit or one-person activity of theirs): nothing more is recorded about them, and their
        key, which sealing would need, is gone. A beneficiary checks itself; an activity of several
        people is sealed under its own key and stays correctable."""
        if entry.subject_id == entry.id:
            return
        person = work.exists(entry.subject_id)
        if isinstance(person, Beneficiary) and person.erased:
            raise BeneficiaryErasedError(person.id)

    def _step_on(
        self, work: _Work, entry_id: UUID, cls: type[E], kind: str, cmd: StepCommand
    ) -> tuple[E, dict[str, Any]]:
        """Load an entry for a lifecycle step: checked version, and the step's when, who and where."""
        entry = work.get(entry_id, cls, kind)
        self._expect(work, entry, cmd.expected_version)
        return entry, {
            "occurred_on": cmd.occurred_on,
            "today": self.today(),
            "recorded_by": cmd.recorded_by,
            "structure": self._structure(cmd.structure, entry.structure),
        }

    def _active_beneficiary(self, work: _Work, beneficiary_id: UUID) -> Beneficiary:
        beneficiary = work.get(beneficiary_id, Beneficiary, "beneficiary")
        if beneficiary.voided:
            raise EntryVoidedError(beneficiary_id)
        if beneficiary.erased:
            raise BeneficiaryErasedError(beneficiary_id)
        return beneficiary

    def _served_on(self, work: _Work, beneficiary_id: UUID, day: date) -> Beneficiary:
        """The active beneficiary an entry dated ``day`` is about: not in the future, not before intake."""
        beneficiary = self._active_beneficiary(work, beneficiary_id)
        self._not_future(day)
        self._after_intake(beneficiary, day)
        return beneficiary

    def _after_intake(self, beneficiary: Beneficiary, day: date) -> None:
        if day < beneficiary.occurred_on:
            raise DateOrderError(
                f"date precedes the beneficiary's intake ({beneficiary.occurred_on})", field="occurred_on"
            )

    def _claim_amka(self, work: _Work, amka: str, owner: UUID) -> None:
        index = self.vault.blind_index("amka", amka)
        holder = work.preclaimed.pop(index, None)  # claimed for the batch at its start, if an intake
        if holder is None:
            holder = self.vault.claim("amka", index, owner)
        if holder != owner:
            existing = work.exists(holder)
            if existing is not None and not existing.voided:
                raise DuplicateBeneficiaryError(holder)
            # The holder was voided, or a crash left a claim with no record behind it: take it over.
            self.vault.release("amka", index, holder)
            holder = self.vault.claim("amka", index, owner)
            if holder != owner:
                raise DuplicateBeneficiaryError(holder)
        work.claims.append(("amka", index, owner))

    # ------------------------------------------------------------------ handlers
    def _index_names(self, personal: PersonalDetails, owner: UUID) -> None:
        for key in (personal.last_name, f"{personal.first_name} {personal.last_name}"):
            self.vault.add_to_index(self.vault.blind_index("name", normalise_name(key)), owner)

    def _register_beneficiary(self, work: _Work, cmd: c.RegisterBeneficiary) -> Beneficiary:
        structure = self._structure(cmd.structure, "centre")
        self._not_future(cmd.occurred_on)
        birth = cmd.personal.birth_date
        self._not_future(birth, "personal.birth_date")
        if birth > cmd.occurred_on:
            raise DateOrderError("birth date is after the intake", field="personal.birth_date")
        age = age_on(birth, cmd.occurred_on)
        if age > 120:
            raise InvalidValueError("birth date gives an age over 120", field="personal.birth_date")
        amka = cmd.personal.amka
        if amka is not None and not cmd.amka_date_mismatch_confirmed and not amka_matches_birth_date(amka, birth):
            raise AmkaDateMismatchError()
        profile = ParticipantProfile(age_at_entry=age, **cmd.profile.model_dump())
        beneficiary_id = entry_id_for(self.tenant.id, cmd.command_id)
        if cmd.personal.amka is not None:
            self._claim_amka(work, cmd.personal.amka, beneficiary_id)
        self._index_names(cmd.personal, beneficiary_id)
        sealed = self.vault.seal(
            beneficiary_id,
            {
                "personal": cmd.personal.model_dump(mode="json"),
                "special": cmd.special.model_dump(mode="json"),
            },
        )
        return Beneficiary(
            id=beneficiary_id,
            occurred_on=cmd.occurred_on,
            structure=structure,
            recorded_by=cmd.recorded_by,
            profile=profile.model_dump(mode="json"),
            sealed=sealed,
        )

    def _open_request(self, work: _Work, cmd: c.OpenRequest) -> CaseRequest:
        beneficiary = self._served_on(work, cmd.beneficiary_id, cmd.occurred_on)
        return CaseRequest(
            id=entry_id_for(self.tenant.id, cmd.command_id),
            beneficiary_id=beneficiary.id,
            category=cmd.category.value,
            occurred_on=cmd.occurred_on,
            structure=self._structure(cmd.structure, beneficiary.structure),
            recorded_by=cmd.recorded_by,
            agency=cmd.agency.value if cmd.agency else None,
            agency_reference=cmd.agency_reference,
            sealed=self._seal(beneficiary.id, {"notes": cmd.notes}),
        )

    def _start_request_progress(self, work: _Work, cmd: c.StartRequestProgress) -> CaseRequest:
        request, step = self._step_on(work, cmd.request_id, CaseRequest, "request", cmd)
        request.start_progress(**step)
        return request

    def _close(self, work: _Work, cmd: c.CloseRequest) -> CaseRequest:
        request, step = self._step_on(work, cmd.request_id, CaseRequest, "request", cmd)
        close = {
            "resolve_request": request.resolve,
            "close_request_unresolved": request.close_unresolved,
            "withdraw_request": request.withdraw,
        }[cmd.command]
        close(**step, sealed=self._seal(request.subject_id, {"notes": cmd.notes}))
        return request

    _resolve_request = _close
    _close_request_unresolved = _close
    _withdraw_request = _close

    def _record_agency_status(self, work: _Work, cmd: c.RecordAgencyStatus) -> CaseRequest:
        request, step = self._step_on(work, cmd.request_id, CaseRequest, "request", cmd)
        request.record_agency_status(agency=cmd.agency, reference=cmd.reference, status=cmd.status, **step)
        return request

    def _send_referral(self, work: _Work, cmd: c.SendReferral) -> Referral:
        beneficiary = self._served_on(work, cmd.beneficiary_id, cmd.occurred_on)
        if cmd.request_id is not None:
            request = work.get(cmd.request_id, CaseRequest, "request")
            if request.beneficiary_id != beneficiary.id:
                raise InvalidValueError("the request belongs to another beneficiary", field="request_id")
        return Referral(
            id=entry_id_for(self.tenant.id, cmd.command_id),
            beneficiary_id=beneficiary.id,
            request_id=cmd.request_id,
            destination=cmd.destination.value,
            occurred_on=cmd.occurred_on,
            structure=self._structure(cmd.structure, beneficiary.structure),
            recorded_by=cmd.recorded_by,
            sealed=self._seal(beneficiary.id, {"notes": cmd.notes}),
        )

    def _answer_referral(self, work: _Work, cmd: c.AnswerReferral) -> Referral:
        referral, step = self._step_on(work, cmd.referral_id, Referral, "referral", cmd)
        if cmd.command == "accept_referral":
            referral.accept(**step)
        else:
            referral.decline(**step, sealed_reason=self._seal(referral.subject_id, {"notes": cmd.notes}))
        return referral

    _accept_referral = _answer_referral
    _decline_referral = _answer_referral

    def _record_referral_outcome(self, work: _Work, cmd: c.RecordReferralOutcome) -> Referral:
        referral, step = self._step_on(work, cmd.referral_id, Referral, "referral", cmd)
        referral.record_outcome(
            outcome=cmd.outcome, sealed=self._seal(referral.subject_id, {"notes": cmd.notes}), **step
        )
        return referral

    def _record_home_visit(self, work: _Work, cmd: c.RecordHomeVisit) -> HomeVisit:
        beneficiary = self._served_on(work, cmd.beneficiary_id, cmd.occurred_on)
        if cmd.follow_up_due is not None and cmd.follow_up_due < cmd.occurred_on:
            raise DateOrderError("a follow-up cannot be due before the visit", field="follow_up_due")
        return HomeVisit(
            id=entry_id_for(self.tenant.id, cmd.command_id),
            beneficiary_id=beneficiary.id,
            purpose=cmd.purpose.value,
            occurred_on=cmd.occurred_on,
            structure=self._structure(cmd.structure, beneficiary.structure),
            recorded_by=cmd.recorded_by,
            follow_up_due=cmd.follow_up_due,
            sealed=self._seal(beneficiary.id, {"findings": cmd.findings}),
        )

    def _complete_home_visit_follow_up(self, work: _Work, cmd: c.CompleteHomeVisitFollowUp) -> HomeVisit:
        visit, step = self._step_on(work, cmd.visit_id, HomeVisit, "home visit", cmd)
        visit.complete_follow_up(**step, sealed=self._seal(visit.subject_id, {"notes": cmd.notes}))
        return visit

    def _record_activity(self, work: _Work, cmd: c.RecordActivity) -> Activity:
        self._not_future(cmd.occurred_on)
        for beneficiary_id in cmd.beneficiary_ids:
            self._after_intake(self._active_beneficiary(work, beneficiary_id), cmd.occurred_on)
        participants = max(cmd.participants, len(cmd.beneficiary_ids))
        event_type = cmd.event_type.value if cmd.event_type else None
        check_activity_shape(cmd.kind.value, cmd.beneficiary_ids, participants, event_type)
        activity_id = entry_id_for(self.tenant.id, cmd.command_id)
        subject = cmd.beneficiary_ids[0] if len(cmd.beneficiary_ids) == 1 else activity_id
        return Activity(
            id=activity_id,
            kind=cmd.kind.value,
            occurred_on=cmd.occurred_on,
            structure=self._structure(cmd.structure, "centre"),
            recorded_by=cmd.recorded_by,
            beneficiary_ids=list(cmd.beneficiary_ids),
            participants=participants,
            event_type=event_type,
            agency=cmd.agency.value if cmd.agency else None,
            sealed=self._seal(
                subject,
                {
                    "notes": cmd.notes,
                    "volunteer": cmd.volunteer.model_dump(mode="json") if cmd.volunteer else None,
                },
            ),
        )

    def _amend_entry(self, work: _Work, cmd: c.AmendEntry) -> CaseEntry:
        entry = work.get(cmd.entry_id, CaseEntry, "entry")
        self._expect(work, entry, cmd.expected_version)
        changes = plain(validated(c.CHANGES_BY_KIND[entry.KIND], cmd.changes, "changes").model_dump(exclude_unset=True))
        if "structure" in changes:
            changes["structure"] = self._structure(changes["structure"], entry.structure)
        if "beneficiary_ids" in changes:
            for beneficiary_id in changes["beneficiary_ids"]:
                self._active_beneficiary(work, beneficiary_id)
        sealed: str | None = None
        if isinstance(entry, Beneficiary):
            changes, sealed = self._amend_beneficiary(work, entry, changes, cmd)
        elif cmd.personal or cmd.special:
            raise InvalidValueError("only a beneficiary has personal data to amend", field="personal")
        entry.amend(
            changes=changes,
            sealed=sealed,
            reason=cmd.reason,
            sealed_reason=self._seal(entry.subject_id, {"reason_note": cmd.reason_note}),
            today=self.today(),
            recorded_by=cmd.recorded_by,
            structure=self._structure(cmd.structure, entry.structure),
        )
        return entry

    def _amend_beneficiary(
        self, work: _Work, entry: Beneficiary, changes: dict[str, Any], cmd: c.AmendEntry
    ) -> tuple[dict[str, Any], str | None]:
        sealed: str | None = None
        birth_date: date | None = None
        if cmd.personal or cmd.special:
            current = self.vault.unseal(entry.sealed) if entry.sealed else None
            if current is None:
                raise InvalidValueError("this beneficiary's personal data were erased", field="personal")
            personal = validated(PersonalDetails, {**current["personal"], **(cmd.personal or {})}, "personal")
            special = validated(SpecialCategoryAnswers, {**current["special"], **(cmd.special or {})}, "special")
            assert isinstance(personal, PersonalDetails)
            new_amka, old_amka = personal.amka, current["personal"].get("amka")
            changed = cmd.personal is not None and {"amka", "birth_date"} & set(cmd.personal)
            confirmed = cmd.amka_date_mismatch_confirmed
            if (
                changed
                and new_amka is not None
                and not confirmed
                and not amka_matches_birth_date(new_amka, personal.birth_date)
            ):
                raise AmkaDateMismatchError()
            if new_amka is not None and new_amka != old_amka:
                self._claim_amka(work, new_amka, entry.id)
            self._index_names(personal, entry.id)
            if personal.birth_date != date.fromisoformat(current["personal"]["birth_date"]):
                birth_date = personal.birth_date
            sealed = self.vault.seal(
                entry.id, {"personal": personal.model_dump(mode="json"), "special": special.model_dump(mode="json")}
            )
        intake = changes.get("occurred_on", entry.occurred_on)
        if "profile" in changes or birth_date is not None or "occurred_on" in changes:
            profile = {**entry.profile, **(changes.get("profile") or {})}
            if birth_date is None:
                current = self.vault.unseal(entry.sealed) if entry.sealed else None
                birth_date = date.fromisoformat(current["personal"]["birth_date"]) if current else None
            if birth_date is not None:
                profile["age_at_entry"] = age_on(birth_date, intake)
            model = validated(ParticipantProfile, profile, "changes.profile")
            changes["profile"] = model.model_dump(mode="json")
        return changes, sealed

    def _void_entry(self, work: _Work, cmd: c.VoidEntry) -> CaseEntry:
        entry = work.get(cmd.entry_id, CaseEntry, "entry")
        self._expect(work, entry, cmd.expected_version)
        entry.void(
            reason=cmd.reason,
            sealed_reason=self._seal(entry.subject_id, {"reason_note": cmd.reason_note}),
            today=self.today(),
            recorded_by=cmd.recorded_by,
            structure=self._structure(cmd.structure, entry.structure),
        )
        return entry

    # ------------------------------------------------------------------ queries
    def entry(self, entry_id: UUID) -> CaseEntry:
        try:
            entry: object = self.repository.get(entry_id, projector_func=fold)
        except AggregateNotFoundError:
            raise EntryNotFoundError(entry_id) from None
        if not isinstance(entry, CaseEntry):
            raise EntryNotFoundError(entry_id)
        return entry

    def find_by_amka(self, amka: str) -> UUID | None:
        """The active beneficiary with this ΑΜΚΑ, if any (through the keyed blind index).

        Raises InvalidValueError for an ΑΜΚΑ that is not valid."""
        normalise_amka(amka)
        return self.find_many_by_amka([amka]).get(amka)

    def find_many_by_amka(self, amkas: Iterable[str]) -> dict[str, UUID | None]:
        """``find_by_amka`` for many at once (two queries per 500); invalid ΑΜΚΑ are left out."""
        indexes: dict[str, str] = {}
        for amka in amkas:
            try:
                indexes[amka] = self.vault.blind_index("amka", normalise_amka(amka))
            except InvalidValueError:
                continue
        holders = self.vault.lookup_many("amka", indexes.values())
        entries = self._load_many(list(set(holders.values())))
        found: dict[str, UUID | None] = {}
        for amka, index in indexes.items():
            holder = holders.get(index)
            entry = entries.get(holder) if holder is not None else None
            found[amka] = holder if isinstance(entry, CaseEntry) and not entry.voided else None
        return found

    def search_by_name(self, name: str, *, limit: int = 50) -> list[UUID]:
        """Active beneficiaries whose surname, or first name and surname, is ``name`` (accents ignored)."""
        return [candidate for candidate, _ in self._named(name, limit=limit)]

    def _named(self, name: str, *, limit: int) -> Iterator[tuple[UUID, dict[str, Any]]]:
        """Each active beneficiary named ``name`` now, with their opened personal details."""
        wanted = normalise_name(name)
        if not wanted:
            raise InvalidValueError("a name to search for is needed", field="name")
        found = 0
        for candidate in self.vault.indexed(self.vault.blind_index("name", wanted)):
            try:
                entry = self.entry(candidate)
            except EntryNotFoundError:
                continue  # an index row written by an intake that then failed
            opened = self.vault.unseal(entry.sealed) if entry.sealed and not entry.voided else None
            if opened is None:
                continue
            person = opened["personal"]
            current = {
                normalise_name(person["last_name"]),
                normalise_name(f"{person['first_name']} {person['last_name']}"),
            }
            if wanted in current:  # the index may hold a name since corrected
                yield candidate, person
                found += 1
            if found >= limit:
                return

    def likely_duplicates(self, personal: PersonalDetails, *, limit: int = 20) -> list[UUID]:
        """Active beneficiaries who are probably this person, for a warning at intake: the same surname
        and either the same first name or the same birth date (accents and case ignored)."""
        first, born = normalise_name(personal.first_name), personal.birth_date.isoformat()
        found = [
            candidate
            for candidate, person in self._named(personal.last_name, limit=500)
            if normalise_name(person["first_name"]) == first or person.get("birth_date") == born
        ]
        return found[:limit]

    def record_access(self, beneficiary_id: UUID, *, accessed_by: str, role: str, endpoint: str) -> None:
        """Log a read of a beneficiary's personal data as an event of the tenant's log."""
        self.save(
            PersonalDataAccess(beneficiary_id=beneficiary_id, accessed_by=accessed_by, role=role, endpoint=endpoint)
        )

    def record_search(self, *, by: str, found: int, searched_by: str, role: str, endpoint: str) -> None:
        """Log a search of people (by ΑΜΚΑ, name...) as an event of the tenant's log, never what was searched."""
        self.save(PersonalDataSearch(searched_by=searched_by, role=role, endpoint=endpoint, by=by, found=found))

    # ------------------------------------------------------------------ personal-data lifecycle
    def _beneficiary(self, beneficiary_id: UUID) -> Beneficiary:
        entry = self.entry(beneficiary_id)
        if not isinstance(entry, Beneficiary):
            raise EntryNotFoundError(beneficiary_id, "beneficiary")
        return entry

    def erasure_date(self, beneficiary_id: UUID) -> ErasureDate:
        """The earliest day this person's data may be erased, from the programmes that funded them."""
        person = self._beneficiary(beneficiary_id)
        days = [person.occurred_on, *self.served_on(beneficiary_id)]
        return earliest_erasure(days, self.tenant.programmes, person.holds)

    def place_legal_hold(self, beneficiary_id: UUID, *, until: date, reason: str, recorded_by: str) -> None:
        person = self._beneficiary(beneficiary_id)
        person.place_legal_hold(until=until, reason=reason, today=self.today(), recorded_by=recorded_by)
        self.save(person)

    def erase(self, beneficiary_id: UUID, *, reason: str, legal_ground: str | None, erased_by: str) -> dict[str, Any]:
        """Erase a person by destroying their key, once retention allows or on a documented legal ground.

        First an ``Erased`` event is recorded, carrying the special-category answers the ESF
        indicators need, sealed under the tenant's statistics key (nothing that identifies anyone).
        Then the key and blind indexes are deleted. Running it again after a crash finishes the job.
        """
        person = self._beneficiary(beneficiary_id)
        if person.erased:
            return {
                "beneficiary_id": str(beneficiary_id),
                "erased": True,
                "already": True,
                "rows_removed": self.vault.forget(beneficiary_id),
            }
        retention = self.erasure_date(beneficiary_id)
        if not retention.allows(self.today()) and not (legal_ground and legal_ground.strip()):
            earliest = retention.earliest.isoformat() if retention.earliest else None
            raise ErasureNotDueError(beneficiary_id, retention.why, earliest)
        opened = self.vault.unseal(person.sealed) if person.sealed else None
        special = (opened or {}).get("special")
        statistics = self.vault.seal(STATISTICS_SUBJECT, {"special": special}) if special else None
        person.erase(
            reason=reason, legal_ground=legal_ground, statistics=statistics, today=self.today(), recorded_by=erased_by
        )
        self.save(person)
        return {
            "beneficiary_id": str(beneficiary_id),
            "erased": True,
            "already": False,
            "earliest": retention.earliest.isoformat() if retention.earliest else None,
            "legal_ground": legal_ground,
            "rows_removed": self.vault.forget(beneficiary_id),
        }

    def record_audit_query(self, *, asked_by: str, role: str, endpoint: str, parameters: dict[str, str]) -> UUID:
        """Log an audit query as an event of the tenant's log (chained like every other event)."""
        query = AuditQuery(asked_by=asked_by, role=role, endpoint=endpoint, parameters=parameters)
        self.save(query)
        return query.id

    def _about_an_erased_person(self, entry: CaseEntry) -> bool:
        """Whether the entry's sealed data are an erased person's (asked of the log, not of the vault:
        another process may still hold their key in its cache)."""
        if isinstance(entry, Beneficiary):
            return entry.erased
        if entry.subject_id == entry.id:
            return False
        try:
            person = self.entry(entry.subject_id)
        except EntryNotFoundError:
            return False
        return isinstance(person, Beneficiary) and person.erased

    def personal_data(self, entry: CaseEntry) -> dict[str, Any] | None:
        """The entry's sealed data opened; None if it has none, they were erased, or they do not open."""
        if not entry.sealed or self._about_an_erased_person(entry):
            return None
        return self.vault.unseal(entry.sealed)

    def _open(self, value: Any, reveal: bool, erased: bool = False) -> Any:
        if not reveal or value is None:
            return "[sealed]" if value is not None else None
        opened = None if erased else self.vault.unseal(value)
        return "[erased]" if opened is None else opened

    def describe(self, entry_id: UUID, *, reveal: bool = False) -> dict[str, Any]:
        """The entry's current state as JSON-ready data; sealed data opened only if ``reveal``."""
        entry = self.entry(entry_id)
        state = {k: v for k, v in vars(entry).items() if not k.startswith("_")}
        erased = reveal and self._about_an_erased_person(entry)
        state["sealed"] = self._open(state.get("sealed"), reveal, erased)
        return {
            "id": str(entry.id),
            "kind": entry.KIND,
            "version": entry.version,
            "created_on": entry.created_on.isoformat(),
            "modified_on": entry.modified_on.isoformat(),
            "state": json.loads(json.dumps(state, default=str)),
        }

    def history(self, entry_id: UUID, *, reveal: bool = False) -> list[dict[str, Any]]:
        """Every event of the entry, oldest first, with when it was recorded."""
        erased = reveal and self._about_an_erased_person(self.entry(entry_id))
        rows = []
        for domain_event in cast("list[DomainEvent]", list(self.events.get(entry_id))):
            attributes = {
                k: v
                for k, v in vars(domain_event).items()
                if k not in {"originator_id", "originator_version", "timestamp", "originator_topic"}
            }
            for name in list(attributes):
                if name.startswith("sealed"):
                    attributes[name] = self._open(attributes[name], reveal, erased)
            rows.append(
                {
                    "event": type(domain_event).__qualname__,
                    "version": domain_event.originator_version,
                    "recorded_at": domain_event.timestamp.isoformat(),
                    "attributes": json.loads(json.dumps(attributes, default=str)),
                }
            )
        return rows


# The subject under which the ESF answers of erased people are sealed: the tenant's, never erased.
STATISTICS_SUBJECT = UUID("5e7a7150-0000-4000-8000-000000000001")


def read_log(app: Application[UUID], *, batch: int = 1000) -> Iterable[Any]:
    """Every domain event of an application's log, in recording order; a row that does not decode is skipped."""
    start: int | None = None
    while True:
        notifications = app.recorder.select_notifications(start=start, limit=batch, inclusive_of_start=False)
        if not notifications:
            return
        yield from decodable(app.mapper.to_domain_event, notifications, reader="read_log")[0]
        start = notifications[-1].id
