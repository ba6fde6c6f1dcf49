"""Case ownership on the in-memory service (issue 20): who is responsible for a person, who may give
the case to whom, and what a caseworker of the other structure learns of it (nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from domain.beneficiaries import Beneficiary
from domain.errors import (
    BeneficiaryErasedError,
    ConcurrentChangeError,
    DateInFutureError,
    DateOrderError,
    EntryNotFoundError,
    EntryVoidedError,
    InvalidTransitionError,
    InvalidValueError,
)
from domain.events import INTERNAL, is_published
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra
from services import commands as c
from services import ownership, people
from services.access import AccessDeniedError, Principal, Role
from services.casework import Casework
from tests.conftest import Clock, command, in_memory_kentra, intake, isolated_registry, open_request
from tests.fakes import InMemoryStaff, InMemoryVault

REASON = "Η κ. Οικονόμου αναλαμβάνει τις υποθέσεις στέγασης"


@dataclass
class Office:
    """A tenant's casework with its staff: two centre caseworkers, a Roma-branch mediator, a coordinator,
    an auditor, and a coordinator of another tenant."""

    kentra: Kentra
    tenant: Tenant
    staff: InMemoryStaff
    clock: Clock
    maria: Principal
    giorgos: Principal
    anna: Principal
    eleni: Principal
    auditor: Principal
    stranger: Principal

    @property
    def casework(self) -> Casework:
        return self.kentra.casework(self.tenant.id)

    def register(self, by: Principal, structure: str = "centre") -> UUID:
        return self.casework.execute(intake(recorded_by=by.username, structure=structure)).entry_id

    def give(self, by: Principal, person: UUID, worker: str, **fields: Any) -> Any:
        document = {"worker": worker, "reason": REASON, "occurred_on": "2024-06-03", **fields}
        return ownership.assign_case(
            self.casework, by, c.AssignFields.model_validate(document), person, f"give-{uuid4()}"
        )


@pytest.fixture
def office(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Office]:
    tenants, tenant = isolated_registry(real_registry)
    vault = InMemoryVault()
    ours = frozenset({tenant.id})
    maria = Principal("m.oikonomou", Role.CASEWORKER, ours, structure="centre", full_name="Μαρία Οικονόμου")
    giorgos = Principal("g.tsiaras", Role.CASEWORKER, ours, structure="centre", full_name="Γιώργος Τσιάρας")
    anna = Principal("a.karagianni", Role.CASEWORKER, ours, structure="roma-branch", full_name="Άννα Καραγιάννη")
    eleni = Principal("e.papadaki", Role.COORDINATOR, ours, full_name="Ελένη Παπαδάκη")
    auditor = Principal("s.lampraki", Role.AUDITOR, ours, personal_data=True)
    stranger = Principal("k.allou", Role.CASEWORKER, frozenset({"sofades"}), structure="centre")
    staff = InMemoryStaff(maria, giorgos, anna, eleni, auditor, stranger)

    clock = Clock()
    kentra = in_memory_kentra(tmp_path, tenants, vault, today=clock, staff=staff)
    kentra.provision(tenant.id)
    yield Office(kentra, tenant, staff, clock, maria, giorgos, anna, eleni, auditor, stranger)
    kentra.close()


def person_of(office: Office, person: UUID) -> Beneficiary:
    entry = office.casework.entry(person)
    assert isinstance(entry, Beneficiary)
    return entry


def test_whoever_took_the_intake_is_responsible_until_the_case_is_given(office: Office) -> None:
    person = office.register(office.maria)
    now = ownership.responsibility(office.casework, office.maria, person, "test")
    assert (now.worker, now.worker_name, now.structure, now.since) == (
        "m.oikonomou",
        "Μαρία Οικονόμου",
        "centre",
        date(2024, 5, 2),
    )
    assert [a.intake for a in now.history] == [True]


def test_a_coordinator_gives_a_case_to_a_caseworker_with_a_sealed_reason(office: Office) -> None:
    person = office.register(office.maria)
    outcome = office.give(office.eleni, person, "g.tsiaras")
    assert (outcome.kind, outcome.version) == ("beneficiary", 2)
    now = ownership.responsibility(office.casework, office.eleni, person, "test")
    assert (now.worker_name, now.structure, now.since) == ("Γιώργος Τσιάρας", "centre", date(2024, 6, 3))
    given = now.history[-1]
    assert (given.worker, given.recorded_by_name, given.reason) == ("g.tsiaras", "Ελένη Παπαδάκη", REASON)
    assert office.casework.history(person)[-1]["attributes"]["sealed_reason"] == "[sealed]"


def test_the_case_assigned_event_stays_in_the_municipality(office: Office) -> None:
    assert Beneficiary.CaseAssigned in INTERNAL
    assert not is_published(Beneficiary.CaseAssigned)


def test_a_caseworker_hands_over_her_own_case_to_a_colleague_of_her_structure(office: Office) -> None:
    person = office.register(office.maria)
    office.give(office.maria, person, "g.tsiaras")
    assert person_of(office, person).responsible == "g.tsiaras"


def test_a_caseworker_may_not_hand_over_a_case_she_is_not_responsible_for(office: Office) -> None:
    person = office.register(office.maria)
    with pytest.raises(AccessDeniedError):
        office.give(office.giorgos, person, "g.tsiaras")
    assert person_of(office, person).version == 1


def test_a_transfer_to_the_roma_branch_moves_who_sees_the_person(office: Office) -> None:
    person = office.register(office.maria)
    office.give(office.maria, person, "a.karagianni", reason="Μετακόμισε στον οικισμό")
    moved = person_of(office, person)
    assert (moved.responsible, moved.structure) == ("a.karagianni", "roma-branch")
    received = ownership.responsibility(office.casework, office.anna, person, "test").history
    assert [(a.worker, a.recorded_by, a.reason) for a in received] == [
        ("a.karagianni", None, "Μετακόμισε στον οικισμό")
    ]
    assert people.visible(office.casework, office.anna, [person]) == [person]
    assert people.visible(office.casework, office.maria, [person]) == []
    with pytest.raises(EntryNotFoundError):
        ownership.responsibility(office.casework, office.maria, person, "test")
    with pytest.raises(EntryNotFoundError):
        people.show(office.casework, office.maria, person, "beneficiary", "test")


def test_an_entry_keeps_the_structure_it_was_recorded_in_after_a_transfer(office: Office) -> None:
    person = office.register(office.maria)
    request = office.casework.execute(open_request(person, recorded_by="m.oikonomou")).entry_id
    office.give(office.maria, person, "a.karagianni")
    assert office.casework.entry(request).structure == "centre"
    with pytest.raises(EntryNotFoundError):
        people.visible_entry(office.casework, office.anna, request)
    people.visible_entry(office.casework, office.maria, request)  # still the centre's


def test_a_case_of_the_other_structure_is_not_found_like_an_unknown_id(office: Office) -> None:
    theirs = office.register(office.anna, structure="roma-branch")
    unknown = uuid4()
    with pytest.raises(EntryNotFoundError) as seen:
        office.give(office.maria, theirs, "g.tsiaras")
    with pytest.raises(EntryNotFoundError) as unseen:
        office.give(office.maria, unknown, "g.tsiaras")
    assert seen.value.message.replace(str(theirs), "ID") == unseen.value.message.replace(str(unknown), "ID")
    assert seen.value.field == unseen.value.field


def test_a_caseworker_receives_only_into_her_own_structure(office: Office) -> None:
    person = office.register(office.maria)
    with pytest.raises(InvalidValueError) as refused:
        office.give(office.eleni, person, "a.karagianni", structure="centre")
    assert refused.value.field == "structure"
    assert person_of(office, person).version == 1


def test_a_coordinator_keeps_the_persons_structure_unless_she_names_another(office: Office) -> None:
    person = office.register(office.maria)
    office.give(office.maria, person, "e.papadaki")
    assert (person_of(office, person).responsible, person_of(office, person).structure) == ("e.papadaki", "centre")
    office.give(office.eleni, person, "e.papadaki", structure="roma-branch", occurred_on="2024-06-04")
    assert person_of(office, person).structure == "roma-branch"


@pytest.mark.parametrize("who", ["nobody.here", "k.allou", "s.lampraki", "g.tsiaras"])
def test_a_case_goes_only_to_an_active_caseworker_or_coordinator_of_the_tenant(office: Office, who: str) -> None:
    office.staff.disabled.add("g.tsiaras")
    person = office.register(office.maria)
    with pytest.raises(InvalidValueError) as refused:
        office.give(office.eleni, person, who)
    assert (refused.value.field, refused.value.message) == (
        "worker",
        "not an active caseworker or coordinator of this municipality",
    )


def test_giving_the_case_to_the_one_already_responsible_is_refused(office: Office) -> None:
    person = office.register(office.maria)
    with pytest.raises(InvalidTransitionError):
        office.give(office.eleni, person, "m.oikonomou")


@pytest.mark.parametrize(
    ("day", "error"),
    [("2024-06-29", DateInFutureError), ("2024-05-01", DateOrderError)],
)
def test_a_case_is_given_neither_in_the_future_nor_before_the_intake(
    office: Office, day: str, error: type[Exception]
) -> None:
    person = office.register(office.maria)
    with pytest.raises(error):
        office.give(office.eleni, person, "g.tsiaras", occurred_on=day)


def test_a_case_is_not_given_on_a_day_before_it_was_last_given(office: Office) -> None:
    person = office.register(office.maria)
    office.give(office.eleni, person, "g.tsiaras", occurred_on="2024-06-10")
    with pytest.raises(DateOrderError):
        office.give(office.eleni, person, "m.oikonomou", occurred_on="2024-06-09")


def test_a_case_is_given_for_a_reason(office: Office) -> None:
    with pytest.raises(ValidationError):
        c.AssignFields.model_validate({"worker": "g.tsiaras", "reason": "   ", "occurred_on": "2024-06-03"})
    with pytest.raises(ValidationError):
        c.AssignFields.model_validate({"worker": "g.tsiaras", "occurred_on": "2024-06-03"})


def test_an_erased_or_voided_person_is_not_given_to_anyone(office: Office) -> None:
    erased = office.register(office.maria)
    office.kentra.erase(office.tenant.id, erased, reason="asked", legal_ground="GDPR Art. 17", erased_by="e.papadaki")
    with pytest.raises(BeneficiaryErasedError):
        office.give(office.eleni, erased, "g.tsiaras")
    voided = office.casework.execute(intake(personal__amka=None)).entry_id
    office.casework.execute(command(command="void_entry", entry_id=str(voided), reason="wrong_person"))
    with pytest.raises(EntryNotFoundError):
        office.give(office.eleni, voided, "g.tsiaras")
    with pytest.raises(EntryVoidedError):  # the command itself, from any gateway
        office.casework.execute(
            command(
                command="assign_case",
                beneficiary_id=str(voided),
                worker="g.tsiaras",
                reason=REASON,
                occurred_on="2024-06-03",
            )
        )


@pytest.mark.parametrize("who", ["auditor", "stranger"])
def test_an_auditor_or_another_tenants_worker_gives_no_case(office: Office, who: str) -> None:
    person = office.register(office.maria)
    with pytest.raises((AccessDeniedError, EntryNotFoundError)):
        office.give(getattr(office, who), person, "g.tsiaras")
    assert person_of(office, person).version == 1


def test_a_retry_of_a_transfer_is_answered_from_its_record_though_the_person_is_gone_from_view(
    office: Office,
) -> None:
    person = office.register(office.maria)
    payload = c.AssignFields(worker="a.karagianni", reason=REASON, occurred_on=date(2024, 6, 3))
    first = ownership.assign_case(office.casework, office.maria, payload, person, "give-once-0001")
    again = ownership.assign_case(office.casework, office.maria, payload, person, "give-once-0001")
    assert (again.replayed, again.version) == (True, first.version)


def test_a_handover_checks_the_case_as_loaded_for_the_change(office: Office) -> None:
    """Maria's right was checked; meanwhile the coordinator gave the case away: the command refuses."""
    person = office.register(office.maria)
    office.give(office.eleni, person, "g.tsiaras")
    with pytest.raises(AccessDeniedError):
        office.casework.execute(
            command(
                command="assign_case",
                beneficiary_id=str(person),
                worker="a.karagianni",
                reason=REASON,
                occurred_on="2024-06-03",
                recorded_by="m.oikonomou",
            )
        )


