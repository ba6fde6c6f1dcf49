"""A person's privacy record (issue 23): when they were informed of how their data are used (GDPR
Art. 13, with the notice's version), the consents they gave and withdrew, and which referrals need
their consent.

One record per person, its id fixed by theirs (``privacy_record_id``), so a command finds it without
a query. Its events keep in clear only dates and consent ids; what was consented to, with which
agency, how, and which notice was given are sealed under the person's key, so an erasure leaves
nothing of them readable. The handlers open the sealed details to apply ``SharingNeedsConsent``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEvent, event

from domain.catalogue import Agency, CorrectionReason, Labelled
from domain.entries import CaseEntry, ensure_not_future
from domain.errors import DateOrderError, EntryNotFoundError, InvalidTransitionError, InvalidValueError

if TYPE_CHECKING:
    from domain.beneficiaries import Beneficiary


class ConsentPurpose(Labelled):
    """What a person may consent to (a national list: the legal basis of everything else is not consent)."""

    SHARING_WITH_AGENCY = (
        "sharing_with_agency",
        "Διαβίβαση στοιχείων σε φορέα (παραπομπή)",
        "Sharing their data with an agency (referral)",
    )
    PHOTOS_AT_EVENTS = ("photos_at_events", "Φωτογραφίες σε εκδηλώσεις της κοινότητας", "Photos at community events")
    CONTACT_BY_SMS = ("contact_by_sms", "Επικοινωνία με SMS", "Contact by SMS")
    CONTACT_BY_EMAIL = ("contact_by_email", "Επικοινωνία με email", "Contact by email")


class ConsentMethod(Labelled):
    """How the consent was given (GDPR Art. 7(1): the controller must be able to show it)."""

    SIGNED_FORM = ("signed_form", "Υπογεγραμμένο έντυπο", "Signed form")
    ORALLY_RECORDED = ("orally_recorded", "Προφορικά, με καταγραφή", "Orally, recorded")


class UnknownNoticeError(InvalidValueError):
    """The notice's version is not one of the municipality's (tenants.toml ``privacy_notices``)."""

    def __init__(self, version: str, known: Iterable[str]) -> None:
        super().__init__(
            f"notice_version {version!r} is not one of the municipality's notices ({', '.join(known)})",
            field="notice_version",
        )


class ConsentRequiredError(InvalidTransitionError):
    """A referral shares the person's data with an agency whose basis is consent, and none is active
    (a conflict with the person's record, as any step their state does not allow: HTTP 409)."""

    def __init__(self, agency: str) -> None:
        super().__init__(
            f"a referral to {agency!r} shares the person's data and needs their consent to sharing with"
            f" {agency!r}; none is active on the referral's date: record how it was given (consent.given_as)",
            field="consent.given_as",
        )
        self.agency = agency


class ConsentWithdrawnError(InvalidTransitionError):
    def __init__(self, consent_id: UUID) -> None:
        super().__init__(f"consent {consent_id} was withdrawn already")


def ensure_agency_fits(purpose: str, agency: str | None) -> None:
    """A consent to sharing names the agency it is shared with; any other consent names none."""
    sharing = purpose == ConsentPurpose.SHARING_WITH_AGENCY
    if sharing and agency is None:
        raise InvalidValueError("a consent to sharing with an agency names the agency", field="agency")
    if not sharing and agency is not None:
        raise InvalidValueError("only a consent to sharing with an agency names one", field="agency")


PRIVACY_RECORD = "privacy-record"


def privacy_record_id(beneficiary_id: UUID) -> UUID:
    """The id of a person's privacy record: fixed by theirs, so every command finds it without a query."""
    return uuid5(beneficiary_id, PRIVACY_RECORD)


def referral_consent_id(referral_id: UUID) -> UUID:
    """The id of a consent recorded with a referral (in the same command)."""
    return uuid5(referral_id, "consent")


@dataclass(frozen=True)
class OpenedConsent:
    """A consent with its sealed details opened (by the handler, with the person's key)."""

    consent_id: UUID
    purpose: str
    agency: str | None
    given_on: date
    withdrawn_on: date | None

    def active_on(self, day: date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)


@dataclass(frozen=True)
class SharingNeedsConsent:
    """A referral passes the person's data to its destination. Public bodies acting under a legal duty
    (ΟΠΕΚΑ, ΔΥΠΑ, e-ΕΦΚΑ, ΚΕΠ, ΚΕΠΑ, a hospital, a mental-health unit, the municipality's own services,
    a prosecutor) receive them on the basis of that duty or a public task (GDPR Art. 6(1)(c) and (e),
    Art. 9(2)(b), (g), (h)): no consent is asked. An NGO, a social-support structure or any other agency
    has no such basis: the person's consent to sharing with that agency (Art. 6(1)(a), 9(2)(a)) is.
    Listed are the exempt ones, so that a code added later needs consent until someone decides otherwise."""

    WITHOUT_CONSENT: ClassVar[frozenset[str]] = frozenset(
        {
            Agency.OPEKA,
            Agency.DYPA,
            Agency.EFKA,
            Agency.KEP,
            Agency.KEPA,
            Agency.HOSPITAL,
            Agency.MENTAL_HEALTH_UNIT,
            Agency.MUNICIPAL_SERVICE,
            Agency.PROSECUTOR,
        }
    )

    def applies_to(self, agency: str) -> bool:
        """Whether a referral to this agency (its national code) needs the person's consent."""
        return agency not in self.WITHOUT_CONSENT

    def is_met(self, agency: str, day: date, consents: Iterable[OpenedConsent]) -> bool:
        """A consent to sharing with this very agency, given by that day and not withdrawn by it."""
        return any(
            c.purpose == ConsentPurpose.SHARING_WITH_AGENCY and c.agency == agency and c.active_on(day)
            for c in consents
        )

    def check(self, agency: str, day: date, consents: Iterable[OpenedConsent]) -> None:
        if self.applies_to(agency) and not self.is_met(agency, day, consents):
            raise ConsentRequiredError(agency)


SHARING_NEEDS_CONSENT = SharingNeedsConsent()


class PrivacyRecord(CaseEntry):
    """Information given to one person and their consents: corrections are new events (information
    given again, a consent withdrawn), never amendments or voids."""

    KIND: ClassVar[str] = "privacy_record"

    if TYPE_CHECKING:
        Opened: ClassVar[type[DomainEvent]]
        InformationGiven: ClassVar[type[DomainEvent]]
        ConsentGiven: ClassVar[type[DomainEvent]]
        ConsentWithdrawn: ClassVar[type[DomainEvent]]

    @event("Opened")
    def __init__(self, *, id: UUID, beneficiary_id: UUID, occurred_on: date, structure: str, recorded_by: str) -> None:
        self.beneficiary_id = beneficiary_id
        self.occurred_on = occurred_on
        self.structure = structure
        self.recorded_by = recorded_by
        self.sealed: str | None = None
        self.voided = False
        self.corrections = 0
        # Each information given: on, structure, recorded_by and the sealed notice version; oldest first.
        self.informed: list[dict[str, Any]] = []
        # Each consent by its id (text: the state is shown as JSON): given_on, withdrawn_on, sealed details.
        self.consents: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, *, beneficiary: Beneficiary, occurred_on: date, structure: str, recorded_by: str) -> PrivacyRecord:
        """The record of an active person, made with the first thing recorded on it."""
        beneficiary.ensure_active()
        return cls(
            id=privacy_record_id(beneficiary.id),
            beneficiary_id=beneficiary.id,
            occurred_on=occurred_on,
            structure=structure,
            recorded_by=recorded_by,
        )

    @property
    def subject_id(self) -> UUID:
        return self.beneficiary_id

    # ------------------------------------------------------------------ information (GDPR Art. 13)
    def give_information(
        self, *, occurred_on: date, today: date, recorded_by: str, structure: str, sealed: str
    ) -> None:
        """The person was informed, that day, with the notice sealed in ``sealed`` (its version)."""
        self.ensure_open_for_changes()
        ensure_not_future(occurred_on, today)
        self._information_given(occurred_on=occurred_on, recorded_by=recorded_by, structure=structure, sealed=sealed)

    @event("InformationGiven")
    def _information_given(self, *, occurred_on: date, recorded_by: str, structure: str, sealed: str) -> None:
        self.informed.append({"on": occurred_on, "structure": structure, "recorded_by": recorded_by, "sealed": sealed})

    # ------------------------------------------------------------------ consents
    def give_consent(
        self, *, consent_id: UUID, occurred_on: date, today: date, recorded_by: str, structure: str, sealed: str
    ) -> None:
        """A consent given that day; what to and how is sealed in ``sealed``."""
        self.ensure_open_for_changes()
        ensure_not_future(occurred_on, today)
        if str(consent_id) in self.consents:
            raise InvalidValueError(f"consent {consent_id} is recorded already", field="consent_id")
        self._consent_given(
            consent_id=consent_id, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure, sealed=sealed
        )

    @event("ConsentGiven")
    def _consent_given(
        self, *, consent_id: UUID, occurred_on: date, recorded_by: str, structure: str, sealed: str
    ) -> None:
        self.consents[str(consent_id)] = {
            "given_on": occurred_on,
            "withdrawn_on": None,
            "structure": structure,
            "recorded_by": recorded_by,
            "sealed": sealed,
        }

    def withdraw_consent(
        self, *, consent_id: UUID, occurred_on: date, today: date, recorded_by: str, structure: str
    ) -> None:
        """The person withdrew a consent (GDPR Art. 7(3)): it counts no more from that day."""
        self.ensure_open_for_changes()
        consent = self.consents.get(str(consent_id))
        if consent is None:
            raise EntryNotFoundError(consent_id, "consent")
        if consent["withdrawn_on"] is not None:
            raise ConsentWithdrawnError(consent_id)
        ensure_not_future(occurred_on, today)
        if occurred_on < consent["given_on"]:
            given = consent["given_on"]
            raise DateOrderError(f"a withdrawal cannot predate the consent ({given})", field="occurred_on")
        self._consent_withdrawn(
            consent_id=consent_id, occurred_on=occurred_on, recorded_by=recorded_by, structure=structure
        )

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, *, consent_id: UUID, occurred_on: date, recorded_by: str, structure: str) -> None:
        self.consents[str(consent_id)]["withdrawn_on"] = occurred_on

    # ------------------------------------------------------------------ no corrections in place
    def amend(self, **_: Any) -> None:
        raise InvalidTransitionError(
            "information and consent are not amended: record the information again, or withdraw the consent"
        )

    def void(
        self, *, reason: CorrectionReason, sealed_reason: str | None, today: date, recorded_by: str, structure: str
    ) -> None:
        raise InvalidTransitionError(
            "information and consent are not voided: record the information again, or withdraw the consent"
        )
