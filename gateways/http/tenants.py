"""The tenants (municipalities) a caller may see, with their structures."""

from __future__ import annotations

from fastapi import APIRouter

from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import StructurePublic, TenantPublic, problem_responses
from services.access import visible_tenants

router = APIRouter(
    prefix="/api/v1", tags=["tenants"], responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 500, 503)
)


@router.get("/tenants", summary="The tenants the caller may see")
def list_tenants(kentra: KentraDep, user: CurrentUser) -> list[TenantPublic]:
    return [
        TenantPublic(
            id=t.id,
            name_el=t.name_el,
            name_en=t.name_en,
            region=t.region,
            structures=[StructurePublic(id=s.id, kind=s.kind, name_el=s.name_el) for s in t.structures],
        )
        for t in visible_tenants(user, kentra.registry)
    ]
