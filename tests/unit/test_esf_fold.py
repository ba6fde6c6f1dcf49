"""The fold of the ESF participation events (projections/esf_fold.py) on domain events built by the
aggregate itself, into an in-memory views database: what lands in the rows, corrections, erasure,
and that folding again, or in one batch, gives the same rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Engine, create_engine, select

from domain.beneficiaries import Beneficiary
from domain.catalogue import CorrectionReason
from projections.fold import Batched, apply
from projections.tables import metadata, operation_entries, operation_exits, people
from tests.fakes import InMemoryVault

TODAY = date(2025, 6, 30)
PROFILE = {
    "gender": "female",
    "employment_status": "inactive",
    "isced_level": 2,
    "household_situation": "single_parent",
    "residence_area": "rural",
    "foreign_background": False,
    "third_country_national": False,
    "homeless_or_housing_exclusion": False,
}
SPECIAL = {"disability": "refused", "minority": "no", "other_disadvantage": "no"}
LATER = {"disability": "yes", "minority": "no", "other_disadvantage": "yes"}
LEAVING = {"job_searching": False, "in_education_or_training": True, "qualification_gained": True, "employed": False}
STATISTICS = uuid4()


def views() -> Engine:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return engine


def a_participant(vault: InMemoryVault) -> Beneficiary:
    """Registered in 2023, entered 2021-2027 in 2024 with other answers, left it, followed up."""
    pid = uuid4()
    person = Beneficiary.register(
        id=pid,
        occurred_on=date(2023, 3, 1),
        structure="centre",
        recorded_by="m.georgiou",
        answers=PROFILE,
        birth_date=date(1980, 1, 1),
        amka=None,
        amka_date_mismatch_confirmed=False,
        today=TODAY,
        seal=lambda: vault.seal(pid, {"personal": {}, "special": SPECIAL}),
    )
    person.enter_operation(
        operation="2021-2027",
        intake_operation="2014-2020",
        occurred_on=date(2024, 2, 1),
        profile={**PROFILE, "age_at_entry": 44, "employment_status": "unemployed"},
        sealed_special=vault.seal(pid, {"special": LATER}),
        automatic=True,
        today=TODAY,
        recorded_by="m.georgiou",
        structure="centre",
    )
    step: dict[str, Any] = {
        "today": TODAY,
        "recorded_by": "m.georgiou",
        "structure": "centre",
        "intake_operation": "2014-2020",
    }
    person.leave_operation(operation="2021-2027", occurred_on=date(2024, 5, 31), status=LEAVING, **step)
    person.record_long_term_result(
        operation="2021-2027",
        occurred_on=date(2024, 12, 2),
        status={"employed": True, "improved_labour_market_situation": False},
        **step,
    )
    return person


def fold(engine: Engine, events: Iterable[Any], unseal: Callable[[str], Any], *, batched: bool = False) -> None:
    with engine.begin() as conn:
        target: Any = Batched(conn) if batched else conn
        for event in events:
            apply(target, event, unseal)
        if batched:
            target.flush()


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table.name: [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key)).mappings()]
            for table in (people, operation_entries, operation_exits)
        }


def the_row(engine: Engine, table: Any, person: UUID) -> dict[str, Any]:
    return next(r for r in rows(engine)[table.name] if r["beneficiary_id"] == person)


def test_a_later_entry_keeps_the_data_of_its_day_and_the_exit_its_status_and_follow_up() -> None:
    vault, engine = InMemoryVault(), views()
    person = a_participant(vault)
    fold(engine, person.collect_events(), vault.unseal)
    entry = the_row(engine, operation_entries, person.id)
    assert (entry["operation"], entry["entered_on"], entry["automatic"]) == ("2021-2027", date(2024, 2, 1), True)
    assert (entry["employment_status"], entry["household_situation"]) == ("unemployed", "single_parent")
    assert (entry["disability"], entry["other_disadvantage"]) == ("yes", "yes")
    assert the_row(engine, people, person.id)["employment_status"] == "inactive"  # the intake's, untouched
    assert the_row(engine, people, person.id)["household_situation"] == "single_parent"
    left = the_row(engine, operation_exits, person.id)
    assert (left["left_on"], left["follow_up_due"], left["in_education_or_training"]) == (
        date(2024, 5, 31),
        date(2024, 11, 30),
        True,
    )
    assert (left["followed_up_on"], left["employed_after_six_months"]) == (date(2024, 12, 2), True)


def test_folding_again_or_in_one_batch_gives_the_same_rows() -> None:
    vault = InMemoryVault()
    person = a_participant(vault)
    events = person.collect_events()
    once, twice, batched = views(), views(), views()
    fold(once, events, vault.unseal)
    fold(twice, events, vault.unseal)
    fold(twice, events, vault.unseal)
    fold(batched, events, vault.unseal, batched=True)
    assert rows(once) == rows(twice) == rows(batched)


def test_corrections_change_the_entry_and_the_exit_and_a_change_of_situation_changes_neither() -> None:
    vault, engine = InMemoryVault(), views()
    person = a_participant(vault)
    fixes: dict[str, Any] = {"reason": CorrectionReason.TYPING_ERROR, "sealed_reason": None, "today": TODAY}
    common: dict[str, Any] = {
        "operation": "2021-2027",
        "intake_operation": "2014-2020",
        "recorded_by": "c",
        "structure": "centre",
    }
    person.correct_operation_record(
        record="entry",
        changes={"occurred_on": date(2024, 2, 3), "profile": {**PROFILE, "age_at_entry": 44, "isced_level": 5}},
        sealed_special=vault.seal(person.id, {"special": {**LATER, "disability": "no"}}),
        **common,
        **fixes,
    )
    person.correct_operation_record(
        record="exit",
        changes={"occurred_on": date(2024, 6, 2), "status": {**LEAVING, "qualification_gained": False}},
        sealed_special=None,
        **common,
        **fixes,
    )
    person.correct_operation_record(
        record="long_term",
        changes={"status": {"employed": False, "improved_labour_market_situation": False}},
        sealed_special=None,
        **common,
        **fixes,
    )
    person.change_situation(
        changes={"employment_status": "employed"},
        occurred_on=date(2025, 1, 5),
        today=TODAY,
        recorded_by="c",
        structure="centre",
    )
    fold(engine, person.collect_events(), vault.unseal)
    entry = the_row(engine, operation_entries, person.id)
    assert (entry["entered_on"], entry["isced_level"], entry["employment_status"]) == (date(2024, 2, 3), 5, "inactive")
    assert entry["disability"] == "no"
    left = the_row(engine, operation_exits, person.id)
    assert (left["left_on"], left["follow_up_due"], left["qualification_gained"]) == (
        date(2024, 6, 2),
        date(2024, 12, 2),
        False,
    )
    assert (left["followed_up_on"], left["employed_after_six_months"]) == (date(2024, 12, 2), False)


def test_an_erasure_keeps_the_later_entry_s_answers_it_names_and_a_rebuild_agrees() -> None:
    vault, live, rebuilt = InMemoryVault(), views(), views()
    person = a_participant(vault)
    kept = {"special": SPECIAL, "operations": {"2021-2027": LATER}}
    person.erase(
        reason="subject_request",
        legal_ground="GDPR Art. 17",
        statistics=vault.seal(STATISTICS, kept),
        today=TODAY,
        recorded_by="dpo",
    )
    events = person.collect_events()
    fold(live, events[:-1], vault.unseal)
    vault.keys.discard(person.id)  # the key destroyed, as the erasure does after its event
    fold(live, events[-1:], vault.unseal)
    fold(rebuilt, events, vault.unseal)
    assert rows(live) == rows(rebuilt)
    entry = the_row(rebuilt, operation_entries, person.id)
    assert (entry["disability"], entry["other_disadvantage"]) == ("yes", "yes")


def test_an_erasure_whose_statistics_name_no_later_entry_leaves_it_without_answers_live_as_rebuilt() -> None:
    vault, live, rebuilt = InMemoryVault(), views(), views()
    person = a_participant(vault)
    person.erase(
        reason="subject_request",
        legal_ground="GDPR Art. 17",
        statistics=vault.seal(STATISTICS, {"special": SPECIAL}),  # the shape before issue 21
        today=TODAY,
        recorded_by="dpo",
    )
    events = person.collect_events()
    fold(live, events[:-1], vault.unseal)
    vault.keys.discard(person.id)
    fold(live, events[-1:], vault.unseal)
    fold(rebuilt, events, vault.unseal)
    assert rows(live) == rows(rebuilt)
    assert the_row(live, operation_entries, person.id)["disability"] is None
    assert the_row(live, people, person.id)["disability"] == "refused"  # the intake's, from the statistics
