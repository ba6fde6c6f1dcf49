"""A Region's distinct count of people: links (keyed hashes of the ΑΜΚΑ under the Region's linkage key)
published by its municipalities, kept by its roll-up, counted once across them."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from domain.identifiers import make_amka
from domain.tenants import TenantRegistry
from gateways.kafka.gateway import DirectSink, Gateway
from infra.bootstrap import Kentra, bootstrap
from projections.queries import MixedLinkKeysError, distinct_people, indicators, served_links
from projections.tables import region_links
from tests.conftest import Clock, command, intake, make_settings

SCHEMA = json.loads((Path(__file__).parents[2] / "gateways/kafka/kentra.events.v1.schema.json").read_text())
MAY = (date(2024, 5, 1), date(2024, 5, 31))
BIRTH = date(1979, 3, 4)  # the intake's birth date: these ΑΜΚΑ match it


def amka(serial: int) -> str:
    return make_amka(BIRTH, serial)


def write_key(directory: Path, region: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{region}.key").write_text(base64.b64encode(os.urandom(32)).decode() + "\n")


class Capture:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        self.sent.extend(envelopes)


@dataclass
class Region:
    """Copies of Sofades and Karditsa (Thessaly) and of Pylaia-Chortiatis (Central Macedonia), fresh ids."""

    kind: str
    kentra: Kentra
    sofades: str
    karditsa: str
    pylaia: str
    keys: Path

    def register(self, tenant_id: str, amka_value: str | None) -> UUID:
        """A person registered (served on 2 May 2024) and given a request in May."""
        casework = self.kentra.casework(tenant_id)
        person = casework.execute(intake(personal__amka=amka_value)).entry_id
        casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(person),
                category="gmi",
                structure="centre",
                occurred_on="2024-05-06",
            )
        )
        return person

    def deliver(self, *tenant_ids: str) -> None:
        """Each municipality's gateway to its Region's roll-up, in process (no Kafka)."""
        gateway = Gateway(self.kentra, DirectSink(self.kentra))
        for tenant_id in tenant_ids:
            gateway.catch_up(tenant_id)

    def links(self, tenant_id: str) -> set[str]:
        with self.kentra.regional(tenant_id).engine.connect() as conn:
            return served_links(conn, *MAY)

    def served_total(self, tenant_id: str) -> int:
        with self.kentra.regional(tenant_id).engine.connect() as conn:
            total: int = indicators(conn, *MAY, None)["beneficiaries_served"]["period"]["total"]
        return total

    def stored_links(self, tenant_id: str) -> dict[UUID, str]:
        with self.kentra.regional(tenant_id).engine.connect() as conn:
            return dict(conn.execute(select(region_links.c.beneficiary_id, region_links.c.link)).all())

    def pseudonym(self, tenant_id: str, person: UUID) -> UUID:
        return self.kentra.keys(self.kentra.registry.tenant(tenant_id)).pseudonym(person)


def region_registry(real: TenantRegistry) -> tuple[TenantRegistry, list[str]]:
    suffix = uuid4().hex[:10]
    copies = [
        real.tenant(source).model_copy(update={"id": f"test-{source[:4]}-{suffix}"})
        for source in ("sofades", "karditsa", "pylaia-chortiatis")
    ]
    return real.model_copy(update={"tenants": (*real.tenants, *copies)}), [t.id for t in copies]


def make_region(kind: str, tmp_path: Path, real: TenantRegistry, regions_with_keys: tuple[str, ...]) -> Region:
    keys = tmp_path / "region-links"
    keys.mkdir(parents=True)
    for region in regions_with_keys:
        write_key(keys, region)
    settings = make_settings(kind, tmp_path).model_copy(update={"region_link_keys": keys})
    registry, (sofades, karditsa, pylaia) = region_registry(real)
    kentra = bootstrap(settings, registry=registry, today=Clock())
    for tenant_id in (sofades, karditsa, pylaia):
        kentra.provision(tenant_id)
        kentra.provision_rollup(tenant_id)
    return Region(kind, kentra, sofades, karditsa, pylaia, keys)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def region(request: pytest.FixtureRequest, tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Region]:
    made = make_region(request.param, tmp_path, real_registry, ("thessaly", "central-macedonia"))
    yield made
    made.kentra.close()


def test_a_person_served_in_two_municipalities_counts_once_in_the_distinct_figure_and_twice_in_the_sum(
    region: Region,
) -> None:
    region.register(region.sofades, amka(1))  # the same person in both
    region.register(region.karditsa, amka(1))
    region.register(region.sofades, amka(2))  # two different people
    region.register(region.karditsa, amka(3))
    region.register(region.sofades, None)  # no ΑΜΚΑ, in each: two people as far as anyone can tell
    region.register(region.karditsa, None)
    region.deliver(region.sofades, region.karditsa)

    sofades, karditsa = region.links(region.sofades), region.links(region.karditsa)
    assert len(sofades) == region.served_total(region.sofades) == 3  # the same people _served counts
    assert len(karditsa) == region.served_total(region.karditsa) == 3
    assert region.served_total(region.sofades) + region.served_total(region.karditsa) == 6  # the ESF sum
    assert distinct_people(sofades | karditsa) == 5
    assert len(sofades & karditsa) == 1  # the one served in both; the people without ΑΜΚΑ stay apart
    assert sum(item.startswith("local:") for item in sofades | karditsa) == 2


def test_an_erased_persons_link_leaves_the_regional_store_and_they_count_as_themselves(region: Region) -> None:
    her = region.register(region.sofades, amka(1))
    region.register(region.karditsa, amka(1))
    region.deliver(region.sofades, region.karditsa)
    assert region.pseudonym(region.sofades, her) in region.stored_links(region.sofades)

    region.kentra.erase(region.sofades, her, reason="asked", legal_ground="test: a ground", erased_by="coord")
    region.deliver(region.sofades)

    assert region.pseudonym(region.sofades, her) not in region.stored_links(region.sofades)
    assert region.links(region.sofades) == {f"local:{region.pseudonym(region.sofades, her)}"}
    assert region.served_total(region.sofades) == 1  # the figures stay as they were
    assert distinct_people(region.links(region.sofades) | region.links(region.karditsa)) == 2


def test_correcting_an_amka_replaces_the_persons_link(region: Region) -> None:
    region.register(region.sofades, amka(1))
    mistyped = region.register(region.karditsa, amka(9))
    region.deliver(region.sofades, region.karditsa)
    assert distinct_people(region.links(region.sofades) | region.links(region.karditsa)) == 2

    region.kentra.casework(region.karditsa).execute(
        command(command="amend_entry", entry_id=str(mistyped), reason="typing_error", personal={"amka": amka(1)})
    )
    region.deliver(region.karditsa)

    assert distinct_people(region.links(region.sofades) | region.links(region.karditsa)) == 1
    assert len(region.stored_links(region.karditsa)) == 1


def test_removing_a_wrongly_entered_amka_removes_the_link(region: Region) -> None:
    region.register(region.sofades, amka(1))
    wrong = region.register(region.karditsa, amka(1))  # someone else's ΑΜΚΑ, typed by mistake
    region.deliver(region.sofades, region.karditsa)
    assert distinct_people(region.links(region.sofades) | region.links(region.karditsa)) == 1

    region.kentra.casework(region.karditsa).execute(
        command(command="amend_entry", entry_id=str(wrong), reason="typing_error", personal={"amka": None})
    )
    region.deliver(region.karditsa)

    assert region.stored_links(region.karditsa) == {}
    assert distinct_people(region.links(region.sofades) | region.links(region.karditsa)) == 2


def test_a_link_is_a_keyed_hash_the_same_within_a_region_and_different_between_regions(region: Region) -> None:
    value = amka(1)
    people = {tenant_id: region.register(tenant_id, value) for tenant_id in (region.sofades, region.karditsa)}
    region.register(region.pylaia, value)
    region.kentra.casework(region.sofades).execute(
        command(
            command="amend_entry",
            entry_id=str(people[region.sofades]),
            reason="new_information",
            personal={"phone": "6998765432"},
        )
    )
    capture = Capture()
    gateway = Gateway(region.kentra, capture)
    for tenant_id in (region.sofades, region.karditsa, region.pylaia):
        gateway.catch_up(tenant_id)

    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    for item in capture.sent:
        validator.validate(item)
    links = {
        item["tenant"]: item["body"]["link"] for item in capture.sent if item["event_type"] == "Beneficiary.Registered"
    }
    amended = [item["body"]["link"] for item in capture.sent if item["event_type"] == "CaseEntry.Amended"]
    assert links[region.sofades] == links[region.karditsa] == amended[0]  # Thessaly's key, the same person
    assert links[region.pylaia]["value"] != links[region.sofades]["value"]  # Central Macedonia's key
    assert links[region.pylaia]["kid"] != links[region.sofades]["kid"]
    assert value not in json.dumps(capture.sent)
    assert all(value not in link["value"] and value[:6] not in link["value"] for link in links.values())


def test_a_region_without_a_linkage_key_gets_no_links_and_the_gateway_goes_on(
    tmp_path: Path, real_registry: TenantRegistry
) -> None:
    region = make_region("sqlite", tmp_path, real_registry, ("thessaly",))  # no key for Central Macedonia
    try:
        person = region.register(region.pylaia, amka(1))
        region.register(region.sofades, amka(1))
        capture = Capture()
        Gateway(region.kentra, capture).catch_up(region.pylaia)
        registered = next(i for i in capture.sent if i["event_type"] == "Beneficiary.Registered")
        assert registered["body"]["link"] is None
        region.kentra.regional(region.pylaia).apply(capture.sent)
        region.deliver(region.sofades)
        assert region.links(region.pylaia) == {f"local:{region.pseudonym(region.pylaia, person)}"}
        assert len(region.stored_links(region.sofades)) == 1
    finally:
        region.kentra.close()


def test_links_under_two_keys_are_refused_when_counted(region: Region) -> None:
    region.register(region.sofades, amka(1))
    region.deliver(region.sofades)
    write_key(region.keys, "thessaly")  # rotated; Karditsa's store gets links under the new key
    rotated = bootstrap(region.kentra.settings, registry=region.kentra.registry, today=Clock())
    try:
        rotated.casework(region.karditsa).execute(intake(personal__amka=amka(1)))
        Gateway(rotated, DirectSink(rotated)).catch_up(region.karditsa)
        with rotated.regional(region.karditsa).engine.connect() as conn:
            karditsa = served_links(conn, *MAY)
    finally:
        rotated.close()
    union = region.links(region.sofades) | karditsa
    assert len(union) == 2  # the same person, under two keys: not recognised as one
    with pytest.raises(MixedLinkKeysError) as refused:
        distinct_people(union)
    assert len(refused.value.kids) == 2


# Who a municipality registers: ΑΜΚΑ serials from a small pool (unique within it), people without one,
# and which of them are then voided (their contacts count for nothing).
MUNICIPALITY = st.tuples(
    st.sets(st.integers(0, 5), max_size=5), st.integers(0, 2), st.sets(st.integers(0, 6), max_size=2)
)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sofades=MUNICIPALITY, karditsa=MUNICIPALITY)
def test_the_distinct_count_is_the_number_of_distinct_people_served(
    sofades: tuple[set[int], int, set[int]], karditsa: tuple[set[int], int, set[int]], real_registry: TenantRegistry
) -> None:
    region = make_region("sqlite", Path(tempfile.mkdtemp(prefix="kentra-links-")), real_registry, ("thessaly",))
    try:
        people: set[object] = set()  # the expected distinct people: an ΑΜΚΑ, or a person of no ΑΜΚΑ
        served: list[object] = []  # the same, once per municipality that served them
        for tenant_id, (serials, without, voided) in ((region.sofades, sofades), (region.karditsa, karditsa)):
            casework = region.kentra.casework(tenant_id)
            registered: list[tuple[int | None, UUID]] = [
                (serial, region.register(tenant_id, amka(serial))) for serial in sorted(serials)
            ]
            registered += [(None, region.register(tenant_id, None)) for _ in range(without)]
            for index, (serial, person) in enumerate(registered):
                if index in voided:
                    casework.execute(command(command="void_entry", entry_id=str(person), reason="duplicate_entry"))
                else:
                    served.append(serial if serial is not None else person)
                    people.add(served[-1])
        region.deliver(region.sofades, region.karditsa)
        union = region.links(region.sofades) | region.links(region.karditsa)
        assert distinct_people(union) == len(people)
        assert region.served_total(region.sofades) + region.served_total(region.karditsa) == len(served)
    finally:
        region.kentra.close()
