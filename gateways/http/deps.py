"""FastAPI dependencies: the platform, the caller, the tenant's casework service and views, and the
query parameters every list shares."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

import jwt
from fastapi import Depends, Header, Query, Request
from fastapi.security import OAuth2PasswordBearer

from domain.errors import DomainError
from infra.bootstrap import Kentra
from infra.tokens import ISSUER, InvalidTokenError
from projections.runner import CaseworkViews
from services.access import Principal, check_principal, may_read_casework, may_record_casework
from services.casework import Casework
from services.commands import CommandId
from services.lists import ListQuery

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def platform(request: Request) -> Kentra:
    kentra: Kentra = request.app.state.kentra
    return kentra


KentraDep = Annotated[Kentra, Depends(platform)]


def current_principal(kentra: KentraDep, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    if not token:
        raise InvalidTokenError("no bearer token")
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        raise InvalidTokenError("malformed token") from None
    if issuer != ISSUER and kentra.oidc is not None:
        external = kentra.oidc.principal(token)
        try:  # an external issuer's claims must describe a scope that exists, like a local user's
            return check_principal(external, kentra.registry)
        except DomainError:
            raise InvalidTokenError("the token's role claims do not fit a Kentra role") from None
    return kentra.sessions.principal(token)


CurrentUser = Annotated[Principal, Depends(current_principal)]
BearerToken = Annotated[str | None, Depends(oauth2)]


def casework_reader(tenant: str, kentra: KentraDep, user: CurrentUser) -> Casework:
    kentra.registry.tenant(tenant)
    may_read_casework(user, tenant)
    return kentra.casework(tenant)


def casework_writer(tenant: str, kentra: KentraDep, user: CurrentUser) -> Casework:
    kentra.registry.tenant(tenant)
    may_record_casework(user, tenant, None)
    return kentra.casework(tenant)


CaseworkReader = Annotated[Casework, Depends(casework_reader)]
CaseworkWriter = Annotated[Casework, Depends(casework_writer)]


def casework_views(casework: CaseworkReader, kentra: KentraDep) -> CaseworkViews:
    """The tenant's views, for a caller who may read its casework (asked first, by ``casework_reader``)."""
    return kentra.views(casework.tenant.id)


CaseworkViewsDep = Annotated[CaseworkViews, Depends(casework_views)]


def command_id(
    key: Annotated[
        CommandId | None,
        Header(alias="Idempotency-Key", description="Retrying with the same key returns the first response"),
    ] = None,
) -> str:
    return key or f"http-{uuid4()}"


CommandIdDep = Annotated[str, Depends(command_id)]


Limit = Annotated[int, Query(ge=1, le=200, description="Page size (at most 200)")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Status = Annotated[str | None, Query(max_length=30, pattern=r"^[a-z_]+$")]
From = Annotated[date | None, Query(alias="from", description="Occurred on or after")]
To = Annotated[date | None, Query(alias="to", description="Occurred on or before")]
StructureQuery = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]


def list_query(
    limit: Limit = 50,
    offset: Offset = 0,
    status: Status = None,
    structure: StructureQuery = None,
    beneficiary_id: UUID | None = None,
    occurred_from: From = None,
    occurred_to: To = None,
) -> ListQuery:
    return ListQuery(limit, offset, status, structure, beneficiary_id, occurred_from, occurred_to)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]
