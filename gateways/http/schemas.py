"""Response bodies, one per purpose."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class StructurePublic(BaseModel):
    id: str
    kind: str
    name_el: str


class OperationPublic(BaseModel):
    """One ESF operation of a tenant (services.esf.operation_meta); None where the registry does not say."""

    key: str
    period: str
    code: str | None
    code_kind: str | None
    title: str
    programme: str
    priority_axis: str | None
    budget_eur: str | None
    budget_amended_eur: str | None
    budget_amendment: str | None
    from_: str | None = Field(alias="from")
    to: str | None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class TenantPublic(BaseModel):
    id: str
    name_el: str
    name_en: str
    region: str
    structures: list[StructurePublic]
    operations: list[OperationPublic] = []


class Recorded(BaseModel):
    """What a POST recorded: the entry created or changed and its version after the command."""

    entry_id: UUID
    kind: str
    version: int
    command_id: str
    replayed: bool


class EventPublic(BaseModel):
    event: str
    version: int
    recorded_at: str
    attributes: dict[str, Any]


class EntryPublic(BaseModel):
    id: UUID
    kind: str
    version: int
    state: dict[str, Any]
    history: list[EventPublic]


class BeneficiaryMatch(BaseModel):
    """A person found by a search: never the ΑΜΚΑ in full (its first four and last two digits)."""

    id: UUID
    structure: str
    registered_on: str
    first_name: str | None
    last_name: str | None
    birth_date: date | None = None
    amka_masked: str | None = None
    last_contact: date | None = None  # the latest contact not voided, in a structure the caller sees


class EntryRow(BaseModel):
    """One entry in a list: codes, dates and ids, never personal data. Every kind has the same row
    (the case index); ``subtype`` is the request category, referral destination, visit purpose or
    activity kind, as the list's own filter names it. Codes stay strings here: a code retired from a
    catalogue still lists."""

    entry_id: UUID
    kind: str
    subtype: str | None
    status: str
    structure: str
    beneficiary_id: UUID | None
    occurred_on: date
    closed_on: date | None
    follow_up_due: date | None
    outcome: str | None
    recorded_by: str
    voided: bool
    version: int


class RequestRow(EntryRow):
    kind: Literal["request"]


class ReferralRow(EntryRow):
    kind: Literal["referral"]


class HomeVisitRow(EntryRow):
    kind: Literal["home_visit"]


class ActivityRow(EntryRow):
    kind: Literal["activity"]


# One page class per kind, each field spelled out: items first, as the API has always answered.
class RequestPage(BaseModel):
    """A page of requests and how many match in all."""

    items: list[RequestRow]
    total: int
    limit: int
    offset: int


class ReferralPage(BaseModel):
    """A page of referrals and how many match in all."""

    items: list[ReferralRow]
    total: int
    limit: int
    offset: int


class HomeVisitPage(BaseModel):
    """A page of home visits and how many match in all."""

    items: list[HomeVisitRow]
    total: int
    limit: int
    offset: int


class ActivityPage(BaseModel):
    """A page of activities and how many match in all."""

    items: list[ActivityRow]
    total: int
    limit: int
    offset: int


class ImportJob(BaseModel):
    """An import's status and counts. A field is present once the job has it (a job not yet started
    has no ``started_at``); the API leaves the others out rather than answering null. Fields keep
    the order in which a job gains them, so the JSON reads as before."""

    id: str
    tenant: str
    file: str | None = None
    kind: str | None = None
    dry_run: bool | None = None
    asked_by: str | None = None
    status: Literal["queued", "running", "done", "failed"]
    rows_done: int | None = None
    rows_total: int | None = None  # the file's data rows, once a worker has counted them
    started_at: str | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    finished_at: str | None = None
    rejected_rows_reported: int | None = None
    status_url: str | None = None


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the field at fault where there is one."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    field: str | None = None
    error: str | None = None
    errors: list[FieldProblem] | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    inline = {k: v for k, v in schema.items() if k != "$defs"}
    inline["properties"]["errors"] = {
        "anyOf": [{"type": "array", "items": FieldProblem.model_json_schema()}, {"type": "null"}]
    }
    return {
        code: {"description": "A problem (RFC 9457)", "content": {"application/problem+json": {"schema": inline}}}
        for code in codes
    }
