"""Erasure by key deletion: refused before retention ends (unless on a legal ground); afterwards the
log replays, the figures stay as they were, the personal fields read as erased, and no trace of the
erased key or blind indexes is left in the vault's files."""

from __future__ import annotations

import glob
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from sqlalchemy import select

from domain.errors import BeneficiaryErasedError, ErasureNotDueError
from domain.identifiers import make_amka
from infra.stores import PostgresStorage, SqliteStorage
from infra.vault import SqlVault, lookup, name_index, subject_keys
from projections.queries import PROGRAMMES, esf_indicators, indicators
from projections.replay import replay
from services.casework import read_log
from tests.conftest import StoreUnderTest, command, intake, service_url

YEAR = (date(2023, 1, 1), date(2023, 12, 31))


def person(store: StoreUnderTest, n: int, **special: str) -> UUID:
    answers = {"disability": "no", "minority": "no", "other_disadvantage": "no", **special}
    return store.casework.execute(
        intake(
            occurred_on="2023-03-01",
            personal__amka=make_amka(date(1960, 1, 1), n),
            personal__last_name=f"Παπαδοπούλου{n}",
            **{f"special__{k}": v for k, v in answers.items()},
        )
    ).entry_id


def figures(store: StoreUnderTest, conn: Any = None) -> list[Any]:
    def compute(c: Any) -> list[Any]:
        return [indicators(c, *YEAR, None)] + [esf_indicators(c, p, *YEAR, None) for p in PROGRAMMES]

    if conn is not None:
        return compute(conn)
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    with views.engine.connect() as live:
        return compute(live)


def vault_traces(store: StoreUnderTest, who: UUID) -> list[bytes]:
    """The erased person's wrapped key and blind indexes, as bytes to look for in the files."""
    vault = store.casework.vault
    assert isinstance(vault, SqlVault)
    with vault._engine.connect() as conn:  # the test reads what erasure must remove
        key = conn.execute(select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == who)).scalar_one()
        indexes = conn.execute(select(lookup.c.blind_index).where(lookup.c.owner_id == who)).scalars().all()
        names = conn.execute(select(name_index.c.blind_index).where(name_index.c.owner_id == who)).scalars().all()
    assert indexes
    assert names
    return [bytes(key), *(i.encode() for i in [*indexes, *names])]


def flush(store: StoreUnderTest) -> None:
    """Have PostgreSQL write its buffers to the files, so that what the files hold is what is stored."""
    if isinstance(store.kentra.storage(store.tenant.id), PostgresStorage):
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL"), autocommit=True) as conn:
            conn.execute("CHECKPOINT")


def found_in_files(store: StoreUnderTest, traces: list[bytes], *, every_file: bool = False) -> list[bytes]:
    flush(store)
    paths = vault_files(store, every_table=every_file)
    storage = store.kentra.storage(store.tenant.id)
    if every_file and isinstance(storage, SqliteStorage):  # the log, the vault, the views, their WALs
        paths = glob.glob(f"{storage.directory}/*")
    contents = [open(path, "rb").read() for path in paths]  # noqa: SIM115
    return [trace for trace in traces if any(trace in content for content in contents)]


def vault_files(store: StoreUnderTest, *, every_table: bool = False) -> list[str]:
    storage = store.kentra.storage(store.tenant.id)
    if isinstance(storage, SqliteStorage):
        return glob.glob(f"{storage.vault_file}*")
    assert isinstance(storage, PostgresStorage)
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
        tables = ["vault_subject_keys", "vault_lookup", "vault_name_index"]
        if every_table:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s", (storage.schema,)
                ).fetchall()
            ]
        paths = [
            conn.execute("SELECT pg_relation_filepath(%s)", (f'"{storage.schema}".{t}',)).fetchone()[0]  # type: ignore[index]
            for t in tables
        ]
    return [f"{data}/{p}" for p in paths]


