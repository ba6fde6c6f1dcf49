"""A person's data through their life in the log: when they may be erased, legal holds, erasure.

A part of ``services.casework.Casework`` (it is a base class of it), apart so that each module stays
readable.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.beneficiaries import Beneficiary
from domain.errors import EntryNotFoundError, ErasureNotDueError
from domain.retention import ErasureDate, earliest_erasure
from services.casework_documents import forget_index
from services.casework_reading import EntryReading
from services.ports import DocumentStore, ServiceDays

# The subject under which the ESF answers of erased people are sealed: the tenant's, never erased.
STATISTICS_SUBJECT = UUID("5e7a7150-0000-4000-8000-000000000001")


class PersonalDataLifecycle(EntryReading):
    """Retention, legal holds and erasure of one tenant's beneficiaries."""

    served_on: ServiceDays
    documents: DocumentStore | None

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
        if person.erased:  # a crash after the event: the key, then the documents (issue 23), go now
            rows_removed = self.vault.forget(beneficiary_id)
            return {
                "beneficiary_id": str(beneficiary_id),
                "erased": True,
                "already": True,
                "rows_removed": rows_removed,
                "documents_removed": self._forget_documents(beneficiary_id),
            }
        retention = self.erasure_date(beneficiary_id)
        if not retention.allows(self.today()) and not (legal_ground and legal_ground.strip()):
            earliest = retention.earliest.isoformat() if retention.earliest else None
            raise ErasureNotDueError(beneficiary_id, retention.why, earliest)
        statistics = self._statistics(person)
        person.erase(
            reason=reason, legal_ground=legal_ground, statistics=statistics, today=self.today(), recorded_by=erased_by
        )
        self.save(person)
        rows_removed = self.vault.forget(beneficiary_id)
        return {
            "beneficiary_id": str(beneficiary_id),
            "erased": True,
            "already": False,
            "earliest": retention.earliest.isoformat() if retention.earliest else None,
            "legal_ground": legal_ground,
            "rows_removed": rows_removed,
            "documents_removed": self._forget_documents(beneficiary_id),
        }

    def _forget_documents(self, beneficiary_id: UUID) -> int:
        """Issue 23: the person's documents' sealed bytes are deleted after their key (which already made
        them unreadable); how many. None kept where no document store is wired."""
        forget_index(self.vault, beneficiary_id)  # documents: which ones were the person's (a vault index)
        return 0 if self.documents is None else self.documents.forget(beneficiary_id)

    def _statistics(self, person: Beneficiary) -> str | None:
        """What the figures keep of an erased person, sealed under the statistics key: the intake's
        special-category answers (``special``) and each later entry's by operation (``operations``),
        opened now, while the person's key still exists. None when there is nothing to keep."""
        opened = self.vault.unseal(person.sealed) if person.sealed else None
        kept: dict[str, Any] = {}
        special = (opened or {}).get("special")
        if special:
            kept["special"] = special
        operations = {}
        for operation, data in person.entry_data.items():
            entered = self.vault.unseal(data["sealed_special"]) if data.get("sealed_special") else None
            if entered and entered.get("special"):
                operations[operation] = entered["special"]
        if operations:
            kept["operations"] = operations
        return self.vault.seal(STATISTICS_SUBJECT, kept) if kept else None
