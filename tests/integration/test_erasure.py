"""Erasure by key deletion: refused before retention ends (unless on a legal ground); afterwards the
log replays, the figures stay as they were, the personal fields read as erased, and no trace of the
erased key or blind indexes is left in the vault's files."""

from __future__ import annotations

import glob
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from sqlalchemy import select

from domain.beneficiaries import Beneficiary
from domain.errors import BeneficiaryErasedError, ErasureNotDueError, PersonalDataUnreadableError
from domain.identifiers import make_amka
from gateways.kafka.gateway import Gateway
from infra.stores import PostgresStorage, SqliteStorage
from infra.vault import SqlVault, erased_subjects, lookup, name_index, subject_keys
from projections.queries import PROGRAMMES, esf_indicators, indicators
from projections.replay import replay
from projections.tables import people as people_view
from services import privacy
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
    """The erased person's wrapped key and blind indexes, as bytes to look for in the files.

    A name index others hold too (the same surname prefix, the same birth date) stays with their rows:
    it is theirs as much as hers, and says nothing of her once her own row is gone."""
    vault = store.casework.vault
    assert isinstance(vault, SqlVault)
    with vault._engine.connect() as conn:  # the test reads what erasure must remove
        key = conn.execute(select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == who)).scalar_one()
        indexes = conn.execute(select(lookup.c.blind_index).where(lookup.c.owner_id == who)).scalars().all()
        shared = select(name_index.c.blind_index).where(name_index.c.owner_id != who)
        names = (
            conn.execute(
                select(name_index.c.blind_index).where(
                    name_index.c.owner_id == who, name_index.c.blind_index.not_in(shared)
                )
            )
            .scalars()
            .all()
        )
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


# ---------------------------------------------------------------- an erased person's open entries (issue 17)
SPRING = (date(2024, 1, 1), date(2024, 12, 31))


def spring_figures(conn: Any) -> list[Any]:
    return [indicators(conn, *SPRING, None)] + [esf_indicators(conn, p, *SPRING, None) for p in PROGRAMMES]


def live_spring_figures(store: StoreUnderTest) -> list[Any]:
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    with views.engine.connect() as conn:
        return spring_figures(conn)


def open_entries_of(store: StoreUnderTest, who: UUID, other: UUID) -> dict[str, UUID]:
    """A request (at an agency), a second request, a home visit with a follow-up due, a referral, a
    session of theirs alone, and a meeting with someone else."""

    def record(**fields: Any) -> UUID:
        return store.casework.execute(command(structure="centre", occurred_on="2024-04-02", **fields)).entry_id

    return {
        "request": record(command="open_request", beneficiary_id=str(who), category="gmi", agency="opeka"),
        "second_request": record(command="open_request", beneficiary_id=str(who), category="housing_benefit"),
        "visit": record(
            command="record_home_visit",
            beneficiary_id=str(who),
            purpose="living_conditions",
            follow_up_due="2024-05-02",
            findings="Χωρίς θέρμανση",
        ),
        "referral": record(command="send_referral", beneficiary_id=str(who), destination="opeka", notes="Επείγον"),
        "session": record(command="record_activity", kind="counselling_session", beneficiary_ids=[str(who)]),
        "meeting": record(
            command="record_activity", kind="counselling_session", beneficiary_ids=[str(who), str(other)]
        ),
    }


def steps_on(entries: dict[str, UUID], who: UUID) -> list[dict[str, Any]]:
    """Every kind of step a caseworker can take on an existing entry of theirs."""
    request, visit, referral = str(entries["request"]), str(entries["visit"]), str(entries["referral"])
    day = {"occurred_on": "2024-05-10"}
    note = {"notes": "Νέα σημείωση για την ίδια"}
    return [
        {"command": "record_agency_status", "request_id": request, "agency": "opeka", "reference": "ΟΠΕΚΑ/2024/1"}
        | {"status": "submitted"}
        | day,
        {"command": "start_request_progress", "request_id": request} | day,
        {"command": "resolve_request", "request_id": request} | day | note,
        {"command": "close_request_unresolved", "request_id": request} | day | note,
        {"command": "withdraw_request", "request_id": request} | day,
        {"command": "complete_home_visit_follow_up", "visit_id": visit} | day | note,
        {"command": "accept_referral", "referral_id": referral} | day,
        {"command": "decline_referral", "referral_id": referral} | day | note,
        {"command": "record_referral_outcome", "referral_id": referral, "outcome": "served"} | day | note,
        {"command": "amend_entry", "entry_id": str(entries["second_request"]), "reason": "typing_error"}
        | {"changes": {"category": "gmi"}, "reason_note": "Λάθος κατηγορία"},
        {"command": "amend_entry", "entry_id": str(entries["session"]), "reason": "typing_error"}
        | {"changes": {"participants": 2}},
        {"command": "void_entry", "entry_id": str(entries["visit"]), "reason": "duplicate_entry"},
        {"command": "void_entry", "entry_id": str(entries["session"]), "reason": "duplicate_entry"},
        {"command": "amend_entry", "entry_id": str(who), "reason": "new_information", "changes": {}}
        | {"special": {"disability": "no", "minority": "no", "other_disadvantage": "no"}},
        {"command": "void_entry", "entry_id": str(who), "reason": "duplicate_entry", "reason_note": "Διπλή"},
    ]


