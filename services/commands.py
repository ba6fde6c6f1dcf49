"""The commands staff and scripts send, as validated schemas (one JSON document each).

Every command carries a client-supplied ``command_id``: sending the same command again with the
same id returns the first result and records nothing new.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
    create_model,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

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
    Labelled,
    ReferralOutcome,
    RequestCategory,
    ResidenceArea,
)
from domain.consent import ConsentMethod, ConsentPurpose
from domain.documents import DocumentKind
from domain.entries import CaseEntry
from domain.esf import LeavingStatus, LongTermStatus, OperationKey
from domain.events import ENTRY_KINDS
from domain.households import HouseholdRelation
from domain.local_catalogue import CODE_PATTERN, KINDS
from domain.profile import FreeText, PersonalDetails, SpecialCategoryAnswers

CommandId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")]
StaffId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
StructureId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]  # required FreeText
# A municipality's own code (domain/local_catalogue.py), accepted beside the national ones in a coded
# field; the handler checks it is the tenant's and active, and records the national code it maps to.
LocalCode = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
_LOCAL_CODE = re.compile(CODE_PATTERN)


def _code_check(national: type[Labelled]) -> Callable[[str], str]:
    """A coded field's one check: one of ``national``'s codes or a local one (``local_...``), so that a
    refusal names the field itself (the handler then checks the local code is the tenant's)."""
    values = list(national._value2member_map_)

    def check(value: str) -> str:
        if value in national._value2member_map_ or _LOCAL_CODE.match(value):
            return str(value)
        raise PydanticCustomError(
            "enum", "Input should be one of {expected}, or a local code local_...", {"expected": ", ".join(values)}
        )

    return check


def _code_schema(national: type[Labelled]) -> JsonDict:
    """The schema lists the national values beside the local codes' pattern."""
    return {
        "anyOf": [
            {"type": "string", "enum": list(national._value2member_map_), "title": national.__name__},
            {"type": "string", "pattern": CODE_PATTERN, "title": "Local code"},
        ],
        "description": "a national code, or one of the municipality's own (local_...) mapped to one",
    }


RequestCategoryCode = Annotated[
    str, AfterValidator(_code_check(RequestCategory)), WithJsonSchema(_code_schema(RequestCategory))
]
AgencyCode = Annotated[str, AfterValidator(_code_check(Agency)), WithJsonSchema(_code_schema(Agency))]
PurposeCode = Annotated[
    str, AfterValidator(_code_check(HomeVisitPurpose)), WithJsonSchema(_code_schema(HomeVisitPurpose))
]
ActivityKindCode = Annotated[str, AfterValidator(_code_check(ActivityKind)), WithJsonSchema(_code_schema(ActivityKind))]


class Payload(BaseModel):
    """What a caller sends (an HTTP body); the matching command adds its id and who recorded it."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: CommandId = Field(description="Client-chosen id; a retry with the same id records nothing new")
    recorded_by: StaffId = Field(description="The staff member's user name")


class StepFields(Payload):
    """A step on an existing entry. ``structure`` defaults to the entry's own structure."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"occurred_on": "2024-05-04", "expected_version": 1}]})

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


INTAKE_EXAMPLE: JsonDict = {
    "structure": "centre",
    "occurred_on": "2024-05-02",
    "personal": {
        "first_name": "Ελένη",
        "last_name": "Παπαδοπούλου",
        "birth_date": "1979-03-04",
        "amka": "04037900422",
        "phone": "6912345678",
        "address": "Καραϊσκάκη 14, Σοφάδες",
    },
    "profile": {
        "gender": "female",
        "employment_status": "long_term_unemployed",
        "isced_level": 2,
        "household_situation": "single_parent",
        "residence_area": "rural",
        "foreign_background": False,
        "third_country_national": False,
        "homeless_or_housing_exclusion": False,
    },
    "special": {"disability": "no", "minority": "refused", "other_disadvantage": "no"},
}


class IntakeFields(Payload):
    model_config = ConfigDict(json_schema_extra={"examples": [INTAKE_EXAMPLE]})

    structure: StructureId
    occurred_on: date = Field(description="Date of the intake")
    personal: PersonalDetails
    profile: ProfileAnswers
    amka_date_mismatch_confirmed: bool = Field(
        default=False,
        description="Staff checked that the ΑΜΚΑ's DDMMYY differs from the birth date (ΑΜΚΑ issued so exist)",
    )
    special: SpecialCategoryAnswers


class RegisterBeneficiary(Command, IntakeFields):
    command: Literal["register_beneficiary"] = "register_beneficiary"


class OpenRequestFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
                    "category": "gmi",
                    "structure": "centre",
                    "occurred_on": "2024-05-02",
                    "agency": "opeka",
                    "notes": "Αίτηση ΕΕΕ για νοικοκυριό 3 ατόμων",
                }
            ]
        }
    )

    beneficiary_id: UUID
    category: RequestCategoryCode
    structure: StructureId
    occurred_on: date
    agency: Agency | None = None
    agency_reference: Reference | None = None
    notes: FreeText | None = None


