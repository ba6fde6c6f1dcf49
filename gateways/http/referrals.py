"""Referrals to other agencies: send one, list them, one with its history, the answer and the outcome."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import Response

from domain.catalogue import Agency
from gateways.http.answers import Created, casework_router, entry_public, page_of, recorded
from gateways.http.deps import CaseworkReader, CaseworkViewsDep, CaseworkWriter, CommandIdDep, CurrentUser, ListQueryDep
from gateways.http.schemas import EntryPublic, Recorded, ReferralPage
from services import commands as c
from services import people
from services.lists import list_entries
from services.recording import record

router = casework_router("referrals")
ANSWERS = {"acceptance": "accept_referral", "refusal": "decline_referral"}


@router.post("/referrals", status_code=201, responses=Created, summary="Send a referral")
def send_referral(
    casework: CaseworkWriter, user: CurrentUser, body: c.ReferralFields, key: CommandIdDep, response: Response
) -> Recorded:
    return recorded(record(casework, user, body, "send_referral", key), response)


@router.get("/referrals", summary="List referrals (no personal data)")
def list_referrals(
    casework: CaseworkReader,
    user: CurrentUser,
    views: CaseworkViewsDep,
    query: ListQueryDep,
    destination: Agency | None = None,
) -> ReferralPage:
    return page_of(ReferralPage, list_entries(views, user, "referral", destination, query))


@router.get("/referrals/{referral_id}", summary="A referral with its history")
def get_referral(casework: CaseworkReader, user: CurrentUser, referral_id: UUID) -> EntryPublic:
    return entry_public(people.show(casework, user, referral_id, "referral", "GET /referrals/{id}"))


@router.post(
    "/referrals/{referral_id}/outcome",
    status_code=201,
    responses=Created,
    summary="The outcome of an accepted referral",
)
def record_referral_outcome(
    casework: CaseworkWriter,
    user: CurrentUser,
    referral_id: UUID,
    body: c.OutcomeFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, "record_referral_outcome", key, referral_id=referral_id), response)


@router.post(
    "/referrals/{referral_id}/{answer}",
    status_code=201,
    responses=Created,
    summary="The agency accepted or declined the referral",
)
def answer_referral(
    casework: CaseworkWriter,
    user: CurrentUser,
    referral_id: UUID,
    answer: Literal["acceptance", "refusal"],
    body: c.NoteStepFields,
    key: CommandIdDep,
    response: Response,
) -> Recorded:
    return recorded(record(casework, user, body, ANSWERS[answer], key, referral_id=referral_id), response)
