"""Every reader of the log goes on past a row it cannot decode (issue 17, finding 1).

The row is forged as the attacker could: one INSERT with the tenant's own PostgreSQL role, or by
whoever holds the SQLite file, whose state is not JSON. ``audit verify`` reports it as forged (see
test_audit_chain.py); the auditor's replay and drill-down, the gateway and ``read_log`` skip it and
read the genuine events before and after it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.clock import athens_today
from domain.identifiers import make_amka
from gateways.kafka.gateway import Gateway
from projections.replay import replay
from projections.restatement import drilldown
from services.casework import read_log
from tests.conftest import StoreUnderTest, command, intake
from tests.integration.test_audit_chain import history, insert_with_version

GMI = "requests/category:gmi/total"


class Capture:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        self.sent.extend(envelopes)


def forge_then_work(store: StoreUnderTest) -> int:
    """A row that does not decode, then a genuine person and request after it; the forged row's position."""
    position = insert_with_version(store, 1, b"not what Kentra writes")
    person = store.casework.execute(intake(personal__amka=make_amka(date(1970, 1, 1), 70))).entry_id
    store.casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(person),
            category="gmi",
            structure="centre",
            occurred_on="2024-05-03",
        )
    )
    return position


def gmi_requests(store: StoreUnderTest) -> tuple[int, int]:
    """The drill-down of the GMI requests cell from a fresh replay: its figure and its entries."""
    replayed = replay(store.casework, store.casework.vault, athens_today() + timedelta(days=1))
    try:
        with replayed.basis("occurred").connect() as conn:
            found = drilldown(
                conn,
                GMI,
                date(2024, 1, 1),
                date(2024, 12, 31),
                structure=None,
                name=lambda entry, _person: str(entry),
            )
        return int(found["value"]), len(found["entries"])
    finally:
        replayed.close()


def test_the_auditors_replay_and_drilldown_go_on_past_a_row_they_cannot_decode(store: StoreUnderTest) -> None:
    history(store)
    value, entries = gmi_requests(store)
    forge_then_work(store)
    assert gmi_requests(store) == (value + 1, entries + 1)  # the genuine request after the forged row counts


def test_the_gateway_goes_on_past_a_row_it_cannot_decode(store: StoreUnderTest) -> None:
    history(store)
    sink = Capture()
    gateway = Gateway(store.kentra, sink)
    gateway.catch_up(store.tenant.id)
    before = len(sink.sent)
    position = forge_then_work(store)
    assert gateway.catch_up(store.tenant.id) > 0
    head = store.casework.recorder.max_notification_id()
    assert head is not None
    assert gateway.position(store.tenant.id) == head > position  # past the forged row, to the head
    assert len(sink.sent) > before  # the genuine work after it was published


def test_read_log_goes_on_past_a_row_it_cannot_decode(store: StoreUnderTest) -> None:
    history(store)
    before = len(list(read_log(store.casework)))
    forge_then_work(store)
    after = list(read_log(store.casework))
    assert len(after) == before + 4  # intake and request, each with its command record; not the forged row
