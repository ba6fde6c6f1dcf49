"""Households (issue 23): the service's rules on the in-memory store with a fake vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.errors import BeneficiaryErasedError, DomainError, EntryNotFoundError, InvalidValueError
from domain.households import (
    AlreadyInHouseholdError,
    HeadMustStayError,
    Household,
    HouseholdMembership,
    NotInHouseholdError,
    membership_id,
)
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra
from services.casework import Casework, read_log
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

    def person(self, n: int, **overrides: Any) -> UUID:
        return self.casework.execute(intake(personal__amka=None, personal__last_name=f"Μέλος{n}", **overrides)).entry_id

    def form(self, head: UUID) -> UUID:
        return self.casework.execute(
            command(command="form_household", beneficiary_id=str(head), occurred_on="2024-05-03")
        ).entry_id

    def add(self, household: UUID, person: UUID, relation: str = "child") -> Any:
        return self.casework.execute(
            command(
                command="add_household_member",
                household_id=str(household),
                beneficiary_id=str(person),
                relation=relation,
                occurred_on="2024-05-04",
            )
        )

    def household(self, household_id: UUID) -> Household:
        found: object = self.casework.repository.get(household_id)
        assert isinstance(found, Household)
        return found


@pytest.fixture
def service(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Service]:
    tenants, tenant = isolated_registry(real_registry)
    vault = InMemoryVault()

    kentra = in_memory_kentra(tmp_path, tenants, vault)
    kentra.provision(tenant.id)
    yield Service(kentra, tenant, vault)
    kentra.close()


def test_a_household_of_three_has_size_three_and_names_no_one_in_clear(service: Service) -> None:
    head, spouse, child = (service.person(n) for n in range(3))
    household = service.form(head)
    service.add(household, spouse, "spouse")
    service.add(household, child, "child")
    assert service.household(household).size == 3
    for event in read_log(service.casework):
        if isinstance(event, Household.Formed | Household.MemberJoined):
            assert not {str(head), str(spouse), str(child)} & {str(v) for v in event.__dict__.values()}
        if isinstance(event, HouseholdMembership.Joined):
            opened = service.vault.unseal(event.sealed)  # type: ignore[attr-defined]
            assert opened is not None
            assert opened["household_id"] == str(household)


def test_a_person_cannot_be_in_two_households(service: Service) -> None:
    first, second, person = (service.person(n) for n in range(3))
    one, two = service.form(first), service.form(second)
    service.add(one, person)
    with pytest.raises(AlreadyInHouseholdError):
        service.add(two, person)
    with pytest.raises(AlreadyInHouseholdError):
        service.form(person)
    assert service.household(two).size == 1


def test_moving_a_member_leaves_one_household_and_joins_the_other_together(service: Service) -> None:
    first, second, person = (service.person(n) for n in range(3))
    one, two = service.form(first), service.form(second)
    service.add(one, person)
    service.casework.execute(
        command(
            command="move_household_member",
            household_id=str(two),
            beneficiary_id=str(person),
            relation="sibling",
            occurred_on="2024-05-05",
        )
    )
    assert (service.household(one).size, service.household(two).size) == (1, 2)
    membership: object = service.casework.repository.get(membership_id(service.tenant.id, person))
    assert isinstance(membership, HouseholdMembership)
    assert membership.sealed is not None
    assert (service.vault.unseal(membership.sealed) or {})["household_id"] == str(two)


def test_a_move_refused_half_way_records_nothing(service: Service) -> None:
    head, member = service.person(0), service.person(1)
    one = service.form(head)
    service.add(one, member)
    two = service.form(service.person(2))
    before = sum(1 for _ in read_log(service.casework))
    with pytest.raises(HeadMustStayError):  # the head of a household of two cannot just move
        service.casework.execute(
            command(
                command="move_household_member",
                household_id=str(two),
                beneficiary_id=str(head),
                relation="other",
                occurred_on="2024-05-05",
            )
        )
    assert sum(1 for _ in read_log(service.casework)) == before


def test_a_member_leaves_and_the_head_changes(service: Service) -> None:
    head, spouse = service.person(0), service.person(1)
    household = service.form(head)
    service.add(household, spouse, "spouse")
    service.casework.execute(
        command(
            command="change_household_head",
            household_id=str(household),
            beneficiary_id=str(spouse),
            former_head_id=str(head),
            former_head_relation="spouse",
            occurred_on="2024-05-06",
        )
    )
    service.casework.execute(
        command(
            command="leave_household", household_id=str(household), beneficiary_id=str(head), occurred_on="2024-05-07"
        )
    )
    assert service.household(household).size == 1
    with pytest.raises(NotInHouseholdError):
        service.casework.execute(
            command(
                command="leave_household",
                household_id=str(household),
                beneficiary_id=str(head),
                occurred_on="2024-05-07",
            )
        )


def test_the_head_is_named_by_changing_the_head_never_by_adding_one(service: Service) -> None:
    household = service.form(service.person(0))
    with pytest.raises(InvalidValueError) as refused:
        service.add(household, service.person(1), "head")
    assert refused.value.field == "relation"


def test_a_person_of_the_roma_branch_does_not_join_a_household_of_the_centre(service: Service) -> None:
    household = service.form(service.person(0))
    roma = service.person(1, structure="roma-branch")
    with pytest.raises(InvalidValueError) as refused:
        service.add(household, roma)
    assert refused.value.field == "beneficiary_id"


def test_a_person_of_another_tenant_cannot_be_added(service: Service, real_registry: TenantRegistry) -> None:
    household = service.form(service.person(0))
    service.kentra.provision("karditsa")
    other = service.kentra.casework("karditsa").execute(intake(personal__amka=None)).entry_id
    with pytest.raises(EntryNotFoundError):
        service.add(household, other)


def test_a_household_is_never_amended_or_voided(service: Service) -> None:
    household = service.form(service.person(0))
    with pytest.raises(DomainError):
        service.casework.execute(command(command="void_entry", entry_id=str(household), reason="duplicate_entry"))


def test_nothing_more_is_recorded_about_an_erased_person_in_a_household(service: Service) -> None:
    household = service.form(service.person(0))
    member = service.person(1)
    service.add(household, member)
    service.casework.erase(member, reason="asked", legal_ground="Art. 17(1)(a)", erased_by="coordinator")
    with pytest.raises(BeneficiaryErasedError):
        service.casework.execute(
            command(
                command="leave_household",
                household_id=str(household),
                beneficiary_id=str(member),
                occurred_on="2024-05-07",
            )
        )
    assert service.household(household).size == 2  # still counted, tied to no one
