"""The worklists over the API: a caseworker's or a coordinator's open cases, follow-ups due, referrals
awaiting an answer and requests pending at an agency (``services.worklists``), as the page shows them.

Rows hold ids, codes and dates only (no name: a client opens the person through
``/beneficiaries/{id}``, which records the look).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateways.http.deps import CaseworkReader, CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from services import worklists as w

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["worklists"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
ListName = Literal["cases", "follow_ups", "referrals", "agency", "esf_follow_ups"]
Days = Annotated[int | None, Query(ge=0, le=w.MAX_DAYS)]
Code = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]
Staff = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]


class WorkItem(BaseModel):
    """One entry on an item list (follow_ups, referrals, agency)."""

    entry_id: UUID
    kind: str
    subtype: str | None
    status: str
    structure: str
    beneficiary_id: UUID
    occurred_on: date
    follow_up_due: date | None
    order_deadline: date | None
    agency: str | None
    agency_status: str | None
    agency_status_on: date | None
    recorded_by: str
    worker: str | None = Field(description="The person's responsible worker (None: a structure the caller may not see)")
    since: date = Field(description="The day the item's age counts from: due date, sending, agency's status")
    age_days: int


class WorkCase(BaseModel):
    """One person on "my open cases": how many open items, since when."""

    beneficiary_id: UUID
    worker: str | None
    open_items: int
    oldest: date
    latest: date
    age_days: int


class EsfFollowUp(BaseModel):
    """One participant on the ESF six-month follow-ups: who left which operation, and when it is due."""

    beneficiary_id: UUID
    operation: str = Field(description="The operation's programme period")
    structure: str
    left_on: date
    follow_up_due: date
    worker: str | None
    since: date
    age_days: int


class Worklist(BaseModel):
    tenant: str
    worklist: ListName
    as_of: date
    days: int = Field(description="N: the list's threshold in days (its default unless asked)")
    worker: str | None = Field(description="The worker the list is confined to; None: everyone in scope")
    structure: str | None
    total: int
    limit: int
    offset: int
    items: list[WorkItem] = []
    cases: list[WorkCase] = []
    participants: list[EsfFollowUp] = []


@router.get(
    "/worklists/{name}",
    summary="A worklist: open cases, follow-ups, referrals, agency requests or ESF six-month follow-ups",
    response_model=Worklist,
)
def get_worklist(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    tenant: str,
    name: ListName,
    days: Days = None,
    structure: Code = None,
    subtype: Code = None,
    kind: Annotated[Literal["request", "referral", "home_visit"] | None, Query()] = None,
    status: Code = None,
    worker: Staff = None,
    recorded_by: Staff = None,
    min_age: Days = None,
    max_age: Days = None,
    sort: Annotated[Literal["age", "date", "category", "count"], Query()] = "age",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    query = w.WorkQuery(
        days=days,
        structure=structure,
        subtype=subtype,
        kind=kind,
        status=status,
        worker=worker,
        recorded_by=recorded_by,
        min_age=min_age,
        max_age=max_age,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    today = casework.today()
    page = w.worklist(kentra.views(tenant), casework.tenant, user, name, query, today=today)
    return {
        "tenant": tenant,
        "worklist": name,
        "as_of": today,
        "days": page.days,
        "worker": page.worker,
        "structure": page.structure,
        "total": page.total,
        "limit": limit,
        "offset": offset,
        {"cases": "cases", "esf_follow_ups": "participants"}.get(name, "items"): page.rows,
    }
