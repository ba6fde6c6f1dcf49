"""The batch reader behind the ``StoredEvents`` port: each store's SQL reads what the generic one does."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from pydantic import SecretStr

from infra.bootstrap import bootstrap
from infra.settings import DEFAULT_TENANTS_FILE, Settings
from infra.stored_events import SqliteStoredEvents
from infra.tenant_registry import load_registry
from services.stored import EachStoredEvents
from tests.conftest import TEST_MASTER_KEY, Clock, command, intake, isolated_registry


def test_the_sqlite_store_reads_many_entries_in_one_query_as_one_by_one_would(tmp_path: Path) -> None:
    registry, tenant = isolated_registry(load_registry(DEFAULT_TENANTS_FILE))
    kentra = bootstrap(
        Settings(data_dir=tmp_path, master_key=SecretStr(TEST_MASTER_KEY)), registry=registry, today=Clock()
    )
    try:
        kentra.provision(tenant.id)
        casework = kentra.casework(tenant.id)
        person = casework.execute(intake()).entry_id
        request = casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(person),
                category="gmi",
                structure="centre",
                occurred_on="2024-05-02",
            )
        ).entry_id
        wanted = [request, person, UUID(int=7), person]  # an unknown id and a repeated one too
        assert isinstance(casework.stored_events, SqliteStoredEvents)  # the store chose its own reader
        batched = casework.stored_events.stored_events_of(wanted)
        assert batched == EachStoredEvents(casework.recorder).stored_events_of(wanted)
        assert set(batched) == {person, request}
    finally:
        kentra.close()
