"""What an import's batches write at once (issue 24): many events by one COPY on PostgreSQL, and the
vault's keys, ΑΜΚΑ claims and name indexes by one statement each, with the guarantees the row-by-row
writes had: all of a batch or none of it, the notification ids in the order given, a claim to its
first holder only, and no key ever made for someone erased."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from sqlalchemy import func, select

from domain.errors import BeneficiaryErasedError
from domain.identifiers import make_amka
from infra.pg_copy import COPY_FROM
from infra.vault import SqlVault
from infra.vault_tables import lookup, name_index, subject_keys
from services.casework import Outcome
from tests.conftest import StoreUnderTest, intake


def _intakes(count: int) -> list[Any]:
    born = date(1961, 2, 3)
    return [
        intake(
            f"bulk-{uuid4()}",
            personal__last_name=f"Μαζική{n}",
            personal__birth_date=(born + timedelta(days=n)).isoformat(),
            personal__amka=make_amka(born + timedelta(days=n), n),
        )
        for n in range(count)
    ]


def _vault(store: StoreUnderTest) -> SqlVault:
    vault = store.casework.vault
    assert isinstance(vault, SqlVault)
    return vault


def _count(vault: SqlVault, table: Any, **where: Any) -> int:
    with vault._engine.connect() as conn:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(conn.execute(query).scalar_one())


def test_a_batch_of_intakes_records_each_person_readable_and_found_by_amka_and_name(store: StoreUnderTest) -> None:
    commands = _intakes(COPY_FROM)  # two events each: over the COPY's threshold on PostgreSQL
    before = store.casework.recorder.max_notification_id() or 0
    results = store.casework.execute_many(commands)
    assert all(isinstance(result, Outcome) and not result.replayed for result in results)
    head = store.casework.recorder.max_notification_id() or 0
    assert head - before == 2 * len(commands)
    vault = _vault(store)
    for command, result in zip(commands, results, strict=True):
        assert isinstance(result, Outcome)
        state = store.casework.describe(result.entry_id, reveal=True)["state"]
        assert state["sealed"]["personal"]["last_name"] == command.personal.last_name
        assert store.casework.find_by_amka(command.personal.amka) == result.entry_id
        assert store.casework.search_by_name(command.personal.last_name) == [result.entry_id]
        assert _count(vault, subject_keys, subject_id=result.entry_id) == 1
    # Run again: every command is found recorded, and nothing more is written anywhere.
    rows = _count(vault, name_index), _count(vault, lookup), _count(vault, subject_keys)
    again = store.casework.execute_many(commands)
    assert all(isinstance(result, Outcome) and result.replayed for result in again)
    assert (store.casework.recorder.max_notification_id() or 0) == head
    assert (_count(vault, name_index), _count(vault, lookup), _count(vault, subject_keys)) == rows


def _postgres_recorder(store: StoreUnderTest) -> PostgresApplicationRecorder:
    if store.kind != "postgres":
        pytest.skip("COPY is PostgreSQL's; SQLite saves a batch in one transaction of its own")
    recorder = store.casework.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    return recorder


def _events(count: int) -> list[StoredEvent]:
    return [StoredEvent(uuid4(), 1, "tests.bulk:Made", f"state {n}".encode()) for n in range(count)]


def test_a_large_batch_is_copied_and_its_notification_ids_follow_the_order_given(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _postgres_recorder(store)

    def library_insert(*_: object, **__: object) -> None:
        raise AssertionError("a batch this large goes by COPY, not the library's INSERT")

    monkeypatch.setattr(PostgresApplicationRecorder, "_insert_stored_events", library_insert)
    events = _events(COPY_FROM)
    ids = recorder.insert_events(events)
    assert ids is not None
    assert ids == sorted(ids)
    assert len(set(ids)) == len(events)
    stored = recorder.select_notifications(start=ids[0], limit=len(ids))
    assert [(n.id, n.originator_id, n.state) for n in stored] == [
        (i, e.originator_id, e.state) for i, e in zip(ids, events, strict=True)
    ]
    with pytest.raises(AssertionError, match="COPY"):  # a small batch (a live command) is the library's
        recorder.insert_events(_events(2))


def test_a_copied_batch_holding_one_version_already_stored_writes_none_of_it(store: StoreUnderTest) -> None:
    recorder = _postgres_recorder(store)
    taken = _events(1)
    recorder.insert_events(taken)
    head = recorder.max_notification_id()
    events = [*_events(COPY_FROM), StoredEvent(taken[0].originator_id, 1, "tests.bulk:Made", b"again")]
    with pytest.raises(IntegrityError):
        recorder.insert_events(events)
    assert recorder.max_notification_id() == head
    assert all(not recorder.select_events(event.originator_id) for event in events[:-1])
    assert [e.state for e in recorder.select_events(taken[0].originator_id)] == [taken[0].state]


def test_claims_made_together_go_to_their_first_claimant_and_name_the_holder_of_the_others(
    store: StoreUnderTest,
) -> None:
    vault = _vault(store)
    held_before = {vault.blind_index("amka", f"held-{n}"): uuid4() for n in range(3)}
    assert vault.claim_many("amka", held_before) == held_before
    wanted = {index: uuid4() for index in held_before} | {
        vault.blind_index("amka", f"new-{n}"): uuid4() for n in range(5)
    }
    held = vault.claim_many("amka", wanted)
    assert held == {index: held_before.get(index, owner) for index, owner in wanted.items()}
    assert vault.lookup_many("amka", wanted) == held


def test_name_indexes_written_twice_in_one_batch_are_kept_once(store: StoreUnderTest) -> None:
    vault = _vault(store)
    owner, index = uuid4(), vault.blind_index("name", f"ΔΙΠΛΗ {uuid4()}")
    with vault.batch():
        for _ in range(3):
            vault.add_to_index(index, owner)
    with vault.batch():
        vault.add_to_index(index, owner)
    assert vault.indexed(index) == [owner]
    assert _count(vault, name_index, blind_index=index) == 1


def test_the_new_keys_of_a_batch_are_refused_together_when_one_person_was_erased_meanwhile(
    store: StoreUnderTest,
) -> None:
    vault = _vault(store)
    kept, erased = uuid4(), uuid4()

    def sealed_then_erased() -> None:
        with vault.batch():
            vault.seal(kept, {"last_name": "Πρώτη"})
            vault.seal(erased, {"last_name": "Δεύτερη"})
            vault.forget(erased)  # an erasure between the sealing and the batch's end

    with pytest.raises(BeneficiaryErasedError):
        sealed_then_erased()
    assert _count(vault, subject_keys, subject_id=kept) == 0
    assert _count(vault, subject_keys, subject_id=erased) == 0
    assert vault.is_erased(erased)


def test_a_person_recorded_in_a_large_batch_is_erased_with_every_vault_row_of_theirs_and_no_one_elses(
    store: StoreUnderTest,
) -> None:
    commands = _intakes(COPY_FROM)
    results = store.casework.execute_many(commands)
    erased, kept = results[0], results[1]
    assert isinstance(erased, Outcome)
    assert isinstance(kept, Outcome)
    vault = _vault(store)
    assert _count(vault, name_index, owner_id=erased.entry_id) > 0
    store.kentra.erase(store.tenant.id, erased.entry_id, reason="asked", legal_ground="Art. 17(1)(a)", erased_by="dpo")
    for table in (subject_keys, lookup, name_index):
        owner = "subject_id" if table is subject_keys else "owner_id"
        assert _count(vault, table, **{owner: erased.entry_id}) == 0
    assert store.casework.find_by_amka(commands[0].personal.amka) is None
    assert store.casework.describe(erased.entry_id, reveal=True)["state"]["sealed"] == "[erased]"
    assert store.casework.find_by_amka(commands[1].personal.amka) == kept.entry_id
    assert store.casework.search_by_name(commands[1].personal.last_name) == [kept.entry_id]
