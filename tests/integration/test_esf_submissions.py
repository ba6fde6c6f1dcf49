"""ESF submissions pinned to the log (issue 21, acceptance point 3): a submission, then a correction
and a late intake, then the restatement naming the changed cells and the events behind them."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import CommandIdReusedError, OutsideOperationError
from domain.identifiers import make_amka
from services import esf_submissions as submissions
from services.access import Principal, Role
from services.esf_restatement import restatement
from tests.conftest import StoreUnderTest, command, intake
from tests.integration.test_audit_chain import raw, replaced, verdict_of

START, END = date(2022, 7, 1), date(2022, 12, 31)


def _person(store: StoreUnderTest, day: str, serial: int, **profile: object) -> UUID:
    overrides: dict[str, Any] = {f"profile__{k}": v for k, v in profile.items()}
    cmd = intake(occurred_on=day, personal__amka=make_amka(date(1979, 3, 4), serial), **overrides)
    return store.casework.execute(cmd).entry_id


def _submit(store: StoreUnderTest, key: str, **terms: object) -> UUID:
    chosen: dict[str, object] = {
        "operation": "5002786",
        "start": START,
        "end": END,
        "submitted_on": date(2023, 1, 20),
        "reference": "ΑΠ 1234/2023",
        "command_id": key,
        "recorded_by": "coordinator",
        **terms,
    }
    return submissions.submit(store.casework, store.kentra.views(store.tenant.id), store.tenant, **chosen)  # type: ignore[arg-type]


def test_a_submission_records_its_figures_and_the_log_position_they_were_computed_at(store: StoreUnderTest) -> None:
    _person(store, "2022-08-10", 101, gender="female", employment_status="long_term_unemployed")
    _person(store, "2022-09-01", 102, gender="male", employment_status="employed")
    head = store.casework.recorder.max_notification_id()
    submission_id = _submit(store, "sub-1")
    found = submissions.one(store.casework, submission_id)
    assert found.position == head
    assert found.code == "5002786"
    assert found.operation == "2014-2020"
    assert found.figures["esf-2014-2020/participants/total"] == 2
    assert found.figures["esf-2014-2020/CO02/female"] == 1
    assert found.figures["esf-2014-2020/CO05/male"] == 1
    assert found.submitted_on == date(2023, 1, 20)


def test_a_retried_submission_records_nothing_and_the_same_id_with_other_terms_is_refused(
    store: StoreUnderTest,
) -> None:
    _person(store, "2022-08-10", 103)
    first = _submit(store, "sub-retry")
    head = store.casework.recorder.max_notification_id()
    assert _submit(store, "sub-retry") == first
    assert store.casework.recorder.max_notification_id() == head
    with pytest.raises(CommandIdReusedError):
        _submit(store, "sub-retry", reference="another")
    assert store.casework.recorder.max_notification_id() == head


def test_a_period_outside_the_operation_is_refused(store: StoreUnderTest) -> None:
    with pytest.raises(OutsideOperationError):
        _submit(store, "sub-out", start=date(2024, 1, 1), end=date(2024, 3, 31), submitted_on=date(2024, 4, 2))


def test_a_submission_that_nothing_changed_since_still_holds(store: StoreUnderTest) -> None:
    _person(store, "2022-08-10", 104)
    submission_id = _submit(store, "sub-holds")
    _person(store, "2023-02-10", 105)  # after the period: no figure of it moves
    user = _coordinator(store)
    (row,) = submissions.listed(store.casework, store.kentra.views(store.tenant.id), user)
    assert row["holds"] is True
    report = restatement(store.casework, submission_id, user=user)
    assert report["holds"] is True
    assert report["changes"] == []
    assert report["matches_log_at_submission"] is True


def test_a_correction_and_a_late_intake_restate_a_submission_naming_the_cells_and_the_events(
    store: StoreUnderTest,
) -> None:
    woman = _person(store, "2022-08-10", 106, gender="female", employment_status="long_term_unemployed")
    _person(store, "2022-09-01", 107, gender="male", employment_status="employed")
    submission_id = _submit(store, "sub-restated")
    position = submissions.one(store.casework, submission_id).position
    amend = command(
        command="amend_entry",
        entry_id=str(woman),
        changes={"profile": {"employment_status": "employed"}},
        reason="typing_error",
    )
    store.casework.execute(amend)
    assert [s.id for s in submissions.correction_warnings(store.casework, amend)] == [submission_id]
    late = _person(store, "2022-10-05", 108, gender="male", employment_status="inactive")

    user = _coordinator(store)
    (row,) = submissions.listed(store.casework, store.kentra.views(store.tenant.id), user)
    assert row["holds"] is False
    report = restatement(store.casework, submission_id, user=user)
    assert report["holds"] is False
    assert report["matches_log_at_submission"] is True
    changes = {c["cell"]: c for c in report["changes"]}
    assert changes["esf-2014-2020/CO02/female"]["as_submitted"] == 1
    assert changes["esf-2014-2020/CO02/female"]["now"] == 0
    assert changes["esf-2014-2020/CO05/female"]["now"] == 1
    assert changes["esf-2014-2020/participants/male"]["as_submitted"] == 1
    assert changes["esf-2014-2020/participants/male"]["now"] == 2
    assert "esf-2014-2020/CO05/male" not in changes  # the same: only the cells that changed
    (corrected,) = changes["esf-2014-2020/CO02/female"]["events"]
    assert corrected["event"].endswith("Amended")
    assert corrected["reason"] == "typing_error"
    assert corrected["position"] > position
    (registered,) = changes["esf-2014-2020/participants/male"]["events"]
    assert registered["event"].endswith("Registered")
    assert registered["occurred_on"] == "2022-10-05"
    assert registered["entry"] == str(late)


def test_a_correction_outside_every_submitted_period_warns_of_nothing(store: StoreUnderTest) -> None:
    _person(store, "2022-08-10", 109)
    other = _person(store, "2023-03-01", 110)
    _submit(store, "sub-warn")
    amend = command(
        command="amend_entry", entry_id=str(other), changes={"profile": {"isced_level": 3}}, reason="typing_error"
    )
    store.casework.execute(amend)
    assert submissions.correction_warnings(store.casework, amend) == []


def _coordinator(store: StoreUnderTest) -> Principal:
    return Principal(username=f"coord-{uuid4().hex[:6]}", role=Role.COORDINATOR, tenants=frozenset({store.tenant.id}))


def test_a_submission_is_sealed_like_every_event_and_a_forged_figure_is_reported(store: StoreUnderTest) -> None:
    _person(store, "2022-08-10", 111)
    _submit(store, "sub-forged")
    (row,) = store.casework.recorder.select_notifications(start=None, limit=10, topics=[submissions.TOPIC])
    assert verdict_of(store) == (None, None)
    raw(
        store,
        [
            "UPDATE {table} SET state = "
            + replaced(store, "participants/total", "participants/totaX")
            + f" WHERE {{id}} = {row.id}"
        ],
    )
    assert verdict_of(store) == ("altered", row.id)


def test_a_void_restates_a_submission_and_names_the_void_with_its_reason(store: StoreUnderTest) -> None:
    kept = _person(store, "2022-08-10", 112, gender="female")
    voided = _person(store, "2022-09-10", 113, gender="female")
    submission_id = _submit(store, "sub-void")
    void = command(command="void_entry", entry_id=str(voided), reason="duplicate_entry")
    store.casework.execute(void)
    assert [s.id for s in submissions.correction_warnings(store.casework, void)] == [submission_id]
    report = restatement(store.casework, submission_id, user=_coordinator(store))
    changes = {c["cell"]: c for c in report["changes"]}
    participants = changes["esf-2014-2020/participants/female"]
    assert (participants["as_submitted"], participants["now"], participants["moved_out"]) == (2, 1, 1)
    (event,) = participants["events"]
    assert (event["event"].rsplit(".", 1)[-1], event["reason"], event["entry"]) == (
        "Voided",
        "duplicate_entry",
        str(voided),
    )
    assert str(kept) not in str(report)  # only who moved
