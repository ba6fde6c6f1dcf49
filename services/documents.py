"""Documents of a person (issue 23): attach, list, download. The API and the pages share these.

Attaching: the upload is read in chunks and refused once past the limit; its type is found from its
bytes (never its name) and must be PDF, JPEG or PNG and agree with what the caller claimed; then it
is sealed under the person's key, stored, and the command recorded; if recording fails the stored
bytes are deleted, so nothing is half-written. Every download is recorded in the access log.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import filetype

from domain.beneficiaries import Beneficiary
from domain.documents import (
    MEDIA_TYPES,
    Document,
    DocumentGoneError,
    DocumentKind,
    DocumentRefusedError,
    DocumentTooLargeError,
)
from domain.errors import DomainError, EntryNotFoundError
from services import commands as c
from services.access import AccessDeniedError, Principal, may_attach_document, may_read_document, sees_personal_data
from services.casework import Casework, Outcome
from services.casework_documents import documents_index
from services.idempotency import entry_id_for
from services.people import visible_entry

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
EXTENSIONS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# What a browser or a script would run: a "PDF" that is a web page, an SVG, a script; looked for in
# the whole file (a polyglot hides it after a valid start). PDF actions that run code or programs.
_ACTIVE = re.compile(rb"<\s*(html|script|svg|iframe|object|embed|\?php)|<!doctype|/javascript|/launch", re.IGNORECASE)
# A PDF name may spell any character as #xx (/J#61vaScript is /JavaScript to a reader), and PDF 1.5
# object streams hold dictionaries (an /OpenAction's too) compressed, so neither shows in the bytes.
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/<>\[\]()]+)")
OBJECT_STREAMS_MAX = 16 * 1024 * 1024  # inflated, all of a file's object streams (dictionaries: KiBs)
_JPEG_END = b"\xff\xd9"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


class DocumentsNotKeptError(DomainError):
    """This installation has no document store wired (``Casework.documents`` is None)."""

    def __init__(self) -> None:
        super().__init__("documents are not kept by this installation", field="file")


class Upload:
    """An upload read chunk by chunk, refused as soon as it passes the limit (never read whole first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.parts.clear()
            raise DocumentTooLargeError(self.limit)
        self.parts.append(chunk)

    def read(self, chunks: Iterable[bytes]) -> bytes:
        for chunk in chunks:
            self.add(chunk)
        return self.data

    @property
    def data(self) -> bytes:
        return b"".join(self.parts)


def _unescaped(data: bytes) -> bytes:
    return _NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), data)


def _pdf_parts(data: bytes) -> Iterator[bytes]:
    """What a PDF reader reads as dictionaries: the file with its names unescaped, then each object
    stream inflated (bounded: a stream that inflates past the budget is refused, never inflated whole).
    An object stream under another filter than Flate is refused rather than let through unread."""
    yield _unescaped(data)
    budget = OBJECT_STREAMS_MAX
    at = 0
    while (opened := _STREAM.search(data, at)) is not None:
        end = data.find(b"endstream", opened.end())
        end = len(data) if end < 0 else end
        head = _unescaped(data[max(data.rfind(b"obj", at, opened.start()), at) : opened.start()])
        at = end + len(b"endstream")
        if not _OBJECT_STREAM.search(head):
            continue
        given = _FILTER.search(head)
        filters = re.findall(rb"/([^\s/<>\[\]()]+)", given[1]) if given else []
        if not filters:
            continue  # in clear: searched with the file
        if filters not in ([b"FlateDecode"], [b"Fl"]) or re.search(rb"/(DecodeParms|DP)\b", head):  # a predictor
            # would interleave bytes through the inflated text, splitting a /JavaScript: not checked, refused
            raise DocumentRefusedError("file: the PDF compresses its objects in a way that cannot be checked")
        try:
            inflated = zlib.decompressobj().decompress(data[opened.end() : end], budget + 1)
        except zlib.error:
            raise DocumentRefusedError("file: the PDF has a compressed part that does not open") from None
        if len(inflated) > budget:
            raise DocumentRefusedError("file: the PDF's compressed objects are too large to check")
        budget -= len(inflated)
        yield _unescaped(inflated)


