"""A tenant's operations and its ESF delivery per operation (indicator table and participant file) over
the API (services.esf).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from gateways import esf_files
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from services import esf
from services.access import may_deliver_esf

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["esf"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
Operation = Annotated[
    str, Query(min_length=4, max_length=10, pattern=r"^[0-9-]+$", description="MIS/ΟΠΣ code or programme period")
]
FromDate = Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD")]
ToDate = Annotated[date, Query(alias="to", description="Last day, YYYY-MM-DD")]
StructureFilter = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]


@router.get(
    "/esf/report",
    summary="An operation's ESF delivery: indicator table and participant file, as JSON, CSV or XLSX",
    responses={200: {"content": {"text/csv": {}, esf_files.XLSX: {}}}},
)
def get_esf_report(  # noqa: PLR0917 - FastAPI injects the query as parameters
    kentra: KentraDep,
    user: CurrentUser,
    tenant: str,
    operation: Operation,
    start: FromDate,
    end: ToDate,
    structure: StructureFilter = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
    part: Annotated[Literal["indicators", "participants"] | None, Query()] = None,
) -> Any:
    registered = kentra.registry.tenant(tenant)
    may_deliver_esf(user, tenant)
    views, keys = kentra.views(tenant), kentra.keys(registered)
    doc = esf.delivery(views, registered, operation, start, end, keys=keys, structure=structure)
    if format == "json":
        return Response(esf_files.to_json(doc, part), media_type="application/json")
    return esf_files.download(doc, format, part)
