"""The HTTP API, version 1. Paths are a public contract: keep them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.security import OAuth2PasswordRequestForm

from domain.catalogue import ActivityKind, Agency, HomeVisitPurpose, RequestCategory
from domain.entries import CaseEntry
from domain.errors import DuplicateBeneficiaryError, EntryNotFoundError, InvalidValueError
from gateways.http.deps import (
    BearerToken,
    CaseworkReader,
    CaseworkWriter,
    CommandIdDep,
    CurrentUser,
    KentraDep,
    client_address,
)
from gateways.http.schemas import (
    BeneficiaryMatch,
    EntryPublic,
    Page,
    Recorded,
    StructurePublic,
    TenantPublic,
    Token,
    problem_responses,
)
from infra.bootstrap import Kentra
from infra.tokens import InvalidTokenError
from projections.queries import page
from services import commands as c
from services.access import (
    AccessDeniedError,
    Principal,
    may_record_casework,
    may_search_people,
    sees_every_structure,
    sees_personal_data,
    sees_structure,
    structure_scope,
    visible_tenants,
)
from services.casework import Casework

router = APIRouter(prefix="/api/v1", responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 500, 503))
TENANT = "/tenants/{tenant}"


@router.post(
    "/auth/token",
    tags=["auth"],
    summary="Sign in (OAuth2 password flow)",
    responses=problem_responses(429),
    description="Failed attempts are counted per account and per client; past the limit the answer is 429 "
    "with `Retry-After` (seconds), even for the right password, until the window moves on.",
)
def token(kentra: KentraDep, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    client = client_address(request)
    kentra.sign_in_throttle.check(form.username, client)
    principal = kentra.accounts.authenticate(form.username, form.password)
    if principal is None:
        kentra.sign_in_throttle.failed(form.username, client)
        raise InvalidTokenError("wrong user name or password")
    return Token(access_token=kentra.sessions.open(principal), expires_in=kentra.tokens.ttl_seconds)


@router.post(
    "/auth/logout",
    tags=["auth"],
    summary="Sign out: the token's session ends on the server",
    status_code=status.HTTP_204_NO_CONTENT,
)
def logout(kentra: KentraDep, _: CurrentUser, bearer: BearerToken) -> Response:
    if bearer:  # an external issuer's token has no Kentra session; its lifetime is capped instead
        kentra.sessions.close(bearer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tenants", tags=["tenants"], summary="The tenants the caller may see")
def tenants(kentra: KentraDep, user: CurrentUser) -> list[TenantPublic]:
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


# ---------------------------------------------------------------------------------------- helpers
def visible_entry(casework: Casework, user: Principal, entry_id: UUID) -> CaseEntry:
    """The entry if the caller may see it; otherwise 'not found', so nothing about it leaks."""
    entry = casework.entry(entry_id)
    if not sees_structure(user, entry.structure):
        raise EntryNotFoundError(entry_id)
    return entry


def record(
    casework: Casework, user: Principal, payload: c.Payload, command: str, key: str, response: Response, **ids: UUID
) -> Recorded:
    """Turn a body into a command of the caller, check the caller's rights on its target, record it."""
    target = (
        next(iter(ids.values()), None) or getattr(payload, "entry_id", None) or getattr(payload, "beneficiary_id", None)
    )
    structure = getattr(payload, "structure", None)
    if target is not None:
        entry = visible_entry(casework, user, target)
        structure = structure or entry.structure
    may_record_casework(user, casework.tenant.id, structure)
    document = {
        **payload.model_dump(mode="json", exclude_unset=False),
        **{k: str(v) for k, v in ids.items()},
        "command": command,
        "command_id": key,
        "recorded_by": user.username,
    }
    try:
        outcome = casework.execute(c.COMMAND_ADAPTER.validate_python(document))
    except DuplicateBeneficiaryError as taken:
        if sees_every_structure(user, casework.tenant.id):
            raise
        # The same answer whichever structure holds the ΑΜΚΑ: no id, no structure (docs/design.md).
        raise taken.withheld() from None
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