def media_type_of(data: bytes, *, filename: str, claimed: str | None) -> str:
    """The file's type found from its bytes: PDF, JPEG or PNG, agreeing with the name's extension and
    the claimed type (if either says one), with nothing active inside and nothing after its end."""
    if not data:
        raise DocumentRefusedError("file: the file is empty")
    found: str | None = filetype.guess_mime(data)
    if found not in MEDIA_TYPES:
        raise DocumentRefusedError("file: only PDF, JPEG and PNG files are kept (found by their content)")
    extension = "." + filename.rsplit(".", 1)[1].lower() if "." in filename else ""
    named = EXTENSIONS.get(extension)
    if extension and named is None:
        # not the extension itself: it is part of the filename, and an error never names one
        raise DocumentRefusedError("file: only a name ending in .pdf, .jpg, .jpeg or .png is kept")
    claimed = (claimed or "").split(";")[0].strip().lower() or None
    if claimed in ("application/octet-stream", "binary/octet-stream"):
        claimed = None  # the caller did not say
    for said in (named, {"image/jpg": "image/jpeg"}.get(claimed or "", claimed)):
        if said is not None and said != found:
            raise DocumentRefusedError(f"file: it says {said} but its content is {found}")
    if any(_ACTIVE.search(part) for part in (_pdf_parts(data) if found == "application/pdf" else (data,))):
        raise DocumentRefusedError("file: it holds a web page, a script or an action that runs code")
    tail = data.rstrip(b"\x00\r\n\t ")
    ended = {
        "application/pdf": b"%%EOF" in data[-2048:],
        "image/jpeg": tail.endswith(_JPEG_END),
        "image/png": tail.endswith(_PNG_END),
    }[found]
    if not ended:
        raise DocumentRefusedError(f"file: the {MEDIA_TYPES[found].upper()} does not end where it should")
    return found


def clean_filename(name: str | None) -> str:
    """The name without folders, control characters or quotes, at most 120 characters; kept sealed."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.replace('"', "").replace("'", "").strip(" .")
    return base[-120:] or "document"


def _person(casework: Casework, user: Principal, beneficiary_id: UUID) -> Beneficiary:
    person = visible_entry(casework, user, beneficiary_id)  # another structure's person: "not found"
    if not isinstance(person, Beneficiary):
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    return person


def attach(
    casework: Casework,
    user: Principal,
    fields: c.AttachDocumentFields,
    *,
    filename: str | None,
    claimed_type: str | None,
    data: bytes,
    key: str,
) -> Outcome:
    """Check the file, seal and store it, record the command (idempotent on ``key``)."""
    may_attach_document(user, casework.tenant.id, None)  # before anything is looked up: says nothing of anyone
    store = casework.documents
    if store is None:
        raise DocumentsNotKeptError
    person = _person(casework, user, fields.beneficiary_id)
    if fields.entry_id is not None:
        visible_entry(casework, user, fields.entry_id)
    may_attach_document(user, casework.tenant.id, fields.structure or person.structure)
    name = clean_filename(filename)
    media_type = media_type_of(data, filename=name, claimed=claimed_type)
    command = c.AttachDocument.model_validate(
        {
            **fields.model_dump(),
            "command_id": key,
            "recorded_by": user.username,
            "filename": name,
            "media_type": media_type,
            "size": len(data),
            "content": casework.vault.fingerprint(data),
        }
    )
    earlier = casework.already_recorded(command)  # a retry: its bytes are stored already
    if earlier is not None:
        return earlier
    document_id = entry_id_for(casework.tenant.id, key)
    store.put(person.id, document_id, casework.vault.seal_bytes(person.id, data))
    try:
        return casework.execute(command)
    except BaseException:
        store.delete(person.id, document_id)  # nothing half-written
        raise


@dataclass(frozen=True)
class Listed:
    """A document as a list shows it (its filename opened only for who may read the person's data)."""

    id: UUID
    beneficiary_id: UUID
    entry_id: UUID | None
    kind: DocumentKind
    document_date: date
    attached_on: date
    structure: str
    recorded_by: str
    media_type: str
    size: int
    filename: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "beneficiary_id": str(self.beneficiary_id),
            "entry_id": str(self.entry_id) if self.entry_id else None,
            "kind": self.kind.value,
            "document_date": self.document_date.isoformat(),
            "attached_on": self.attached_on.isoformat(),
            "structure": self.structure,
            "recorded_by": self.recorded_by,
            "media_type": self.media_type,
            "size": self.size,
            "filename": self.filename,
        }


