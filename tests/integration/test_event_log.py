"""The tenant event log: the same behaviour on the embedded SQLite store and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.errors import (
    CommandIdReusedError,
    ConcurrentChangeError,
    DateInFutureError,
    DuplicateBeneficiaryError,
    EntryNotFoundError,
    InvalidValueError,
    UnknownStructureError,
)
from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from infra.settings import DEFAULT_TENANTS_FILE
from infra.stores import PostgresStorage, SqliteStorage
from infra.tenant_registry import load_registry
from services.casework import BatchRefusedError, Casework, read_log
from services.idempotency import entry_id_for
from tests.conftest import (
    Clock,
    StoreUnderTest,
    command,
    intake,
    isolated_registry,
    make_settings,
    open_request,
    service_url,
)


def events_in(casework: Casework) -> int:
    return sum(1 for _ in read_log(casework))


def test_an_intake_is_recorded_and_read_back_with_its_profile(store: StoreUnderTest) -> None:
    outcome = store.casework.execute(intake())
    state = store.casework.describe(outcome.entry_id, reveal=True)["state"]
    assert state["profile"]["age_at_entry"] == 45
    assert state["profile"]["gender"] == "female"
    assert state["sealed"]["personal"]["last_name"] == "Τσιουρβαλή"
    assert state["sealed"]["special"] == {"disability": "yes", "minority": "refused", "other_disadvantage": "no"}
    assert store.casework.describe(outcome.entry_id)["state"]["sealed"] == "[sealed]"


def test_a_retry_with_the_same_command_id_returns_the_first_result_and_records_nothing(store: StoreUnderTest) -> None:
    first = store.casework.execute(intake("retry-0001"))
    before = events_in(store.casework)
    again = store.fresh_casework().execute(intake("retry-0001"))
    assert (again.entry_id, again.version, again.replayed) == (first.entry_id, first.version, True)
    assert events_in(store.casework) == before


def test_a_command_id_reused_for_other_content_is_refused(store: StoreUnderTest) -> None:
    store.casework.execute(intake("reuse-0001"))
    with pytest.raises(CommandIdReusedError):
        store.casework.execute(intake("reuse-0001", occurred_on="2024-05-03"))


def test_the_same_person_is_not_registered_twice_and_is_found_by_amka(store: StoreUnderTest) -> None:
    first = store.casework.execute(intake())
    with pytest.raises(DuplicateBeneficiaryError) as refused:
        store.fresh_casework().execute(intake(personal__first_name="Ευανθούλα"))
    assert refused.value.existing_id == first.entry_id
    assert store.casework.find_by_amka(make_amka(date(1979, 3, 4), 4242)) == first.entry_id
    assert store.casework.find_by_amka(make_amka(date(1979, 3, 4), 4243)) is None


def test_a_voided_registration_frees_the_amka_for_a_correct_one(store: StoreUnderTest) -> None:
    wrong = store.casework.execute(intake())
    store.casework.execute(command(command="void_entry", entry_id=str(wrong.entry_id), reason="wrong_person"))
    right = store.casework.execute(intake())
    assert store.casework.find_by_amka(make_amka(date(1979, 3, 4), 4242)) == right.entry_id


def test_a_batch_registers_an_amka_once_and_leaves_no_claim_for_an_intake_it_refused(store: StoreUnderTest) -> None:
    other = make_amka(date(1980, 1, 2), 77)
    first, twice, refused = store.casework.execute_many(
        [
            intake("batch-0001"),
            intake("batch-0002", personal__first_name="Ευανθούλα"),  # the same ΑΜΚΑ, in the same batch
            intake("batch-0003", occurred_on="2031-01-01", personal__amka=other),  # refused: a future date
        ]
    )
    assert isinstance(twice, DuplicateBeneficiaryError)
    assert twice.existing_id == first.entry_id  # type: ignore[union-attr]
    assert isinstance(refused, DateInFutureError)
    vault = store.casework.vault
    assert vault.lookup("amka", vault.blind_index("amka", other)) is None
    assert store.casework.execute(intake(personal__amka=other)).replayed is False


def test_a_batch_answers_as_its_commands_would_one_by_one(store: StoreUnderTest) -> None:
    known = store.casework.execute(intake("known-0001"))
    results = store.fresh_casework().execute_many(
        [
            intake("known-0001"),  # recorded before: answered from its record
            open_request(known.entry_id),
            intake("new-0001", personal__amka=make_amka(date(1980, 1, 2), 79)),
            command(  # about the person registered just above, in this same batch
                command="record_home_visit",
                beneficiary_id=str(entry_id_for(store.tenant.id, "new-0001")),
                purpose="living_conditions",
                structure="centre",
                occurred_on="2024-05-03",
            ),
            open_request(UUID(int=7)),  # nobody
        ]
    )
    replay, request, registered, visit, unknown = results
    assert (replay.entry_id, replay.replayed) == (known.entry_id, True)  # type: ignore[union-attr]
    assert store.casework.entry(request.entry_id).beneficiary_id == known.entry_id  # type: ignore[union-attr,attr-defined]
    assert store.casework.entry(visit.entry_id).beneficiary_id == registered.entry_id  # type: ignore[union-attr,attr-defined]
    assert isinstance(unknown, EntryNotFoundError)


def test_a_request_goes_through_its_lifecycle_and_keeps_every_step(store: StoreUnderTest) -> None:
    person = store.casework.execute(intake()).entry_id
    request = store.casework.execute(open_request(person, agency="opeka")).entry_id
    store.casework.execute(
        command(
            command="record_agency_status",
            request_id=str(request),
            agency="opeka",
            reference="ΟΠΕΚΑ/2024/55555",
            status="submitted",
            occurred_on="2024-05-03",
        )
    )
    store.casework.execute(
        command(command="resolve_request", request_id=str(request), occurred_on="2024-05-20", notes="Εγκρίθηκε το ΕΕΕ")
    )
    history = store.casework.history(request)
    assert [h["event"] for h in history] == [
        "CaseRequest.Opened",
        "CaseRequest.AgencyStatusRecorded",
        "CaseRequest.Closed",
    ]
    assert history[1]["attributes"]["reference"] == "ΟΠΕΚΑ/2024/55555"
    assert history[2]["attributes"]["status"] == "resolved"
    assert all(h["recorded_at"] and h["attributes"]["recorded_by"] and h["attributes"]["structure"] for h in history)


def test_a_correction_moves_the_entry_and_both_stay_in_history(store: StoreUnderTest) -> None:
    person = store.casework.execute(intake()).entry_id
    request = store.casework.execute(open_request(person)).entry_id
    store.casework.execute(
        command(
            command="amend_entry",
            entry_id=str(request),
            reason="typing_error",
            changes={"category": "housing_benefit"},
            reason_note="λάθος επιλογή",
        )
    )
    assert store.casework.entry(request).category == "housing_benefit"  # type: ignore[attr-defined]
    events = [h["event"] for h in store.casework.history(request)]
    assert events == ["CaseRequest.Opened", "CaseEntry.Amended"]


def test_a_correction_naming_an_unknown_category_is_refused_naming_the_field(store: StoreUnderTest) -> None:
    person = store.casework.execute(intake()).entry_id
    request = store.casework.execute(open_request(person)).entry_id
    with pytest.raises(InvalidValueError) as refused:
        store.casework.execute(
            command(
                command="amend_entry", entry_id=str(request), reason="typing_error", changes={"category": "lottery"}
            )
        )
    assert refused.value.field == "changes.category"


def test_bad_input_is_refused_with_the_field_named_and_nothing_recorded(store: StoreUnderTest) -> None:
    person = store.casework.execute(intake()).entry_id
    before = events_in(store.casework)
    with pytest.raises(DateInFutureError):
        store.casework.execute(open_request(person, occurred_on="2024-07-01"))
    with pytest.raises(UnknownStructureError):
        store.casework.execute(open_request(person, structure="mobile-unit"))
    with pytest.raises(EntryNotFoundError):
        store.casework.execute(open_request(UUID(int=7)))
    assert events_in(store.casework) == before


def test_an_all_or_nothing_batch_with_one_refusal_records_nothing(store: StoreUnderTest) -> None:
    person = store.casework.execute(intake()).entry_id
    before = events_in(store.casework)
    with pytest.raises(BatchRefusedError):
        store.casework.execute_many([open_request(person), open_request(person, occurred_on="2031-01-01")], atomic=True)
    assert events_in(store.casework) == before


def test_a_stale_expected_version_is_refused_as_a_conflict(store: StoreUnderTest) -> None:
    person = store.casework.execute(intake()).entry_id
    request = store.casework.execute(open_request(person))
    store.casework.execute(
        command(
            command="start_request_progress",
            request_id=str(request.entry_id),
            occurred_on="2024-05-03",
            expected_version=1,
        )
    )
    with pytest.raises(ConcurrentChangeError):
        store.casework.execute(
            command(
                command="resolve_request",
                request_id=str(request.entry_id),
                occurred_on="2024-05-04",
                expected_version=1,
            )
        )


def test_two_writers_on_one_entry_one_wins_and_the_other_gets_a_conflict(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = store.casework.execute(intake()).entry_id
    request = store.casework.execute(open_request(person)).entry_id
    first, second = store.fresh_casework(), store.fresh_casework()
    loads = second._prefetch

    def the_first_commits_while_the_second_holds_version_1(*args: Any) -> None:
        loads(*args)  # the second writer loads the request at version 1 ...
        first.execute(command(command="resolve_request", request_id=str(request), occurred_on="2024-05-04"))

    monkeypatch.setattr(second, "_prefetch", the_first_commits_while_the_second_holds_version_1)
    with pytest.raises(ConcurrentChangeError):  # ... and acts on it after the first committed version 2
        second.execute(command(command="withdraw_request", request_id=str(request), occurred_on="2024-05-04"))
    monkeypatch.undo()
    assert store.casework.entry(request).status == "resolved"  # type: ignore[attr-defined]
    assert [h["event"] for h in store.casework.history(request)] == ["CaseRequest.Opened", "CaseRequest.Closed"]


def test_names_and_amka_never_reach_the_stores_in_clear(store: StoreUnderTest) -> None:
    store.casework.execute(intake())
    amka = make_amka(date(1979, 3, 4), 4242)
    needles = ["Τσιουρβαλή".encode(), amka.encode(), b"6912345678", "Καραϊσκάκη".encode()]
    if store.kind == "sqlite":
        storage = store.kentra.storage(store.tenant.id)
        assert isinstance(storage, SqliteStorage)
        haystack = b"".join(p.read_bytes() for p in storage.directory.iterdir())
        assert len(haystack) > 10_000
    else:
        schema = store.tenant.storage_name
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) as conn:
            rows = conn.execute(f"SELECT convert_from(state, 'UTF8') FROM {schema}.casework_events").fetchall()
            rows += conn.execute(f"SELECT encode(wrapped_key, 'hex') FROM {schema}.vault_subject_keys").fetchall()
            rows += conn.execute(f"SELECT blind_index FROM {schema}.vault_lookup").fetchall()
        haystack = "\n".join(str(r[0]) for r in rows).encode()
        assert b"age_at_entry" in haystack  # the search does see the events
    for needle in needles:
        assert needle not in haystack


def test_the_application_cannot_update_or_delete_events(store: StoreUnderTest) -> None:
    store.casework.execute(intake())
    if store.kind == "sqlite":
        storage = store.kentra.storage(store.tenant.id)
        assert isinstance(storage, SqliteStorage)
        with sqlite3.connect(storage.events_file) as conn:
            with pytest.raises(sqlite3.IntegrityError, match="immutable"):
                conn.execute("UPDATE stored_events SET topic = 'x'")
            with pytest.raises(sqlite3.IntegrityError, match="immutable"):
                conn.execute("DELETE FROM stored_events")
        return
    table = f"{store.tenant.storage_name}.casework_events"
    storage = store.kentra.storage(store.tenant.id)
    assert isinstance(storage, PostgresStorage)
    with storage.tenant_connection(autocommit=True) as conn:  # the role the application uses
        assert conn.execute("SELECT current_user").fetchone() == (storage.role,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="immutable"):
            conn.execute(f"UPDATE {table} SET topic = 'x'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(f"DELETE FROM {table}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"TRUNCATE {table}")
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 2  # type: ignore[index]


@pytest.mark.integration
def test_the_database_refuses_a_tenants_role_every_other_tenants_tables(tmp_path: Path) -> None:
    """Defence in depth: even a service-layer bug could not read or write another tenant's data."""
    settings = make_settings("postgres", tmp_path)
    registry, first = isolated_registry(load_registry(DEFAULT_TENANTS_FILE))
    registry, second = isolated_registry(registry)
    kentra = bootstrap(settings, registry=registry, today=Clock())
    try:
        kentra.provision_platform()
        for tenant in (first, second):
            kentra.provision(tenant.id)
        kentra.casework(second.id).execute(intake())
        mine, theirs = kentra.storage(first.id), kentra.storage(second.id)
        assert isinstance(mine, PostgresStorage)
        assert isinstance(theirs, PostgresStorage)
        with mine.tenant_connection(autocommit=True) as conn:
            for table in ("casework_events", "vault_subject_keys", "vault_lookup", "view_case_index"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema"):
                    conn.execute(f"SELECT count(*) FROM {theirs.schema}.{table}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"INSERT INTO {theirs.schema}.vault_lookup VALUES ('amka', 'x', gen_random_uuid(), now())")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT count(*) FROM kentra_platform.kentra_users")
            assert conn.execute(f"SELECT count(*) FROM {mine.schema}.casework_events").fetchone() == (0,)
    finally:
        kentra.close()
