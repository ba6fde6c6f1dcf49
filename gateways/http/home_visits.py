"""Home visits and social investigations: record one, list them, one with its history, its follow-up."""

from __future__ import annotations

from uuid import UUID

from fastapi import Response

from domain.catalogue import HomeVisitPurpose
from gateways.http.answers import Created, casework_router, entry_public, page_of, recorded
from gateways.http.deps import CaseworkReader, CaseworkViewsDep, CaseworkWriter, CommandIdDep, CurrentUser, ListQueryDep
from gateways.http.schemas import EntryPublic, HomeVisitPage, Recorded
from services import commands as c
from services import people
from services.lists import list_entries
from services.recording import record

router = casework_router("home visits")


@router.post("/home-visits", status_code=201, responses=Created, summary="Record a home visit or social investigation")
def record_home_visit(
    casework: CaseworkWriter, user: CurrentUser, body: c.HomeVisitFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(record(casework, user, body, "record_home_visit", key), response)


@router.get("/home-visits", summary="List home visits (no personal data)")
def list_home_visits(
    casework: CaseworkReader,
    user: CurrentUser,
    views: CaseworkViewsDep,
    query: ListQueryDep,
    purpose: HomeVisitPurpose | None = None,
) -> HomeVisitPage:
    return page_of(HomeVisitPage, list_entries(views, user, "home_visit", purpose, query))


@router.get("/home-visits/{visit_id}", summary="A home visit with its history")
def get_home_visit(casework: CaseworkReader, user: CurrentUser, visit_id: UUID) -> EntryPublic:
    return entry_public(people.show(casework, user, visit_id, "home_visit", "GET /home-visits/{id}"))


@router.post(
    "/home-visits/{visit_id}/follow-up", status_code=201, responses=Created, summary="The visit's follow-up was done"
)
def complete_home_visit_follow_up(
    casework: CaseworkWriter,
    user: CurrentUser,
    visit_id: UUID,
    body: c.NoteStepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "complete_home_visit_follow_up", key, visit_id=visit_id), response)
