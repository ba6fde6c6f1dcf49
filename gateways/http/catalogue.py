"""HTTP API: A municipality's own catalogue: local request categories, agencies, activity kinds and
visit purposes, each mapped to a national code (issue 23).

Read by the tenant's staff and auditors (codes and labels, no personal data); changed by its
coordinators only (``services.access.may_manage_catalogue``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Response
from pydantic import BaseModel

from domain.local_catalogue import CODE_PATTERN, KINDS, LocalEntry
from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkReader, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import casework_catalogue as catalogue
from services import commands as c

router = casework_router("catalogue")
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="The local code (local_...)")]


class LocalEntryPublic(BaseModel):
    """One of the municipality's own entries, the national code it counts under, and its state."""

    kind: c.CatalogueKind
    code: str
    label_el: str
    label_en: str
    national: str
    national_label_el: str
    national_label_en: str
    added_on: date
    retired_on: date | None
    active: bool


def public(entry: LocalEntry) -> LocalEntryPublic:
    national = KINDS[entry.kind](entry.national)
    return LocalEntryPublic(
        kind=entry.kind,
        code=entry.code,
        label_el=entry.label_el,
        label_en=entry.label_en,
        national=entry.national,
        national_label_el=national.label_el,
        national_label_en=national.label_en,
        added_on=entry.added_on,
        retired_on=entry.retired_on,
        active=entry.active,
    )


@router.get("/catalogue", summary="The municipality's own catalogue entries (retired ones too)")
def list_catalogue(
    casework: CaseworkReader, user: CurrentUser, kind: c.CatalogueKind | None = None
) -> list[LocalEntryPublic]:
    return [public(e) for e in catalogue.local_entries(casework, user, kind)]


@router.post("/catalogue", status_code=201, responses=Created, summary="Add a local entry (coordinators)")
def add_local_entry(
    casework: CaseworkReader, user: CurrentUser, body: c.LocalEntryFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(catalogue.manage(casework, user, body, "add_local_entry", key), response)


@router.post(
    "/catalogue/{kind}/{code}/retirement",
    status_code=201,
    responses=Created,
    summary="Retire a local entry: kept for the records in it, offered for no new one (coordinators)",
)
def retire_local_entry(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkReader,
    user: CurrentUser,
    kind: c.CatalogueKind,
    code: CodePath,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    ref = c.LocalEntryRef(kind=kind, code=code)
    return recorded(catalogue.manage(casework, user, ref, "retire_local_entry", key), response)


@router.post(
    "/catalogue/{kind}/{code}/labels",
    status_code=201,
    responses=Created,
    summary="New labels for a local entry; its code and national code stay (coordinators)",
)
def relabel_local_entry(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkReader,
    user: CurrentUser,
    kind: c.CatalogueKind,
    code: CodePath,
    body: c.RelabelFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    fields = {**body.model_dump(), "kind": kind, "code": code}
    return recorded(catalogue.manage(casework, user, _Relabel(**fields), "relabel_local_entry", key), response)


class _Relabel(c.RelabelFields):
    kind: c.CatalogueKind
    code: str
