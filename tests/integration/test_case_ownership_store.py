"""Case ownership on the real stores (SQLite and PostgreSQL): a transfer is stored, read back by
another process, and followed by the views without moving the figures' structure as at entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from domain.beneficiaries import Beneficiary
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra, bootstrap
from projections.tables import people
from services import commands as c
from services import ownership
from services.access import Principal, Role
from tests.conftest import Clock, intake, isolated_registry, make_settings
from tests.fakes import InMemoryStaff


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def office(
    request: pytest.FixtureRequest, tmp_path: Path, real_registry: TenantRegistry
) -> Iterator[tuple[Kentra, Kentra, Tenant, InMemoryStaff]]:
    registry, tenant = isolated_registry(real_registry)
    ours = frozenset({tenant.id})
    staff = InMemoryStaff(
        Principal("m.oikonomou", Role.CASEWORKER, ours, structure="centre", full_name="Μαρία Οικονόμου"),
        Principal("a.karagianni", Role.CASEWORKER, ours, structure="roma-branch", full_name="Άννα Καραγιάννη"),
    )
    settings = make_settings(request.param, tmp_path)
    kentra = bootstrap(settings, registry=registry, today=Clock(), staff=staff)
    kentra.provision(tenant.id)
    other = bootstrap(settings, registry=registry, today=Clock(), staff=staff)  # another process
    yield kentra, other, tenant, staff
    other.close()
    kentra.close()


def structure_as_at_entry(conn: Connection, beneficiary_id: Any) -> str:
    return str(conn.execute(select(people.c.structure).where(people.c.beneficiary_id == beneficiary_id)).scalar_one())


def test_a_transfer_is_stored_read_back_elsewhere_and_leaves_the_figures_structure_as_at_entry(
    office: tuple[Kentra, Kentra, Tenant, InMemoryStaff],
) -> None:
    kentra, other, tenant, staff = office
    maria, anna = staff.members
    person = kentra.casework(tenant.id).execute(intake(recorded_by="m.oikonomou")).entry_id
    payload = c.AssignFields.model_validate(
        {"worker": "a.karagianni", "reason": "Μετακόμισε κοντά στο παράρτημα", "occurred_on": "2024-06-03"}
    )
    ownership.assign_case(kentra.casework(tenant.id), maria, payload, person, "transfer-0001")
    read_back = other.casework(tenant.id).entry(person)
    assert isinstance(read_back, Beneficiary)
    assert (read_back.responsible, read_back.structure, read_back.responsible_since.isoformat()) == (
        "a.karagianni",
        "roma-branch",
        "2024-06-03",
    )
    now = ownership.responsibility(other.casework(tenant.id), anna, person, "test")
    assert now.history[-1].reason == "Μετακόμισε κοντά στο παράρτημα"
    views = other.views(tenant.id)
    assert views.catch_up() >= 2  # the transfer is read by the municipality's views, and changes no shared row
    assert views.read(structure_as_at_entry, person) == "centre"
