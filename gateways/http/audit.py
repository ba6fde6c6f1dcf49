"""The auditor's API: chain verification, checkpoints, export, replay as of a day, drill-down.

Only auditors assigned to the tenant may ask, and every question is recorded as an ``AuditQuery``
event in the tenant's own log before it is answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from domain.errors import InvalidValueError
from gateways.http.deps import CurrentUser, KentraDep
from gateways.http.reporting import FromDate, StructureFilter, ToDate, period
from gateways.http.schemas import problem_responses
from infra.bootstrap import Kentra
from projections.audit_export import export_lines
from projections.cells import UnknownCellError
from projections.queries import indicators
from projections.replay import replay
from projections.restatement import NameEntry, drilldown, restatement
from services.access import Principal, may_audit, sees_personal_data
from services.casework import Casework

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/audit",
    tags=["audit"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
Basis = Annotated[
    Literal["occurred", "recorded"],
    Query(description="occurred: what happened in the period, as known now; recorded: as recorded by as_of"),
]
AsOf = Annotated[date | None, Query(description="The day a figure was reported (default: today, Athens)")]
MAX_REVEALED = 200


def auditor(tenant: str, kentra: KentraDep, user: CurrentUser) -> Casework:
    kentra.registry.tenant(tenant)
    may_audit(user, tenant)
    return kentra.casework(tenant)


AuditedCasework = Annotated[Casework, Depends(auditor)]


def asked(casework: Casework, user: Principal, endpoint: str, **parameters: Any) -> None:
    """Record the question in the tenant's log before answering it."""
    casework.record_audit_query(
        asked_by=user.username,
        role=user.role.value,
        endpoint=endpoint,
        parameters={k: str(v) for k, v in parameters.items() if v is not None},
    )


def _as_of(casework: Casework, as_of: date | None) -> date:
    today = casework.today()
    if as_of is not None and as_of > today:
        raise InvalidValueError("as_of is in the future", field="as_of")
    return as_of or today


def _names(kentra: Kentra, casework: Casework, user: Principal, reveal: bool) -> NameEntry:
    """Entries by id; people by the tenant's pseudonym unless the auditor may and asks to see them."""
    keys = kentra.keys(casework.tenant)
    show = reveal and sees_personal_data(user, casework.tenant.id)

    def name(entry_id: UUID, person: bool) -> str:
        return str(entry_id) if show or not person else f"pseudonym:{keys.pseudonym(entry_id)}"

    return name


@router.get("/chain", summary="Verify the tenant's hash chain and its signed checkpoints")
def get_chain(kentra: KentraDep, casework: AuditedCasework, user: CurrentUser, tenant: str) -> dict[str, Any]:
    asked(casework, user, "GET /audit/chain")
    chain = kentra.audit_chain(tenant)
    verdict = chain.verify()
    return {
        "tenant": tenant,
        **verdict.as_dict(),
        "public_key": chain.public_key,
        "checkpoints_stored": [c.as_dict() for c in chain.checkpoints()][-20:],
    }


@router.get(
    "/export",
    summary="The chained log and its checkpoints as JSON lines, to verify offline with the public key",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def get_export(kentra: KentraDep, casework: AuditedCasework, user: CurrentUser, tenant: str) -> StreamingResponse:
    asked(casework, user, "GET /audit/export")
    chain = kentra.audit_chain(tenant)
    chain.extend()
    verdict = chain.verify()
    if not verdict.ok:
        raise InvalidValueError(
            f"the chain breaks at position {verdict.first_broken}: {verdict.problem}; not exported", field="tenant"
        )
    earlier, final = chain.checkpoints(), chain.checkpoint()

    def lines() -> Iterator[str]:
        for line in export_lines(tenant, chain.stored_events(), earlier, final):
            yield line + "\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="kentra-audit-{tenant}-{final.position}.jsonl"'},
    )


