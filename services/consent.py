"""Information and consent use cases of one tenant (issue 23): a person's privacy record as the caller
may read it, and as the subject-access export lists it. Recording goes through ``services.recording``
like every command; the handlers are in ``services.casework_consent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.consent import PrivacyRecord, privacy_record_id
from domain.errors import EntryNotFoundError
from domain.tenants import PrivacyNotice
from services.access import Principal, may_read_casework, may_read_privacy_record
from services.casework import Casework
from services.casework_consent import unsealed_consents
from services.idempotency import entry_id_for
from services.people import visible_entry


@dataclass(frozen=True)
class Informed:
    """A time the person was informed (GDPR Art. 13), and with which notice."""

    on: date
    notice_version: str
    structure: str
    recorded_by: str


@dataclass(frozen=True)
class Consent:
    """A consent with its details, and its withdrawal if any."""

    consent_id: UUID
    purpose: str
    agency: str | None
    given_as: str
    given_on: date
    withdrawn_on: date | None
    structure: str
    recorded_by: str

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


@dataclass(frozen=True)
class Privacy:
    """A person's privacy record as shown: every information, every consent (newest first), and the
    notice a new information would be given with today."""

    beneficiary_id: UUID
    structure: str
    erased: bool
    informed: list[Informed]
    consents: list[Consent]
    current_notice: PrivacyNotice | None
    notices: tuple[PrivacyNotice, ...]


def consent_id_for(casework: Casework, command_id: str) -> UUID:
    """The id a ``give_consent`` command's consent gets (fixed by the command id, like an entry's)."""
    return entry_id_for(casework.tenant.id, command_id)


def _record(casework: Casework, beneficiary_id: UUID) -> PrivacyRecord | None:
    try:
        found = casework.entry(privacy_record_id(beneficiary_id))
    except EntryNotFoundError:
        return None
    return found if isinstance(found, PrivacyRecord) else None


def _opened(casework: Casework, beneficiary_id: UUID) -> tuple[list[Informed], list[Consent]]:
    """The record's facts with their sealed details; nothing of an erased person (their key is gone)."""
    record = _record(casework, beneficiary_id)
    if record is None or _erased(casework, beneficiary_id):
        return [], []
    informed = []
    for row in record.informed:
        details = casework.vault.unseal(row["sealed"])
        if details is not None:
            informed.append(Informed(row["on"], details["notice_version"], row["structure"], row["recorded_by"]))
    consents = [
        Consent(
            consent_id=consent_id,
            purpose=details["purpose"],
            agency=details.get("agency"),
            given_as=details["given_as"],
            given_on=row["given_on"],
            withdrawn_on=row["withdrawn_on"],
            structure=row["structure"],
            recorded_by=row["recorded_by"],
        )
        for consent_id, row, details in unsealed_consents(casework.vault, record)
    ]
    informed.sort(key=lambda i: i.on, reverse=True)
    consents.sort(key=lambda c: c.given_on, reverse=True)
    return informed, consents


def _erased(casework: Casework, beneficiary_id: UUID) -> bool:
    return bool(getattr(casework.entry(beneficiary_id), "erased", False))


def privacy_of(casework: Casework, user: Principal, beneficiary_id: UUID, endpoint: str | None) -> Privacy:
    """A person's information and consents, for who may see the person; the look is recorded in the
    tenant's log under ``endpoint`` (None: a part of a page whose look is recorded already, the person's).
    A person of a structure the caller may not see is "not found"."""
    may_read_casework(user, casework.tenant.id)
    person = visible_entry(casework, user, beneficiary_id)
    if person.KIND != "beneficiary" or person.voided:
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    may_read_privacy_record(user, casework.tenant.id, person.structure)
    if endpoint is not None:
        casework.record_access(beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    informed, consents = _opened(casework, beneficiary_id)
    return Privacy(
        beneficiary_id=beneficiary_id,
        structure=person.structure,
        erased=bool(getattr(person, "erased", False)),
        informed=informed,
        consents=consents,
        current_notice=casework.tenant.notice_on(casework.today()),
        notices=casework.tenant.privacy_notices,
    )


def privacy_document(casework: Casework, beneficiary_id: UUID) -> dict[str, Any]:
    """What the subject-access export lists of the record (``services.privacy.subject_access``)."""
    informed, consents = _opened(casework, beneficiary_id)
    return {
        "informed": [
            {"on": i.on.isoformat(), "notice_version": i.notice_version, "structure": i.structure} for i in informed
        ],
        "consents": [
            {
                "consent_id": str(c.consent_id),
                "purpose": c.purpose,
                "agency": c.agency,
                "given_as": c.given_as,
                "given_on": c.given_on.isoformat(),
                "withdrawn_on": c.withdrawn_on.isoformat() if c.withdrawn_on else None,
                "structure": c.structure,
            }
            for c in consents
        ],
    }
