"""What staff read of a tenant's entries: an entry, people by ΑΜΚΑ or name, an entry's state and
history with its sealed data opened only when asked, and the access log of those reads.

A part of ``services.casework.Casework`` (it is a base class of it), apart so that each module stays
readable: the commands are in services/casework.py and services/casework_commands.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEvent

from domain.access_log import AuditQuery, PersonalDataAccess, PersonalDataSearch
from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry
from domain.errors import EntryNotFoundError, InvalidValueError
from domain.identifiers import normalise_amka, normalise_name
from domain.profile import PersonalDetails
from domain.tenants import Tenant
from services.ports import PersonalDataVault
from services.stored import fold


class EntryReading(Application[UUID]):
    """Reads of one tenant's entries, and the records of who read personal data."""

    tenant: Tenant
    vault: PersonalDataVault
    today: Callable[[], date]

    def _load_many(self, ids: list[UUID]) -> dict[UUID, Any]:
        raise NotImplementedError  # Casework's (services/casework.py): one query per 500 ids

    def entries(self, ids: list[UUID]) -> dict[UUID, CaseEntry]:
        """The entries among these ids, read at once (those not found, or not entries, left out)."""
        return {i: e for i, e in self._load_many(ids).items() if isinstance(e, CaseEntry)}

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
        if state.get("entry_data"):  # a later operation's entry: its special-category answers are sealed too
            state["entry_data"] = {
                operation: {**data, "sealed_special": self._open(data.get("sealed_special"), reveal, erased)}
                for operation, data in state["entry_data"].items()
            }
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
