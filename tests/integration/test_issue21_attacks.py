"""Attacks on issue 21's ESF participation and figures (esf-attack): an intake whose date is
corrected across Sofades' operations' boundary (2014-2020 ends 2023-12-31, 2021-2027 starts
2024-01-01), and what the figures and the automatic entries then say."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.errors import DateOrderError, InvalidValueError
from domain.identifiers import make_amka
from projections.esf_queries import esf_delivery
from services import esf_submissions as submissions
from services.esf_restatement import restatement
from tests.conftest import StoreUnderTest, command, intake, open_request

TODAY = date(2025, 6, 30)
Y2023 = ("2014-2020", date(2023, 1, 1), date(2023, 12, 31))
Y2024 = ("2021-2027", date(2024, 1, 1), date(2024, 12, 31))
NOTHING = {"job_searching": False, "in_education_or_training": False, "qualification_gained": False, "employed": False}


def _register(store: StoreUnderTest, on: str, serial: int) -> UUID:
    cmd = intake(occurred_on=on, personal__birth_date="1980-02-03", personal__amka=make_amka(date(1980, 2, 3), serial))
    return store.casework.execute(cmd).entry_id


def _run(store: StoreUnderTest, **fields: Any) -> UUID:
    return store.casework.execute(command(**fields)).entry_id


def _entered(store: StoreUnderTest, operation: str, start: date, end: date, person: UUID) -> set[str]:
    """Where ``person`` counts in the document: "entered" and/or "left"."""
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    with views.engine.connect() as conn:
        rows = [r for r in esf_delivery(conn, operation, start, end, None)["people"] if r["beneficiary_id"] == person]
    flags = set()
    for r in rows:
        if start <= r["entered_on"] <= end:
            flags.add("entered")
        if r["left_on"] is not None:
            flags.add("left")
    return flags


@pytest.mark.xfail(
    strict=True,
    reason="an intake moved to an earlier operation does not enter the person into the later one at their "
    "first contact in it (enter_at_amended_contact skips a Beneficiary; the aggregate knows no contacts)",
)
def test_a_person_whose_intake_is_corrected_back_into_2014_2020_still_enters_2021_2027_at_their_2024_contact(
    store: StoreUnderTest,
) -> None:
    """Intake typed as 2024-01-10, served on 2024-03-01, the intake then corrected to 2023-12-20 (the
    typing error): the person is a 2014-2020 participant from the intake and, by their first contact
    of 2024, a 2021-2027 participant too, as if the intake had been typed right."""
    store.clock.day = TODAY
    person = _register(store, "2024-01-10", 9101)
    store.casework.execute(open_request(person, occurred_on="2024-03-01"))
    _run(
        store, command="amend_entry", entry_id=str(person), changes={"occurred_on": "2023-12-20"}, reason="typing_error"
    )
    assert _entered(store, *Y2023, person) == {"entered"}
    assert _entered(store, *Y2024, person) == {"entered"}


def test_an_intake_is_not_corrected_out_of_the_operation_the_person_has_left(store: StoreUnderTest) -> None:
    """Intake 2024-01-10 (2021-2027), left 2024-06-01: correcting the intake to 2023-12-20 would leave
    the exit counting in 2021-2027's results for a person its outputs no longer hold (and no exit in
    2014-2020); the correction is refused, naming the exit, and records nothing."""
    store.clock.day = TODAY
    person = _register(store, "2024-01-10", 9102)
    store.casework.execute(open_request(person, occurred_on="2024-03-01"))
    _run(store, command="leave_operation", beneficiary_id=str(person), occurred_on="2024-06-01", status=NOTHING)
    with pytest.raises(DateOrderError) as refused:
        _run(
            store,
            command="amend_entry",
            entry_id=str(person),
            changes={"occurred_on": "2023-12-20"},
            reason="typing_error",
        )
    assert refused.value.field == "changes.occurred_on"
    assert _entered(store, *Y2024, person) == {"entered", "left"}
    assert _entered(store, *Y2023, person) == set()


def test_an_intake_is_not_corrected_to_after_its_exit(store: StoreUnderTest) -> None:
    """Left on 2024-06-01: the intake cannot become 2024-07-01 (an exit before the entry)."""
    store.clock.day = TODAY
    person = _register(store, "2024-01-10", 9103)
    _run(store, command="leave_operation", beneficiary_id=str(person), occurred_on="2024-06-01", status=NOTHING)
    with pytest.raises(DateOrderError):
        _run(
            store,
            command="amend_entry",
            entry_id=str(person),
            changes={"occurred_on": "2024-07-01"},
            reason="typing_error",
        )


def test_an_intake_is_not_corrected_to_after_a_later_operation_s_entry(store: StoreUnderTest) -> None:
    """Intake 2023-12-20, entered 2021-2027 at a contact of 2024-02-01: an intake corrected to
    2024-03-01 would put the person's first entry after their second."""
    store.clock.day = TODAY
    person = _register(store, "2023-12-20", 9104)
    store.casework.execute(open_request(person, occurred_on="2024-02-01"))
    with pytest.raises(DateOrderError):
        _run(
            store,
            command="amend_entry",
            entry_id=str(person),
            changes={"occurred_on": "2024-03-01"},
            reason="typing_error",
        )


