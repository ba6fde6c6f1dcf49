"""Every error the domain raises: one hierarchy under DomainError, each naming what was wrong."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """A rule of the domain refused a command. ``field`` names the offending input, if one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidValueError(DomainError, ValueError):
    """An input value is malformed or outside its allowed set.

    Also a ValueError so that pydantic validators turn it into a field error.
    """


class UnknownTenantError(InvalidValueError):
    def __init__(self, tenant: str) -> None:
        super().__init__(f"unknown tenant {tenant!r}", field="tenant")


class UnknownStructureError(InvalidValueError):
    def __init__(self, tenant: str, structure: str) -> None:
        super().__init__(f"tenant {tenant!r} has no structure {structure!r}", field="structure")


class UnknownOperationError(InvalidValueError):
    def __init__(self, tenant: str, operation: str) -> None:
        super().__init__(
            f"tenant {tenant!r} has no operation {operation!r} (give its MIS/ΟΠΣ code or programme period)",
            field="operation",
        )


class OutsideOperationError(InvalidValueError):
    """A period or a date that does not fall within the operation it is asked of."""

    def __init__(self, message: str, field: str = "period") -> None:
        super().__init__(message, field=field)


class AmkaDateMismatchError(InvalidValueError):
    """The ΑΜΚΑ's DDMMYY is not the birth date and the caller did not confirm that it is so."""

    def __init__(self) -> None:
        super().__init__(
            "the ΑΜΚΑ's first six digits (DDMMYY) are not the birth date; check both, and if the ΑΜΚΑ really "
            "was issued so, send amka_date_mismatch_confirmed: true",
            field="personal.amka",
        )


class DateInFutureError(InvalidValueError):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is in the future", field=field)


class DateOrderError(InvalidValueError):
    """A date comes before the date of the step it follows."""


class DuplicateBeneficiaryError(DomainError):
    """The person is registered already; ``existing_id`` is their record, or None when withheld.

    The message never names the record: who holds an ΑΜΚΑ, and in which structure, is told only to
    those who see every structure (``withheld`` makes the error for everyone else)."""

    def __init__(self, existing_id: UUID | None) -> None:
        told = "" if existing_id is not None else "; ask your coordinator"
        super().__init__(f"this ΑΜΚΑ is already registered{told}", field="amka")
        self.existing_id = existing_id

    def withheld(self) -> DuplicateBeneficiaryError:
        return DuplicateBeneficiaryError(None)


class InvalidTransitionError(DomainError):
    """A lifecycle step was asked for in a state that does not allow it."""


class EntryVoidedError(InvalidTransitionError):
    def __init__(self, entry_id: UUID) -> None:
        super().__init__(f"entry {entry_id} was voided and takes no further changes")


class BeneficiaryErasedError(InvalidTransitionError):
    def __init__(self, beneficiary_id: UUID) -> None:
        super().__init__(f"beneficiary {beneficiary_id} was erased: nothing more is recorded about them")


class PersonalDataUnreadableError(InvalidTransitionError):
    """The subject's stored key does not open (replaced or damaged, not erased): nothing can be sealed
    for them until the store is looked at, and what was sealed before reads as erased."""

    def __init__(self, subject_id: UUID) -> None:
        super().__init__(
            f"the personal data of {subject_id} cannot be opened (their stored key is damaged): nothing was"
            " recorded; run `kentra audit verify`"
        )


class ErasureNotDueError(InvalidTransitionError):
    """The retention period has not ended and no legal ground was given; the message says until when."""

    def __init__(self, beneficiary_id: UUID, why: str, earliest: str | None) -> None:
        when = f"not before {earliest}" if earliest else "no erasure date yet"
        super().__init__(f"beneficiary {beneficiary_id} may not be erased yet ({when}: {why}); give a legal ground")


class NotAmendableError(InvalidValueError):
    """A correction names a field that cannot be amended on that kind of entry."""


class EntryNotFoundError(DomainError):
    def __init__(self, entry_id: UUID, kind: str = "entry") -> None:
        super().__init__(f"no {kind} {entry_id}", field="id")
        self.entry_id = entry_id


class ConcurrentChangeError(DomainError):
    """Someone else changed the record first (optimistic concurrency); reload and retry."""


class CommandIdReusedError(DomainError):
    """A command id was sent again with a different command or different content."""

    def __init__(self) -> None:
        super().__init__("this command id was already used for a different command", field="command_id")
