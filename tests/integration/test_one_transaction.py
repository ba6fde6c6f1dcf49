"""Issue 24: on PostgreSQL a command's reads and its write go in one transaction on one connection,
and every guarantee of the separate transactions before stays: the table lock that keeps commit
order the order of the notification ids, a conflict recorded nowhere, a connection given back to
the pool with no transaction and no tenant's role left on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing import persistence

from domain.errors import ConcurrentChangeError
from domain.identifiers import make_amka
from domain.tenants import TenantRegistry
from infra.bootstrap import bootstrap
from infra.pg_copy import COPY_FROM, CopyingRecorder
from infra.stores import PostgresStorage
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

pytestmark = pytest.mark.integration


@pytest.fixture
def pg(tmp_path: Path, real_registry: TenantRegistry, monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreUnderTest]:
    monkeypatch.setenv("PGAPPNAME", f"kentra-test-{uuid4().hex[:10]}")  # this process's connections, by name
    settings = make_settings("postgres", tmp_path)
    registry, tenant = isolated_registry(real_registry)
    clock = Clock()
    kentra = bootstrap(settings, registry=registry, today=clock)
    kentra.provision(tenant.id)
    yield StoreUnderTest("postgres", kentra, tenant, clock, settings)
    kentra.close()


def storage(pg: StoreUnderTest) -> PostgresStorage:
    found = pg.kentra.storage(pg.tenant.id)
    assert isinstance(found, PostgresStorage)
    return found


def requests(pg: StoreUnderTest) -> int:
    """How many connections the process's event store pool has lent so far."""
    pools = pg.kentra.pools()
    assert pools is not None
    return int(pools.events_pool().get_stats().get("requests_num", 0))


def events_of(casework: Casework, entry_id: UUID) -> list[str]:
    return [type(event).__qualname__ for event in read_log(casework) if event.originator_id == entry_id]


def each_pooled_connection_is_idle_as_the_login_role(pg: StoreUnderTest) -> None:
    pools = pg.kentra.pools()
    assert pools is not None
    events = pools.events_pool()
    held = [events.getconn() for _ in range(events.max_size)]  # every connection the pool may lend
    try:
        for conn in held:
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.execute("SELECT current_user").fetchone() == {"current_user": pools.login_role}
    finally:
        for conn in held:
            events.putconn(conn)


def test_a_command_reads_and_writes_through_one_connection(pg: StoreUnderTest) -> None:
    casework = pg.casework
    person = casework.execute(intake()).entry_id
    request = casework.execute(open_request(person)).entry_id
    before = requests(pg)
    casework.execute(command(command="start_request_progress", request_id=str(request), occurred_on="2024-05-03"))
    # Its command record looked for, the request and its person read, the events written: one connection
    # (each read and the write took one of their own before issue 24).
    assert requests(pg) - before == 1
    assert events_of(casework, request) == ["CaseRequest.Opened", "CaseRequest.ProgressStarted"]
    each_pooled_connection_is_idle_as_the_login_role(pg)


def test_a_write_takes_the_tables_lock_so_commits_keep_the_order_of_notification_ids(pg: StoreUnderTest) -> None:
    casework = pg.casework
    person = casework.execute(intake()).entry_id
    schema = storage(pg).schema
    done: list[Any] = []
    owner = service_url("KENTRA_TEST_DATABASE_OWNER_URL")
    with psycopg.connect(owner) as holder:
        # An insert's own lock (ROW EXCLUSIVE) passes this one; the library's EXCLUSIVE lock waits for it.
        holder.execute(f'LOCK TABLE "{schema}".casework_events IN ROW EXCLUSIVE MODE')
        writer = threading.Thread(target=lambda: done.append(casework.execute(open_request(person))))
        writer.start()
        deadline = time.monotonic() + 30
        with psycopg.connect(owner, autocommit=True) as look:
            while time.monotonic() < deadline:
                waiting = look.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE NOT l.granted AND l.mode = 'ExclusiveLock' AND c.relname = 'casework_events' "
                    "AND c.relnamespace = %s::regnamespace",
                    (schema,),
                ).fetchone()
                if waiting and waiting[0]:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the write never asked for the table's EXCLUSIVE lock")
        assert not done  # it waits, uncommitted, until the lock is free
    writer.join(30)
    assert done
    assert events_of(casework, done[0].entry_id) == ["CaseRequest.Opened"]


