"""Beneficiaries: intake, finding a person by ΑΜΚΑ or name, and a person with their history."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response

from gateways.http.answers import Created, casework_router, entry_public, recorded
from gateways.http.deps import CaseworkReader, CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import BeneficiaryMatch, EntryPublic, Recorded
from services import commands as c
from services import people
from services.recording import record

router = casework_router("beneficiaries")


@router.post("/beneficiaries", status_code=201, responses=Created, summary="Intake: register a beneficiary")
def register_beneficiary(
    casework: CaseworkWriter, user: CurrentUser, body: c.IntakeFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(record(casework, user, body, "register_beneficiary", key), response)


@router.get("/beneficiaries", summary="Find beneficiaries by ΑΜΚΑ or name")
def search_beneficiaries(
    casework: CaseworkReader,
    user: CurrentUser,
    amka: Annotated[str | None, Query(max_length=11, description="Exact ΑΜΚΑ")] = None,
    name: Annotated[str | None, Query(max_length=200, description="Surname, or first name and surname")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[BeneficiaryMatch]:
    found = people.search(casework, user, amka=amka, name=name, limit=limit, endpoint="GET /beneficiaries")
    return [BeneficiaryMatch.model_validate(match, from_attributes=True) for match in found]


@router.get("/beneficiaries/{beneficiary_id}", summary="A beneficiary with their history")
def get_beneficiary(casework: CaseworkReader, user: CurrentUser, beneficiary_id: UUID) -> EntryPublic:
    return entry_public(people.show(casework, user, beneficiary_id, "beneficiary", "GET /beneficiaries/{id}"))
