"""Activities: sessions, meetings, visits to agencies, community events, volunteer registrations."""

from __future__ import annotations

from uuid import UUID

from fastapi import Response

from domain.catalogue import ActivityKind
from gateways.http.answers import Created, casework_router, entry_public, page_of, recorded
from gateways.http.deps import CaseworkReader, CaseworkViewsDep, CaseworkWriter, CommandIdDep, CurrentUser, ListQueryDep
from gateways.http.schemas import ActivityPage, EntryPublic, Recorded
from services import commands as c
from services import people
from services.lists import list_entries
from services.recording import record

router = casework_router("activities")


@router.post(
    "/activities",
    status_code=201,
    responses=Created,
    summary="Record a session, meeting, visit to an agency, event or volunteer registration",
)
def record_activity(
    casework: CaseworkWriter, user: CurrentUser, body: c.ActivityFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(record(casework, user, body, "record_activity", key), response)


@router.get("/activities", summary="List activities (no personal data)")
def list_activities(
    casework: CaseworkReader,
    user: CurrentUser,
    views: CaseworkViewsDep,
    query: ListQueryDep,
    kind: ActivityKind | None = None,
) -> ActivityPage:
    return page_of(ActivityPage, list_entries(views, user, "activity", kind, query))


@router.get("/activities/{activity_id}", summary="An activity with its history")
def get_activity(casework: CaseworkReader, user: CurrentUser, activity_id: UUID) -> EntryPublic:
    return entry_public(people.show(casework, user, activity_id, "activity", "GET /activities/{id}"))