class OpenRequest(Command, OpenRequestFields):
    command: Literal["open_request"] = "open_request"


class StartRequestProgress(Command, StepFields):
    command: Literal["start_request_progress"] = "start_request_progress"
    request_id: UUID


class NoteStepFields(StepFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{"occurred_on": "2024-05-20", "notes": "Εγκρίθηκε"}]})

    notes: FreeText | None = None


class CloseRequest(Command, NoteStepFields):
    command: Literal["resolve_request", "close_request_unresolved", "withdraw_request"]
    request_id: UUID


class ReopenFields(StepFields):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"occurred_on": "2024-06-03", "reason": "Ο ΟΠΕΚΑ επανεξετάζει την αίτηση"}]}
    )

    reason: FreeText = Field(description="Why the closed request is open again (sealed: staff read it)")


class ReopenRequest(Command, ReopenFields):
    command: Literal["reopen_request"] = "reopen_request"
    request_id: UUID


class AgencyStatusFields(StepFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"occurred_on": "2024-05-03", "agency": "opeka", "reference": "ΟΠΕΚΑ/2024/55555", "status": "submitted"}
            ]
        }
    )

    agency: Agency
    reference: Reference | None = None
    status: AgencyApplicationStatus


class RecordAgencyStatus(Command, AgencyStatusFields):
    command: Literal["record_agency_status"] = "record_agency_status"
    request_id: UUID


