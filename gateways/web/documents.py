"""Pages: Documents attached to a person or an entry, sealed under the person's key (issue 23).

The person's page and a request's, referral's or visit's page list their documents and carry the
upload form (``documents_block``, a template global, so the pages' own modules need not change); the
upload and the download go through services/documents.py like the API. Viewing: an image opens in the
browser from here (its type checked from its bytes, nosniff, sandboxed); a PDF is downloaded and
opened by the browser's or the computer's own viewer.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from jinja2 import pass_context
from starlette.datastructures import UploadFile

from domain.documents import ATTACHABLE, DocumentGoneError, DocumentKind, DocumentRefusedError, DocumentTooLargeError
from domain.errors import BeneficiaryErasedError, DomainError, EntryNotFoundError, InvalidValueError
from gateways.downloads import download_headers
from gateways.web.labels import LABELS
from gateways.web.present import parse_date
from gateways.web.session import csrf_protect, kentra_of, lang_of, message, templates, user_of
from services import commands as c
from services import documents
from services.access import AccessDeniedError, Role, may_attach_document
from services.casework_commands import validated
from services.timeline import EntryView

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
CHUNK = 64 * 1024
SEGMENTS = {"request": "requests", "referral": "referrals", "home_visit": "home-visits"}
VIEWABLE = frozenset({"image/jpeg", "image/png"})


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


@pass_context
def documents_block(context: Any) -> dict[str, Any] | None:
    """What ``documents_block.html`` shows on a person's or an entry's page; None where nothing is shown
    (an activity, or a reader who may not see the person's documents)."""
    request: Request = context["request"]
    view: EntryView = context["view"]
    tenant: str = context["tenant"]
    kind: str = context["kind"]
    user = user_of(request)
    if user is None or (kind != "beneficiary" and (kind not in ATTACHABLE or view.person is None)):
        return None
    person = view.id if kind == "beneficiary" else view.person[0] if view.person else None
    if person is None:
        return None
    entry_id = None if kind == "beneficiary" else view.id
    casework = kentra_of(request).casework(tenant)
    try:
        listed = documents.documents_of(casework, user, person, entry_id=entry_id)
    except DomainError:
        return None
    lang = lang_of(request)
    t = LABELS[lang]
    may_attach = not view.erased and not view.voided and user.role in (Role.CASEWORKER, Role.COORDINATOR)
    if may_attach:
        try:
            may_attach_document(user, tenant, casework.entry(person).structure)
        except AccessDeniedError:
            may_attach = False
    return {
        "erased": view.erased,
        "error": _error_key(request.query_params.get("document_error", "")),
        "rows": [
            {
                "kind": getattr(d.kind, f"label_{lang}"),
                "document_date": d.document_date.strftime("%d/%m/%Y"),
                "attached_on": d.attached_on.strftime("%d/%m/%Y"),
                "filename": d.filename,
                "size": _size(d.size),
                "href": f"/t/{tenant}/documents/{d.id}",
                "viewable": d.media_type in VIEWABLE,
            }
            for d in listed
        ],
        "may_attach": may_attach,
        "action": f"/t/{tenant}/people/{person}/documents",
        "entry_id": str(entry_id) if entry_id else None,
        "key": f"web-doc-{uuid4()}",
        "kinds": [(k.value, getattr(k, f"label_{lang}")) for k in DocumentKind],
        "t": t,
    }


templates.env.globals["documents_block"] = documents_block

_ERRORS = frozenset({"file", "too_large", "document_date", "document_kind", "entry_id", "erased", "not_kept"})


def _error_key(code: str) -> str | None:
    return f"doc_err_{code}" if code in _ERRORS else None


def _refusal(error: DomainError) -> str:
    """The code of a refusal, shown in Greek beside the form (never the file's name)."""
    if isinstance(error, DocumentTooLargeError):
        return "too_large"
    if isinstance(error, DocumentRefusedError):
        return "file"
    if isinstance(error, BeneficiaryErasedError):
        return "erased"
    if isinstance(error, documents.DocumentsNotKeptError):
        return "not_kept"
    field = (error.field or "").split(".")[0]
    return field if field in _ERRORS else "file"


def _typed_day(text: str) -> str:
    """A date as staff type it (dd/mm/yyyy, as every form of the pages asks) or ISO; refused naming the field."""
    try:
        return parse_date(text).isoformat()
    except ValueError:
        raise InvalidValueError("document_date: not a date (dd/mm/yyyy)", field="document_date") from None


@router.post("/t/{tenant}/people/{person_id}/documents")
async def attach_document(request: Request, tenant: str, person_id: str) -> Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        kentra.registry.tenant(tenant)
        person = UUID(person_id)
        casework = kentra.casework(tenant)
        form = await request.form()
        entry_text = str(form.get("entry_id") or "")
        entry_id = UUID(entry_text) if entry_text else None
        segment = SEGMENTS.get(casework.entry(entry_id).KIND, "people") if entry_id else "people"
    except (DomainError, ValueError):
        return message(request, 404, "not_found")
    back = f"/t/{tenant}/{segment}/{entry_id or person}"
    file = form.get("file")
    upload = documents.Upload(kentra.settings.document_max_bytes)
    try:
        fields = validated(
            c.AttachDocumentFields,
            {
                "beneficiary_id": str(person),
                "document_kind": form.get("document_kind"),
                "document_date": _typed_day(str(form.get("document_date") or "")),
                "entry_id": entry_text or None,
            },
            "",
        )
        assert isinstance(fields, c.AttachDocumentFields)
        if not isinstance(file, UploadFile):
            raise DocumentRefusedError("file: no file was sent")
        while chunk := await file.read(CHUNK):
            upload.add(chunk)
        key = str(form.get("command_id") or f"web-doc-{uuid4()}")
        documents.attach(
            casework, user, fields, filename=file.filename, claimed_type=file.content_type, data=upload.data, key=key
        )
    except AccessDeniedError:
        return message(request, 403, "not_allowed")
    except DomainError as error:
        if type(error) is EntryNotFoundError:
            return message(request, 404, "not_found")
        return RedirectResponse(f"{back}?document_error={_refusal(error)}#documents", status_code=303)
    return RedirectResponse(f"{back}?done=document#documents", status_code=303)


@router.get("/t/{tenant}/documents/{document_id}")
def download_document(request: Request, tenant: str, document_id: str, view: int = 0) -> Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/", status_code=303)
    kentra = kentra_of(request)
    try:
        kentra.registry.tenant(tenant)
        casework = kentra.casework(tenant)
        got = documents.download(casework, user, UUID(document_id), endpoint="document-download")
    except DocumentGoneError:
        return message(request, 404, "document_gone")
    except (DomainError, ValueError):
        return message(request, 404, "not_found")
    headers = download_headers(got)
    if view and got.media_type in VIEWABLE:
        headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline", 1)
    return Response(got.data, media_type=got.media_type, headers=headers)
