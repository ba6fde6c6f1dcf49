"""Beneficiaries: intake, finding a person by ΑΜΚΑ or name, and a person with their history."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import Query, Response

from gateways.http.answers import Created, casework_router, entry_public, recorded
from gateways.http.deps import CaseworkReader, CaseworkViewsDep, CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import BeneficiaryMatch, EntryPublic, Recorded
from services import commands as c
from services import people, staff_search
from services.recording import record

router = casework_router("beneficiaries")


@router.post("/beneficiaries", status_code=201, responses=Created, summary="Intake: register a beneficiary")
def register_beneficiary(
    casework: CaseworkWriter, user: CurrentUser, body: c.IntakeFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(record(casework, user, body, "register_beneficiary", key), response)


@router.get("/beneficiaries", summary="Find beneficiaries by ΑΜΚΑ, the start of a surname, or birth date")
def search_beneficiaries(
    casework: CaseworkReader,
    views: CaseworkViewsDep,
    user: CurrentUser,
    response: Response,
    amka: Annotated[str | None, Query(max_length=11, description="Exact ΑΜΚΑ (then the others are ignored)")] = None,
    name: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The start of the surname (3 letters at least), in Greek or Latin letters, accents and "
            "spelling ignored (Papadop finds Παπαδόπουλος); or first name and surname",
        ),
    ] = None,
    birth_date: Annotated[date | None, Query(description="Date of birth, alone or with a name")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[BeneficiaryMatch]:
    """The people found whom the caller may see, sorted by surname and first name; ``X-Total-Count`` says
    how many there are in all (``X-Too-Many: true``: too many to list, none given: narrow the search)."""
    query = staff_search.PeopleQuery(amka=amka, name=None if amka else name, birth_date=None if amka else birth_date)
    found = staff_search.find(casework, views, user, query, limit=limit, endpoint="GET /beneficiaries")
    response.headers["X-Total-Count"] = str(found.total)
    if found.too_many:
        response.headers["X-Too-Many"] = "true"
    return [
        BeneficiaryMatch(
            id=p.id,
            structure=p.structure,
            registered_on=p.registered_on.isoformat(),
            first_name=p.first_name,
            last_name=p.last_name,
            birth_date=p.birth_date,
            amka_masked=p.amka_masked,
            last_contact=p.last_contact,
        )
        for p in found.people
    ]


@router.get("/beneficiaries/{beneficiary_id}", summary="A beneficiary with their history")
def get_beneficiary(casework: CaseworkReader, user: CurrentUser, beneficiary_id: UUID) -> EntryPublic:
    return entry_public(people.show(casework, user, beneficiary_id, "beneficiary", "GET /beneficiaries/{id}"))