class ReferralConsent(BaseModel):
    """The consent block of a referral: the person consents, on the referral's day, to sharing with its
    destination (issue 23: consent)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given_as: ConsentMethod


class ReferralFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
                    "destination": "mental_health_unit",
                    "structure": "centre",
                    "occurred_on": "2024-05-06",
                }
            ]
        }
    )

    beneficiary_id: UUID
    request_id: UUID | None = None
    destination: AgencyCode
    structure: StructureId
    occurred_on: date
    notes: FreeText | None = None
    consent: ReferralConsent | None = Field(
        default=None,
        description="The person's consent to sharing with the destination, given now (issue 23): recorded "
        "with the referral, or neither. Needed for an NGO, a social-support structure or another agency",
    )


class SendReferral(Command, ReferralFields):
    command: Literal["send_referral"] = "send_referral"


class AnswerReferral(Command, NoteStepFields):
    command: Literal["accept_referral", "decline_referral"]
    referral_id: UUID


class OutcomeFields(NoteStepFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{"occurred_on": "2024-06-10", "outcome": "served"}]})

    outcome: ReferralOutcome


class RecordReferralOutcome(Command, OutcomeFields):
    command: Literal["record_referral_outcome"] = "record_referral_outcome"
    referral_id: UUID


class HomeVisitFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
                    "purpose": "living_conditions",
                    "structure": "centre",
                    "occurred_on": "2024-05-08",
                    "follow_up_due": "2024-06-08",
                    "findings": "Κατοικία χωρίς θέρμανση",
                }
            ]
        }
    )

    beneficiary_id: UUID
    purpose: PurposeCode
    structure: StructureId
    occurred_on: date
    follow_up_due: date | None = None
    findings: FreeText | None = None
    order_reference: Reference | None = Field(
        default=None, description="A prosecutor-ordered investigation: the order's reference (required for it)"
    )
    order_deadline: date | None = Field(
        default=None, description="A prosecutor-ordered investigation: the order's deadline (required for it)"
    )


class RecordHomeVisit(Command, HomeVisitFields):
    command: Literal["record_home_visit"] = "record_home_visit"


class CompleteHomeVisitFollowUp(Command, NoteStepFields):
    command: Literal["complete_home_visit_follow_up"] = "complete_home_visit_follow_up"
    visit_id: UUID


class Volunteer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ]{5,20}$")] | None = None


class ActivityFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "networking_meeting",
                    "structure": "centre",
                    "occurred_on": "2024-05-09",
                    "participants": 6,
                    "agency": "dypa",
                }
            ]
        }
    )

    kind: ActivityKindCode
    structure: StructureId
    occurred_on: date
    beneficiary_ids: list[UUID] = Field(default_factory=list, max_length=500)
    participants: int = Field(default=0, ge=0, le=100_000)
    event_type: CommunityEventType | None = None
    agency: Agency | None = None
    volunteer: Volunteer | None = None
    notes: FreeText | None = None


class RecordActivity(Command, ActivityFields):
    command: Literal["record_activity"] = "record_activity"


class AmendFields(Payload):
    """Correct an earlier entry. ``changes`` are checked against what that kind of entry allows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entry_id": "2b61bf18-88e1-5977-8df8-a9c4fcc7605c",
                    "changes": {"category": "housing_benefit"},
                    "reason": "typing_error",
                    "reason_note": "Επιλέχθηκε λάθος κατηγορία",
                }
            ]
        }
    )

    entry_id: UUID
    changes: dict[str, Any] = Field(default_factory=dict, max_length=20)
    personal: dict[str, Any] | None = Field(default=None, description="Beneficiary only: personal fields to change")
    special: dict[str, Any] | None = Field(default=None, description="Beneficiary only: special-category answers")
    reason: CorrectionReason
    reason_note: FreeText | None = None
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)
    amka_date_mismatch_confirmed: bool = Field(
        default=False,
        description="Staff checked that the ΑΜΚΑ's DDMMYY differs from the birth date (ΑΜΚΑ issued so exist)",
    )


class AmendEntry(Command, AmendFields):
    command: Literal["amend_entry"] = "amend_entry"


class VoidFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"entry_id": "2b61bf18-88e1-5977-8df8-a9c4fcc7605c", "reason": "duplicate_entry"}]
        }
    )

    entry_id: UUID
    reason: CorrectionReason
    reason_note: FreeText | None = None
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class VoidEntry(Command, VoidFields):
    command: Literal["void_entry"] = "void_entry"


class AssignFields(Payload):
    """Give a person's case to another worker; a transfer when the structure changes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "worker": "m.oikonomou",
                    "occurred_on": "2024-06-03",
                    "reason": "Η κ. Οικονόμου αναλαμβάνει τις υποθέσεις στέγασης",
                }
            ]
        }
    )

    worker: StaffId = Field(description="The user name of the worker now responsible")
    structure: StructureId | None = Field(
        default=None,
        description="The structure now responsible: the worker's own for a caseworker; for a coordinator, "
        "the person's current one unless given",
    )
    reason: Reason = Field(description="Why the case changes hands (sealed: staff read it)")
    occurred_on: date
    expected_version: int | None = Field(default=None, ge=1, description="Refuse if the person changed since")


class AssignCase(Command, AssignFields):
    command: Literal["assign_case"] = "assign_case"
    beneficiary_id: UUID


# ------------------------------------------------------------------ ESF participation (issue 21)
class SituationAnswers(BaseModel):
    """A person's situation (domain.esf.SITUATION_FIELDS); for a change, only the fields that changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    employment_status: EmploymentStatus | None = None
    isced_level: int | None = Field(default=None, ge=0, le=8)
    household_situation: HouseholdSituation | None = None
    residence_area: ResidenceArea | None = None
    foreign_background: bool | None = None
    third_country_national: bool | None = None
    homeless_or_housing_exclusion: bool | None = None