def keys_of(store: StoreUnderTest, who: UUID) -> list[Any]:
    vault = store.casework.vault
    assert isinstance(vault, SqlVault)
    with vault._engine.connect() as conn:  # the test reads whether a key was made
        return list(conn.execute(select(subject_keys.c.subject_id).where(subject_keys.c.subject_id == who)).all())


def test_every_step_on_an_erased_persons_entries_is_refused_and_nothing_is_recorded(store: StoreUnderTest) -> None:
    who, other = person(store, 40, disability="yes"), person(store, 41, minority="yes")
    entries = open_entries_of(store, who, other)
    before = live_spring_figures(store)
    store.kentra.erase(store.tenant.id, who, reason="asked", legal_ground="GDPR Art. 17(1)(a)", erased_by="coord")
    head = store.casework.recorder.max_notification_id()

    steps = steps_on(entries, who)
    for step in steps:
        with pytest.raises(BeneficiaryErasedError, match=str(who)):
            store.casework.execute(command(**step))
    refused = store.casework.execute_many([command(**step) for step in steps])  # a batch, as an import sends
    assert all(isinstance(result, BeneficiaryErasedError) for result in refused)
    fresh = store.fresh_casework()  # another process, whose cache never held her key
    for step in steps:
        with pytest.raises(BeneficiaryErasedError):
            fresh.execute(command(**step))

    assert store.casework.recorder.max_notification_id() == head  # nothing half-written
    assert keys_of(store, who) == []  # and no new key for her
    assert store.casework.describe(who, reveal=True)["state"]["sealed"] == "[erased]"
    for entry in entries.values():
        store.casework.describe(entry, reveal=True)
        store.casework.history(entry, reveal=True)
    assert live_spring_figures(store) == before
    store.kentra.views(store.tenant.id).rebuild()
    assert live_spring_figures(store) == before
    replayed = replay(store.casework, store.casework.vault, date(2030, 1, 1))
    with replayed.now.connect() as conn:
        assert spring_figures(conn) == before
    replayed.close()
    # A meeting with someone else is sealed under its own key: it stays correctable.
    meeting = command(command="amend_entry", entry_id=str(entries["meeting"]), reason="typing_error")
    assert store.casework.execute(meeting.model_copy(update={"changes": {"participants": 3}})).version == 2


