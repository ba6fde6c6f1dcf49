"""Which events of a tenant's log leave the municipality: declared here, once, by class.

An allow-list. ``PUBLISHED`` events go to the Region (pseudonymised, gateways/kafka/envelope.py)
and are the events the views and the auditor's replay fold; ``INTERNAL`` ones stay in the
municipality. A new event class is published by no one until it is listed in ``PUBLISHED``, and
tests/unit/test_event_declarations.py fails until it is listed in one of the two. Naming the classes
(not strings) means renaming one breaks this import, not a silent skip further on.

The command records (services/idempotency.py) are not domain events and are not listed: being in
neither list, they are not published.
"""

from __future__ import annotations

from eventsourcing.domain import DomainEvent

from domain.access_log import AuditQuery, PersonalDataAccess, PersonalDataSearch
from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.consent import PrivacyRecord
from domain.documents import Document
from domain.entries import CaseEntry
from domain.esf import EsfSubmission
from domain.home_visits import HomeVisit
from domain.households import Household, HouseholdMembership
from domain.import_run import ImportRun
from domain.local_catalogue import LocalCatalogue
from domain.referrals import Referral
from domain.requests import CaseRequest

EventClass = type[DomainEvent]

PUBLISHED: tuple[EventClass, ...] = (
    Beneficiary.Registered,
    Beneficiary.Erased,  # only the ESF answers, kept for the figures
    CaseRequest.Opened,
    CaseRequest.ProgressStarted,
    CaseRequest.Closed,
    CaseRequest.Reopened,  # the step and its date only: the reason is sealed
    CaseRequest.AgencyStatusRecorded,
    Referral.Sent,
    Referral.Answered,
    Referral.OutcomeRecorded,
    HomeVisit.Conducted,
    HomeVisit.FollowUpCompleted,
    Activity.Recorded,
    CaseEntry.Amended,
    CaseEntry.Voided,
    # issue 23: households (published ones, if any)
    # issue 23: catalogue (published ones, if any)
    # issue 23: documents (published ones, if any)
    # issue 23: consent (published ones, if any)
)

INTERNAL: tuple[EventClass, ...] = (
    Beneficiary.LegalHoldPlaced,  # a court case or a complaint is the municipality's own business
    # Who is responsible for a person (staff names) and a transfer to the Roma branch (ethnic origin,
    # GDPR Art. 9) stay in the municipality; the Region counts a person in the structure of entry.
    Beneficiary.CaseAssigned,
    # ESF participation and deliveries (issue 21): the municipality's own delivery to its managing
    # authority, with special-category answers at entry; the Region's figures do not use them. They
    # are folded locally (projections/fold.py) and by the auditor's replay.
    Beneficiary.OperationEntered,
    Beneficiary.SituationChanged,
    Beneficiary.OperationLeft,
    Beneficiary.LongTermResultRecorded,
    Beneficiary.OperationRecordCorrected,
    EsfSubmission.Submitted,
    PersonalDataAccess.Recorded,
    PersonalDataSearch.Recorded,
    AuditQuery.Asked,
    ImportRun.Completed,
    # issue 23: households
    # Households never leave the municipality (the Region's figures are people): the household's slots
    # and size, and each person's membership (sealed under their key).
    Household.Formed,
    Household.MemberJoined,
    Household.MemberLeft,
    Household.HeadChanged,
    HouseholdMembership.Started,
    HouseholdMembership.Joined,
    HouseholdMembership.Left,
    HouseholdMembership.RelationChanged,
    # issue 23: catalogue. A municipality's own vocabulary: never sent to the Region, which counts the
    # national code every record keeps in its coded field.
    LocalCatalogue.Started,
    LocalCatalogue.EntryAdded,
    LocalCatalogue.EntryRetired,
    LocalCatalogue.EntryRelabelled,
    # issue 23: documents
    Document.Attached,  # a person's file: the municipality's own; the Region counts no documents
    # issue 23: consent. A person's privacy record: when they were informed and what they consented
    # to is the municipality's own (GDPR Art. 13, 7); the details are sealed under their key.
    PrivacyRecord.Opened,
    PrivacyRecord.InformationGiven,
    PrivacyRecord.ConsentGiven,
    PrivacyRecord.ConsentWithdrawn,
)


def event_name(cls: EventClass) -> str:
    """The name an event class is published and stored under (the topic's part after the module)."""
    return cls.__qualname__


PUBLISHED_BY_NAME: dict[str, EventClass] = {event_name(cls): cls for cls in PUBLISHED}


def is_published(cls: type) -> bool:
    """Whether events of this class leave the municipality."""
    return PUBLISHED_BY_NAME.get(cls.__qualname__) is cls


def published_topic(topic: str) -> bool:
    """Whether a stored row's topic ("module:Qual.Name") is a published event's, without decoding it."""
    return topic.partition(":")[2] in PUBLISHED_BY_NAME


# Every kind of casework entry, by its KIND code (what a correction's fields are checked against).
ENTRY_KINDS: dict[str, type[CaseEntry]] = {
    kind.KIND: kind for kind in (Beneficiary, CaseRequest, Referral, HomeVisit, Activity)
}

# The fields an amendment may publish: every kind's amendable fields, less those it keeps unpublished.
PUBLISHED_CHANGES: frozenset[str] = frozenset(
    name for kind in ENTRY_KINDS.values() for name in kind.AMENDABLE if name not in kind.UNPUBLISHED
)
