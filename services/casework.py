"""The casework service of one tenant: records commands as events in the tenant's own log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from pydantic import BaseModel, ConfigDict

from domain.clock import athens_today
from domain.entries import CaseEntry
from domain.errors import CommandIdReusedError, ConcurrentChangeError, DomainError, EntryNotFoundError
from domain.tenants import Tenant
from domain.undecodable import decodable
from services import casework_catalogue, casework_consent, casework_documents, casework_households
from services import casework_commands as handle
from services import casework_esf as esf
from services import commands as c
from services.casework_commands import after_opening
from services.casework_corrections import amend_entry, void_entry
from services.casework_lifecycle import STATISTICS_SUBJECT, PersonalDataLifecycle
from services.casework_ownership import assign_case
from services.idempotency import CommandRecord, command_record_id, entry_id_for
from services.ports import DocumentStore, PersonalDataVault, ServiceDays, StaffDirectory, StoredEventsFactory
from services.stored import EachStoredEvents, fold

__all__ = [  # what other modules import from here, wherever it is defined now
    "STATISTICS_SUBJECT",
    "BatchRefusedError",
    "Casework",
    "Outcome",
    "athens_today",
    "read_log",
]

E = TypeVar("E", bound=CaseEntry)


class DateAsISO(Transcoding):
    type = date
    name = "date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


Handler = Callable[["Casework", "UnitOfWork", Any], CaseEntry]

# Every command type and what it does. A type with several names (CloseRequest, AnswerReferral)
# has one handler, which reads the name.
HANDLERS: dict[type[BaseModel], Handler] = {
    c.RegisterBeneficiary: handle.register_beneficiary,
    c.OpenRequest: handle.open_request,
    c.StartRequestProgress: handle.start_request_progress,
    c.CloseRequest: handle.close_request,
    c.ReopenRequest: handle.reopen_request,
    c.RecordAgencyStatus: handle.record_agency_status,
    c.SendReferral: handle.send_referral,
    c.AnswerReferral: handle.answer_referral,
    c.RecordReferralOutcome: handle.record_referral_outcome,
    c.RecordHomeVisit: handle.record_home_visit,
    c.CompleteHomeVisitFollowUp: handle.complete_home_visit_follow_up,
    c.RecordActivity: handle.record_activity,
    c.AmendEntry: amend_entry,
    c.VoidEntry: void_entry,
    c.AssignCase: assign_case,
    c.EnterOperation: esf.enter_operation,
    c.ChangeSituation: esf.change_situation,
    c.LeaveOperation: esf.leave_operation,
    c.RecordLongTermResult: esf.record_long_term_result,
    c.CorrectOperationRecord: esf.correct_operation_record,
}
# Issue 23's commands, each area in its own module.
HANDLERS.update(casework_catalogue.HANDLERS)
HANDLERS.update(casework_documents.HANDLERS)
HANDLERS.update(casework_consent.HANDLERS)
HANDLERS.update(casework_households.HANDLERS)


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


class UnitOfWork:
    """A unit of work: the entries a batch of commands touched, saved together at the end."""

    def __init__(self, app: Casework) -> None:
        self.app = app
        self.entries: dict[UUID, CaseEntry] = {}
        self.records: dict[UUID, CommandRecord] = {}
        self.claims: list[tuple[str, str, UUID]] = []
        self.unindexed: list[tuple[str, UUID]] = []  # name indexes an amendment left behind: removed once saved
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


SUBJECT_HINTS = 50_000  # entries whose person a process remembers (about 10 MB) before starting afresh
_NAMED = ("beneficiary_id", "request_id", "referral_id", "visit_id", "entry_id")


def _named_ids(command: c.AnyCommand) -> list[UUID]:
    """The existing entries a command names (what its handler will load)."""
    fields = type(command).model_fields
    named = [value for name in _NAMED if name in fields and isinstance(value := getattr(command, name), UUID)]
    return [*named, *((getattr(command, "beneficiary_ids", None) or []) if "beneficiary_ids" in fields else [])]


class Casework(PersonalDataLifecycle):
    """One per tenant. Every public command method is idempotent on its ``command_id``."""

    name = "Casework"

    def __init__(
        self,
        *,
        tenant: Tenant,
        vault: PersonalDataVault,
        staff: StaffDirectory,
        env: Mapping[str, str],
        today: Callable[[], date] = athens_today,
        served_on: ServiceDays | None = None,
        stored_events: StoredEventsFactory = EachStoredEvents,
        documents: DocumentStore | None = None,
    ) -> None:
        self.tenant = tenant
        self.documents = documents  # documents' sealed bytes (issue 23); None where none are kept
        self.vault = vault
        self.staff = staff  # whom a case may be given to (services/casework_ownership.py)
        self.today = today
        self.served_on = served_on or (lambda _: [])
        super().__init__(env)
        self.stored_events = stored_events(self.recorder)  # the recorder exists only once the library made it
        self._subjects: dict[UUID, UUID] = {}  # entry -> the person it was about when last seen (a hint)

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
        work = UnitOfWork(self)
        results: list[Outcome | DomainError] = []
        try:
            # The batch's reads and its save in one transaction where the store allows it (issue 24).
            with self.stored_events.transaction():
                with self.vault.batch():
                    self._prefetch(work, batch)
                    for command in batch:
                        unindexed = list(work.unindexed)
                        try:
                            results.append(self._run(work, command))
                        except DomainError as error:
                            work.unindexed = unindexed  # a refused amendment removes no index
                            results.append(error)
                self.vault.release_many("amka", work.unused_claims())
                if atomic and any(isinstance(result, DomainError) for result in results):
                    for kind, index, owner in work.claims:
                        self.vault.release(kind, index, owner)
                    raise BatchRefusedError(results)
                self.save(*work.pending())
        except IntegrityError:
            # Handled once the transaction is over (rolled back): what follows reads afresh.
            self._release_unrecorded(work.claims)
            if len(batch) == 1:
                record = self._record_of(batch[0])
                if record is None:
                    raise ConcurrentChangeError(
                        "the record was changed by someone else at the same time; reload and retry"
                    ) from None
                return [self._replay(batch[0], record)]
            # Someone else wrote to one of these entries meanwhile: fall back to one at a time.
            return [self._one_at_a_time(command) for command in batch]
        self.vault.remove_from_index(work.unindexed)
        self._remember_subjects(work.entries.values())  # those created too
        return results

    def _release_unrecorded(self, claims: list[tuple[str, str, UUID]]) -> None:
        """After a conflict, give back the claims of entries that are not recorded. An entry's id comes
        from its command's, so one recorded meanwhile is the same command recorded by another writer:
        the claim is that writer's too (the same owner) and stays."""
        owners = list(dict.fromkeys(owner for _, _, owner in claims))
        found = self.stored_events.stored_events_of(owners) if owners else {}
        recorded = {owner for owner, stored in found.items() if stored}
        for kind, index, owner in claims:
            if owner not in recorded:
                self.vault.release(kind, index, owner)

    def _prefetch(self, work: UnitOfWork, batch: list[c.AnyCommand]) -> None:
        """Ask at once what the batch's commands would each ask the stores in turn: whether they were
        recorded before, the entries they name, the keys they will seal with, and their intakes' ΑΜΚΑ
        claims. A batch of 500 then makes a handful of queries instead of some 2,000."""
        records = {command_record_id(self.tenant.id, command.command_id): command for command in batch}
        named = {entry_id for command in batch for entry_id in _named_ids(command)}
        # Whom the named entries were about when last seen, read in the same query: a hint only (an
        # amendment may move an entry to another person), so the people they are about now are checked below.
        hinted = {hint for entry_id in named if (hint := self._subjects.get(entry_id)) is not None} - named
        loaded = self._load_many([*records, *named, *hinted])
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
        for subject_id in subjects_of & hinted:
            if isinstance(found := loaded.get(subject_id), CaseEntry):
                work.entries[subject_id] = found
        unhinted = list(subjects_of - hinted)
        for subject_id, found in (self._load_many(unhinted) if unhinted else {}).items():
            if isinstance(found, CaseEntry):
                work.entries[subject_id] = found
        self._remember_subjects(work.entries.values())
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

    def _remember_subjects(self, entries: Iterable[CaseEntry]) -> None:
        """Note whom these entries are about, for the next command naming them (``_prefetch``)."""
        if len(self._subjects) > SUBJECT_HINTS:
            self._subjects.clear()  # a hint costs a read when missing, nothing else: start afresh
        for entry in entries:
            if isinstance(entry, CaseEntry):  # a batch may hold other aggregates (a local catalogue)
                self._subjects[entry.id] = entry.subject_id

    def _load_many(self, ids: list[UUID]) -> dict[UUID, Any]:
        """Aggregates by id, as ``repository.get`` would give them, read at once (``StoredEvents``)."""
        loaded: dict[UUID, Any] = {}
        for aggregate_id, stored in self.stored_events.stored_events_of(ids).items():
            aggregate = fold(None, (self.mapper.to_domain_event(event) for event in stored))
            if aggregate is not None:
                loaded[aggregate_id] = aggregate
        return loaded

    def already_recorded(self, command: c.AnyCommand) -> Outcome | None:
        """The first outcome of this command if its id was recorded before (raising
        CommandIdReusedError for different content), or None: for a use case whose access check would
        answer differently once the command took effect (a case handed over is no longer hers)."""
        record = self._record_of(command)
        return None if record is None else self._replay(command, record)

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

    def _run(self, work: UnitOfWork, command: c.AnyCommand) -> Outcome:
        record_id = command_record_id(self.tenant.id, command.command_id)
        earlier = work.records.get(record_id) or work.seen.get(record_id)
        if earlier is None and record_id not in work.absent:
            earlier = self._record_of(command)
        if earlier is not None:
            return self._replay(command, earlier)
        handler = HANDLERS[type(command)]
        after_opening(self, work, command)
        entry = handler(self, work, command)
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


def read_log(app: Application[UUID], *, batch: int = 1000) -> Iterable[Any]:
    """Every domain event of an application's log, in recording order; a row that does not decode is skipped."""
    start: int | None = None
    while True:
        notifications = app.recorder.select_notifications(start=start, limit=batch, inclusive_of_start=False)
        if not notifications:
            return
        yield from decodable(app.mapper.to_domain_event, notifications, reader="read_log")[0]
        start = notifications[-1].id