class EnterOperationFields(Payload):
    """A person registered under an earlier operation enters a later one (no second intake).

    The entry's data are those of its day: the situation and special-category answers given here,
    else those last recorded; the age is computed from the birth date."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"occurred_on": "2024-03-12"}]})

    occurred_on: date = Field(description="The first contact in the operation")
    operation: OperationKey | None = Field(default=None, description="Default: the operation of occurred_on")
    situation: SituationAnswers | None = None
    special: SpecialCategoryAnswers | None = None
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class EnterOperation(Command, EnterOperationFields):
    command: Literal["enter_operation"] = "enter_operation"
    beneficiary_id: UUID


class SituationChangeFields(Payload):
    """A change in a person's situation from a date; what was true at entry is not rewritten."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"occurred_on": "2024-09-02", "changes": {"employment_status": "employed"}}]}
    )

    occurred_on: date = Field(description="The day the situation changed")
    changes: SituationAnswers
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class ChangeSituation(Command, SituationChangeFields):
    command: Literal["change_situation"] = "change_situation"
    beneficiary_id: UUID


class LeaveOperationFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occurred_on": "2024-11-29",
                    "status": {
                        "job_searching": True,
                        "in_education_or_training": False,
                        "qualification_gained": False,
                        "employed": False,
                    },
                }
            ]
        }
    )

    occurred_on: date = Field(description="The day the person left the operation")
    operation: OperationKey | None = Field(default=None, description="Default: the operation of occurred_on")
    status: LeavingStatus
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class LeaveOperation(Command, LeaveOperationFields):
    command: Literal["leave_operation"] = "leave_operation"
    beneficiary_id: UUID


class LongTermResultFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occurred_on": "2025-06-02",
                    "operation": "2021-2027",
                    "status": {"employed": True, "improved_labour_market_situation": False},
                }
            ]
        }
    )

    occurred_on: date = Field(description="The day of the follow-up, six months or more after leaving")
    operation: OperationKey
    status: LongTermStatus
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class RecordLongTermResult(Command, LongTermResultFields):
    command: Literal["record_long_term_result"] = "record_long_term_result"
    beneficiary_id: UUID


class OperationCorrectionFields(Payload):
    """Correct a later entry's data or date, an exit's date or status, or a follow-up's status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operation": "2021-2027",
                    "record": "exit",
                    "changes": {"occurred_on": "2024-11-15"},
                    "reason": "wrong_date",
                    "reason_note": "Η αποχώρηση καταχωρίστηκε με λάθος ημερομηνία",
                }
            ]
        }
    )

    operation: OperationKey
    record: Literal["entry", "exit", "long_term"]
    changes: dict[str, Any] = Field(default_factory=dict, max_length=10)
    special: SpecialCategoryAnswers | None = Field(default=None, description="entry only: the answers corrected")
    reason: CorrectionReason
    reason_note: FreeText | None = None
    structure: StructureId | None = None
    expected_version: int | None = Field(default=None, ge=1)


class CorrectOperationRecord(Command, OperationCorrectionFields):
    command: Literal["correct_operation_record"] = "correct_operation_record"
    beneficiary_id: UUID


# ---- issue 23: consent
NoticeVersion = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]


class InformationFields(Payload):
    """The person was informed of how their data are used (GDPR Art. 13), with this notice version."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"occurred_on": "2024-05-04", "notice_version": "2018-05"}]}
    )

    occurred_on: date
    notice_version: NoticeVersion
    structure: StructureId | None = None


class RecordInformation(Command, InformationFields):
    command: Literal["record_information"] = "record_information"
    beneficiary_id: UUID


