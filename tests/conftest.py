"""Shared fixtures. Stores: every store-level test runs on the embedded SQLite store and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import SecretStr

from domain.identifiers import make_amka
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra, bootstrap
from infra.crypto import TenantKeys
from infra.settings import DEFAULT_TENANTS_FILE, Settings
from infra.stores import TenantStorage, memory_storage
from infra.tenant_registry import load_registry
from services.casework import Casework
from services.commands import COMMAND_ADAPTER, AnyCommand
from services.ports import PersonalDataVault, StaffDirectory

TEST_MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, for tests only


def service_url(name: str) -> str:
    """A service URL from the harness; fail (not skip) when the harness promised the services."""
    value = os.environ.get(name)
    if value:
        return value
    if os.environ.get("KENTRA_TEST_REQUIRE_SERVICES"):
        pytest.fail(f"{name} is not set although the harness started the services")
    pytest.skip(f"{name} not set: run scripts/test to start PostgreSQL and Kafka")


@pytest.fixture(scope="session")
def real_registry() -> TenantRegistry:
    return load_registry(DEFAULT_TENANTS_FILE)


def isolated_registry(real: TenantRegistry) -> tuple[TenantRegistry, Tenant]:
    """The real registry plus a copy of Sofades under a fresh id, so tests never share a log."""
    tenant = real.tenant("sofades").model_copy(update={"id": f"test-{uuid4().hex[:12]}"})
    return real.model_copy(update={"tenants": (*real.tenants, tenant)}), tenant


@dataclass
class Clock:
    day: date = date(2024, 6, 28)

    def __call__(self) -> date:
        return self.day


def in_memory_kentra(
    data_dir: Path,
    registry: TenantRegistry,
    vault: PersonalDataVault,
    *,
    today: Clock | None = None,
    staff: StaffDirectory | None = None,
) -> Kentra:
    """The platform on the library's in-memory store with the one vault given, for every tenant: no
    database, no broker. Built through the composition root's parameters, as any other set-up would be."""

    def the_fake(_storage: TenantStorage, _keys: TenantKeys) -> PersonalDataVault:
        return vault

    return bootstrap(
        Settings(data_dir=data_dir, master_key=SecretStr(TEST_MASTER_KEY)),
        registry=registry,
        today=today or Clock(),
        storage=memory_storage,
        vault=the_fake,
        staff=staff,
    )


@dataclass
class StoreUnderTest:
    kind: str
    kentra: Kentra
    tenant: Tenant
    clock: Clock
    settings: Settings

    @property
    def casework(self) -> Casework:
        return self.kentra.casework(self.tenant.id)

    def fresh_casework(self) -> Casework:
        """A second, independent service over the same log (another process, in effect)."""
        other = bootstrap(self.settings, registry=self.kentra.registry, today=self.clock)
        return other.casework(self.tenant.id)


def make_settings(kind: str, tmp_path: Path) -> Settings:
    if kind == "sqlite":
        return Settings(data_dir=tmp_path / "data", master_key=SecretStr(TEST_MASTER_KEY))
    return Settings(
        data_dir=tmp_path / "data",
        master_key=SecretStr(TEST_MASTER_KEY),
        database_url=SecretStr(service_url("KENTRA_TEST_DATABASE_URL")),
        database_owner_url=SecretStr(service_url("KENTRA_TEST_DATABASE_OWNER_URL")),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path, real_registry: TenantRegistry) -> Iterator[StoreUnderTest]:
    settings = make_settings(request.param, tmp_path)
    registry, tenant = isolated_registry(real_registry)
    clock = Clock()
    kentra = bootstrap(settings, registry=registry, today=clock)
    kentra.provision(tenant.id)
    yield StoreUnderTest(request.param, kentra, tenant, clock, settings)
    kentra.close()


def intake(command_id: str | None = None, **overrides: Any) -> AnyCommand:
    """A valid intake command; ``overrides`` replace top-level or nested (``personal__amka``) fields."""
    document: dict[str, Any] = {
        "command": "register_beneficiary",
        "command_id": command_id or f"cmd-{uuid4()}",
        "recorded_by": "m.georgiou",
        "structure": "centre",
        "occurred_on": "2024-05-02",
        "personal": {
            "first_name": "Ευανθία",
            "last_name": "Τσιουρβαλή",
            "birth_date": "1979-03-04",
            "amka": make_amka(date(1979, 3, 4), 4242),
            "phone": "6912345678",
            "address": "Καραϊσκάκη 14, Σοφάδες",
        },
        "profile": {
            "gender": "female",
            "employment_status": "long_term_unemployed",
            "isced_level": 2,
            "household_situation": "single_parent",
            "residence_area": "rural",
            "foreign_background": False,
            "third_country_national": False,
            "homeless_or_housing_exclusion": False,
        },
        "special": {"disability": "yes", "minority": "refused", "other_disadvantage": "no"},
    }
    for key, value in overrides.items():
        target = document
        *parents, leaf = key.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    personal = document["personal"]
    if personal.get("amka") and personal["amka"][:6] != date.fromisoformat(str(personal["birth_date"])).strftime(
        "%d%m%y"
    ):
        document.setdefault("amka_date_mismatch_confirmed", True)  # the tests' ΑΜΚΑ need not match their birth date
    return COMMAND_ADAPTER.validate_python(document)


def command(**fields: Any) -> AnyCommand:
    fields.setdefault("command_id", f"cmd-{uuid4()}")
    fields.setdefault("recorded_by", "m.georgiou")
    return COMMAND_ADAPTER.validate_python(fields)


def open_request(beneficiary_id: UUID, **fields: object) -> AnyCommand:
    """A request opened for ``beneficiary_id`` in the centre (fields override the defaults)."""
    document: dict[str, object] = {
        "command": "open_request",
        "beneficiary_id": str(beneficiary_id),
        "category": "gmi",
        "structure": "centre",
        "occurred_on": "2024-05-02",
    }
    return command(**{**document, **fields})
