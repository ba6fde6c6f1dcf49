"""What the casework routers share: how a recorded command is answered (201 when new, 200 and a
header on a retry), an entry and a page in their response models, and the routers' common shape."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from gateways.http.schemas import EntryPublic, Recorded, problem_responses
from services.casework import Outcome
from services.lists import EntryPage
from services.people import Shown

Created: dict[int | str, dict[str, Any]] = {
    201: {"description": "Recorded", "model": Recorded},
    200: {"description": "A retry: the first response again", "model": Recorded},
}


def recorded(outcome: Outcome, response: Response) -> Recorded:
    """The answer to a command: what it recorded, and whether this was a retry of an earlier one."""
    response.status_code = status.HTTP_200_OK if outcome.replayed else status.HTTP_201_CREATED
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return Recorded(
        entry_id=outcome.entry_id,
        kind=outcome.kind,
        version=outcome.version,
        command_id=outcome.command_id,
        replayed=outcome.replayed,
    )


def casework_router(tag: str) -> APIRouter:
    """A router of one resource of a tenant's casework, with the problems every such endpoint may answer."""
    return APIRouter(
        prefix="/api/v1/tenants/{tenant}",
        tags=[tag],
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 500, 503),
    )


def entry_public(shown: Shown) -> EntryPublic:
    """An entry as its reader may see it, as the API answers it."""
    return EntryPublic.model_validate(shown, from_attributes=True)


PageT = TypeVar("PageT", bound=BaseModel)


def page_of(model: type[PageT], page: EntryPage) -> PageT:
    """A page of entries in the response model of its kind."""
    return model.model_validate({"items": page.rows, "total": page.total, "limit": page.limit, "offset": page.offset})