def test_erasure_before_retention_ends_is_refused_unless_a_legal_ground_is_given(store: StoreUnderTest) -> None:
    her = person(store, 1)
    date_of = store.casework.erasure_date(her)
    assert date_of.earliest == date(2029, 1, 1)  # served in 2023: 2014-2020, accounts of 2025, three years
    with pytest.raises(ErasureNotDueError, match="not before 2029-01-01"):
        store.kentra.erase(store.tenant.id, her, reason="asked by her", legal_ground=None, erased_by="coord")
    store.clock.day = date(2029, 1, 1)
    assert store.kentra.erase(store.tenant.id, her, reason="retention ended", legal_ground=None, erased_by="c")[
        "erased"
    ]
    store.clock.day = date(2024, 6, 28)
    him = person(store, 2)
    store.casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(him),
            category="gmi",
            structure="centre",
            occurred_on="2024-05-02",
        )
    )
    assert store.casework.erasure_date(him).earliest is None  # 2021-2027 is still paying
    with pytest.raises(ErasureNotDueError, match="no erasure date yet"):
        store.kentra.erase(store.tenant.id, him, reason="asked", legal_ground="  ", erased_by="coord")
    done = store.kentra.erase(
        store.tenant.id, him, reason="asked", legal_ground="GDPR Art. 17(1)(d): unlawfully processed", erased_by="coord"
    )
    assert str(done["legal_ground"]).startswith("GDPR")


def test_a_legal_hold_moves_the_erasure_date(store: StoreUnderTest) -> None:
    her = person(store, 3)
    store.casework.place_legal_hold(her, until=date(2031, 3, 31), reason="court case 123/2024", recorded_by="c")
    assert store.casework.erasure_date(her).earliest == date(2031, 4, 1)


def test_after_erasure_the_log_replays_the_figures_stand_and_nothing_of_the_key_is_left(
    store: StoreUnderTest,
) -> None:
    people = [person(store, 10), person(store, 11, disability="yes", minority="refused"), person(store, 12)]
    erased = people[1]
    for who in people:
        store.casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(who),
                category="gmi",
                structure="centre",
                occurred_on="2023-04-04",
            )
        )
    store.casework.execute(  # a later correction of her special-category answer, sealed under her key too
        command(
            command="amend_entry",
            entry_id=str(erased),
            reason="new_information",
            changes={},
            special={"disability": "yes", "minority": "yes", "other_disadvantage": "no"},
        )
    )
    before = figures(store)
    traces = vault_traces(store, erased)
    assert found_in_files(store, traces) == traces  # the search sees them while they are there
    assert store.casework.describe(erased, reveal=True)["state"]["sealed"]["personal"]["last_name"] == "Παπαδοπούλου11"

    store.kentra.erase(store.tenant.id, erased, reason="retention ended", legal_ground="test: ground", erased_by="c")

    assert figures(store) == before  # the live views
    store.kentra.views(store.tenant.id).rebuild()
    assert figures(store) == before  # folded again from the log, without her key
    replayed = replay(store.casework, store.casework.vault, date(2030, 1, 1))
    with replayed.now.connect() as conn:
        assert figures(store, conn) == before
    replayed.close()
    assert store.casework.describe(erased, reveal=True)["state"]["sealed"] == "[erased]"
    assert store.casework.find_by_amka(make_amka(date(1960, 1, 1), 11)) is None
    assert [type(e).__qualname__ for e in read_log(store.casework)].count("Beneficiary.Erased") == 1
    with pytest.raises(BeneficiaryErasedError):
        store.casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(erased),
                category="gmi",
                structure="centre",
                occurred_on="2024-05-02",
            )
        )
    assert found_in_files(store, traces) == []
    clear = ["Παπαδοπούλου11".encode(), make_amka(date(1960, 1, 1), 11).encode()]
    assert found_in_files(store, clear, every_file=True) == []  # never stored in clear, anywhere
    again = store.kentra.erase(store.tenant.id, erased, reason="again", legal_ground=None, erased_by="c")
    assert again["already"] is True