class ConsentFields(Payload):
    """A consent the person gave: to what, with which agency when it is sharing with one, and how."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occurred_on": "2024-05-04",
                    "purpose": "sharing_with_agency",
                    "agency": "ngo",
                    "given_as": "signed_form",
                }
            ]
        }
    )

    occurred_on: date
    purpose: ConsentPurpose
    agency: Agency | None = Field(default=None, description="The agency, for sharing with one (and only then)")
    given_as: ConsentMethod
    structure: StructureId | None = None


class GiveConsent(Command, ConsentFields):
    command: Literal["give_consent"] = "give_consent"
    beneficiary_id: UUID


class WithdrawalFields(Payload):
    model_config = ConfigDict(json_schema_extra={"examples": [{"occurred_on": "2024-06-01"}]})

    occurred_on: date
    structure: StructureId | None = None


class WithdrawConsent(Command, WithdrawalFields):
    command: Literal["withdraw_consent"] = "withdraw_consent"
    beneficiary_id: UUID
    consent_id: UUID


# ---- issue 23: catalogue
CatalogueKind = Literal["request_category", "agency", "activity_kind", "visit_purpose"]
assert set(get_args(CatalogueKind)) == set(KINDS)  # one list of kinds: domain/local_catalogue.py
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class LocalEntryFields(Payload):
    """A municipality's own entry: its code (``local_`` and up to 34 lower-case letters, digits or
    ``_``), its labels, and the national code of its kind it counts under everywhere outside."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "request_category",
                    "code": "local_firewood",
                    "label_el": "Καυσόξυλα χειμώνα",
                    "label_en": "Winter firewood",
                    "national": "food_aid_teba",
                }
            ]
        }
    )

    kind: CatalogueKind
    code: LocalCode
    label_el: Label
    label_en: Label
    national: str = Field(min_length=1, max_length=40, description="A national code of the same kind")


class AddLocalEntry(Command, LocalEntryFields):
    command: Literal["add_local_entry"] = "add_local_entry"


class LocalEntryRef(Payload):
    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "request_category", "code": "local_firewood"}]})

    kind: CatalogueKind
    code: LocalCode


class RetireLocalEntry(Command, LocalEntryRef):
    command: Literal["retire_local_entry"] = "retire_local_entry"


class RelabelFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"label_el": "Καυσόξυλα για τον χειμώνα", "label_en": "Winter firewood"}]}
    )

    label_el: Label
    label_en: Label


class RelabelLocalEntry(Command, RelabelFields):
    command: Literal["relabel_local_entry"] = "relabel_local_entry"
    kind: CatalogueKind
    code: LocalCode


# ---- issue 23: documents
class AttachDocumentFields(Payload):
    """A document's facts (an HTTP form's fields beside the file). The file itself is checked and stored
    by services/documents.py before the command is recorded; the command carries what it found."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
                    "document_kind": "tax_statement",
                    "document_date": "2024-04-30",
                }
            ]
        }
    )

    beneficiary_id: UUID
    document_kind: DocumentKind
    document_date: date
    entry_id: UUID | None = Field(default=None, description="The person's request, referral or visit it belongs to")
    structure: StructureId | None = Field(default=None, description="Default: the person's structure")


class AttachDocument(Command, AttachDocumentFields):
    command: Literal["attach_document"] = "attach_document"
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    media_type: str
    size: int = Field(ge=1)
    content: str = Field(description="A keyed digest of the bytes: the same command id with other bytes is refused")


# ---- issue 23: households
class FormHouseholdFields(Payload):
    """A household formed with a person as its head (the household's structure is the head's)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77", "occurred_on": "2024-05-04"}]
        }
    )

    beneficiary_id: UUID = Field(description="The head of the household")
    occurred_on: date


class FormHousehold(Command, FormHouseholdFields):
    command: Literal["form_household"] = "form_household"


