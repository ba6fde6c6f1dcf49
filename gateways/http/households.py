"""HTTP API: Households: people linked as head and members, moves between households (issue 23)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import Response
from pydantic import BaseModel

from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkReader, CaseworkViewsDep, CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import commands as c
from services import households

router = casework_router("households")


class HouseholdMemberPublic(BaseModel):
    beneficiary_id: UUID
    relation: str
    relation_el: str
    relation_en: str
    since: date
    name: str | None


class HouseholdPublic(BaseModel):
    """A household now: its members (names for those who may see them) and its size. ``unlisted``: members
    it counts whom no one can be shown any more (erased)."""

    id: UUID
    structure: str
    formed_on: date
    size: int
    version: int
    members: list[HouseholdMemberPublic]
    unlisted: int


class PersonHouseholdPublic(BaseModel):
    household: HouseholdPublic | None


@router.post("/households", status_code=201, responses=Created, summary="Form a household with a person as its head")
def form_household(
    casework: CaseworkWriter, user: CurrentUser, body: c.FormHouseholdFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(households.record_step(casework, user, body, "form_household", key), response)


@router.get("/households/{household_id}", summary="A household with its members and size")
def get_household(
    casework: CaseworkReader, user: CurrentUser, views: CaseworkViewsDep, household_id: UUID
) -> HouseholdPublic:
    found = households.household(casework, views, user, household_id, endpoint="GET /households/{id}")
    return HouseholdPublic.model_validate(found)


@router.get("/beneficiaries/{beneficiary_id}/household", summary="The household a person is in now, if any")
def get_person_household(
    casework: CaseworkReader, user: CurrentUser, views: CaseworkViewsDep, beneficiary_id: UUID
) -> PersonHouseholdPublic:
    found = households.household_of(casework, views, user, beneficiary_id, endpoint="GET /beneficiaries/{id}/household")
    return PersonHouseholdPublic(household=None if found is None else HouseholdPublic.model_validate(found))


@router.post("/households/{household_id}/members", status_code=201, responses=Created, summary="Add a member")
def add_household_member(
    *,
    casework: CaseworkWriter,
    user: CurrentUser,
    household_id: UUID,
    body: c.HouseholdMemberFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    outcome = households.record_step(casework, user, body, "add_household_member", key, household_id=household_id)
    return recorded(outcome, response)


@router.post(
    "/households/{household_id}/moves",
    status_code=201,
    responses=Created,
    summary="Move a person from the household they are in to this one",
)
def move_household_member(
    *,
    casework: CaseworkWriter,
    user: CurrentUser,
    household_id: UUID,
    body: c.HouseholdMemberFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    outcome = households.record_step(casework, user, body, "move_household_member", key, household_id=household_id)
    return recorded(outcome, response)


@router.post("/households/{household_id}/departures", status_code=201, responses=Created, summary="A member leaves")
def leave_household(
    *,
    casework: CaseworkWriter,
    user: CurrentUser,
    household_id: UUID,
    body: c.LeaveHouseholdFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    outcome = households.record_step(casework, user, body, "leave_household", key, household_id=household_id)
    return recorded(outcome, response)


@router.post(
    "/households/{household_id}/head", status_code=201, responses=Created, summary="Another member becomes head"
)
def change_household_head(
    *,
    casework: CaseworkWriter,
    user: CurrentUser,
    household_id: UUID,
    body: c.ChangeHouseholdHeadFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    outcome = households.record_step(casework, user, body, "change_household_head", key, household_id=household_id)
    return recorded(outcome, response)
