"""The auditor's API: chain verification, checkpoints, export, replay as of a day, drill-down (services.audit).

Only auditors assigned to the tenant may ask, and every question is recorded as an ``AuditQuery``
event in the tenant's own log before it is answered.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.report_schemas import ChainReport, Drilldown, ReplayedIndicators
from gateways.http.reporting import FromDate, StructureFilter, ToDate
from gateways.http.schemas import problem_responses
from services import audit
from services.access import may_audit
from services.audit import AuditScope, Basis
from services.casework import Casework

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/audit",
    tags=["audit"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
BasisQuery = Annotated[
    Basis,
    Query(description="occurred: what happened in the period, as known now; recorded: as recorded by as_of"),
]
AsOf = Annotated[date | None, Query(description="The day a figure was reported (default: today, Athens)")]


def auditor(tenant: str, kentra: KentraDep, user: CurrentUser) -> Casework:
    """The tenant's casework, once the caller is known to be one of its auditors."""
    kentra.registry.tenant(tenant)
    may_audit(user, tenant)
    return kentra.casework(tenant)


AuditedCasework = Annotated[Casework, Depends(auditor)]


def audit_scope(
    casework: AuditedCasework,
    start: FromDate,
    end: ToDate,
    structure: StructureFilter = None,
    as_of: AsOf = None,
    basis: BasisQuery = "occurred",
) -> AuditScope:
    """The replayed question's terms from the query string, checked by the service."""
    return audit.audit_scope(casework, start, end, structure, as_of, basis)


Scope = Annotated[AuditScope, Depends(audit_scope)]


@router.get(
    "/chain",
    summary="Verify the tenant's hash chain and its signed checkpoints",
    response_model=ChainReport,
    response_model_exclude_unset=True,  # what broke is said only when something did
)
def get_audit_chain(kentra: KentraDep, casework: AuditedCasework, user: CurrentUser, tenant: str) -> Any:
    return audit.chain_report(casework, user, kentra.audit_chain(tenant))


@router.get(
    "/export",
    summary="The chained log and its checkpoints as JSON lines, to verify offline with the public key",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def get_audit_export(kentra: KentraDep, casework: AuditedCasework, user: CurrentUser, tenant: str) -> StreamingResponse:
    exported = audit.export(casework, user, kentra.audit_chain(tenant))
    return StreamingResponse(
        exported.lines,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="kentra-audit-{tenant}-{exported.position}.jsonl"'},
    )


@router.get(
    "/indicators",
    summary="Indicators recomputed from the raw log, as of a day, with the restatement",
    response_model=ReplayedIndicators,
)
def get_audit_indicators(
    kentra: KentraDep, casework: AuditedCasework, user: CurrentUser, tenant: str, scope: Scope
) -> Any:
    return audit.replayed_indicators(casework, kentra.keys(casework.tenant), user, scope)


@router.get(
    "/drilldown",
    summary="The entries, people and log events behind one indicator cell",
    response_model=Drilldown,
    response_model_exclude_unset=True,  # the people's details only when revealed
)
def get_audit_drilldown(
    kentra: KentraDep,
    casework: AuditedCasework,
    user: CurrentUser,
    tenant: str,
    scope: Scope,
    cell: Annotated[str, Query(max_length=120, description="metric/key/gender, e.g. requests/category:gmi/total")],
    reveal: Annotated[bool, Query(description="Show who the people are (auditors cleared for it; logged)")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many events")] = 1000,
) -> Any:
    return audit.drilldown(casework, kentra.keys(casework.tenant), user, scope, cell, reveal, limit)