class HouseholdMemberFields(Payload):
    """A person joining a household (``add``) or moved into it from the one they are in (``move``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
                    "relation": "child",
                    "occurred_on": "2024-05-04",
                }
            ]
        }
    )

    beneficiary_id: UUID
    relation: HouseholdRelation = Field(description="Relation to the head (not 'head': change the head for that)")
    occurred_on: date
    expected_version: int | None = Field(default=None, ge=1, description="The household's version the caller saw")


class AddHouseholdMember(Command, HouseholdMemberFields):
    command: Literal["add_household_member"] = "add_household_member"
    household_id: UUID


class MoveHouseholdMember(Command, HouseholdMemberFields):
    command: Literal["move_household_member"] = "move_household_member"
    household_id: UUID = Field(description="The household the person moves to")


class LeaveHouseholdFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77", "occurred_on": "2024-06-01"}]
        }
    )

    beneficiary_id: UUID
    occurred_on: date
    expected_version: int | None = Field(default=None, ge=1)


class LeaveHousehold(Command, LeaveHouseholdFields):
    command: Literal["leave_household"] = "leave_household"
    household_id: UUID


class ChangeHouseholdHeadFields(Payload):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "beneficiary_id": "27ea6923-cb76-59bb-b51d-d05ed56e5a77",
                    "former_head_id": "5f0c3b8e-3c3a-5d7e-9a59-2d6f0c1b7e21",
                    "former_head_relation": "spouse",
                    "occurred_on": "2024-06-01",
                }
            ]
        }
    )

    beneficiary_id: UUID = Field(description="The member who becomes the head")
    former_head_id: UUID = Field(description="The head until now (their relation changes to the one given)")
    former_head_relation: HouseholdRelation = Field(description="The former head's relation to the new one")
    occurred_on: date
    expected_version: int | None = Field(default=None, ge=1)


class ChangeHouseholdHead(Command, ChangeHouseholdHeadFields):
    command: Literal["change_household_head"] = "change_household_head"
    household_id: UUID


AnyCommand = Annotated[
    RegisterBeneficiary
    | OpenRequest
    | StartRequestProgress
    | CloseRequest
    | ReopenRequest
    | RecordAgencyStatus
    | SendReferral
    | AnswerReferral
    | RecordReferralOutcome
    | RecordHomeVisit
    | CompleteHomeVisitFollowUp
    | RecordActivity
    | AmendEntry
    | VoidEntry
    | AssignCase
    | EnterOperation
    | ChangeSituation
    | LeaveOperation
    | RecordLongTermResult
    | CorrectOperationRecord
    | RecordInformation
    | GiveConsent
    | WithdrawConsent
    | AddLocalEntry
    | RetireLocalEntry
    | RelabelLocalEntry
    | AttachDocument
    | FormHousehold
    | AddHouseholdMember
    | MoveHouseholdMember
    | LeaveHousehold
    | ChangeHouseholdHead,
    Field(discriminator="command"),
]
COMMAND_ADAPTER: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)


# The type each amendable field's value must have. Which fields each kind may change is declared
# once, on its aggregate (``AMENDABLE``, domain/); the payload models below are made from it, so a
# field declared there without a type here fails at import, and a field dropped there is refused.
CHANGE_TYPES: dict[str, Any] = {
    "occurred_on": (date | None, None),
    "structure": (StructureId | None, None),
    "profile": (dict[str, Any] | None, None),
    "category": (RequestCategoryCode | None, None),
    "agency": (Agency | None, None),
    "agency_reference": (Reference | None, None),
    "destination": (AgencyCode | None, None),
    "purpose": (PurposeCode | None, None),
    "order_deadline": (date | None, None),
    "follow_up_due": (date | None, None),
    "participants": (int | None, Field(default=None, ge=0, le=100_000)),
    "beneficiary_ids": (list[UUID] | None, None),
    "event_type": (CommunityEventType | None, None),
}


def _changes_model(entry: type[CaseEntry]) -> type[BaseModel]:
    """What a correction may change on one kind of entry, with the types the values must have."""
    fields: dict[str, Any] = {name: CHANGE_TYPES[name] for name in entry.AMENDABLE}
    name = f"{entry.__name__}Changes"
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


CHANGES_BY_KIND: dict[str, type[BaseModel]] = {kind: _changes_model(entry) for kind, entry in ENTRY_KINDS.items()}
# A privacy record is corrected by new events, never amended (domain/consent.py): it changes no field.
CHANGES_BY_KIND["privacy_record"] = create_model("PrivacyRecordChanges", __config__=ConfigDict(extra="forbid"))
