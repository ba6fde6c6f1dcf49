"""Field work without a connection (issue 25) over the API: the device's key parameters for the signed-in
user, and "take the day's visits" (``services.field``). The field app (``/field/``) calls both with its
bearer token; what it records offline it sends later through the ordinary endpoints, each command with
its ``Idempotency-Key`` and ``expected_version``.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateways.http.deps import CaseworkReader, CurrentUser, KentraDep
from gateways.http.schemas import problem_responses
from services import field
from services.access import AccessDeniedError
from services.idempotency import KENTRA_NAMESPACE

router = APIRouter(prefix="/api/v1", tags=["field work"], responses=problem_responses(401, 403, 404, 500, 503))
# PBKDF2-SHA256 iterations of the device key (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
KEY_ITERATIONS = 600_000


class StructureChoice(BaseModel):
    id: str
    name: str


class DeviceProfile(BaseModel):
    """How the field app derives the device key and how long it may keep what it takes."""

    username: str
    tenant: str
    structure: str | None = Field(description="The structure she records for (None: a coordinator, any)")
    structures: list[StructureChoice] = Field(description="The structures she may record an intake in")
    salt: str = Field(description="PBKDF2 salt of her device key (fixed per user; not secret)")
    iterations: int
    wipe_after_seconds: int = Field(description="What is taken is wiped from the device this long after")
    entry_namespace: UUID = Field(
        description="uuid5 namespace of entry ids: a command's entry is uuid5(this, '<tenant>/entry/<command id>')"
    )


class FieldPerson(BaseModel):
    id: UUID
    version: int
    structure: str
    first_name: str | None
    last_name: str | None
    birth_date: date | None
    address: str | None
    phone: str | None


class FieldItem(BaseModel):
    entry_id: UUID
    kind: str
    subtype: str | None
    local_subtype: str | None
    status: str
    structure: str
    beneficiary_id: UUID
    occurred_on: date
    follow_up_due: date | None
    version: int


class FieldTake(BaseModel):
    """Her own people and their open items (requests open, visits' follow-ups due), nobody else's."""

    tenant: str
    as_of: date
    structure: str | None
    people: list[FieldPerson]
    items: list[FieldItem]


@router.get("/field/device", summary="The signed-in caseworker's field-work device parameters")
def field_device(kentra: KentraDep, user: CurrentUser) -> DeviceProfile:
    if len(user.tenants) != 1:
        raise AccessDeniedError("field work is for the staff of one municipality")
    tenant = next(iter(user.tenants))
    field.may_take(user, tenant)
    return DeviceProfile(
        username=user.username,
        tenant=tenant,
        structure=user.structure,
        structures=[
            StructureChoice(id=s.id, name=s.name_el)
            for s in kentra.registry.tenant(tenant).structures
            if user.structure in (None, s.id)
        ],
        salt=kentra.tokens.device_salt(user.username),
        iterations=KEY_ITERATIONS,
        wipe_after_seconds=kentra.settings.field_device_hours * 3600,
        entry_namespace=KENTRA_NAMESPACE,
    )


@router.get(
    "/tenants/{tenant}/field/take",
    summary="Take the day's visits: the caller's own people and their open items",
    description="Each person taken is logged as a look at their personal data. No ΑΜΚΑ, ΑΦΜ, notes or "
    "special-category answers; nothing of another worker's people, another structure or tenant, or of an "
    "erased person.",
)
def take_field_work(kentra: KentraDep, casework: CaseworkReader, user: CurrentUser, tenant: str) -> FieldTake:
    taken = field.take(casework, kentra.views(tenant), user, today=casework.today())
    return FieldTake(
        tenant=tenant,
        as_of=taken.as_of,
        structure=taken.structure,
        people=[FieldPerson.model_validate(p) for p in taken.people],
        items=[FieldItem.model_validate(i) for i in taken.items],
    )