@dataclass(frozen=True)
class AuditScope:
    """The terms every replayed question shares, checked: a period, a structure, a day and a basis."""

    start: date
    end: date
    structure: str | None
    as_of: date
    basis: Literal["occurred", "recorded"]

    def terms(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def audit_scope(
    casework: AuditedCasework,
    start: FromDate,
    end: ToDate,
    structure: StructureFilter = None,
    as_of: AsOf = None,
    basis: Basis = "occurred",
) -> AuditScope:
    period(start, end)
    if structure is not None:
        casework.tenant.structure(structure)
    return AuditScope(start, end, structure, _as_of(casework, as_of), basis)


Scope = Annotated[AuditScope, Depends(audit_scope)]


@router.get("/indicators", summary="Indicators recomputed from the raw log, as of a day, with the restatement")
def get_replayed_indicators(
    kentra: KentraDep, casework: AuditedCasework, user: CurrentUser, tenant: str, scope: Scope
) -> dict[str, Any]:
    asked(casework, user, "GET /audit/indicators", **scope.terms())
    replayed = replay(casework, casework.vault, scope.as_of)
    try:
        chosen = replayed.basis(scope.basis)
        with chosen.connect() as conn:
            doc = indicators(conn, scope.start, scope.end, scope.structure)
        names = _names(kentra, casework, user, reveal=False)
        return {
            "tenant": tenant,
            "basis": scope.basis,
            "as_of": scope.as_of.isoformat(),
            "replayed": {"events": chosen.events, "up_to_position": chosen.position, "log_head": replayed.head},
            "indicators": doc,
            "restatement": restatement(replayed, scope.start, scope.end, structure=scope.structure, name=names),
        }
    finally:
        replayed.close()


@router.get("/drilldown", summary="The entries, people and log events behind one indicator cell")
def get_drilldown(
    kentra: KentraDep,
    casework: AuditedCasework,
    user: CurrentUser,
    tenant: str,
    scope: Scope,
    cell: Annotated[str, Query(max_length=120, description="metric/key/gender, e.g. requests/category:gmi/total")],
    reveal: Annotated[bool, Query(description="Show who the people are (auditors cleared for it; logged)")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many events")] = 1000,
) -> dict[str, Any]:
    asked(casework, user, "GET /audit/drilldown", **scope.terms(), cell=cell, reveal=reveal)  # refused ones too
    if reveal and not sees_personal_data(user, tenant):
        raise InvalidValueError("this account may not see personal data: ask without reveal", field="reveal")
    replayed = replay(casework, casework.vault, scope.as_of)
    try:
        with replayed.basis(scope.basis).connect() as conn:
            try:
                found = drilldown(
                    conn,
                    cell,
                    scope.start,
                    scope.end,
                    structure=scope.structure,
                    name=_names(kentra, casework, user, reveal),
                    limit=limit,
                )
            except UnknownCellError as error:
                raise InvalidValueError(str(error), field="cell") from None
    finally:
        replayed.close()
    result = {"tenant": tenant, "basis": scope.basis, "as_of": scope.as_of.isoformat(), **found}
    if reveal:
        result["people_details"] = _reveal(casework, user, found["people"][:MAX_REVEALED])
        result["people_revealed"] = f"{len(result['people_details'])} of {len(found['people'])}"
    return result


def _reveal(casework: Casework, user: Principal, people: list[str]) -> list[dict[str, Any]]:
    """Names and ΑΜΚΑ of the people behind a cell; each read is recorded as personal-data access."""
    details = []
    for text in people:
        person_id = UUID(text)
        casework.record_access(
            person_id, accessed_by=user.username, role=user.role.value, endpoint="GET /audit/drilldown"
        )
        entry = casework.entry(person_id)
        opened = casework.personal_data(entry) or {}
        personal = opened.get("personal", {})
        details.append(
            {
                "id": text,
                "first_name": personal.get("first_name", "[erased]"),
                "last_name": personal.get("last_name", "[erased]"),
                "amka": personal.get("amka", "[erased]"),
            }
        )
    return details
