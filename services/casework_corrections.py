"""The corrections of casework entries: amend (with a person's personal data re-sealed) and void."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from domain.beneficiaries import Beneficiary
from domain.catalogue import CorrectionReason
from domain.entries import CaseEntry
from domain.errors import AmkaDateMismatchError, InvalidValueError
from domain.identifiers import amka_matches_birth_date
from domain.profile import ParticipantProfile, PersonalDetails, SpecialCategoryAnswers, age_on
from domain.referrals import Referral
from services import casework_consent as consent
from services import casework_esf as esf
from services import commands as c
from services.casework_catalogue import local_changes
from services.casework_commands import claim_amka, expect, index_names, plain, sealer, structure_of, validated
from services.people_index import indexes_of

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


def amend_entry(app: Casework, work: UnitOfWork, cmd: c.AmendEntry) -> CaseEntry:
    entry = work.get(cmd.entry_id, CaseEntry, "entry")
    expect(work, entry, cmd.expected_version)
    changes = plain(validated(c.CHANGES_BY_KIND[entry.KIND], cmd.changes, "changes").model_dump(exclude_unset=True))
    if "structure" in changes:
        changes["structure"] = structure_of(app, changes["structure"], entry.structure)
    changes = local_changes(app, work, entry, changes)  # a local code: its national one, and itself beside
    if "beneficiary_ids" in changes:
        for beneficiary_id in changes["beneficiary_ids"]:
            work.get(beneficiary_id, Beneficiary, "beneficiary").ensure_active()
    sealed: str | None = None
    if isinstance(entry, Referral):
        consent.check_amended_referral(app, work, entry, changes)  # issue 23: consent
    if isinstance(entry, Beneficiary):
        changes, sealed = _amend_beneficiary(app, work, entry, changes, cmd)
    elif cmd.personal or cmd.special:
        raise InvalidValueError("only a beneficiary has personal data to amend", field="personal")
    entry.amend(
        changes=changes,
        sealed=sealed,
        reason=cmd.reason,
        sealed_reason=sealer(app, {"reason_note": cmd.reason_note})(entry.subject_id),
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=structure_of(app, cmd.structure, entry.structure),
    )
    if {"occurred_on", "beneficiary_ids"} & set(changes):
        esf.enter_at_amended_contact(app, work, entry, cmd.recorded_by)  # a contact moved into an operation
    return entry


def _amend_beneficiary(
    app: Casework, work: UnitOfWork, entry: Beneficiary, changes: dict[str, Any], cmd: c.AmendEntry
) -> tuple[dict[str, Any], str | None]:
    sealed: str | None = None
    birth_date: date | None = None
    if cmd.reason is CorrectionReason.CHANGE_OF_SITUATION:
        # What a person was at entry (the ESF answers, their birth date and ΑΜΚΑ) does not change with
        # their situation; only how to reach them, or a name, may.
        fixed = sorted({"birth_date", "amka"} & set(cmd.personal or {})) or (["special"] if cmd.special else [])
        if fixed:
            raise InvalidValueError(
                "a change of situation does not change what was true at entry: correct it, giving the error",
                field="special" if fixed == ["special"] else f"personal.{fixed[0]}",
            )
    if cmd.personal or cmd.special:
        current = app.vault.unseal(entry.sealed) if entry.sealed else None
        if current is None:
            raise InvalidValueError("this beneficiary's personal data were erased", field="personal")
        personal = validated(PersonalDetails, {**current["personal"], **(cmd.personal or {})}, "personal")
        special = validated(SpecialCategoryAnswers, {**current["special"], **(cmd.special or {})}, "special")
        assert isinstance(personal, PersonalDetails)
        new_amka, old_amka = personal.amka, current["personal"].get("amka")
        changed = cmd.personal is not None and {"amka", "birth_date"} & set(cmd.personal)
        confirmed = cmd.amka_date_mismatch_confirmed
        mismatch = new_amka is not None and not amka_matches_birth_date(new_amka, personal.birth_date)
        if changed and mismatch and not confirmed:
            raise AmkaDateMismatchError()
        if new_amka is not None and new_amka != old_amka:
            claim_amka(app, work, new_amka, entry.id)
        # The new name's indexes now; the old name's go once the amendment is saved (Casework.execute_many),
        # so a refused or failed amendment leaves the person findable by the name they still have.
        kept = index_names(app, personal, entry.id)
        work.unindexed = [(i, o) for i, o in work.unindexed if o != entry.id or i not in kept]  # named back
        work.unindexed += [(i, entry.id) for i in indexes_of(app.vault, current["personal"]) - kept]
        if personal.birth_date != date.fromisoformat(current["personal"]["birth_date"]):
            birth_date = personal.birth_date
        sealed = app.vault.seal(
            entry.id, {"personal": personal.model_dump(mode="json"), "special": special.model_dump(mode="json")}
        )
    intake = changes.get("occurred_on", entry.occurred_on)
    if "occurred_on" in changes:
        esf.ensure_intake_may_move(app, entry, intake)
    if "profile" in changes or birth_date is not None or "occurred_on" in changes:
        profile = {**entry.profile, **(changes.get("profile") or {})}
        if birth_date is None:
            current = app.vault.unseal(entry.sealed) if entry.sealed else None
            birth_date = date.fromisoformat(current["personal"]["birth_date"]) if current else None
        if birth_date is not None:
            profile["age_at_entry"] = age_on(birth_date, intake)
        model = validated(ParticipantProfile, profile, "changes.profile")
        changes["profile"] = model.model_dump(mode="json")
    return changes, sealed


def void_entry(app: Casework, work: UnitOfWork, cmd: c.VoidEntry) -> CaseEntry:
    entry = work.get(cmd.entry_id, CaseEntry, "entry")
    expect(work, entry, cmd.expected_version)
    entry.void(
        reason=cmd.reason,
        sealed_reason=sealer(app, {"reason_note": cmd.reason_note})(entry.subject_id),
        today=app.today(),
        recorded_by=cmd.recorded_by,
        structure=structure_of(app, cmd.structure, entry.structure),
    )
    return entry