def documents_of(
    casework: Casework, user: Principal, beneficiary_id: UUID, *, entry_id: UUID | None = None
) -> list[Listed]:
    """A person's documents (or those attached to one of their entries), newest first, voided ones left
    out. An erased person has none to show. Refused to whom may not read the person's data."""
    if not sees_personal_data(user, casework.tenant.id):  # before anything is looked up
        raise AccessDeniedError("this account may not read people's documents")
    person = _person(casework, user, beneficiary_id)
    if not may_read_document(user, casework.tenant.id, person.structure, person.structure):
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    if person.erased:
        return []
    ids = casework.vault.indexed(documents_index(casework.vault, person.id))
    shown: list[Listed] = []
    for document in casework.entries(ids).values():
        if not isinstance(document, Document) or document.voided or document.beneficiary_id != person.id:
            continue
        if entry_id is not None and document.entry_id != entry_id:
            continue
        if not may_read_document(user, casework.tenant.id, person.structure, document.structure):
            continue
        opened = casework.personal_data(document) or {}
        shown.append(
            Listed(
                id=document.id,
                beneficiary_id=person.id,
                entry_id=document.entry_id,
                kind=DocumentKind(document.document_kind),
                document_date=document.document_date,
                attached_on=document.occurred_on,
                structure=document.structure,
                recorded_by=document.recorded_by,
                media_type=document.media_type,
                size=document.size,
                filename=str(opened.get("filename") or "document"),
            )
        )
    return sorted(shown, key=lambda d: (d.attached_on, d.document_date, str(d.id)), reverse=True)


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    data: bytes


def download(casework: Casework, user: Principal, document_id: UUID, *, endpoint: str) -> Download:
    """A document's bytes for who may read its person's data, recorded in the access log. Another
    structure's, tenant's or an uncleared reader's is "not found"; a voided or erased one is gone."""
    try:
        document = casework.entry(document_id)
    except EntryNotFoundError:
        raise EntryNotFoundError(document_id, "document") from None
    if not isinstance(document, Document):
        raise EntryNotFoundError(document_id, "document")
    person = casework.entry(document.beneficiary_id)
    if not isinstance(person, Beneficiary) or not may_read_document(
        user, casework.tenant.id, person.structure, document.structure
    ):
        raise EntryNotFoundError(document_id, "document")
    store = casework.documents
    if person.erased or document.voided or store is None:
        raise DocumentGoneError(document_id)
    sealed = store.get(person.id, document.id)
    data = casework.vault.unseal_bytes(person.id, sealed) if sealed is not None else None
    opened = casework.personal_data(document)
    if data is None or opened is None:
        raise DocumentGoneError(document_id)
    casework.record_access(person.id, accessed_by=user.username, role=user.role.value, endpoint=endpoint)
    name = str(opened.get("filename") or "document")
    return Download(filename=name, media_type=document.media_type, data=data)


def held_about(casework: Casework, beneficiary_id: UUID) -> list[dict[str, Any]]:
    """What the subject-access export lists of a person's documents (GDPR Art. 15): kind, date, filename,
    type, size, when attached and whether voided; never the bytes (given on request, one by one). The
    caller checked who may ask (services/privacy.py)."""
    ids = casework.vault.indexed(documents_index(casework.vault, beneficiary_id))
    held = []
    for document in casework.entries(ids).values():
        if not isinstance(document, Document) or document.beneficiary_id != beneficiary_id:
            continue
        opened = casework.personal_data(document) or {}
        held.append(
            {
                "id": str(document.id),
                "kind": document.document_kind,
                "document_date": document.document_date.isoformat(),
                "attached_on": document.occurred_on.isoformat(),
                "filename": opened.get("filename"),
                "media_type": document.media_type,
                "size": document.size,
                "entry_id": str(document.entry_id) if document.entry_id else None,
                "voided": document.voided,
            }
        )
    return sorted(held, key=lambda d: (d["attached_on"], d["id"]))