def test_a_form_shown_before_another_change_is_refused(office: Office) -> None:
    person = office.register(office.maria)
    office.give(office.eleni, person, "g.tsiaras")
    with pytest.raises(ConcurrentChangeError):
        office.give(office.eleni, person, "m.oikonomou", expected_version=1)


def test_a_case_come_from_the_roma_branch_tells_the_centre_why_but_not_who_gave_it(office: Office) -> None:
    person = office.register(office.anna, structure="roma-branch")
    office.give(office.anna, person, "m.oikonomou", reason="Ζητά να εξυπηρετείται στο κέντρο")
    now = ownership.responsibility(office.casework, office.maria, person, "test")
    assert [(a.worker, a.recorded_by, a.reason) for a in now.history] == [
        ("m.oikonomou", None, "Ζητά να εξυπηρετείται στο κέντρο")
    ]
    shown = people.show(office.casework, office.maria, person, "beneficiary", "test")
    told = repr((shown.state, shown.history))
    for secret in ("roma-branch", "a.karagianni", "Καραγιάννη"):
        assert secret not in told
    coordinator = ownership.responsibility(office.casework, office.eleni, person, "test")
    assert [a.structure for a in coordinator.history] == ["roma-branch", "centre"]
    assert coordinator.history[-1].reason == "Ζητά να εξυπηρετείται στο κέντρο"


def test_the_staff_list_is_the_tenants_caseworkers_and_coordinators_by_name(office: Office) -> None:
    listed = ownership.staff(office.casework, office.maria)
    assert [m.full_name for m in listed] == ["Άννα Καραγιάννη", "Γιώργος Τσιάρας", "Ελένη Παπαδάκη", "Μαρία Οικονόμου"]
    assert {m.structure_name for m in listed if m.role == "caseworker"} == {
        s.name_el for s in office.tenant.structures if s.id in ("centre", "roma-branch")
    }
    with pytest.raises(AccessDeniedError):
        ownership.staff(office.casework, office.stranger)
    analyst = Principal("n.athanasiou", Role.REGIONAL_ANALYST, region="thessaly")
    with pytest.raises(AccessDeniedError):
        ownership.staff(office.casework, analyst)