def test_a_write_that_conflicts_records_nothing_and_gives_its_connection_back_clean(
    pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = pg.casework.execute(intake()).entry_id
    request = pg.casework.execute(open_request(person)).entry_id
    other = pg.fresh_casework()  # another process
    second = pg.casework
    loads = second._prefetch

    def another_process_commits_version_2_meanwhile(*args: Any) -> None:
        loads(*args)  # read inside the transaction, at version 1
        other.execute(command(command="resolve_request", request_id=str(request), occurred_on="2024-05-04"))

    monkeypatch.setattr(second, "_prefetch", another_process_commits_version_2_meanwhile)
    withdraw = command(command="withdraw_request", request_id=str(request), occurred_on="2024-05-04")
    with pytest.raises(ConcurrentChangeError):
        second.execute(withdraw)
    monkeypatch.undo()
    assert events_of(second, request) == ["CaseRequest.Opened", "CaseRequest.Closed"]
    assert second.already_recorded(withdraw) is None  # its command record went with its events
    each_pooled_connection_is_idle_as_the_login_role(pg)
    second.execute(
        command(command="reopen_request", request_id=str(request), occurred_on="2024-05-05", reason="Νέα στοιχεία")
    )
    assert events_of(second, request)[-1] == "CaseRequest.Reopened"


def test_an_error_between_the_read_and_the_write_rolls_back_and_leaves_the_pool_clean(
    pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    casework = pg.casework
    person = casework.execute(intake()).entry_id
    loads = casework._prefetch

    def fails_after_reading(*args: Any) -> None:
        loads(*args)
        raise RuntimeError("a fault after the read")

    monkeypatch.setattr(casework, "_prefetch", fails_after_reading)
    opening = open_request(person)
    with pytest.raises(RuntimeError):
        casework.execute(opening)
    monkeypatch.undo()
    assert casework.already_recorded(opening) is None
    each_pooled_connection_is_idle_as_the_login_role(pg)
    assert casework.execute(opening).replayed is False  # the same command records now, once
    assert casework.execute(opening).replayed is True


def vault_rows_of(pg: StoreUnderTest, subject: UUID) -> dict[str, int]:
    """The vault's rows naming this subject: its key, its claims, its name indexes."""
    schema = storage(pg).schema
    counts = {}
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) as conn:
        for table, column in (
            ("vault_subject_keys", "subject_id"),
            ("vault_lookup", "owner_id"),
            ("vault_name_index", "owner_id"),
        ):
            row = conn.execute(f'SELECT count(*) FROM "{schema}".{table} WHERE {column} = %s', (subject,)).fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def an_intake_whose_save_fails(pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch, amka: str) -> UUID:
    """An intake of ``amka`` whose events' insert fails (the connection drops): the entry it named."""
    recorder = pg.casework.recorder
    insert = recorder.insert_events

    def the_connection_drops_at_the_insert(*args: Any, **kwargs: Any) -> Any:
        raise persistence.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(recorder, "insert_events", the_connection_drops_at_the_insert)
    first = intake(personal__amka=amka)
    with pytest.raises(persistence.OperationalError):
        pg.casework.execute(first)
    monkeypatch.setattr(recorder, "insert_events", insert)
    return entry_id_for(pg.tenant.id, first.command_id)


def test_an_intake_whose_events_fail_to_save_leaves_no_key_claim_or_name_index(
    pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The person's key, ΑΜΚΑ claim and name indexes commit with the intake's events (issue 24): a save
    that fails after them (the connection lost, a lock timeout) leaves none, so the same ΑΜΚΑ is
    registered by the next intake (a new command from the page) instead of refused as someone's who
    was never recorded. Before, the vault's writes were committed on their own first."""
    casework = pg.casework
    amka = make_amka(date(1981, 6, 7), 5151)
    never_recorded = an_intake_whose_save_fails(pg, monkeypatch, amka)
    assert vault_rows_of(pg, never_recorded) == {"vault_subject_keys": 0, "vault_lookup": 0, "vault_name_index": 0}
    each_pooled_connection_is_idle_as_the_login_role(pg)
    again = casework.execute(intake(personal__amka=amka))  # a new command: refused before as a duplicate
    assert again.replayed is False
    assert vault_rows_of(pg, again.entry_id)["vault_lookup"] == 1
    assert casework.find_by_amka(amka) == again.entry_id


def test_an_all_or_nothing_batch_refused_leaves_no_key_claim_or_name_index_of_its_intakes(pg: StoreUnderTest) -> None:
    """A refused atomic batch records nothing, so the vault's rows of its intakes (queued in the unit)
    must go too. Its claims used to be given back one by one through the vault's engine, whose
    checkout ended (committed) the unit first: the intake's key and name indexes were kept for a
    person never recorded."""
    amka = make_amka(date(1982, 8, 9), 6161)
    first = intake(personal__amka=amka)
    with pytest.raises(BatchRefusedError):
        pg.casework.execute_many([first, open_request(uuid4())], atomic=True)  # the second names nobody
    never_recorded = entry_id_for(pg.tenant.id, first.command_id)
    assert vault_rows_of(pg, never_recorded) == {"vault_subject_keys": 0, "vault_lookup": 0, "vault_name_index": 0}
    each_pooled_connection_is_idle_as_the_login_role(pg)
    again = pg.casework.execute(intake(personal__amka=amka))
    assert pg.casework.find_by_amka(amka) == again.entry_id


def test_an_intake_taking_over_a_voided_persons_amka_whose_save_fails_leaves_no_claim(
    pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ΑΜΚΑ of a voided person is taken over by the next intake of it (released, claimed again).
    That takeover went through the vault's engine, whose checkout ended (committed) the unit: a save
    failing after it left the claim to a person never recorded, and the next intake of that ΑΜΚΑ (a
    new command) was refused as a duplicate. It now rolls back with the events."""
    casework = pg.casework
    amka = make_amka(date(1983, 9, 10), 7171)
    voided = casework.execute(intake(personal__amka=amka)).entry_id
    casework.execute(command(command="void_entry", entry_id=str(voided), reason="duplicate_entry"))
    never_recorded = an_intake_whose_save_fails(pg, monkeypatch, amka)
    assert vault_rows_of(pg, never_recorded) == {"vault_subject_keys": 0, "vault_lookup": 0, "vault_name_index": 0}
    each_pooled_connection_is_idle_as_the_login_role(pg)
    again = casework.execute(intake(personal__amka=amka))  # a new command: refused before as a duplicate
    assert casework.find_by_amka(amka) == again.entry_id


def test_another_tenants_vault_never_writes_in_the_unit_open_on_the_thread(
    tmp_path: Path, real_registry: TenantRegistry
) -> None:
    """A thread holding tenant A's unit that then uses tenant B's vault: B's claim is B's own transaction
    as B's role (committed at once, seen by others before A's unit ends, kept when A's rolls back),
    never a statement in A's transaction as A's role (``held_unit`` joins only its own role's unit)."""
    registry, one = isolated_registry(real_registry)
    registry, other = isolated_registry(registry)
    settings = make_settings("postgres", tmp_path)
    kentra = bootstrap(settings, registry=registry, today=Clock())
    try:
        kentra.provision(one.id)
        kentra.provision(other.id)
        first, second = kentra.casework(one.id), kentra.casework(other.id)
        index, owner = second.vault.blind_index("amka", make_amka(date(1984, 10, 11), 8181)), uuid4()
        schema = kentra.storage(other.id)
        assert isinstance(schema, PostgresStorage)

        def claims_seen_elsewhere() -> int:
            with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) as conn:
                row = conn.execute(
                    f'SELECT count(*) FROM "{schema.schema}".vault_lookup WHERE blind_index = %s', (index,)
                ).fetchone()
                return int(row[0]) if row else 0

        def a_command_of_a_using_bs_vault_fails() -> None:
            with first.stored_events.transaction():
                first.stored_events.stored_events_of([uuid4()])  # A's transaction, begun as A's role
                assert second.vault.claim_many("amka", {index: owner}) == {index: owner}
                assert claims_seen_elsewhere() == 1  # committed as B's, not waiting for A's unit
                raise RuntimeError("A's command fails: its unit rolls back")

        with pytest.raises(RuntimeError, match="A's command fails"):
            a_command_of_a_using_bs_vault_fails()
        assert claims_seen_elsewhere() == 1
        assert second.vault.lookup("amka", index) == owner
    finally:
        kentra.close()


def test_an_import_batch_whose_copy_fails_leaves_no_key_claim_or_name_index(
    pg: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch large enough for COPY (an import's) is written in the unit's transaction too: before, the
    unit was committed ahead of the COPY (COPY does not run in pipeline mode), so a COPY that failed
    (the connection lost) left every intake's key, ΑΜΚΑ claim and name indexes for people never
    recorded. Sent again, the batch records each person once."""
    commands = [intake(personal__amka=make_amka(date(1986, 1, 2), 100 + n)) for n in range(40)]  # 80 events
    assert 2 * len(commands) >= COPY_FROM
    copy = CopyingRecorder.insert_events

    def the_connection_drops_at_the_copy(self: CopyingRecorder, events: Any, **kwargs: Any) -> Any:
        if len(events) >= COPY_FROM:
            raise persistence.OperationalError("server closed the connection unexpectedly")
        return copy(self, events, **kwargs)

    monkeypatch.setattr(CopyingRecorder, "insert_events", the_connection_drops_at_the_copy)
    with pytest.raises(persistence.OperationalError):
        pg.casework.execute_many(commands)
    monkeypatch.undo()
    for cmd in commands:
        never_recorded = entry_id_for(pg.tenant.id, cmd.command_id)
        assert vault_rows_of(pg, never_recorded) == {"vault_subject_keys": 0, "vault_lookup": 0, "vault_name_index": 0}
    each_pooled_connection_is_idle_as_the_login_role(pg)
    results = pg.casework.execute_many(commands)
    assert all(not isinstance(result, Exception) and not result.replayed for result in results), results
    assert [pg.casework.find_by_amka(cmd.personal.amka) for cmd in commands if cmd.personal.amka] == [  # type: ignore[union-attr]
        result.entry_id for result in results if not isinstance(result, Exception)
    ]
