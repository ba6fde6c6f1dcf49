"""The tenants (municipalities) a caller may see, with their structures and ESF operations."""

from __future__ import annotations

from fastapi import APIRouter

from domain.tenants import Tenant
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.schemas import OperationPublic, StructurePublic, TenantPublic, problem_responses
from services import esf
from services.access import AccessDeniedError, visible_tenants

router = APIRouter(
    prefix="/api/v1", tags=["tenants"], responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 500, 503)
)


def _operations(tenant: Tenant) -> list[OperationPublic]:
    return [OperationPublic.model_validate(o) for o in esf.operations(tenant)]


@router.get("/tenants", summary="The tenants the caller may see")
def list_tenants(kentra: KentraDep, user: CurrentUser) -> list[TenantPublic]:
    return [
        TenantPublic(
            id=t.id,
            name_el=t.name_el,
            name_en=t.name_en,
            region=t.region,
            structures=[StructurePublic(id=s.id, kind=s.kind, name_el=s.name_el) for s in t.structures],
            operations=_operations(t),
        )
        for t in visible_tenants(user, kentra.registry)
    ]


@router.get("/tenants/{tenant}/operations", summary="A tenant's ESF operations (MIS/ΟΠΣ code, title, dates, budget)")
def list_operations(kentra: KentraDep, user: CurrentUser, tenant: str) -> list[OperationPublic]:
    registered = kentra.registry.tenant(tenant)
    if registered not in visible_tenants(user, kentra.registry):
        raise AccessDeniedError(f"no access to tenant {tenant!r}")
    return _operations(registered)
