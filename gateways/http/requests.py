"""Requests: open one, list them, one with its history, and its steps to resolution or closure."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import Response

from domain.catalogue import RequestCategory
from gateways.http.answers import Created, casework_router, entry_public, page_of, recorded
from gateways.http.deps import CaseworkReader, CaseworkViewsDep, CaseworkWriter, CommandIdDep, CurrentUser, ListQueryDep
from gateways.http.schemas import EntryPublic, Recorded, RequestPage
from services import commands as c
from services import people
from services.lists import list_entries
from services.recording import record

router = casework_router("requests")
ENDING = {"resolution": "resolve_request", "closure": "close_request_unresolved", "withdrawal": "withdraw_request"}


@router.post("/requests", status_code=201, responses=Created, summary="Open a request")
def open_request(
    casework: CaseworkWriter, user: CurrentUser, body: c.OpenRequestFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(record(casework, user, body, "open_request", key), response)


@router.get("/requests", summary="List requests (no personal data)")
def list_requests(
    casework: CaseworkReader,
    user: CurrentUser,
    views: CaseworkViewsDep,
    query: ListQueryDep,
    category: RequestCategory | None = None,
) -> RequestPage:
    return page_of(RequestPage, list_entries(views, user, "request", category, query))


@router.get("/requests/{request_id}", summary="A request with its history")
def get_request(casework: CaseworkReader, user: CurrentUser, request_id: UUID) -> EntryPublic:
    return entry_public(people.show(casework, user, request_id, "request", "GET /requests/{id}"))


@router.post(
    "/requests/{request_id}/progress", status_code=201, responses=Created, summary="Start progress on a request"
)
def start_request_progress(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    body: c.StepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "start_request_progress", key, request_id=request_id), response)


@router.post(
    "/requests/{request_id}/agency-status",
    status_code=201,
    responses=Created,
    summary="The other agency's reference and status",
)
def record_agency_status(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    body: c.AgencyStatusFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "record_agency_status", key, request_id=request_id), response)


@router.post("/requests/{request_id}/reopening", status_code=201, responses=Created, summary="Reopen a closed request")
def reopen_request(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    body: c.ReopenFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "reopen_request", key, request_id=request_id), response)


@router.post(
    "/requests/{request_id}/{step}",
    status_code=201,
    responses=Created,
    summary="Resolve, close unresolved or withdraw a request",
)
def end_request(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    step: Literal["resolution", "closure", "withdrawal"],
    body: c.NoteStepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, ENDING[step], key, request_id=request_id), response)
