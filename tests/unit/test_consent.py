"""Information given (GDPR Art. 13) and consents, with withdrawal, and the consent a referral needs
(issue 23): the rules, on the in-memory store with a fake vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.catalogue import Agency
from domain.consent import (
    SHARING_NEEDS_CONSENT,
    ConsentRequiredError,
    ConsentWithdrawnError,
    OpenedConsent,
    PrivacyRecord,
    UnknownNoticeError,
    privacy_record_id,
)
from domain.errors import (
    BeneficiaryErasedError,
    DateInFutureError,
    DateOrderError,
    EntryNotFoundError,
    InvalidTransitionError,
    InvalidValueError,
)
from domain.referrals import Referral
from domain.tenants import PrivacyNotice, Tenant, TenantRegistry
from infra.bootstrap import Kentra
from services import consent
from services.casework import BatchRefusedError, Casework, read_log
from tests.conftest import command, in_memory_kentra, intake, isolated_registry
from tests.fakes import InMemoryVault


@dataclass
class Service:
    kentra: Kentra
    tenant: Tenant
    vault: InMemoryVault

    @property
    def casework(self) -> Casework:
        return self.kentra.casework(self.tenant.id)

    def privacy_record(self, person: UUID) -> PrivacyRecord:
        record = self.casework.entry(privacy_record_id(person))
        assert isinstance(record, PrivacyRecord)
        return record

    def events(self) -> int:
        return sum(1 for _ in read_log(self.casework))


@pytest.fixture
def service(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Service]:
    tenants, tenant = isolated_registry(real_registry)
    notices = (
        PrivacyNotice(version="2018-05", from_=date(2018, 5, 25)),
        PrivacyNotice(version="2024-01", from_=date(2024, 1, 1)),
    )
    tenant = tenant.model_copy(update={"privacy_notices": notices})
    tenants = tenants.model_copy(update={"tenants": (*tenants.tenants[:-1], tenant)})
    vault = InMemoryVault()

    kentra = in_memory_kentra(tmp_path, tenants, vault)
    kentra.provision(tenant.id)
    yield Service(kentra, tenant, vault)
    kentra.close()


def informed(person: UUID, **fields: Any) -> Any:
    return command(
        **{
            "command": "record_information",
            "beneficiary_id": str(person),
            "occurred_on": "2024-05-02",
            "notice_version": "2024-01",
            **fields,
        }
    )


def consented(person: UUID, **fields: Any) -> Any:
    document = {
        "command": "give_consent",
        "beneficiary_id": str(person),
        "occurred_on": "2024-05-03",
        "purpose": "sharing_with_agency",
        "agency": "ngo",
        "given_as": "signed_form",
    }
    return command(**{**document, **fields})


def withdrawn(person: UUID, consent_id: UUID, **fields: Any) -> Any:
    document = {
        "command": "withdraw_consent",
        "beneficiary_id": str(person),
        "consent_id": str(consent_id),
        "occurred_on": "2024-06-01",
    }
    return command(**{**document, **fields})


def referral(person: UUID, destination: str = "ngo", **fields: Any) -> Any:
    document = {
        "command": "send_referral",
        "beneficiary_id": str(person),
        "destination": destination,
        "structure": "centre",
        "occurred_on": "2024-06-10",
    }
    return command(**{**document, **fields})


def give(service: Service, person: UUID, **fields: Any) -> UUID:
    """Record a consent; its id."""
    cmd = consented(person, **fields)
    service.casework.execute(cmd)
    return consent.consent_id_for(service.casework, cmd.command_id)


# ---------------------------------------------------------------------- the rule, alone
def test_public_bodies_under_a_legal_duty_receive_a_referral_without_consent() -> None:
    for agency in ("opeka", "dypa", "efka", "kep", "kepa", "hospital", "mental_health_unit", "municipal_service"):
        assert not SHARING_NEEDS_CONSENT.applies_to(agency)
    assert not SHARING_NEEDS_CONSENT.applies_to(Agency.PROSECUTOR)


def test_ngos_social_structures_and_other_agencies_need_consent_and_so_does_a_code_added_later() -> None:
    for agency in ("ngo", "social_structure", "other", "a-code-added-later"):
        assert SHARING_NEEDS_CONSENT.applies_to(agency)


def test_a_consent_counts_from_its_day_until_the_day_it_is_withdrawn() -> None:
    given = OpenedConsent(uuid4(), "sharing_with_agency", "ngo", date(2024, 5, 3), date(2024, 6, 1))
    assert not SHARING_NEEDS_CONSENT.is_met("ngo", date(2024, 5, 2), [given])
    assert SHARING_NEEDS_CONSENT.is_met("ngo", date(2024, 5, 31), [given])
    assert not SHARING_NEEDS_CONSENT.is_met("ngo", date(2024, 6, 1), [given])
    assert not SHARING_NEEDS_CONSENT.is_met("social_structure", date(2024, 5, 31), [given])


# ---------------------------------------------------------------------- information
def test_information_given_is_recorded_on_the_persons_record_with_the_notice_sealed(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    outcome = service.casework.execute(informed(her))
    assert outcome.entry_id == privacy_record_id(her)
    assert outcome.kind == "privacy_record"
    record = service.privacy_record(her)
    assert [row["on"] for row in record.informed] == [date(2024, 5, 2)]
    assert service.vault.unseal(record.informed[0]["sealed"]) == {"notice_version": "2024-01"}
    assert "2024-01" not in str([vars(e) for e in read_log(service.casework) if isinstance(e, PrivacyRecord.Event)])


def test_an_unknown_notice_version_is_refused_naming_the_field(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    with pytest.raises(UnknownNoticeError) as refused:
        service.casework.execute(informed(her, notice_version="1999-01"))
    assert refused.value.field == "notice_version"
    assert "2018-05" in refused.value.message


def test_a_notice_is_not_given_before_the_day_it_applies_from(service: Service) -> None:
    her = service.casework.execute(intake(occurred_on="2023-11-02")).entry_id
    with pytest.raises(InvalidValueError) as refused:
        service.casework.execute(informed(her, occurred_on="2023-12-01", notice_version="2024-01"))
    assert refused.value.field == "notice_version"
    service.casework.execute(informed(her, occurred_on="2023-12-01", notice_version="2018-05"))


def test_the_notice_in_force_is_the_latest_applying_by_the_day(service: Service) -> None:
    assert service.tenant.notice_on(date(2023, 12, 31)) == service.tenant.privacy_notices[0]
    assert service.tenant.notice_on(date(2024, 6, 28)) == service.tenant.privacy_notices[1]
    assert service.tenant.notice_on(date(2018, 1, 1)) is None


def test_every_shipped_municipality_has_an_information_notice(real_registry: TenantRegistry) -> None:
    for tenant in real_registry.tenants:
        assert tenant.privacy_notices
        assert tenant.notice_on(date(2026, 1, 1)) is not None


def test_information_in_the_future_or_before_the_intake_is_refused(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    with pytest.raises(DateInFutureError):
        service.casework.execute(informed(her, occurred_on="2024-07-01"))
    with pytest.raises(DateOrderError):
        service.casework.execute(informed(her, occurred_on="2024-05-01"))


# ---------------------------------------------------------------------- consents
def test_a_consent_and_its_withdrawal_are_events_and_the_details_are_sealed(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    consent_id = give(service, her)
    record = service.privacy_record(her)
    details = service.vault.unseal(record.consents[str(consent_id)]["sealed"])
    assert details == {"purpose": "sharing_with_agency", "agency": "ngo", "given_as": "signed_form"}
    service.casework.execute(withdrawn(her, consent_id))
    assert service.privacy_record(her).consents[str(consent_id)]["withdrawn_on"] == date(2024, 6, 1)
    names = [type(e).__qualname__ for e in read_log(service.casework) if isinstance(e, PrivacyRecord.Event)]
    assert names == ["PrivacyRecord.Opened", "PrivacyRecord.ConsentGiven", "PrivacyRecord.ConsentWithdrawn"]


def test_a_consent_to_sharing_names_its_agency_and_no_other_consent_does(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    with pytest.raises(InvalidValueError) as refused:
        service.casework.execute(consented(her, agency=None))
    assert refused.value.field == "agency"
    with pytest.raises(InvalidValueError):
        service.casework.execute(consented(her, purpose="photos_at_events"))
    service.casework.execute(consented(her, purpose="photos_at_events", agency=None))


def test_a_consent_is_withdrawn_once_and_not_before_it_was_given(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    consent_id = give(service, her)
    with pytest.raises(DateOrderError):
        service.casework.execute(withdrawn(her, consent_id, occurred_on="2024-05-02"))
    service.casework.execute(withdrawn(her, consent_id))
    with pytest.raises(ConsentWithdrawnError):
        service.casework.execute(withdrawn(her, consent_id))


def test_a_consent_of_another_person_cannot_be_withdrawn_through_someone_else(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    him = service.casework.execute(intake(personal__amka=None, personal__first_name="Νίκος")).entry_id
    hers = give(service, her)
    give(service, him, agency="other")
    with pytest.raises(EntryNotFoundError):
        service.casework.execute(withdrawn(him, hers))


def test_a_privacy_record_is_neither_amended_nor_voided(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    service.casework.execute(informed(her))
    record = str(privacy_record_id(her))
    with pytest.raises(InvalidTransitionError):
        service.casework.execute(command(command="void_entry", entry_id=record, reason="wrong_person"))
    with pytest.raises(InvalidValueError):
        service.casework.execute(
            command(command="amend_entry", entry_id=record, reason="typing_error", changes={"destination": "ngo"})
        )


# ---------------------------------------------------------------------- referrals that need consent
def test_a_referral_to_an_ngo_without_consent_is_refused_and_nothing_is_recorded(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    before = service.events()
    with pytest.raises(ConsentRequiredError) as refused:
        service.casework.execute(referral(her, "ngo"))
    assert refused.value.field == "consent.given_as"
    assert service.events() == before


def test_a_referral_to_a_public_body_needs_no_consent(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    service.casework.execute(referral(her, "opeka"))


def test_a_referral_with_an_active_consent_for_its_agency_is_sent(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    give(service, her, agency="ngo")
    sent = service.casework.execute(referral(her, "ngo"))
    assert isinstance(service.casework.entry(sent.entry_id), Referral)


def test_a_consent_for_one_agency_does_not_cover_another(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    give(service, her, agency="ngo")
    with pytest.raises(ConsentRequiredError):
        service.casework.execute(referral(her, "social_structure"))


def test_a_withdrawn_consent_no_longer_counts(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    consent_id = give(service, her, agency="ngo")
    service.casework.execute(withdrawn(her, consent_id))
    with pytest.raises(ConsentRequiredError):
        service.casework.execute(referral(her, "ngo"))


def test_a_consent_of_another_person_does_not_count_for_a_referral(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    him = service.casework.execute(intake(personal__amka=None, personal__first_name="Νίκος")).entry_id
    give(service, him, agency="ngo")
    with pytest.raises(ConsentRequiredError):
        service.casework.execute(referral(her, "ngo"))


def test_a_referral_carrying_its_consent_records_both_in_one_command(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    sent = service.casework.execute(referral(her, "ngo", consent={"given_as": "orally_recorded"}))
    assert isinstance(service.casework.entry(sent.entry_id), Referral)
    record = service.privacy_record(her)
    (only,) = record.consents.values()
    assert only["given_on"] == date(2024, 6, 10)
    details = service.vault.unseal(only["sealed"])
    assert details is not None
    assert (details["purpose"], details["agency"], details["given_as"]) == (
        "sharing_with_agency",
        "ngo",
        "orally_recorded",
    )
    # The consent so recorded counts for the next referral to the same agency.
    service.casework.execute(referral(her, "ngo"))


def test_a_refused_referral_with_a_consent_block_records_no_consent(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    before = service.events()
    with pytest.raises(DateInFutureError):
        service.casework.execute(referral(her, "ngo", occurred_on="2024-07-01", consent={"given_as": "signed_form"}))
    assert service.events() == before
    with pytest.raises(EntryNotFoundError):
        service.privacy_record(her)


def test_a_batch_whose_referral_is_refused_records_none_of_its_consent(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    before = service.events()
    batch = [consented(her, agency="ngo"), referral(her, "social_structure")]
    with pytest.raises(BatchRefusedError):
        service.casework.execute_many(batch, atomic=True)
    assert service.events() == before


# ---------------------------------------------------------------------- after an erasure
def test_after_an_erasure_the_consents_do_not_open_and_nothing_more_is_recorded(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    service.casework.execute(informed(her))
    consent_id = give(service, her)
    record = service.privacy_record(her)
    service.kentra.erase(service.tenant.id, her, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    assert service.vault.unseal(record.consents[str(consent_id)]["sealed"]) is None
    assert service.vault.unseal(record.informed[0]["sealed"]) is None
    assert consent.privacy_document(service.casework, her) == {"informed": [], "consents": []}
    for refused in (consented(her), informed(her), withdrawn(her, consent_id), referral(her, "opeka")):
        with pytest.raises(BeneficiaryErasedError):
            service.casework.execute(refused)


def test_a_referral_readdressed_to_an_ngo_by_a_correction_needs_the_consent_too(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    sent = service.casework.execute(referral(her, "opeka")).entry_id
    readdress = command(
        command="amend_entry", entry_id=str(sent), reason="typing_error", changes={"destination": "ngo"}
    )
    with pytest.raises(ConsentRequiredError):
        service.casework.execute(readdress)
    give(service, her, agency="ngo")
    service.casework.execute(command(**{**readdress.model_dump(mode="json"), "command_id": f"cmd-{uuid4()}"}))
    assert getattr(service.casework.entry(sent), "destination", None) == "ngo"