def test_the_vault_never_makes_a_key_for_a_subject_it_erased(store: StoreUnderTest) -> None:
    vault = store.casework.vault
    assert isinstance(vault, SqlVault)
    her, him, them = person(store, 42), uuid4(), uuid4()
    store.kentra.erase(store.tenant.id, her, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    with pytest.raises(BeneficiaryErasedError):
        vault.seal(her, {"notes": "after"})
    with vault.batch():
        vault.preload_subjects([her])
        with pytest.raises(BeneficiaryErasedError):
            vault.seal(her, {"notes": "in a batch"})
    vault.seal(him, {"notes": "a subject of its own"})
    vault.forget(him)
    with pytest.raises(BeneficiaryErasedError):
        store.fresh_casework().vault.seal(him, {"notes": "from another process"})

    # Erased between a batch's first look (no key, not erased) and its write: the write is refused.
    def batch_erased_meanwhile() -> None:
        with vault.batch():
            vault.preload_subjects([them])
            store.fresh_casework().vault.forget(them)
            vault.seal(them, {"notes": "in a batch that began before the erasure"})

    with pytest.raises(BeneficiaryErasedError):
        batch_erased_meanwhile()
    assert keys_of(store, her) == keys_of(store, him) == keys_of(store, them) == []
    with vault._engine.connect() as conn:  # the tombstone: the subject's id and nothing else
        assert [c.name for c in erased_subjects.columns] == ["subject_id"]
        assert set(conn.execute(select(erased_subjects.c.subject_id)).scalars()) >= {her, him, them}


def test_the_tenants_role_cannot_remove_a_tombstone_on_postgresql(store: StoreUnderTest) -> None:
    storage = store.kentra.storage(store.tenant.id)
    if not isinstance(storage, PostgresStorage):
        pytest.skip("grants are PostgreSQL's; the SQLite vault file is the process's own")
    who = person(store, 43)
    store.kentra.erase(store.tenant.id, who, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    table = f'"{storage.schema}".vault_erased_subjects'
    with storage.tenant_connection(autocommit=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
        for statement in (f"DELETE FROM {table}", f"UPDATE {table} SET subject_id = gen_random_uuid()"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


class Captured:
    """A gateway sink that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, tenant_id: str, envelopes: list[dict[str, Any]]) -> None:
        self.sent.extend(envelopes)


def test_a_forged_deleted_or_corrupt_sealed_value_reads_as_erased_and_nothing_stops(store: StoreUnderTest) -> None:
    forged, deleted, intact = person(store, 50), person(store, 51), person(store, 52, disability="yes")
    requests = {
        who: store.casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(who),
                category="gmi",
                structure="centre",
                occurred_on="2024-04-02",
                notes="Σημείωση",
            )
        ).entry_id
        for who in (forged, deleted, intact)
    }
    corrupt = Beneficiary(  # a value no key opens, whatever the store holds: altered after sealing
        id=uuid4(),
        occurred_on=date(2024, 4, 3),
        structure="centre",
        recorded_by="m.georgiou",
        profile=store.casework.entry(intact).profile,  # type: ignore[attr-defined]
        sealed=f"s1.{uuid4().hex}.bm90IGEgc2VhbGVkIHZhbHVl",
    )
    malformed = Beneficiary(
        id=uuid4(),
        occurred_on=date(2024, 4, 3),
        structure="centre",
        recorded_by="m.georgiou",
        profile=corrupt.profile,
        sealed="not a sealed value at all",
    )
    store.casework.save(corrupt, malformed)
    vault = store.casework.vault
    assert isinstance(vault, SqlVault)
    with vault._engine.begin() as conn:  # what someone with the tenant's role could do to its vault
        wrapped = conn.execute(select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == intact))
        conn.execute(
            subject_keys.update().where(subject_keys.c.subject_id == forged).values(wrapped_key=wrapped.scalar_one())
        )
        conn.execute(subject_keys.delete().where(subject_keys.c.subject_id == deleted))
    for who in (forged, deleted, corrupt.id, malformed.id):
        for process in (store.casework, store.fresh_casework()):  # with and without the key cached
            if process is store.casework:
                vault._cache.clear()
            assert process.describe(who, reveal=True)["state"]["sealed"] == "[erased]"
            process.history(who, reveal=True)
    assert store.casework.describe(intact, reveal=True)["state"]["sealed"]["special"]["disability"] == "yes"

    views = store.kentra.views(store.tenant.id)
    assert views.rebuild() > 0
    replayed = replay(store.casework, store.casework.vault, date(2030, 1, 1))
    with replayed.now.connect() as conn, views.engine.connect() as live:
        assert spring_figures(conn) == spring_figures(live)
        assert indicators(live, *SPRING, None)["requests"]["total"] == 3
        answers = dict(live.execute(select(people_view.c.beneficiary_id, people_view.c.disability)).all())
        assert (answers[intact], answers[forged], answers[deleted], answers[corrupt.id]) == ("yes", None, None, None)
    replayed.close()
    captured = Captured()
    assert Gateway(store.kentra, captured).catch_up(store.tenant.id) == store.casework.recorder.max_notification_id()
    registered = [e["body"] for e in captured.sent if e["event_type"] == "Beneficiary.Registered"]
    assert sum(body["special"] is None for body in registered) == 4  # the four unreadable ones, as if erased

    # A step that seals nothing goes on; one that would seal under a damaged key is refused, cleanly.
    step = command(command="start_request_progress", request_id=str(requests[forged]), occurred_on="2024-05-01")
    assert store.casework.execute(step).version == 2
    with pytest.raises(PersonalDataUnreadableError):
        store.casework.execute(
            command(
                command="resolve_request", request_id=str(requests[forged]), occurred_on="2024-05-02", notes="Έγινε"
            )
        )


def test_a_process_still_holding_an_erased_persons_key_shows_nothing_of_theirs(store: StoreUnderTest) -> None:
    her = person(store, 60)
    request = store.casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(her),
            category="gmi",
            structure="centre",
            occurred_on="2024-04-02",
            notes="Σημείωση",
        )
    ).entry_id
    assert store.casework.describe(request, reveal=True)["state"]["sealed"] == {"notes": "Σημείωση"}  # key cached
    other = store.fresh_casework()  # the coordinator's erasure runs in another process
    other.erase(her, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    for entry in (her, request):
        assert store.casework.describe(entry, reveal=True)["state"]["sealed"] == "[erased]"
        history = store.casework.history(entry, reveal=True)
        assert all(
            v in ("[erased]", None) for e in history for k, v in e["attributes"].items() if k.startswith("sealed")
        )
    assert store.casework.personal_data(store.casework.entry(her)) is None


def test_the_erasure_due_list_names_those_past_their_date_and_never_the_erased(store: StoreUnderTest) -> None:
    her, him = person(store, 11), person(store, 12)  # served in 2023: erasable from 2029-01-01
    views = store.kentra.views(store.tenant.id)
    assert privacy.erasure_due(store.casework, views) == []
    store.clock.day = date(2029, 1, 1)
    steps: list[tuple[int, int]] = []
    due = privacy.erasure_due(store.casework, views, each=lambda done, total: steps.append((done, total)))
    assert {d["beneficiary_id"] for d in due} == {str(her), str(him)}
    assert {d["earliest"] for d in due} == {"2029-01-01"}
    assert steps[-1][0] == steps[-1][1] == len(steps)
    privacy.erase(
        store.casework,
        her,
        reason="retention ended",
        legal_ground=None,
        erased_by="scheduled",
        compact=store.kentra.storage(store.tenant.id).compact_vault,
    )
    assert [d["beneficiary_id"] for d in privacy.erasure_due(store.casework, views)] == [str(him)]
