"""A coordinator's data-protection work over the API: erasure dates, legal holds, erasure, subject access.

The use cases are ``services.privacy``'s; this module converts and calls.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.report_schemas import ErasureDate, ErasureDone, SubjectAccess
from gateways.http.schemas import problem_responses
from gateways.subject_access import to_pdf
from services import privacy
from services.access import may_manage_personal_data
from services.casework import Casework

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}",
    tags=["data protection"],
    responses=problem_responses(400, 401, 403, 404, 409, 422, 500, 503),
)


def coordinator(tenant: str, kentra: KentraDep, user: CurrentUser) -> Casework:
    kentra.registry.tenant(tenant)
    may_manage_personal_data(user, tenant)
    return kentra.casework(tenant)


Coordinator = Annotated[Casework, Depends(coordinator)]


class Erasure(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "ο ωφελούμενος ζήτησε διαγραφή", "legal_ground": None}]}
    )

    reason: str = Field(min_length=3, max_length=500, examples=["ο ωφελούμενος ζήτησε διαγραφή"])
    legal_ground: str | None = Field(
        default=None, max_length=500, description="Required before the erasure date: the documented legal ground"
    )


class LegalHold(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"until": "2031-03-31", "reason": "εκκρεμής δικαστική υπόθεση 123/2026"}]}
    )

    until: date
    reason: str = Field(min_length=3, max_length=500, examples=["εκκρεμής δικαστική υπόθεση 123/2026"])


@router.get(
    "/erasure-date", summary="The earliest day this person's data may be erased, and why", response_model=ErasureDate
)
def get_erasure_date(casework: Coordinator, beneficiary_id: UUID) -> Any:
    return privacy.erasure_date(casework, beneficiary_id)


@router.post(
    "/legal-holds",
    status_code=201,
    summary="Keep this person's data at least until a day",
    response_model=ErasureDate,
)
def post_legal_hold(casework: Coordinator, user: CurrentUser, beneficiary_id: UUID, body: LegalHold) -> Any:
    return privacy.place_legal_hold(
        casework, beneficiary_id, until=body.until, reason=body.reason, recorded_by=user.username
    )


@router.post(
    "/erasure",
    summary="Erase this person's personal data by deleting their key",
    response_model=ErasureDone,
    response_model_exclude_unset=True,  # an erasure done before says only that
)
def post_erasure(
    kentra: KentraDep, casework: Coordinator, user: CurrentUser, tenant: str, beneficiary_id: UUID, body: Erasure
) -> Any:
    return privacy.erase(
        casework,
        beneficiary_id,
        reason=body.reason,
        legal_ground=body.legal_ground,
        erased_by=user.username,
        compact=partial(kentra.compact_after_erasure, tenant),
    )


@router.get(
    "/subject-access",
    summary="Everything held on this person (GDPR Art. 15), as JSON or a Greek PDF; the export is recorded",
    response_model=SubjectAccess,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_subject_access(
    kentra: KentraDep,
    casework: Coordinator,
    user: CurrentUser,
    tenant: str,
    beneficiary_id: UUID,
    format: Annotated[Literal["json", "pdf"], Query()] = "json",
) -> Any:
    document = privacy.subject_access(
        casework, kentra.views(tenant), beneficiary_id, asked_by=user.username, role=user.role.value
    )
    if format == "pdf":
        return Response(
            to_pdf(document, casework.tenant.name_el),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="subject-access-{beneficiary_id}.pdf"'},
        )
    return document
