"""What leaves a municipality: envelopes that fit the topic's schema, hold no personal value, and
build regional figures equal to the municipality's own."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import SecretStr
from sqlalchemy import func, select, update

from demo.history import DemoHistory
from demo.names import STAFF
from domain.identifiers import make_amka
from gateways.kafka.gateway import POSITION, DirectSink, Gateway
from infra.bootstrap import Kentra, bootstrap
from infra.settings import DEFAULT_TENANTS_FILE, Settings
from infra.tenant_registry import load_registry
from projections.queries import indicators
from projections.tables import positions, rollup_events
from services.casework import read_log
from tests.conftest import TEST_MASTER_KEY, Clock, command, intake

SCHEMA = json.loads((Path(__file__).parents[2] / "gateways/kafka/kentra.events.v1.schema.json").read_text())
TODAY = date(2025, 6, 1)


class Capture:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        self.sent.extend(envelopes)


def platform_with_history(data: Path) -> tuple[Kentra, str]:
    """A copy of Tyrnavos under a fresh id, its demo history, and a correction or two of each kind."""
    real = load_registry(DEFAULT_TENANTS_FILE)
    tenant = real.tenant("tyrnavos").model_copy(update={"id": f"test-{data.name[-10:].lower().replace('_', '')}"})
    registry = real.model_copy(update={"tenants": (*real.tenants, tenant)})
    kentra = bootstrap(
        Settings(data_dir=data, master_key=SecretStr(TEST_MASTER_KEY)), registry=registry, today=Clock(TODAY)
    )
    kentra.provision(tenant.id)
    casework = kentra.casework(tenant.id)
    for start in range(0, 10_000, 500):
        commands = list(DemoHistory(tenant, TODAY).commands())[start : start + 500]
        if not commands:
            break
        casework.execute_many(commands)
    person = casework.execute(
        intake(
            personal__amka=make_amka(date(1960, 1, 2), 77),
            structure="centre",
            personal__notes="Ζει με τη μητέρα της, χωρίς θέρμανση",
        )
    ).entry_id
    request = casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(person),
            category="gmi",
            structure="centre",
            occurred_on="2024-05-06",
        )
    ).entry_id
    casework.execute(
        command(
            command="amend_entry",
            entry_id=str(person),
            reason="new_information",
            changes={"profile": {"employment_status": "employed"}},
            special={"disability": "refused"},
            reason_note="Διορθώθηκε από την κ. Ευανθία",
        )
    )
    casework.execute(
        command(
            command="amend_entry", entry_id=str(request), reason="typing_error", changes={"category": "housing_benefit"}
        )
    )
    casework.execute(command(command="void_entry", entry_id=str(request), reason="duplicate_entry"))
    return kentra, tenant.id


@pytest.fixture(scope="module")
def history() -> Any:
    kentra, tenant_id = platform_with_history(Path(tempfile.mkdtemp(prefix="kentra-regional-")))
    yield kentra, tenant_id
    kentra.close()


def forget_gateway_position(kentra: Kentra, tenant_id: str) -> None:
    with kentra.views(tenant_id).engine.begin() as conn:
        conn.execute(update(positions).where(positions.c.view == POSITION).values(position=0))


# A consent's purpose, agency and how it was given are national codes, sealed with the consent (issue 23):
# the agency is the code a referral to it publishes as its destination, which says nothing of a person.
CODES_SEALED = frozenset({"purpose", "agency", "given_as"})


def personal_values(kentra: Kentra, tenant_id: str) -> set[str]:
    """Every personal value and every raw id the history holds."""
    casework = kentra.casework(tenant_id)
    values: set[str] = set(STAFF)
    for event in read_log(casework):
        values.add(str(event.originator_id))
        for name, value in vars(event).items():
            if name.startswith("sealed") and value:
                opened = casework.vault.unseal(value) or {}
                for key, part in opened.items():
                    if key in CODES_SEALED:
                        continue
                    if isinstance(part, dict):
                        values.update(
                            str(v)
                            for k, v in part.items()
                            if k != "birth_date" and v and k not in ("disability", "minority", "other_disadvantage")
                        )
                    elif isinstance(part, str):
                        values.add(part)
    return {v for v in values if len(v) >= 4}


def first_registration_published(kentra: Kentra, tenant_id: str) -> dict[str, Any]:
    """The envelope of the first intake, as the gateway publishes it from the start of the log."""
    forget_gateway_position(kentra, tenant_id)
    capture = Capture()
    Gateway(kentra, capture, batch=50).publish(tenant_id)
    return next(i for i in capture.sent if i["event_type"] == "Beneficiary.Registered")


def test_every_published_event_fits_the_schema_and_no_personal_value_leaves(history: Any) -> None:
    kentra, tenant_id = history
    forget_gateway_position(kentra, tenant_id)
    capture = Capture()
    Gateway(kentra, capture).catch_up(tenant_id)
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    for item in capture.sent:
        validator.validate(item)
    published = {item["event_type"] for item in capture.sent}
    assert published == set(SCHEMA["properties"]["event_type"]["enum"])  # every type was seen and checked
    text = json.dumps(capture.sent, ensure_ascii=False)
    secrets = personal_values(kentra, tenant_id)
    assert len(secrets) > 1000
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []


def test_a_message_with_a_personal_field_does_not_fit_the_schema(history: Any) -> None:
    kentra, tenant_id = history
    registered = first_registration_published(kentra, tenant_id)
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    tampered = {**registered, "body": {**registered["body"], "last_name": "Παπαδοπούλου"}}
    assert not validator.is_valid(tampered)


def test_a_municipalitys_regional_figures_equal_its_own_even_when_replayed(history: Any) -> None:
    kentra, tenant_id = history
    forget_gateway_position(kentra, tenant_id)
    gateway = Gateway(kentra, DirectSink(kentra))
    gateway.catch_up(tenant_id)
    kentra.views(tenant_id).catch_up()
    periods = [(date(2024, 3, 4), date(2025, 3, 3)), (date(2024, 5, 1), date(2024, 5, 31))]

    def both() -> list[tuple[dict[str, Any], dict[str, Any]]]:
        pairs = []
        for start, end in periods:
            with kentra.views(tenant_id).engine.connect() as own, kentra.regional(tenant_id).engine.connect() as reg:
                pairs.append((indicators(own, start, end, None), indicators(reg, start, end, None)))
        return pairs

    first = both()
    for own, regional in first:
        assert regional == own
    assert first[0][0]["requests"]["total"] > 900
    forget_gateway_position(kentra, tenant_id)  # the gateway forgets and publishes everything again
    assert gateway.catch_up(tenant_id) > 0
    assert both() == first  # duplicates are harmless downstream
    assert kentra.regional(tenant_id).lag()["events"] > 0


def test_pseudonyms_are_stable_per_municipality_and_differ_between_them() -> None:
    registry = load_registry(DEFAULT_TENANTS_FILE)
    kentra = bootstrap(
        Settings(data_dir=Path(tempfile.mkdtemp()), master_key=SecretStr(TEST_MASTER_KEY)), registry=registry
    )
    person = UUID(int=42)
    sofades, karditsa = kentra.keys(registry.tenant("sofades")), kentra.keys(registry.tenant("karditsa"))
    assert sofades.pseudonym(person) == sofades.pseudonym(person) != karditsa.pseudonym(person)
    assert sofades.pseudonym(person) != person


def test_an_envelope_delivered_twice_in_one_batch_counts_once(history: Any) -> None:
    kentra, tenant_id = history
    registered = first_registration_published(kentra, tenant_id)
    redelivered = {**registered, "event_id": str(uuid4())}  # an envelope this store has not seen
    rollup = kentra.regional(tenant_id)

    def applied() -> int:
        with rollup.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(rollup_events)).scalar_one())

    before = applied()
    assert rollup.apply([redelivered, redelivered]) == 1
    assert applied() == before + 1
    assert rollup.apply([redelivered]) == 0