def entry_public(casework: Casework, user: Principal, entry_id: UUID, kind: str, endpoint: str) -> EntryPublic:
    entry = visible_entry(casework, user, entry_id)
    if kind != entry.KIND:
        raise EntryNotFoundError(entry_id, kind)
    reveal = sees_personal_data(user, casework.tenant.id)  # auditors without clearance: pseudonymised
    if reveal:
        subject = getattr(entry, "beneficiary_id", None) or (entry.id if kind == "beneficiary" else None)
        if subject is not None:
            casework.record_access(subject, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    described = casework.describe(entry_id, reveal=reveal)
    return EntryPublic(
        id=entry.id,
        kind=entry.KIND,
        version=entry.version,
        state=described["state"],
        history=casework.history(entry_id, reveal=reveal),
    )


Limit = Annotated[int, Query(ge=1, le=200, description="Page size (at most 200)")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Status = Annotated[str | None, Query(max_length=30, pattern=r"^[a-z_]+$")]
From = Annotated[date | None, Query(alias="from", description="Occurred on or after")]
To = Annotated[date | None, Query(alias="to", description="Occurred on or before")]
StructureQuery = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]


@dataclass(frozen=True)
class ListQuery:
    limit: int
    offset: int
    status: str | None
    structure: str | None
    beneficiary_id: UUID | None
    occurred_from: date | None
    occurred_to: date | None


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


def list_entries(
    kentra: Kentra, casework: Casework, user: Principal, kind: str, subtype: str | None, query: ListQuery
) -> Page:
    structure = query.structure
    if (own := structure_scope(user)) is not None:
        if structure not in (None, own):
            raise AccessDeniedError(f"no access to structure {structure!r}")
        structure = own
    views = kentra.views(casework.tenant.id)
    views.catch_up()  # read your own writes: the views follow the log before answering
    with views.engine.connect() as conn:
        rows, total = page(
            conn,
            kind=kind,
            filters={
                "subtype": subtype,
                "status": query.status,
                "structure": structure,
                "beneficiary_id": query.beneficiary_id,
            },
            occurred_from=query.occurred_from,
            occurred_to=query.occurred_to,
            limit=query.limit,
            offset=query.offset,
        )
    return Page(items=[jsonable_encoder(row) for row in rows], total=total, limit=query.limit, offset=query.offset)


Created: dict[int | str, dict[str, Any]] = {
    201: {"description": "Recorded", "model": Recorded},
    200: {"description": "A retry: the first response again", "model": Recorded},
}


# ---------------------------------------------------------------------------------------- beneficiaries
@router.post(
    TENANT + "/beneficiaries",
    tags=["beneficiaries"],
    status_code=201,
    responses=Created,
    summary="Intake: register a beneficiary",
)
def register(
    casework: CaseworkWriter, user: CurrentUser, body: c.IntakeFields, key: CommandIdDep, response: Response
) -> Recorded:
    return record(casework, user, body, "register_beneficiary", key, response)


@router.get(TENANT + "/beneficiaries", tags=["beneficiaries"], summary="Find beneficiaries by ΑΜΚΑ or name")
def search(
    casework: CaseworkReader,
    user: CurrentUser,
    amka: Annotated[str | None, Query(max_length=11, description="Exact ΑΜΚΑ")] = None,
    name: Annotated[str | None, Query(max_length=200, description="Surname, or first name and surname")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[BeneficiaryMatch]:
    if (amka is None) == (name is None):
        raise InvalidValueError("give exactly one of amka or name", field="amka")
    may_search_people(user, casework.tenant.id)
    if amka is not None:
        found = casework.find_by_amka(amka)
        candidates = [found] if found else []
    else:
        candidates = casework.search_by_name(name or "", limit=limit)
    shown = [(b, entry) for b in candidates if sees_structure(user, (entry := casework.entry(b)).structure)]
    casework.record_search(
        by="amka" if amka is not None else "name",
        found=len(shown),
        searched_by=user.username,
        role=user.role.value,
        endpoint="GET /beneficiaries",
    )
    matches = []
    for beneficiary_id, entry in shown:
        person = (casework.personal_data(entry) or {}).get("personal", {})
        casework.record_access(
            beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint="GET /beneficiaries"
        )
        matches.append(
            BeneficiaryMatch(
                id=beneficiary_id,
                structure=entry.structure,
                registered_on=entry.occurred_on.isoformat(),
                first_name=person.get("first_name"),
                last_name=person.get("last_name"),
            )
        )
    return matches


@router.get(
    TENANT + "/beneficiaries/{beneficiary_id}", tags=["beneficiaries"], summary="A beneficiary with their history"
)
def beneficiary(casework: CaseworkReader, user: CurrentUser, beneficiary_id: UUID) -> EntryPublic:
    return entry_public(casework, user, beneficiary_id, "beneficiary", "GET /beneficiaries/{id}")


# ---------------------------------------------------------------------------------------- requests
@router.post(TENANT + "/requests", tags=["requests"], status_code=201, responses=Created, summary="Open a request")
def open_request(
    casework: CaseworkWriter, user: CurrentUser, body: c.OpenRequestFields, key: CommandIdDep, response: Response
) -> Recorded:
    return record(casework, user, body, "open_request", key, response)


@router.get(TENANT + "/requests", tags=["requests"], summary="List requests (no personal data)")
def list_requests(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    query: ListQueryDep,
    category: RequestCategory | None = None,
) -> Page:
    return list_entries(kentra, casework, user, "request", category, query)


@router.get(TENANT + "/requests/{request_id}", tags=["requests"], summary="A request with its history")
def get_request(casework: CaseworkReader, user: CurrentUser, request_id: UUID) -> EntryPublic:
    return entry_public(casework, user, request_id, "request", "GET /requests/{id}")


@router.post(TENANT + "/requests/{request_id}/progress", tags=["requests"], status_code=201, responses=Created)
def start_progress(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    body: c.StepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return record(casework, user, body, "start_request_progress", key, response, request_id=request_id)


@router.post(
    TENANT + "/requests/{request_id}/agency-status",
    tags=["requests"],
    status_code=201,
    responses=Created,
    summary="The other agency's reference and status",
)
def agency_status(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    body: c.AgencyStatusFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return record(casework, user, body, "record_agency_status", key, response, request_id=request_id)


@router.post(
    TENANT + "/requests/{request_id}/{step}",
    tags=["requests"],
    status_code=201,
    responses=Created,
    summary="Resolve, close unresolved or withdraw a request",
)
def close_request(
    casework: CaseworkWriter,
    user: CurrentUser,
    request_id: UUID,
    step: Literal["resolution", "closure", "withdrawal"],
    body: c.NoteStepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    command = {
        "resolution": "resolve_request",
        "closure": "close_request_unresolved",
        "withdrawal": "withdraw_request",
    }[step]
    return record(casework, user, body, command, key, response, request_id=request_id)


# ---------------------------------------------------------------------------------------- referrals
@router.post(TENANT + "/referrals", tags=["referrals"], status_code=201, responses=Created, summary="Send a referral")
def send_referral(
    casework: CaseworkWriter, user: CurrentUser, body: c.ReferralFields, key: CommandIdDep, response: Response
) -> Recorded:
    return record(casework, user, body, "send_referral", key, response)


@router.get(TENANT + "/referrals", tags=["referrals"], summary="List referrals (no personal data)")
def list_referrals(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    query: ListQueryDep,
    destination: Agency | None = None,
) -> Page:
    return list_entries(kentra, casework, user, "referral", destination, query)


@router.get(TENANT + "/referrals/{referral_id}", tags=["referrals"], summary="A referral with its history")
def get_referral(casework: CaseworkReader, user: CurrentUser, referral_id: UUID) -> EntryPublic:
    return entry_public(casework, user, referral_id, "referral", "GET /referrals/{id}")


@router.post(
    TENANT + "/referrals/{referral_id}/outcome",
    tags=["referrals"],
    status_code=201,
    responses=Created,
    summary="The outcome of an accepted referral",
)
def referral_outcome(
    casework: CaseworkWriter,
    user: CurrentUser,
    referral_id: UUID,
    body: c.OutcomeFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return record(casework, user, body, "record_referral_outcome", key, response, referral_id=referral_id)


@router.post(
    TENANT + "/referrals/{referral_id}/{answer}",
    tags=["referrals"],
    status_code=201,
    responses=Created,
    summary="The agency accepted or declined the referral",
)
def answer_referral(
    casework: CaseworkWriter,
    user: CurrentUser,
    referral_id: UUID,
    answer: Literal["acceptance", "refusal"],
    body: c.NoteStepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    command = "accept_referral" if answer == "acceptance" else "decline_referral"
    return record(casework, user, body, command, key, response, referral_id=referral_id)


# ---------------------------------------------------------------------------------------- home visits
@router.post(
    TENANT + "/home-visits",
    tags=["home visits"],
    status_code=201,
    responses=Created,
    summary="Record a home visit or social investigation",
)
def home_visit(
    casework: CaseworkWriter, user: CurrentUser, body: c.HomeVisitFields, key: CommandIdDep, response: Response
) -> Recorded:
    return record(casework, user, body, "record_home_visit", key, response)


@router.get(TENANT + "/home-visits", tags=["home visits"], summary="List home visits (no personal data)")
def list_home_visits(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    query: ListQueryDep,
    purpose: HomeVisitPurpose | None = None,
) -> Page:
    return list_entries(kentra, casework, user, "home_visit", purpose, query)


@router.get(TENANT + "/home-visits/{visit_id}", tags=["home visits"], summary="A home visit with its history")
def get_home_visit(casework: CaseworkReader, user: CurrentUser, visit_id: UUID) -> EntryPublic:
    return entry_public(casework, user, visit_id, "home_visit", "GET /home-visits/{id}")


@router.post(
    TENANT + "/home-visits/{visit_id}/follow-up",
    tags=["home visits"],
    status_code=201,
    responses=Created,
    summary="The visit's follow-up was done",
)
def follow_up(
    casework: CaseworkWriter,
    user: CurrentUser,
    visit_id: UUID,
    body: c.NoteStepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return record(casework, user, body, "complete_home_visit_follow_up", key, response, visit_id=visit_id)


# ---------------------------------------------------------------------------------------- activities
@router.post(
    TENANT + "/activities",
    tags=["activities"],
    status_code=201,
    responses=Created,
    summary="Record a session, meeting, visit to an agency, event or volunteer registration",
)
def activity(
    casework: CaseworkWriter, user: CurrentUser, body: c.ActivityFields, key: CommandIdDep, response: Response
) -> Recorded:
    for beneficiary_id in body.beneficiary_ids:
        visible_entry(casework, user, beneficiary_id)
    return record(casework, user, body, "record_activity", key, response)


@router.get(TENANT + "/activities", tags=["activities"], summary="List activities (no personal data)")
def list_activities(
    kentra: KentraDep,
    casework: CaseworkReader,
    user: CurrentUser,
    query: ListQueryDep,
    kind: ActivityKind | None = None,
) -> Page:
    return list_entries(kentra, casework, user, "activity", kind, query)


@router.get(TENANT + "/activities/{activity_id}", tags=["activities"], summary="An activity with its history")
def get_activity(casework: CaseworkReader, user: CurrentUser, activity_id: UUID) -> EntryPublic:
    return entry_public(casework, user, activity_id, "activity", "GET /activities/{id}")


# ---------------------------------------------------------------------------------------- corrections
@router.post(
    TENANT + "/corrections",
    tags=["corrections"],
    status_code=201,
    responses=Created,
    summary="Amend or void an earlier entry, with a reason",
)
def correction(
    casework: CaseworkWriter,
    user: CurrentUser,
    key: CommandIdDep,
    response: Response,
    body: c.AmendFields,
    action: Annotated[Literal["amend", "void"], Query(description="void takes no changes")] = "amend",
) -> Recorded:
    if action == "amend":
        return record(casework, user, body, "amend_entry", key, response)
    if body.changes or body.personal or body.special:
        raise InvalidValueError("a void takes no changes", field="changes")
    void = c.VoidFields(
        entry_id=body.entry_id,
        reason=body.reason,
        reason_note=body.reason_note,
        structure=body.structure,
        expected_version=body.expected_version,
    )
    return record(casework, user, void, "void_entry", key, response)
