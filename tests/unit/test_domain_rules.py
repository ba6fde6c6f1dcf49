from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import CorrectionReason, ReferralOutcome
from domain.errors import (
    DateInFutureError,
    DateOrderError,
    EntryVoidedError,
    InvalidTransitionError,
    InvalidValueError,
    NotAmendableError,
)
from domain.identifiers import make_afm, make_amka, normalise_afm, normalise_amka
from domain.referrals import OutcomeBeforeAcceptanceError, Referral
from domain.requests import CaseRequest

TODAY = date(2024, 6, 1)


def a_request(opened: date = date(2024, 5, 2)) -> CaseRequest:
    return CaseRequest(
        id=uuid4(),
        beneficiary_id=uuid4(),
        category="gmi",
        occurred_on=opened,
        structure="centre",
        recorded_by="u",
        agency=None,
        agency_reference=None,
        sealed=None,
        local_category=None,
    )


def a_referral() -> Referral:
    return Referral(
        id=uuid4(),
        beneficiary_id=uuid4(),
        request_id=None,
        destination="opeka",
        occurred_on=date(2024, 5, 2),
        structure="centre",
        recorded_by="u",
        sealed=None,
        local_destination=None,
    )


def test_a_request_cannot_be_resolved_before_it_was_opened() -> None:
    request = a_request()
    with pytest.raises(DateOrderError):
        request.resolve(occurred_on=date(2024, 5, 1), today=TODAY, recorded_by="u", structure="centre", sealed=None)


def test_a_step_cannot_be_dated_in_the_future() -> None:
    with pytest.raises(DateInFutureError):
        a_request().resolve(occurred_on=date(2024, 6, 2), today=TODAY, recorded_by="u", structure="centre", sealed=None)


def test_a_closed_request_takes_no_further_steps() -> None:
    request = a_request()
    request.withdraw(occurred_on=date(2024, 5, 3), today=TODAY, recorded_by="u", structure="centre", sealed=None)
    with pytest.raises(InvalidTransitionError):
        request.resolve(occurred_on=date(2024, 5, 4), today=TODAY, recorded_by="u", structure="centre", sealed=None)


def test_a_referral_outcome_needs_an_accepted_referral() -> None:
    referral = a_referral()
    with pytest.raises(OutcomeBeforeAcceptanceError):
        referral.record_outcome(
            outcome=ReferralOutcome.SERVED,
            occurred_on=date(2024, 5, 9),
            today=TODAY,
            recorded_by="u",
            structure="centre",
            sealed=None,
        )
    referral.accept(occurred_on=date(2024, 5, 5), today=TODAY, recorded_by="u", structure="centre")
    referral.record_outcome(
        outcome=ReferralOutcome.SERVED,
        occurred_on=date(2024, 5, 9),
        today=TODAY,
        recorded_by="u",
        structure="centre",
        sealed=None,
    )
    assert referral.status == "completed"
    assert [type(e).__name__ for e in referral.collect_events()] == ["Sent", "Answered", "OutcomeRecorded"]


def test_a_declined_referral_takes_no_outcome() -> None:
    referral = a_referral()
    referral.decline(occurred_on=date(2024, 5, 5), today=TODAY, recorded_by="u", structure="centre", sealed_reason=None)
    with pytest.raises(OutcomeBeforeAcceptanceError):
        referral.record_outcome(
            outcome=ReferralOutcome.SERVED,
            occurred_on=date(2024, 5, 9),
            today=TODAY,
            recorded_by="u",
            structure="centre",
            sealed=None,
        )


def test_a_correction_appends_an_event_and_keeps_the_original() -> None:
    request = a_request()
    request.amend(
        changes={"category": "housing_benefit"},
        sealed=None,
        reason=CorrectionReason.TYPING_ERROR,
        sealed_reason=None,
        today=TODAY,
        recorded_by="u",
        structure="centre",
    )
    events = request.collect_events()
    assert [type(e).__name__ for e in events] == ["Opened", "Amended"]
    assert events[0].category == "gmi"  # type: ignore[attr-defined]
    assert request.category == "housing_benefit"


def test_a_correction_may_only_touch_amendable_fields() -> None:
    with pytest.raises(NotAmendableError):
        a_request().amend(
            changes={"beneficiary_id": uuid4()},
            sealed=None,
            reason=CorrectionReason.OTHER,
            sealed_reason=None,
            today=TODAY,
            recorded_by="u",
            structure="centre",
        )


def test_a_correction_that_changes_nothing_is_refused_and_records_nothing() -> None:
    request = a_request()
    request.collect_events()
    with pytest.raises(InvalidValueError, match="already has"):
        request.amend(
            changes={"category": "gmi"},  # what it is already
            sealed=None,
            reason=CorrectionReason.TYPING_ERROR,
            sealed_reason=None,
            today=TODAY,
            recorded_by="u",
            structure="centre",
        )
    assert request.collect_events() == []
    assert request.corrections == 0


def test_a_voided_entry_refuses_every_further_change() -> None:
    request = a_request()
    request.void(
        reason=CorrectionReason.DUPLICATE_ENTRY, sealed_reason=None, today=TODAY, recorded_by="u", structure="centre"
    )
    with pytest.raises(EntryVoidedError):
        request.resolve(occurred_on=date(2024, 5, 4), today=TODAY, recorded_by="u", structure="centre", sealed=None)
    with pytest.raises(EntryVoidedError):
        request.void(
            reason=CorrectionReason.OTHER, sealed_reason=None, today=TODAY, recorded_by="u", structure="centre"
        )


def test_the_opening_date_cannot_move_past_a_later_step() -> None:
    request = a_request()
    request.resolve(occurred_on=date(2024, 5, 2), today=TODAY, recorded_by="u", structure="centre", sealed=None)
    with pytest.raises(DateOrderError):
        request.amend(
            changes={"occurred_on": date(2024, 5, 10)},
            sealed=None,
            reason=CorrectionReason.WRONG_DATE,
            sealed_reason=None,
            today=TODAY,
            recorded_by="u",
            structure="centre",
        )


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)), st.integers(0, 9999))
def test_every_generated_amka_passes_its_own_check(birth: date, serial: int) -> None:
    assert normalise_amka(make_amka(birth, serial)) == make_amka(birth, serial)


@given(st.integers(1, 10**8))
def test_every_generated_afm_passes_its_own_check(serial: int) -> None:
    assert normalise_afm(make_afm(serial))


@pytest.mark.parametrize("amka", ["0403791234", "040379123456", "0403791234a", "31137912345"])
def test_malformed_amka_is_refused_naming_the_field(amka: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        normalise_amka(amka)
    assert refused.value.field == "amka"


def test_a_single_wrong_digit_fails_the_amka_check() -> None:
    good = make_amka(date(1979, 3, 4), 4242)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidValueError, match="check digit"):
        normalise_amka(bad)
