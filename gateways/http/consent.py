"""HTTP API: Information given to a person (GDPR Art. 13) and their consents,
with withdrawal (issue 23)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import Response
from pydantic import BaseModel

from gateways.http.answers import Created, casework_router, recorded
from gateways.http.deps import CaseworkReader, CaseworkWriter, CommandIdDep, CurrentUser
from gateways.http.schemas import Recorded
from services import commands as c
from services import consent
from services.recording import record

router = casework_router("consent")


class ConsentRecorded(Recorded):
    """A consent recorded: its id (to withdraw it by) besides the privacy record's entry."""

    consent_id: UUID


class InformedPublic(BaseModel):
    on: date
    notice_version: str
    structure: str
    recorded_by: str


class ConsentPublic(BaseModel):
    consent_id: UUID
    purpose: str
    agency: str | None
    given_as: str
    given_on: date
    withdrawn_on: date | None
    active: bool
    structure: str
    recorded_by: str


class NoticePublic(BaseModel):
    version: str
    applies_from: date


class PrivacyPublic(BaseModel):
    """When the person was informed, and with which notice (newest first); their consents, active and
    withdrawn; the municipality's notices and the one in force today."""

    beneficiary_id: UUID
    informed: list[InformedPublic]
    consents: list[ConsentPublic]
    current_notice: str | None
    notices: list[NoticePublic]


@router.get("/beneficiaries/{beneficiary_id}/privacy", summary="A person's information notices and consents")
def get_privacy(casework: CaseworkReader, user: CurrentUser, beneficiary_id: UUID) -> PrivacyPublic:
    shown = consent.privacy_of(casework, user, beneficiary_id, "GET /beneficiaries/{id}/privacy")
    return PrivacyPublic(
        beneficiary_id=shown.beneficiary_id,
        informed=[InformedPublic(**vars(i)) for i in shown.informed],
        consents=[ConsentPublic(**vars(c), active=c.active) for c in shown.consents],
        current_notice=shown.current_notice.version if shown.current_notice else None,
        notices=[NoticePublic(version=n.version, applies_from=n.from_) for n in shown.notices],
    )


@router.post(
    "/beneficiaries/{beneficiary_id}/information",
    status_code=201,
    responses=Created,
    summary="The person was informed of how their data are used (GDPR Art. 13)",
)
def record_information(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.InformationFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "record_information", key, beneficiary_id=beneficiary_id), response)


@router.post(
    "/beneficiaries/{beneficiary_id}/consents",
    status_code=201,
    responses=Created,
    summary="A consent the person gave (to sharing with a named agency, photos, contact by SMS...)",
)
def give_consent(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    body: c.ConsentFields,
    key: CommandIdDep,
    response: Response,
) -> ConsentRecorded:
    done = recorded(record(casework, user, body, "give_consent", key, beneficiary_id=beneficiary_id), response)
    return ConsentRecorded(**done.model_dump(), consent_id=consent.consent_id_for(casework, key))


@router.post(
    "/beneficiaries/{beneficiary_id}/consents/{consent_id}/withdrawal",
    status_code=201,
    responses=Created,
    summary="The person withdrew a consent (it counts no more from that day)",
)
def withdraw_consent(  # noqa: PLR0917 - FastAPI passes what the route declares
    casework: CaseworkWriter,
    user: CurrentUser,
    beneficiary_id: UUID,
    consent_id: UUID,
    body: c.WithdrawalFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    outcome = record(
        casework, user, body, "withdraw_consent", key, beneficiary_id=beneficiary_id, consent_id=consent_id
    )
    return recorded(outcome, response)
