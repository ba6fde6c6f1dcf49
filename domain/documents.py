"""A document attached to a person (issue 23): a scan of an identity card, an Ε1 tax statement, a
disability decision (ΚΕΠΑ), an agency's answer. An entry of its own, about one beneficiary, optionally
attached to one of their entries (request, referral, home visit).

What is in clear: its kind, its date, when it was attached, where and by whom, its media type and
size. Its filename is sealed under the person's key; its bytes are kept apart (services.ports
``DocumentStore``), sealed under the same key, so that an erasure leaves nothing readable.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import Labelled
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import DateOrderError, EntryNotFoundError, InvalidValueError

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.beneficiaries import Beneficiary


class DocumentKind(Labelled):
    """The national list of document kinds a centre keeps on file."""

    IDENTITY_CARD = ("identity_card", "Αστυνομική ταυτότητα", "Identity card")
    TAX_STATEMENT = ("tax_statement", "Εκκαθαριστικό Ε1", "E1 tax statement")
    DISABILITY_DECISION = ("disability_decision", "Απόφαση ΚΕΠΑ", "Disability decision (KEPA)")
    AGENCY_ANSWER = ("agency_answer", "Απάντηση φορέα", "Agency's answer")
    MEDICAL_REPORT = ("medical_report", "Ιατρική γνωμάτευση", "Medical report")
    OTHER = ("other", "Άλλο", "Other")


# What a document may be, by content (never by its name): PDF, JPEG, PNG. TIFF and HEIC are left out:
# browsers do not show them, and a scanner or a phone saves PDF or JPEG as well.
MEDIA_TYPES: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class DocumentRefusedError(InvalidValueError):
    """The file is not one Kentra keeps (empty, another type than it claims, not PDF/JPEG/PNG)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


class DocumentTooLargeError(DocumentRefusedError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"file: documents are limited to {limit} bytes")
        self.limit = limit


class DocumentGoneError(EntryNotFoundError):
    """The document's person was erased, or it was voided: its bytes are not there to give."""

    def __init__(self, document_id: UUID) -> None:
        super().__init__(document_id, "document")
        self.message = f"document {document_id} is no longer available"


class Document(CaseEntry):
    KIND: ClassVar[str] = "document"
    AMENDABLE: ClassVar[tuple[str, ...]] = ()  # a wrong one is voided and attached again

    if TYPE_CHECKING:
        Attached: ClassVar[type[DomainEvent]]

    @event("Attached")
    def __init__(
        self,
        *,
        id: UUID,
        beneficiary_id: UUID,
        entry_id: UUID | None,
        document_kind: str,
        document_date: date,
        occurred_on: date,
        structure: str,
        recorded_by: str,
        media_type: str,
        size: int,
        sealed: str | None,
    ) -> None:
        self.beneficiary_id = beneficiary_id
        self.entry_id = entry_id
        self.document_kind = document_kind
        self.document_date = document_date
        self.occurred_on = occurred_on  # the day it was attached
        self.structure = structure
        self.recorded_by = recorded_by
        self.media_type = media_type
        self.size = size
        self.sealed = sealed  # {"filename": ...} under the person's key
        self.voided = False
        self.corrections = 0

    @classmethod
    def attach(
        cls,
        *,
        id: UUID,
        beneficiary: Beneficiary,
        entry: CaseEntry | None,
        document_kind: DocumentKind,
        document_date: date,
        structure: str,
        recorded_by: str,
        media_type: str,
        size: int,
        today: date,
        seal: Callable[[UUID], str | None],
    ) -> Document:
        """A document of an active person, dated not in the future, attached (if to an entry) to an
        entry of the same person that is not void."""
        beneficiary.ensure_active()  # a document may predate the intake (an identity card)
        ensure_not_future(document_date, today, "document_date")
        if entry is not None:
            if getattr(entry, "beneficiary_id", None) != beneficiary.id or entry.KIND not in ATTACHABLE:
                raise InvalidValueError(
                    "a document is attached to a request, referral or visit of the same person", field="entry_id"
                )
            entry.ensure_open_for_changes()
        if media_type not in MEDIA_TYPES:
            raise DocumentRefusedError(f"file: only {', '.join(MEDIA_TYPES)} are kept")
        if size <= 0:
            raise DocumentRefusedError("file: the file is empty")
        if document_date < date(1900, 1, 1):
            raise DateOrderError("a document's date is after 1900", field="document_date")
        return cls(
            id=id,
            beneficiary_id=beneficiary.id,
            entry_id=entry.id if entry is not None else None,
            document_kind=document_kind.value,
            document_date=document_date,
            occurred_on=today,
            structure=structure,
            recorded_by=recorded_by,
            media_type=media_type,
            size=size,
            sealed=seal(beneficiary.id),
        )

    @property
    def subject_id(self) -> UUID:
        return self.beneficiary_id


ATTACHABLE = frozenset({"request", "referral", "home_visit"})
