"""The rules of creating an entry are the aggregates' own (their factory methods), and a refused one
seals nothing: no key is made and no ΑΜΚΑ claimed for an intake that does not pass."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.errors import (
    AmkaDateMismatchError,
    BeneficiaryErasedError,
    DateInFutureError,
    DateOrderError,
    EntryVoidedError,
    InvalidValueError,
)
from domain.home_visits import HomeVisit
from domain.identifiers import make_amka
from domain.referrals import Referral
from domain.requests import CaseRequest

TODAY = date(2024, 6, 1)
ANSWERS = {
    "gender": "female",
    "employment_status": "long_term_unemployed",
    "isced_level": 2,
    "household_situation": "single_parent",
    "residence_area": "rural",
    "foreign_background": False,
    "third_country_national": False,
    "homeless_or_housing_exclusion": False,
}


class Sealer:
    """Counts what a factory asked to seal, under whose key."""

    def __init__(self) -> None:
        self.subjects: list[UUID | None] = []

    def intake(self) -> str:
        self.subjects.append(None)
        return "sealed"

    def notes(self, subject: UUID) -> str | None:
        self.subjects.append(subject)
        return None


def register(seal: Sealer, **overrides: Any) -> Beneficiary:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "occurred_on": date(2024, 5, 2),
        "structure": "centre",
        "recorded_by": "u",
        "answers": ANSWERS,
        "birth_date": date(1979, 3, 4),
        "amka": make_amka(date(1979, 3, 4), 42),
        "amka_date_mismatch_confirmed": False,
        "today": TODAY,
        "seal": seal.intake,
    }
    return Beneficiary.register(**{**fields, **overrides})


def test_an_intake_computes_the_age_at_entry_from_the_birth_date() -> None:
    person = register(Sealer(), birth_date=date(1979, 5, 3), amka=make_amka(date(1979, 5, 3), 42))
    assert person.profile["age_at_entry"] == 44  # a day before the 45th birthday


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"occurred_on": date(2024, 6, 2)}, DateInFutureError, "occurred_on"),
        ({"birth_date": date(2024, 6, 2), "amka": None}, DateInFutureError, "personal.birth_date"),
        ({"birth_date": date(2024, 5, 3), "amka": None}, DateOrderError, "personal.birth_date"),
        ({"birth_date": date(1900, 1, 1), "amka": None}, InvalidValueError, "personal.birth_date"),
        ({"amka": make_amka(date(1980, 3, 4), 42)}, AmkaDateMismatchError, None),
    ],
)
def test_a_refused_intake_seals_nothing(overrides: dict[str, Any], error: type[Exception], field: str | None) -> None:
    seal = Sealer()
    with pytest.raises(error) as refused:
        register(seal, **overrides)
    if field is not None:
        assert getattr(refused.value, "field", None) == field
    assert seal.subjects == []


def test_an_amka_that_is_not_the_birth_date_is_accepted_once_staff_confirm_it() -> None:
    seal = Sealer()
    register(seal, amka=make_amka(date(1980, 3, 4), 42), amka_date_mismatch_confirmed=True)
    assert seal.subjects == [None]


def request_of(person: Beneficiary, seal: Sealer, day: date) -> CaseRequest:
    return CaseRequest.open(
        id=uuid4(),
        beneficiary=person,
        category="gmi",
        occurred_on=day,
        structure="centre",
        recorded_by="u",
        agency=None,
        agency_reference=None,
        today=TODAY,
        seal=seal.notes,
    )


def test_nothing_is_recorded_about_a_person_before_their_intake_nor_in_the_future() -> None:
    person, seal = register(Sealer()), Sealer()
    with pytest.raises(DateOrderError):
        request_of(person, seal, date(2024, 5, 1))
    with pytest.raises(DateInFutureError):
        request_of(person, seal, date(2024, 6, 2))
    assert seal.subjects == []
    request = request_of(person, seal, date(2024, 5, 2))
    assert request.beneficiary_id == person.id
    assert seal.subjects == [person.id]  # a request's notes are sealed under its person's key


def test_nothing_is_recorded_about_a_voided_or_erased_person() -> None:
    voided, erased = register(Sealer()), register(Sealer())
    voided.voided = True
    erased.erased = True
    with pytest.raises(EntryVoidedError):
        request_of(voided, Sealer(), date(2024, 5, 3))
    with pytest.raises(BeneficiaryErasedError):
        request_of(erased, Sealer(), date(2024, 5, 3))


def test_a_referral_for_a_request_is_for_the_same_persons_request() -> None:
    person, other = register(Sealer()), register(Sealer())
    theirs = request_of(other, Sealer(), date(2024, 5, 3))
    with pytest.raises(InvalidValueError) as refused:
        Referral.send(
            id=uuid4(),
            beneficiary=person,
            request=theirs,
            destination="dypa",
            occurred_on=date(2024, 5, 3),
            structure="centre",
            recorded_by="u",
            today=TODAY,
            seal=Sealer().notes,
        )
    assert refused.value.field == "request_id"


def test_a_follow_up_is_not_due_before_the_visit() -> None:
    person = register(Sealer())
    with pytest.raises(DateOrderError) as refused:
        HomeVisit.conduct(
            id=uuid4(),
            beneficiary=person,
            purpose="living_conditions",
            occurred_on=date(2024, 5, 10),
            structure="centre",
            recorded_by="u",
            follow_up_due=date(2024, 5, 9),
            today=TODAY,
            seal=Sealer().notes,
        )
    assert refused.value.field == "follow_up_due"


def test_an_activity_counts_at_least_its_people_and_seals_one_persons_notes_under_their_key() -> None:
    person, seal = register(Sealer()), Sealer()
    activity = Activity.record(
        id=uuid4(),
        kind="counselling_session",
        occurred_on=date(2024, 5, 3),
        structure="centre",
        recorded_by="u",
        beneficiaries=[person],
        participants=0,
        event_type=None,
        agency=None,
        today=TODAY,
        seal=seal.notes,
    )
    assert activity.participants == 1
    assert seal.subjects == [person.id] == [activity.subject_id]
