"""Attacks on issue 24's recording and import paths on PostgreSQL: copied batches and live commands
written at once keep commit order the order of the notification ids (a reader of the log never sees
a gap later filled), and the same command sent twice at once from two threads records once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.errors import BeneficiaryErasedError, DomainError, DuplicateBeneficiaryError
from domain.identifiers import make_amka
from domain.tenants import TenantRegistry
from infra.bootstrap import bootstrap
from infra.pg_copy import COPY_FROM
from infra.stores import PostgresStorage
from services.casework import Casework, read_log
from services.idempotency import entry_id_for
from tests.conftest import Clock, StoreUnderTest, command, intake, isolated_registry, make_settings, service_url

pytestmark = pytest.mark.integration


@pytest.fixture
def pg(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[StoreUnderTest]:
    settings = make_settings("postgres", tmp_path)
    registry, tenant = isolated_registry(real_registry)
    clock = Clock()
    kentra = bootstrap(settings, registry=registry, today=clock)
    kentra.provision(tenant.id)
    yield StoreUnderTest("postgres", kentra, tenant, clock, settings)
    kentra.close()


def _events(count: int) -> list[StoredEvent]:
    return [StoredEvent(uuid4(), 1, "tests.attack:Made", f"state {n}".encode()) for n in range(count)]


def test_copied_batches_and_live_writes_at_once_never_show_a_reader_a_gap_filled_later(pg: StoreUnderTest) -> None:
    recorder = pg.casework.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    storage = pg.kentra.storage(pg.tenant.id)
    assert isinstance(storage, PostgresStorage)
    table = f'"{storage.schema}".casework_events'
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(size: int, rounds: int) -> None:
        try:
            for _ in range(rounds):
                recorder.insert_events(_events(size))
        except BaseException as error:  # reported below
            errors.append(error)

    filled_later: list[tuple[int, int]] = []

    def read() -> None:
        seen: set[int] = set()
        high = 0
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL"), autocommit=True) as conn:
            while not stop.is_set():
                ids = {int(row[0]) for row in conn.execute(f"SELECT notification_id FROM {table}")}
                late = sorted(i for i in ids - seen if i <= high)
                if late:
                    filled_later.append((late[0], high))
                seen, high = ids, max(ids, default=0)

    writers = [threading.Thread(target=write, args=(COPY_FROM * 3, 6)) for _ in range(2)]
    writers += [threading.Thread(target=write, args=(2, 40)) for _ in range(2)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(120)
    stop.set()
    reader.join(30)
    assert not errors
    assert not filled_later  # an id below one already seen appeared afterwards: commit order != id order
    total = 2 * 6 * COPY_FROM * 3 + 2 * 40 * 2
    assert len(recorder.select_notifications(start=1, limit=total + 10)) == total


def test_the_same_command_sent_twice_at_once_from_two_threads_records_once(pg: StoreUnderTest) -> None:
    first, second = pg.casework, pg.fresh_casework()
    same = intake()
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def send(casework: Any) -> None:
        barrier.wait()
        try:
            outcomes.append(casework.execute(same))
        except BaseException as error:
            outcomes.append(error)

    threads = [threading.Thread(target=send, args=(app,)) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(not isinstance(outcome, BaseException) for outcome in outcomes), outcomes
    assert len({outcome.entry_id for outcome in outcomes}) == 1
    registered = [e for e in read_log(first) if e.originator_id == outcomes[0].entry_id]
    assert len(registered) == 1


def test_an_activity_moved_to_an_erased_person_by_another_process_is_refused_despite_a_stale_hint(
    pg: StoreUnderTest,
) -> None:
    here = pg.casework
    first = here.execute(intake(personal__amka=make_amka(date(1979, 3, 4), 1))).entry_id
    second = here.execute(intake(personal__amka=make_amka(date(1979, 3, 4), 2))).entry_id
    session = here.execute(
        command(
            command="record_activity",
            kind="counselling_session",
            structure="centre",
            occurred_on="2024-05-02",
            beneficiary_ids=[str(first)],
        )
    ).entry_id

    def amend(changes: dict[str, Any]) -> Any:
        return command(command="amend_entry", entry_id=str(session), reason="typing_error", changes=changes)

    here.execute(amend({"occurred_on": "2024-05-03"}))
    assert here._subjects.get(session) == first  # the hint: the session is the first person's
    there = pg.fresh_casework()  # another process moves it to the second person, who is then erased
    there.execute(amend({"beneficiary_ids": [str(second)]}))
    pg.kentra.erase(pg.tenant.id, second, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    assert here._subjects.get(session) == first  # still stale here
    with pytest.raises(BeneficiaryErasedError):
        here.execute(amend({"occurred_on": "2024-05-04"}))


def test_an_intake_that_loses_a_race_to_the_same_command_leaves_the_winners_amka_claim(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg = store  # both stores
    amka = make_amka(date(1979, 3, 4), 7)
    same = intake(personal__amka=amka)
    here, there = pg.casework, pg.fresh_casework()
    loads = here._prefetch

    def the_other_process_records_it_meanwhile(*args: Any) -> None:
        loads(*args)  # read: not recorded yet
        there.execute(same)

    monkeypatch.setattr(here, "_prefetch", the_other_process_records_it_meanwhile)
    outcome = here.execute(same)  # conflicts on save, then replays the other's
    monkeypatch.undo()
    assert outcome.replayed
    assert here.find_by_amka(amka) == outcome.entry_id  # the person is still found by ΑΜΚΑ
    with pytest.raises(DuplicateBeneficiaryError):  # and a second intake of the same ΑΜΚΑ is refused
        here.execute(intake(personal__amka=amka, personal__last_name="Άλλη"))


def test_an_import_batch_one_of_whose_intakes_another_writer_recorded_meanwhile_records_each_once(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    born = date(1961, 2, 3)
    amkas = [make_amka(born, n) for n in range(1, 41)]
    batch = [intake(personal__amka=amka, personal__last_name=f"Εισαγωγή{n}") for n, amka in enumerate(amkas)]
    here, there = store.casework, store.fresh_casework()
    loads = here._prefetch

    def the_other_writer_records_one_meanwhile(*args: Any) -> None:
        loads(*args)
        there.execute(batch[17])

    monkeypatch.setattr(here, "_prefetch", the_other_writer_records_one_meanwhile)
    results = here.execute_many(batch)  # its save (COPY on PostgreSQL) conflicts: then one at a time
    monkeypatch.undo()
    assert all(not isinstance(result, Exception) for result in results), results
    assert [result.replayed for result in results if not isinstance(result, Exception)].count(True) == 1
    found = here.find_many_by_amka(amkas)
    assert [found[amka] for amka in amkas] == [
        result.entry_id for result in results if not isinstance(result, Exception)
    ]
    people = [e.originator_id for e in read_log(here) if type(e).__qualname__ == "Beneficiary.Registered"]
    assert len(people) == len(set(people)) == 40


def test_two_intakes_of_one_amka_by_different_commands_at_once_record_one_person(pg: StoreUnderTest) -> None:
    """The ΑΜΚΑ claim is written in each intake's own transaction (issue 24): the second writer's claim
    waits for the first's commit, then finds it held, so exactly one person is registered and the other
    caseworker is told the ΑΜΚΑ is someone's; whoever wins, the claim is the recorded person's."""
    amka = make_amka(date(1977, 2, 3), 7373)
    writers = [pg.casework, pg.fresh_casework()]  # two processes
    start = threading.Barrier(len(writers))
    outcomes: list[Any] = []

    def register(casework: Any) -> None:
        start.wait()
        try:
            outcomes.append(casework.execute(intake(personal__amka=amka)))
        except DuplicateBeneficiaryError as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=register, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    recorded = [o for o in outcomes if not isinstance(o, DuplicateBeneficiaryError)]
    assert len(outcomes) == 2
    assert len(recorded) == 1
    assert pg.fresh_casework().find_by_amka(amka) == recorded[0].entry_id
    people = {e.originator_id for e in read_log(pg.casework) if type(e).__qualname__ == "Beneficiary.Registered"}
    assert people == {recorded[0].entry_id}


def test_two_batches_whose_amka_claims_cross_keep_every_claim_a_recorded_persons_and_may_be_sent_again(
    pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claims are held until their command's transaction commits (issue 24). Batch A registers ΑΜΚΑ x and
    moves P to y; batch B registers y and moves Q to x, both past their first claim at once: each then
    waits for the other's claim, and PostgreSQL ends one (deadlock detected, the store's
    OperationalError: the API's retryable 503). Whatever ends which: a batch that failed keeps nothing
    (no key, no claim, no event), every command that succeeded holds its ΑΜΚΑ, and a failed batch
    sent again is answered, not failed."""
    day = date(1985, 11, 12)
    p, q = (pg.casework.execute(intake(personal__amka=make_amka(day, n))).entry_id for n in (1, 2))
    x, y = make_amka(day, 3), make_amka(day, 4)

    def moved(entry: Any, amka: str) -> Any:
        return command(
            command="amend_entry",
            entry_id=str(entry),
            reason="typing_error",
            personal={"amka": amka},
            amka_date_mismatch_confirmed=True,
        )

    batches = {"A": [intake(personal__amka=x), moved(p, y)], "B": [intake(personal__amka=y), moved(q, x)]}
    holders = {"A": ([x, y], p), "B": ([y, x], q)}  # the ΑΜΚΑ of its intake and of its amendment; who moved
    writers = {"A": pg.casework, "B": pg.fresh_casework()}  # two processes
    both_claimed = threading.Barrier(2, timeout=60)
    prefetch = Casework._prefetch

    def claimed_then_wait(self: Casework, work: Any, batch: Any) -> None:
        prefetch(self, work, batch)  # the batch's intake claims its ΑΜΚΑ, in its transaction
        both_claimed.wait()

    monkeypatch.setattr(Casework, "_prefetch", claimed_then_wait)
    outcomes: dict[str, Any] = {}

    def record(name: str) -> None:
        try:
            outcomes[name] = writers[name].execute_many(batches[name])
        except persistence.OperationalError as error:
            outcomes[name] = error

    threads = [threading.Thread(target=record, args=(name,)) for name in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    monkeypatch.undo()
    assert len(outcomes) == 2
    schema = pg.kentra.storage(pg.tenant.id)
    assert isinstance(schema, PostgresStorage)
    logged = {e.originator_id for e in read_log(pg.casework)}
    reader = pg.fresh_casework()
    for name, outcome in outcomes.items():
        new = entry_id_for(pg.tenant.id, batches[name][0].command_id)
        (registered, taken), person = holders[name]
        if isinstance(outcome, persistence.OperationalError):  # ended whole: nothing of it kept
            assert new not in logged
            with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) as conn:
                for table, column in (("vault_subject_keys", "subject_id"), ("vault_lookup", "owner_id")):
                    row = conn.execute(
                        f'SELECT count(*) FROM "{schema.schema}".{table} WHERE {column} = %s', (new,)
                    ).fetchone()
                    assert row == (0,), table
            again = writers[name].execute_many(batches[name])  # sent again: answered
            assert len(again) == 2
            continue
        intake_result, amendment = outcome
        if not isinstance(intake_result, DomainError):
            assert reader.find_by_amka(registered) == new
        if not isinstance(amendment, DomainError):
            assert reader.find_by_amka(taken) == person
    assert any(isinstance(outcome, list) for outcome in outcomes.values())
