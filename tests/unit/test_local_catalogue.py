"""A municipality's own catalogue (issue 23): the aggregate's rules, and records in local codes on the
in-memory store with a fake vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from domain.catalogue import RequestCategory
from domain.consent import ConsentRequiredError
from domain.errors import InvalidTransitionError, InvalidValueError
from domain.local_catalogue import (
    LocalCatalogue,
    LocalCodeError,
    RetiredLocalCodeError,
    UnknownLocalCodeError,
    catalogue_id,
    resolve,
)
from domain.tenants import Tenant, TenantRegistry
from gateways.kafka.envelope import envelope
from infra.bootstrap import Kentra
from services import casework_catalogue as catalogue
from services import commands as c
from services.access import AccessDeniedError, Principal, Role
from services.casework import Casework, read_log
from tests.conftest import command, in_memory_kentra, intake, isolated_registry, open_request
from tests.fakes import InMemoryVault

DAY = date(2024, 6, 1)


def new_catalogue() -> LocalCatalogue:
    return LocalCatalogue.start("sofades")


def add(book: LocalCatalogue, **fields: Any) -> None:
    entry = {
        "kind": "request_category",
        "code": "local_firewood",
        "label_el": "Καυσόξυλα",
        "label_en": "Firewood",
        "national": "food_aid_teba",
        "occurred_on": DAY,
        "recorded_by": "a.coordinator",
    }
    book.add(**{**entry, **fields})


# ---------------------------------------------------------------------- the aggregate's rules
def test_a_local_category_counts_under_the_national_code_it_maps_to() -> None:
    book = new_catalogue()
    add(book)
    assert resolve(book, "request_category", "local_firewood", "category") == ("food_aid_teba", "local_firewood")
    assert resolve(book, "request_category", "gmi", "category") == ("gmi", None)
    assert book.id == catalogue_id("sofades") != catalogue_id("karditsa")


def test_a_local_code_mapped_to_a_national_code_of_another_kind_is_refused() -> None:
    with pytest.raises(InvalidValueError) as refused:
        add(new_catalogue(), national="opeka")  # an agency, not a request category
    assert refused.value.field == "national"


@pytest.mark.parametrize("code", ["firewood", "gmi", "local_", "local_Firewood", "local_ξύλα", "local_" + "x" * 35])
def test_a_code_without_the_local_prefix_or_too_long_is_refused(code: str) -> None:
    with pytest.raises(LocalCodeError) as refused:
        add(new_catalogue(), code=code)
    assert refused.value.field == "code"


def test_a_code_is_unique_per_kind_even_once_retired_but_may_be_reused_by_another_kind() -> None:
    book = new_catalogue()
    add(book)
    book.retire(kind="request_category", code="local_firewood", occurred_on=DAY, recorded_by="a")
    with pytest.raises(LocalCodeError):
        add(book)
    add(book, kind="activity_kind", national="community_event")
    assert [e.kind for e in book.entries.values()] == ["request_category", "activity_kind"]


@pytest.mark.parametrize(("label", "field"), [("   ", "label_el"), ("x" * 121, "label_el"), ("a\x07b", "label_el")])
def test_labels_are_required_at_most_120_characters_and_printable(label: str, field: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        add(new_catalogue(), label_el=label)
    assert refused.value.field == field


def test_a_retired_code_is_refused_for_new_records_but_still_read_with_its_label() -> None:
    book = new_catalogue()
    add(book)
    book.retire(kind="request_category", code="local_firewood", occurred_on=DAY, recorded_by="a")
    with pytest.raises(RetiredLocalCodeError) as refused:
        resolve(book, "request_category", "local_firewood", "category")
    assert refused.value.field == "category"
    assert "αποσυρθεί" in refused.value.message  # told in Greek first
    assert book.entry("request_category", "local_firewood", "code").label_el == "Καυσόξυλα"
    with pytest.raises(InvalidTransitionError):
        book.retire(kind="request_category", code="local_firewood", occurred_on=DAY, recorded_by="a")


def test_an_unknown_local_code_or_one_of_another_kind_is_refused_naming_the_field() -> None:
    book = new_catalogue()
    add(book)
    for kind, code in (("request_category", "local_other"), ("agency", "local_firewood"), ("agency", "nonsense")):
        with pytest.raises(UnknownLocalCodeError) as refused:
            resolve(book, kind, code, "destination")
        assert refused.value.field == "destination"


def test_a_relabelled_entry_keeps_its_code_and_mapping() -> None:
    book = new_catalogue()
    add(book)
    book.relabel(
        kind="request_category",
        code="local_firewood",
        label_el="Ξύλα",
        label_en="Wood",
        occurred_on=DAY,
        recorded_by="a",
    )
    entry = book.entry("request_category", "local_firewood", "code")
    assert (entry.label_el, entry.national, entry.code) == ("Ξύλα", "food_aid_teba", "local_firewood")


def test_the_command_schema_still_documents_the_national_values_and_the_local_pattern() -> None:
    schema = c.OpenRequestFields.model_json_schema()
    options = schema["properties"]["category"]["anyOf"]
    assert [o["enum"] for o in options if "enum" in o] == [[member.value for member in RequestCategory]]
    assert any(o.get("pattern", "").startswith("^local_") for o in options)
    with pytest.raises(ValidationError):
        c.OpenRequestFields.model_validate(
            {"beneficiary_id": str(UUID(int=1)), "category": "firewood", "structure": "centre", "occurred_on": DAY}
        )


# ---------------------------------------------------------------------- the service
@dataclass
class Service:
    kentra: Kentra
    tenant: Tenant
    other: Tenant

    def casework(self, tenant: Tenant | None = None) -> Casework:
        return self.kentra.casework((tenant or self.tenant).id)


@pytest.fixture
def service(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Service]:
    tenants, tenant = isolated_registry(real_registry)
    tenants, other = isolated_registry(tenants)
    vault = InMemoryVault()

    kentra = in_memory_kentra(tmp_path, tenants, vault)
    kentra.provision(tenant.id)
    kentra.provision(other.id)
    yield Service(kentra, tenant, other)
    kentra.close()


def coordinator(tenant: Tenant) -> Principal:
    return Principal("a.coordinator", Role.COORDINATOR, frozenset({tenant.id}))


def add_firewood(service: Service, tenant: Tenant | None = None, **fields: Any) -> None:
    body = c.LocalEntryFields(
        **{
            "kind": "request_category",
            "code": "local_firewood",
            "label_el": "Καυσόξυλα",
            "label_en": "Firewood",
            "national": "food_aid_teba",
            **fields,
        }
    )
    catalogue.manage(service.casework(tenant), coordinator(tenant or service.tenant), body, "add_local_entry")


def test_a_request_in_a_local_category_keeps_the_national_code_and_the_local_one_beside_it(service: Service) -> None:
    add_firewood(service)
    person = service.casework().execute(intake()).entry_id
    request = service.casework().execute(open_request(person, category="local_firewood")).entry_id
    state = service.casework().describe(request)["state"]
    assert (state["category"], state["local_category"]) == ("food_aid_teba", "local_firewood")


def test_what_the_region_receives_of_a_local_request_is_its_national_code_only(service: Service) -> None:
    add_firewood(service)
    person = service.casework().execute(intake()).entry_id
    service.casework().execute(open_request(person, category="local_firewood"))
    sent = [
        envelope(service.tenant, i, e, lambda u: u, lambda _: None) for i, e in enumerate(read_log(service.casework()))
    ]
    published = [m for m in sent if m is not None]
    assert not any("local_" in str(m) for m in published)
    assert [m["body"]["category"] for m in published if m["event_type"] == "CaseRequest.Opened"] == ["food_aid_teba"]


def test_another_tenants_local_code_is_refused_in_this_tenant(service: Service) -> None:
    add_firewood(service, service.other)
    person = service.casework().execute(intake()).entry_id
    with pytest.raises(UnknownLocalCodeError) as refused:
        service.casework().execute(open_request(person, category="local_firewood"))
    assert refused.value.field == "category"


def test_a_retired_category_takes_no_new_request_and_its_old_requests_keep_it(service: Service) -> None:
    add_firewood(service)
    person = service.casework().execute(intake()).entry_id
    old = service.casework().execute(open_request(person, category="local_firewood")).entry_id
    ref = c.LocalEntryRef(kind="request_category", code="local_firewood")
    catalogue.manage(service.casework(), coordinator(service.tenant), ref, "retire_local_entry")
    with pytest.raises(RetiredLocalCodeError):
        service.casework().execute(open_request(person, category="local_firewood"))
    assert service.casework().describe(old)["state"]["local_category"] == "local_firewood"
    listed = catalogue.local_entries(service.casework(), coordinator(service.tenant))
    assert [(e.code, e.active) for e in listed] == [("local_firewood", False)]


def test_amending_a_request_into_a_local_category_and_back_keeps_the_pair_consistent(service: Service) -> None:
    add_firewood(service)
    person = service.casework().execute(intake()).entry_id
    request = service.casework().execute(open_request(person)).entry_id

    def amend(category: str) -> dict[str, Any]:
        service.casework().execute(
            command(command="amend_entry", entry_id=str(request), changes={"category": category}, reason="typing_error")
        )
        state: dict[str, Any] = service.casework().describe(request)["state"]
        return {k: state[k] for k in ("category", "local_category")}

    assert amend("local_firewood") == {"category": "food_aid_teba", "local_category": "local_firewood"}
    assert amend("gmi") == {"category": "gmi", "local_category": None}


def test_a_caller_cannot_set_the_local_field_of_a_record_directly(service: Service) -> None:
    person = service.casework().execute(intake()).entry_id
    request = service.casework().execute(open_request(person)).entry_id
    with pytest.raises(InvalidValueError):
        service.casework().execute(
            command(
                command="amend_entry",
                entry_id=str(request),
                changes={"local_category": "local_x"},
                reason="typing_error",
            )
        )


@pytest.mark.parametrize(
    "who",
    [
        Principal("m.georgiou", Role.CASEWORKER, frozenset({"T"}), structure="centre"),
        Principal("r.analyst", Role.REGIONAL_ANALYST, region="thessaly"),
        Principal("e.auditor", Role.AUDITOR, frozenset({"T"}), personal_data=True),
        Principal("x.coordinator", Role.COORDINATOR, frozenset({"another"})),
    ],
)
def test_only_a_coordinator_of_the_tenant_adds_to_its_catalogue(service: Service, who: Principal) -> None:
    if who.tenants == frozenset({"T"}):
        who = Principal(who.username, who.role, frozenset({service.tenant.id}), who.structure, who.region, True)
    body = c.LocalEntryFields(kind="agency", code="local_ngo", label_el="Α", label_en="A", national="ngo")
    with pytest.raises(AccessDeniedError):
        catalogue.manage(service.casework(), who, body, "add_local_entry")
    assert catalogue.local_entries(service.casework(), coordinator(service.tenant)) == []


def test_local_entries_of_each_kind_take_records_of_that_kind(service: Service) -> None:
    add_firewood(service, kind="agency", code="local_church", national="ngo")
    add_firewood(service, kind="visit_purpose", code="local_heating", national="living_conditions")
    add_firewood(service, kind="activity_kind", code="local_choir", national="community_event")
    person = service.casework().execute(intake()).entry_id
    to_the_church: dict[str, Any] = {
        "command": "send_referral",
        "beneficiary_id": str(person),
        "destination": "local_church",
        "structure": "centre",
        "occurred_on": "2024-05-03",
    }
    with pytest.raises(ConsentRequiredError):  # a local NGO is an NGO: sharing with it needs consent
        service.casework().execute(command(**to_the_church))
    referral = service.casework().execute(command(**to_the_church, consent={"given_as": "signed_form"}))
    visit = service.casework().execute(
        command(
            command="record_home_visit",
            beneficiary_id=str(person),
            purpose="local_heating",
            structure="centre",
            occurred_on="2024-05-03",
        )
    )
    activity = service.casework().execute(
        command(
            command="record_activity",
            kind="local_choir",
            event_type="social",
            structure="centre",
            occurred_on="2024-05-03",
            participants=12,
        )
    )
    states = [service.casework().describe(o.entry_id)["state"] for o in (referral, visit, activity)]
    assert [(s["destination"], s["local_destination"]) for s in states[:1]] == [("ngo", "local_church")]
    assert (states[1]["purpose"], states[1]["local_purpose"]) == ("living_conditions", "local_heating")
    assert (states[2]["kind"], states[2]["local_kind"]) == ("community_event", "local_choir")


def test_after_an_erasure_the_request_keeps_its_local_category_and_nothing_more_is_recorded_in_it(
    service: Service,
) -> None:
    add_firewood(service)
    person = service.casework().execute(intake()).entry_id
    request = service.casework().execute(open_request(person, category="local_firewood", notes="Ζει μόνη")).entry_id
    service.kentra.erase(service.tenant.id, person, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    state = service.casework().describe(request, reveal=True)["state"]
    assert (state["category"], state["local_category"]) == ("food_aid_teba", "local_firewood")  # no personal data
    with pytest.raises(InvalidTransitionError):  # the erased person takes no new record, local or not
        service.casework().execute(open_request(person, category="local_firewood"))
