"""The commands staff and scripts send, as validated schemas (one JSON document each).

Every command carries a client-supplied ``command_id``: sending the same command again with the
same id returns the first result and records nothing new.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from domain.catalogue import (
    ActivityKind,
    Agency,
    AgencyApplicationStatus,
    CommunityEventType,
    CorrectionReason,
    EmploymentStatus,
    Gender,
    HomeVisitPurpose,
    HouseholdSituation,
    ReferralOutcome,
    RequestCategory,
    ResidenceArea,
)
from domain.profile import FreeText, PersonalDetails, SpecialCategoryAnswers

CommandId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")]
StaffId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
StructureId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: CommandId = Field(description="Client-chosen id; a retry with the same id records nothing new")
    recorded_by: StaffId = Field(description="The staff member's user name")


class OnEntry(Command):
    """A step on an existing entry. ``structure`` defaults to the entry's own structure."""

    occurred_on: date
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1, description="Refuse if the entry changed since")


class ProfileAnswers(BaseModel):
    """The ESF entry profile as staff give it; the age at entry is computed from the birth date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gender: Gender
    employment_status: EmploymentStatus
    isced_level: int = Field(ge=0, le=8)
    household_situation: HouseholdSituation
    residence_area: ResidenceArea
    foreign_background: bool
    third_country_national: bool
    homeless_or_housing_exclusion: bool


class RegisterBeneficiary(Command):
    command: Literal["register_beneficiary"] = "register_beneficiary"
    structure: StructureId
    occurred_on: date = Field(description="Date of the intake")
    personal: PersonalDetails
    profile: ProfileAnswers
    special: SpecialCategoryAnswers


class OpenRequest(Command):
    command: Literal["open_request"] = "open_request"
    beneficiary_id: UUID
    category: RequestCategory
    structure: StructureId
    occurred_on: date
    agency: Agency | None = None
    agency_reference: Reference | None = None
    notes: FreeText | None = None


class StartRequestProgress(OnEntry):
    command: Literal["start_request_progress"] = "start_request_progress"
    request_id: UUID


class CloseRequest(OnEntry):
    command: Literal["resolve_request", "close_request_unresolved", "withdraw_request"]
    request_id: UUID
    notes: FreeText | None = None


class RecordAgencyStatus(OnEntry):
    command: Literal["record_agency_status"] = "record_agency_status"
    request_id: UUID
    agency: Agency
    reference: Reference | None = None
    status: AgencyApplicationStatus


class SendReferral(Command):
    command: Literal["send_referral"] = "send_referral"
    beneficiary_id: UUID
    request_id: UUID | None = None
    destination: Agency
    structure: StructureId
    occurred_on: date
    notes: FreeText | None = None


class AnswerReferral(OnEntry):
    command: Literal["accept_referral", "decline_referral"]
    referral_id: UUID
    notes: FreeText | None = None


class RecordReferralOutcome(OnEntry):
    command: Literal["record_referral_outcome"] = "record_referral_outcome"
    referral_id: UUID
    outcome: ReferralOutcome
    notes: FreeText | None = None


class RecordHomeVisit(Command):
    command: Literal["record_home_visit"] = "record_home_visit"
    beneficiary_id: UUID
    purpose: HomeVisitPurpose
    structure: StructureId
    occurred_on: date
    follow_up_due: date | None = None
    findings: FreeText | None = None


class CompleteHomeVisitFollowUp(OnEntry):
    command: Literal["complete_home_visit_follow_up"] = "complete_home_visit_follow_up"
    visit_id: UUID
    notes: FreeText | None = None


class Volunteer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ]{5,20}$")] | None = None


class RecordActivity(Command):
    command: Literal["record_activity"] = "record_activity"
    kind: ActivityKind
    structure: StructureId
    occurred_on: date
    beneficiary_ids: list[UUID] = Field(default_factory=list, max_length=500)
    participants: int = Field(default=0, ge=0, le=100_000)
    event_type: CommunityEventType | None = None
    agency: Agency | None = None
    volunteer: Volunteer | None = None
    notes: FreeText | None = None


class AmendEntry(Command):
    """Correct an earlier entry. ``changes`` are checked against what that kind of entry allows."""

    command: Literal["amend_entry"] = "amend_entry"
    entry_id: UUID
    changes: dict[str, Any] = Field(default_factory=dict)
    personal: dict[str, Any] | None = Field(default=None, description="Beneficiary only: personal fields to change")
    special: dict[str, Any] | None = Field(default=None, description="Beneficiary only: special-category answers")
    reason: CorrectionReason
    reason_note: FreeText | None = None
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class VoidEntry(Command):
    command: Literal["void_entry"] = "void_entry"
    entry_id: UUID
    reason: CorrectionReason
    reason_note: FreeText | None = None
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


AnyCommand = Annotated[
    RegisterBeneficiary
    | OpenRequest
    | StartRequestProgress
    | CloseRequest
    | RecordAgencyStatus
    | SendReferral
    | AnswerReferral
    | RecordReferralOutcome
    | RecordHomeVisit
    | CompleteHomeVisitFollowUp
    | RecordActivity
    | AmendEntry
    | VoidEntry,
    Field(discriminator="command"),
]
COMMAND_ADAPTER: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)


# What a correction may change on each kind of entry, with the types the values must have.
class BeneficiaryChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occurred_on: date | None = None
    structure: StructureId | None = None
    profile: dict[str, Any] | None = None


class RequestChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: RequestCategory | None = None
    occurred_on: date | None = None
    agency: Agency | None = None
    agency_reference: Reference | None = None


class ReferralChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    destination: Agency | None = None
    occurred_on: date | None = None


class HomeVisitChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: HomeVisitPurpose | None = None
    occurred_on: date | None = None
    follow_up_due: date | None = None


class ActivityChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occurred_on: date | None = None
    participants: int | None = Field(default=None, ge=0, le=100_000)
    beneficiary_ids: list[UUID] | None = None
    event_type: CommunityEventType | None = None
    agency: Agency | None = None


CHANGES_BY_KIND: dict[str, type[BaseModel]] = {
    "beneficiary": BeneficiaryChanges,
    "request": RequestChanges,
    "referral": ReferralChanges,
    "home_visit": HomeVisitChanges,
    "activity": ActivityChanges,
}