def test_the_intake_s_entry_is_not_corrected_as_an_operation_record_once_the_person_has_left(
    store: StoreUnderTest,
) -> None:
    """The intake's entry is corrected by amend_entry (the intake itself); an exit recorded for the
    intake's operation must not open the operation-record correction to it: such an event would move
    the aggregate's entry date while the figures, which read the intake, never change."""
    store.clock.day = TODAY
    person = _register(store, "2024-01-10", 9105)
    _run(store, command="leave_operation", beneficiary_id=str(person), occurred_on="2024-06-01", status=NOTHING)
    with pytest.raises(InvalidValueError):
        _run(
            store,
            command="correct_operation_record",
            beneficiary_id=str(person),
            operation="2021-2027",
            record="entry",
            changes={"occurred_on": "2024-02-01"},
            reason="typing_error",
        )


@pytest.mark.xfail(
    strict=True,
    reason="esf_queries._entry takes the intake over a later entry only when the intake lies in the "
    "period, not when it lies earlier in the same operation: the later entry counts as a second entry",
)
def test_a_person_counts_once_in_an_operation_whose_periods_are_delivered_apart_after_an_intake_correction(
    store: StoreUnderTest,
) -> None:
    """Intake typed 2023-12-20, served 2024-02-10 (entered 2021-2027 automatically), the intake then
    corrected to 2024-01-05: the person entered 2021-2027 once, on 2024-01-05. The January document
    counts them; the February-December one must not count them again (a return within the same
    operation counts once), so the two halves add up to the year."""
    store.clock.day = TODAY
    person = _register(store, "2023-12-20", 9106)
    store.casework.execute(open_request(person, occurred_on="2024-02-10"))
    _run(
        store, command="amend_entry", entry_id=str(person), changes={"occurred_on": "2024-01-05"}, reason="typing_error"
    )
    january = _entered(store, "2021-2027", date(2024, 1, 1), date(2024, 1, 31), person)
    rest = _entered(store, "2021-2027", date(2024, 2, 1), date(2024, 12, 31), person)
    assert (january, rest) == ({"entered"}, set())


def _submit_2024_h1(store: StoreUnderTest, key: str) -> UUID:
    return submissions.submit(
        store.casework,
        store.kentra.views(store.tenant.id),
        store.tenant,
        operation="2021-2027",
        start=date(2024, 1, 1),
        end=date(2024, 6, 30),
        submitted_on=date(2024, 7, 10),
        reference=None,
        command_id=key,
        recorded_by="coord",
    )


def test_a_contact_moved_into_a_submitted_period_warns_of_the_submission_it_restates(store: StoreUnderTest) -> None:
    """Intake 2023-12-01, a request of 2023-12-15, 2024's first half submitted; the request's date is
    then corrected to 2024-02-01, which enters the person into 2021-2027 (a late entry): the
    submission is restated, so the correction's answer warns of it, as an intake's correction does."""
    store.clock.day = TODAY
    person = _register(store, "2023-12-01", 9107)
    request = store.casework.execute(open_request(person, occurred_on="2023-12-15")).entry_id
    submission = _submit_2024_h1(store, "sub-attack-1")
    amend = command(
        command="amend_entry", entry_id=str(request), changes={"occurred_on": "2024-02-01"}, reason="typing_error"
    )
    store.casework.execute(amend)
    assert _entered(store, "2021-2027", date(2024, 1, 1), date(2024, 6, 30), person) == {"entered"}
    assert submission in {s.id for s in submissions.correction_warnings(store.casework, amend)}


@pytest.mark.xfail(
    strict=True,
    reason="voiding the contact that entered a person into an operation automatically leaves the entry: "
    "no event undoes an OperationEntered, and the fold keeps it",
)
def test_a_person_whose_only_contact_in_an_operation_is_voided_is_no_participant_of_it(store: StoreUnderTest) -> None:
    """Intake 2023-12-01; a request of 2024-02-10 typed on the wrong person entered them into 2021-2027
    automatically; the request is voided: the person had no contact in 2021-2027, so 2024's figures
    do not count them."""
    store.clock.day = TODAY
    person = _register(store, "2023-12-01", 9108)
    request = store.casework.execute(open_request(person, occurred_on="2024-02-10")).entry_id
    _run(store, command="void_entry", entry_id=str(request), reason="wrong_person")
    assert _entered(store, *Y2024, person) == set()


