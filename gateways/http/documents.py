"""HTTP API: Documents attached to a person or an entry, sealed under the person's key (issue 23).

Upload (multipart: the file and its facts), a person's list, and the file itself; the rules are
services/documents.py's, the rights services/access.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import File, Form, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from domain.documents import DocumentKind
from gateways.downloads import download_headers
from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkReader, CaseworkWriter, CommandIdDep, CurrentUser, KentraDep
from gateways.http.schemas import Recorded
from services import commands as c
from services import documents

router = casework_router("documents")
CHUNK = 64 * 1024
EXAMPLE = {
    "file": "(εκκαθαριστικό-2023.pdf)",
    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
    "document_kind": "tax_statement",
    "document_date": "2024-04-30",
}


@dataclass(frozen=True)
class DocumentPublic(documents.Listed):
    """A document as its list shows it; ``filename`` is personal data (opened for who may read it)."""

    content_url: str


@router.post(
    "/documents",
    status_code=201,
    responses=Created,
    summary="Attach a document (PDF, JPEG or PNG, checked by its content) to a person or one of their entries",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"example": EXAMPLE}}}},
)
async def attach_document(  # noqa: PLR0917 - FastAPI passes the form's fields as parameters
    casework: CaseworkWriter,
    kentra: KentraDep,
    user: CurrentUser,
    key: CommandIdDep,
    response: Response,
    file: Annotated[UploadFile, File(description="The file: PDF, JPEG or PNG, at most KENTRA_DOCUMENT_MAX_BYTES")],
    beneficiary_id: Annotated[UUID, Form()],
    document_kind: Annotated[DocumentKind, Form()],
    document_date: Annotated[date, Form(description="The document's own date (issued, signed)")],
    entry_id: Annotated[UUID | None, Form(description="The person's request, referral or visit")] = None,
    structure: Annotated[c.StructureId | None, Form(description="Default: the person's structure")] = None,
) -> Recorded:
    fields = c.AttachDocumentFields(
        beneficiary_id=beneficiary_id,
        document_kind=document_kind,
        document_date=document_date,
        entry_id=entry_id,
        structure=structure or None,
    )
    upload = documents.Upload(kentra.settings.document_max_bytes)
    while chunk := await file.read(CHUNK):
        upload.add(chunk)  # refused as soon as it is past the limit
    outcome = await run_in_threadpool(
        documents.attach,
        casework,
        user,
        fields,
        filename=file.filename,
        claimed_type=file.content_type,
        data=upload.data,
        key=key,
    )
    return recorded(outcome, response)


@router.get("/documents", summary="A person's documents (or one entry's), newest first")
def list_documents(
    casework: CaseworkReader,
    user: CurrentUser,
    tenant: str,
    beneficiary_id: Annotated[UUID, Query()],
    entry_id: Annotated[UUID | None, Query()] = None,
) -> list[DocumentPublic]:
    listed = documents.documents_of(casework, user, beneficiary_id, entry_id=entry_id)
    if listed:  # the filenames are the person's data: who read them is recorded
        casework.record_access(
            beneficiary_id, accessed_by=user.username, role=user.role.value, endpoint="document-list"
        )
    return [
        DocumentPublic(
            **d.__dict__,
            content_url=f"/api/v1/tenants/{tenant}/documents/{d.id}/content",
        )
        for d in listed
    ]


@router.get(
    "/documents/{document_id}/content",
    summary="The document's file, as an attachment (each download in the access log)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def download_document(casework: CaseworkReader, user: CurrentUser, document_id: UUID) -> Response:
    got = documents.download(casework, user, document_id, endpoint="document-download")
    return Response(got.data, media_type=got.media_type, headers=download_headers(got))
