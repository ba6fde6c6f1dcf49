"""A local category in the Region's figures (issue 23): a request recorded in a municipality's own
category is published through real Kafka with its national code only, rolled up by the Region's
consumer, and counted there under that national code; no local code reaches the topic or the
Region's store, while the municipality's own view keeps it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest
from kafka import KafkaConsumer, TopicPartition
from pydantic import SecretStr
from sqlalchemy import select

from domain.identifiers import make_amka
from gateways.kafka.consumer import RollupConsumer
from gateways.kafka.gateway import Gateway, KafkaSink
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from projections.queries import indicators
from projections.tables import case_index
from services import casework_catalogue as catalogue
from services import commands as c
from services.access import Principal, Role
from tests.conftest import TEST_MASTER_KEY, Clock, intake, open_request, service_url
from tests.fleet import tenants_file

pytestmark = pytest.mark.integration
TODAY = date(2024, 6, 28)
PERIOD = (date(2024, 3, 4), date(2024, 6, 28))


class Municipality:
    """A fresh municipality with its own topic, its Region's store, and a local category."""

    def __init__(self) -> None:
        self.servers = service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS")
        data = Path(tempfile.mkdtemp(prefix="kentra-catalogue-"))
        self.tenant_id = f"cat-{uuid4().hex[:10]}"
        self.topic = f"kentra.events.test.{uuid4().hex[:8]}"
        settings = Settings(
            data_dir=data,
            master_key=SecretStr(TEST_MASTER_KEY),
            tenants_file=tenants_file(data, [self.tenant_id]),
            kafka_bootstrap_servers=self.servers,
            kafka_topic=self.topic,
        )
        self.kentra: Kentra = bootstrap(settings, today=Clock(TODAY))
        self.kentra.provision(self.tenant_id)
        self.kentra.provision_rollup(self.tenant_id)
        coordinator = Principal("e.papadaki", Role.COORDINATOR, frozenset({self.tenant_id}))
        body = c.LocalEntryFields(
            kind="request_category",
            code="local_firewood",
            label_el="Καυσόξυλα χειμώνα",
            label_en="Winter firewood",
            national="food_aid_teba",
        )
        catalogue.manage(self.kentra.casework(self.tenant_id), coordinator, body, "add_local_entry")

    def publish_and_roll_up(self) -> list[str]:
        """Every message the gateway sent, as text; the Region's consumer has applied them all."""
        sink = KafkaSink(self.servers, topic=self.topic)
        Gateway(self.kentra, sink).catch_up(self.tenant_id)
        sink.close()
        consumer = KafkaConsumer(
            bootstrap_servers=self.servers, auto_offset_reset="earliest", consumer_timeout_ms=5000, group_id=None
        )
        consumer.assign([TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic) or []])
        consumer.seek_to_beginning()
        sent = [record.value.decode() for record in consumer]
        consumer.close()
        rollup = RollupConsumer(self.kentra, self.servers, group=f"g-{uuid4().hex[:8]}", topic=self.topic)
        idle = 0
        while idle < 3:
            idle = 0 if rollup.poll_once(timeout_ms=1500) else idle + 1
        rollup.close()
        return sent


@pytest.fixture
def municipality() -> Iterator[Municipality]:
    made = Municipality()
    yield made
    made.kentra.close()


def test_a_request_in_a_local_category_is_counted_by_the_region_under_its_national_code(
    municipality: Municipality,
) -> None:
    casework = municipality.kentra.casework(municipality.tenant_id)
    first = casework.execute(intake(personal__amka=make_amka(date(1979, 3, 4), 101))).entry_id
    second = casework.execute(intake(personal__amka=make_amka(date(1980, 5, 6), 102))).entry_id
    casework.execute(open_request(first, category="local_firewood"))
    casework.execute(open_request(second, category="food_aid_teba"))
    casework.execute(open_request(second, category="gmi"))

    sent = municipality.publish_and_roll_up()

    assert not any("local_" in message for message in sent)  # the municipality's own vocabulary stays home
    assert not any("Καυσόξυλα" in message for message in sent)
    categories = [
        json.loads(m)["body"].get("category") for m in sent if json.loads(m)["event_type"] == "CaseRequest.Opened"
    ]
    assert sorted(categories) == ["food_aid_teba", "food_aid_teba", "gmi"]
    municipality.kentra.views(municipality.tenant_id).catch_up()
    with (
        municipality.kentra.views(municipality.tenant_id).engine.connect() as own,
        municipality.kentra.regional(municipality.tenant_id).engine.connect() as regional,
    ):
        region = indicators(regional, *PERIOD, None)
        mine = indicators(own, *PERIOD, None)
        local_in_region = regional.execute(select(case_index.c.local_subtype).where(case_index.c.kind == "request"))
        local_at_home = own.execute(select(case_index.c.local_subtype).where(case_index.c.kind == "request"))
        assert {row[0] for row in local_in_region} == {None}
        assert sorted(str(row[0]) for row in local_at_home) == ["None", "None", "local_firewood"]
    assert region["requests"]["by_category"] == [
        {"category": "food_aid_teba", "total": 2},
        {"category": "gmi", "total": 1},
    ]
    assert region["requests"] == mine["requests"]  # comparable: the same figures as the municipality's own