def test_an_exit_is_not_corrected_to_less_than_six_months_before_its_follow_up(store: StoreUnderTest) -> None:
    """Left 2024-01-15, followed up 2024-07-20 (six months on): the exit corrected to 2024-03-01 would
    make a four-month follow-up count among the longer-term results; it is refused and the figures
    keep the six-month follow-up."""
    store.clock.day = TODAY
    person = _register(store, "2024-01-10", 9109)
    _run(store, command="leave_operation", beneficiary_id=str(person), occurred_on="2024-01-15", status=NOTHING)
    _run(
        store,
        command="record_long_term_result",
        beneficiary_id=str(person),
        operation="2021-2027",
        occurred_on="2024-07-20",
        status={"employed": True, "improved_labour_market_situation": False},
    )
    with pytest.raises(DateOrderError):
        _run(
            store,
            command="correct_operation_record",
            beneficiary_id=str(person),
            operation="2021-2027",
            record="exit",
            changes={"occurred_on": "2024-03-01"},
            reason="wrong_date",
        )


def test_an_erasure_after_a_submission_neither_restates_it_nor_makes_it_look_forged(store: StoreUnderTest) -> None:
    """A participant with a disability, 2024's first half submitted, then the person erased (the ESF
    answers kept for the statistics): the submission still holds, and the figures replayed at its
    position still match what was submitted, though the person's key (which sealed their answers
    at entry) is gone."""
    store.clock.day = TODAY
    cmd = intake(
        occurred_on="2024-02-01",
        personal__birth_date="1980-02-03",
        personal__amka=make_amka(date(1980, 2, 3), 9110),
        special={"disability": "yes", "minority": "refused", "other_disadvantage": "no"},
    )
    person = store.casework.execute(cmd).entry_id
    submission = _submit_2024_h1(store, "sub-attack-2")
    store.casework.erase(person, reason="subject_request", legal_ground="GDPR Art. 17(1)(a)", erased_by="dpo")
    found = restatement(store.casework, submission)
    assert found["holds"], found["changes"]
    assert found["matches_log_at_submission"]


def test_a_submission_s_position_is_that_of_its_figures_when_another_process_folds_meanwhile(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the figures are read, another process records an intake of the period and folds it:
    the submission's figures and position still go together (replayed at the position, the log
    gives the submitted figures, and the submission holds)."""
    store.clock.day = TODAY
    views = store.kentra.views(store.tenant.id)
    _register(store, "2024-02-01", 9111)
    real_read = type(views).read
    calls = {"n": 0}

    def read_while_recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            _register(store, "2024-03-01", 9112)
            self.catch_up()
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(type(views), "read", read_while_recording)
    submission = _submit_2024_h1(store, "sub-attack-3")
    monkeypatch.undo()
    found = restatement(store.casework, submission)
    assert calls["n"] >= 2
    assert found["matches_log_at_submission"]
    assert found["holds"]
    assert submissions.one(store.casework, submission).figures["esf-2021-2027/participants/total"] == 2


def test_a_refused_minority_answer_stays_refused_in_a_later_operation_s_automatic_entry_and_after_erasure(
    store: StoreUnderTest,
) -> None:
    """Refused at a 2023 intake, entered 2021-2027 at a 2024 contact: EECO15 counts them under
    "refused", never as a minority nor as not one; after the person's erasure (answers kept for the
    statistics) the same."""
    store.clock.day = TODAY
    cmd = intake(
        occurred_on="2023-11-01",
        personal__birth_date="1980-02-03",
        personal__amka=make_amka(date(1980, 2, 3), 9113),
        special={"disability": "no", "minority": "refused", "other_disadvantage": "no"},
    )
    person = store.casework.execute(cmd).entry_id
    store.casework.execute(open_request(person, occurred_on="2024-02-10"))

    def eeco15() -> tuple[int, int]:
        views = store.kentra.views(store.tenant.id)
        views.catch_up()
        with views.engine.connect() as conn:
            doc = esf_delivery(conn, *Y2024, None)
        found = next(i for i in doc["indicators"] if i["code"] == "EECO15")
        return found["total"], found["refused"]["total"]

    assert eeco15() == (0, 1)
    store.casework.erase(person, reason="subject_request", legal_ground="GDPR Art. 17(1)(a)", erased_by="dpo")
    assert eeco15() == (0, 1)
    store.kentra.views(store.tenant.id).rebuild()
    assert eeco15() == (0, 1)


def test_a_submission_retried_the_next_day_without_its_date_is_the_same_submission(store: StoreUnderTest) -> None:
    """Submitted with no date (today's), the answer lost, retried with the same command id after
    midnight: the retry is the first submission, not a refused reuse of the command id."""
    store.clock.day = date(2024, 7, 10)
    views = store.kentra.views(store.tenant.id)
    terms: dict[str, Any] = {
        "operation": "2021-2027",
        "start": date(2024, 1, 1),
        "end": date(2024, 6, 30),
        "submitted_on": None,
        "reference": None,
        "command_id": "sub-attack-4",
        "recorded_by": "coord",
    }
    first = submissions.submit(store.casework, views, store.tenant, **terms)
    store.clock.day = date(2024, 7, 11)
    assert submissions.submit(store.casework, views, store.tenant, **terms) == first
