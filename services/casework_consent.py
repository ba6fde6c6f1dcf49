"""What the consent commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

Information given to a person (GDPR Art. 13) and their consents, with withdrawal (issue 23), on the
person's privacy record (``domain.consent.PrivacyRecord``); and the consent a referral needs
(``SharingNeedsConsent``), checked before the referral is made and, when the referral carries its
consent block, recorded with it: both or neither.

Everything a consent or a notice says (purpose, agency, how, version) is sealed under the person's key
before the record changes, so a refusal, or a key that does not open, leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel

from domain.beneficiaries import Beneficiary
from domain.consent import (
    SHARING_NEEDS_CONSENT,
    ConsentPurpose,
    OpenedConsent,
    PrivacyRecord,
    ensure_agency_fits,
    privacy_record_id,
    referral_consent_id,
)
from domain.errors import EntryNotFoundError
from services import commands as c
from services.idempotency import entry_id_for

if TYPE_CHECKING:
    from domain.referrals import Referral
    from services.casework import Casework, UnitOfWork
    from services.ports import PersonalDataVault


def _structure(app: Casework, structure: str | None, beneficiary: Beneficiary) -> str:
    return app.tenant.structure(structure or beneficiary.structure).id


def _existing(work: UnitOfWork, beneficiary_id: UUID) -> PrivacyRecord | None:
    found = work.exists(privacy_record_id(beneficiary_id))
    if found is None:
        return None
    if not isinstance(found, PrivacyRecord):
        raise EntryNotFoundError(found.id, "privacy record")
    return found


def _record_for(
    work: UnitOfWork, beneficiary: Beneficiary, occurred_on: date, structure: str, recorded_by: str
) -> PrivacyRecord:
    """The person's privacy record, made (not yet added to the unit of work) if this is its first fact."""
    beneficiary.ensure_active()
    record = _existing(work, beneficiary.id)
    if record is None:
        return PrivacyRecord.open(
            beneficiary=beneficiary, occurred_on=occurred_on, structure=structure, recorded_by=recorded_by
        )
    record.ensure_open_for_changes()
    return record


def unsealed_consents(
    vault: PersonalDataVault, record: PrivacyRecord
) -> Iterator[tuple[UUID, dict[str, Any], dict[str, Any]]]:
    """Each of the record's consents that still opens: its id, its row and its sealed details; none
    once the person's key is gone."""
    for consent_id, row in record.consents.items():
        details = vault.unseal(row["sealed"])
        if details is not None:
            yield UUID(consent_id), row, details


def opened_consents(vault: PersonalDataVault, record: PrivacyRecord | None) -> list[OpenedConsent]:
    """The record's consents with their sealed details opened; none once the person's key is gone."""
    if record is None:
        return []
    return [
        OpenedConsent(
            consent_id=consent_id,
            purpose=details["purpose"],
            agency=details.get("agency"),
            given_on=row["given_on"],
            withdrawn_on=row["withdrawn_on"],
        )
        for consent_id, row, details in unsealed_consents(vault, record)
    ]


# ---------------------------------------------------------------------- the commands
def record_information(app: Casework, work: UnitOfWork, cmd: c.RecordInformation) -> PrivacyRecord:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    beneficiary.ensure_served_on(cmd.occurred_on, app.today())
    notice = app.tenant.privacy_notice(cmd.notice_version, cmd.occurred_on)
    structure = _structure(app, cmd.structure, beneficiary)
    record = _record_for(work, beneficiary, cmd.occurred_on, structure, cmd.recorded_by)
    sealed = app.vault.seal(beneficiary.id, {"notice_version": notice.version})
    record.give_information(
        occurred_on=cmd.occurred_on, today=app.today(), recorded_by=cmd.recorded_by, structure=structure, sealed=sealed
    )
    return record


def give_consent(app: Casework, work: UnitOfWork, cmd: c.GiveConsent) -> PrivacyRecord:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    beneficiary.ensure_served_on(cmd.occurred_on, app.today())
    agency = cmd.agency.value if cmd.agency is not None else None
    ensure_agency_fits(cmd.purpose.value, agency)
    structure = _structure(app, cmd.structure, beneficiary)
    record = _record_for(work, beneficiary, cmd.occurred_on, structure, cmd.recorded_by)
    details = {"purpose": cmd.purpose.value, "agency": agency, "given_as": cmd.given_as.value}
    record.give_consent(
        consent_id=entry_id_for(app.tenant.id, cmd.command_id),
        occurred_on=cmd.occurred_on,
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=structure,
        sealed=app.vault.seal(beneficiary.id, details),
    )
    return record


def withdraw_consent(app: Casework, work: UnitOfWork, cmd: c.WithdrawConsent) -> PrivacyRecord:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    beneficiary.ensure_active()
    record = _existing(work, beneficiary.id)
    if record is None:
        raise EntryNotFoundError(cmd.consent_id, "consent")
    record.withdraw_consent(
        consent_id=cmd.consent_id,
        occurred_on=cmd.occurred_on,
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=_structure(app, cmd.structure, beneficiary),
    )
    return record


# ---------------------------------------------------------------------- a referral's consent
def check_referral(
    app: Casework, work: UnitOfWork, beneficiary: Beneficiary, cmd: c.SendReferral, destination: str
) -> None:
    """Before a referral is made: the consent its destination needs is active on its day, or given with it.
    The rule applies to the destination's national code (``destination``, a local agency's resolved)."""
    if cmd.consent is not None:
        return  # recorded with the referral (``record_with_referral``), the consent is for its destination
    record = _existing(work, beneficiary.id)
    SHARING_NEEDS_CONSENT.check(destination, cmd.occurred_on, opened_consents(app.vault, record))


def check_amended_referral(app: Casework, work: UnitOfWork, referral: Referral, changes: dict[str, Any]) -> None:
    """A correction of a referral's destination is judged as the referral would be: a referral to an NGO
    needs an active consent for it then, however it came to be addressed there. A correction of its day
    alone shares nothing new, and is not judged (a referral sent before the rule stays correctable)."""
    if "destination" not in changes:
        return
    destination = str(changes.get("destination") or referral.destination)
    day: date = changes.get("occurred_on") or referral.occurred_on
    record = _existing(work, referral.beneficiary_id)
    SHARING_NEEDS_CONSENT.check(destination, day, opened_consents(app.vault, record))


def record_with_referral(
    app: Casework, work: UnitOfWork, beneficiary: Beneficiary, cmd: c.SendReferral, referral: Referral
) -> None:
    """Once the referral is made: the consent block it carries, recorded on the person's record."""
    if cmd.consent is None:
        return
    structure = _structure(app, cmd.structure, beneficiary)
    record = _record_for(work, beneficiary, cmd.occurred_on, structure, cmd.recorded_by)
    details = {
        "purpose": ConsentPurpose.SHARING_WITH_AGENCY.value,
        "agency": referral.destination,
        "given_as": cmd.consent.given_as.value,
        "with_referral": str(referral.id),
    }
    record.give_consent(
        consent_id=referral_consent_id(referral.id),
        occurred_on=cmd.occurred_on,
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=structure,
        sealed=app.vault.seal(beneficiary.id, details),
    )
    work.add(record)


HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {
    c.RecordInformation: record_information,
    c.GiveConsent: give_consent,
    c.WithdrawConsent: withdraw_consent,
}
