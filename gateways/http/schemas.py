"""Response bodies, one per purpose."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class StructurePublic(BaseModel):
    id: str
    kind: str
    name_el: str


class TenantPublic(BaseModel):
    id: str
    name_el: str
    name_en: str
    region: str
    structures: list[StructurePublic]


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
    id: UUID
    structure: str
    registered_on: str
    first_name: str | None
    last_name: str | None


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


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
