"""What the documents commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

Documents attached to a person or an entry, sealed under the person's key (issue 23). The bytes are
checked and stored by services/documents.py before the command runs; the handler records the facts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel

from domain.beneficiaries import Beneficiary
from domain.documents import Document, DocumentRefusedError
from domain.entries import CaseEntry
from services import commands as c
from services.casework_commands import expect, sealer, structure_of
from services.idempotency import entry_id_for
from services.ports import PersonalDataVault

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


def documents_index(vault: PersonalDataVault, beneficiary_id: UUID) -> str:
    """The blind index under which a person's documents are found (the vault's non-unique index: a
    keyed digest of the person's id, so the row says nothing to whoever reads the table)."""
    return vault.blind_index("documents-of", str(beneficiary_id))


def forget_index(vault: PersonalDataVault, beneficiary_id: UUID) -> None:
    """At erasure: the person's documents index goes with the rest of their mutable rows."""
    index = documents_index(vault, beneficiary_id)
    vault.remove_from_index([(index, owner) for owner in vault.indexed(index)])


def attach_document(app: Casework, work: UnitOfWork, cmd: c.AttachDocument) -> Document:
    beneficiary = work.get(cmd.beneficiary_id, Beneficiary, "beneficiary")
    entry = work.get(cmd.entry_id, CaseEntry, "entry") if cmd.entry_id is not None else None
    if entry is not None:
        expect(work, entry, None)
    document_id = entry_id_for(app.tenant.id, cmd.command_id)
    if app.documents is None or app.documents.get(beneficiary.id, document_id) is None:
        # A bare command (``kentra record``, a batch) would record a document nobody can ever open:
        # one is recorded only after services/documents.py stored its checked, sealed file.
        raise DocumentRefusedError("file: a document is recorded with its file only (the pages or the API)")
    document = Document.attach(
        id=document_id,
        beneficiary=beneficiary,
        entry=entry,
        document_kind=cmd.document_kind,
        document_date=cmd.document_date,
        structure=structure_of(app, cmd.structure, beneficiary.structure),
        recorded_by=cmd.recorded_by,
        media_type=cmd.media_type,
        size=cmd.size,
        today=app.today(),
        seal=sealer(app, {"filename": cmd.filename}),
    )
    # Written with the batch's keys, before the events; an index left by a failed save names no entry
    # and is skipped when listing.
    app.vault.add_to_index(documents_index(app.vault, beneficiary.id), document.id)
    return document


HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {c.AttachDocument: attach_document}
