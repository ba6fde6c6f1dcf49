"""Who is served by the Roma branch is ethnic origin (GDPR Art. 9): nothing about a structure whose
casework a caller may not see comes back from any endpoint or page, and every search is logged.

The walk takes the routes from the application itself, so an endpoint nobody added here fails it.
For each route and role it sends the same request twice: once about a real person the caller may not
see, once about a person who does not exist. The two answers must be the same (once the values the
caller sent are blanked out), and nothing of the hidden person may be in the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.access_log import PersonalDataAccess, PersonalDataSearch
from domain.identifiers import make_amka
from gateways.web.casework_forms import step_names
from services.access import Principal, Role
from services.casework import read_log
from services.idempotency import entry_id_for
from tests.e2e.conftest import PASSWORD, Api, intake_body
from tests.e2e.test_web import sign_in
from tests.unit.test_documents import PDF

T = "/api/v1/tenants/sofades"
# The ESF submission the coordinator's walk through the form records (its id follows from its command id).
WALKED_SUBMISSION = entry_id_for("sofades", "walk-esf-0001")


@dataclass(frozen=True)
class Person:
    """A person and one entry of each kind, all in one structure (or, for a ghost, nowhere)."""

    structure: str
    first_name: str
    last_name: str
    birth_date: str
    amka: str
    phone: str
    notes: str
    id: str = ""
    request: str = ""
    referral: str = ""
    visit: str = ""
    activity: str = ""
    document: str = ""  # issue 23: documents (its filename is the person's notes)

    def ids(self) -> list[str]:
        return [self.id, self.request, self.referral, self.visit, self.activity, self.document]

    def personal(self) -> list[str]:
        return [self.first_name, self.last_name, self.amka, self.phone, self.notes]

    def sent(self) -> dict[str, str]:
        """What a request about this person may carry, each with the placeholder that blanks it out."""
        named = {
            "id": self.id,
            "request": self.request,
            "referral": self.referral,
            "visit": self.visit,
            "document": self.document,
        }
        return {
            **{value: f"<{name}>" for name, value in named.items()},
            self.activity: "<activity>",
            self.amka: "<amka>",
            self.first_name: "<first>",
            self.last_name: "<last>",
            self.birth_date: "<born>",
        }


def ghost(structure: str) -> Person:
    """Someone never registered: fresh ids, an ΑΜΚΑ and a name nobody holds."""
    return Person(
        structure=structure,
        first_name="Ανύπαρκτη",
        last_name="Φανταστικού",
        birth_date="1971-08-23",
        amka=make_amka(date(1971, 8, 23), 9393),
        phone="-",
        notes="-",
        id=str(uuid4()),
        request=str(uuid4()),
        referral=str(uuid4()),
        visit=str(uuid4()),
        activity=str(uuid4()),
        document=str(uuid4()),
    )


CENTRE = Person(
    "centre", "Ευανθία", "Τσιουρβαλή", "1979-03-04", make_amka(date(1979, 3, 4), 4242), "6912345678", "σημείωση-κέντρου"
)
ROMA = Person(
    "roma-branch",
    "Σταυρούλα",
    "Αλεξανδροπούλου",
    "1990-02-11",
    make_amka(date(1990, 2, 11), 5151),
    "6977000111",
    "σημείωση-παραρτήματος",
)


def record_person(api: Api, worker: str, p: Person) -> Person:
    personal = {"first_name": p.first_name, "last_name": p.last_name, "birth_date": p.birth_date, "amka": p.amka}
    body = intake_body(structure=p.structure, personal={**personal, "phone": p.phone})
    person = api.post(worker, "/beneficiaries", body).json()["entry_id"]
    on = {"beneficiary_id": person, "structure": p.structure, "occurred_on": "2024-05-02", "notes": p.notes}

    def made(path: str, fields: dict[str, Any]) -> str:
        response = api.post(worker, path, fields)
        assert response.status_code == 201, response.text
        return str(response.json()["entry_id"])

    visit = {**{k: v for k, v in on.items() if k != "notes"}, "purpose": "living_conditions", "findings": p.notes}
    document = api.client.post(f"{T}/documents", headers=api.headers(worker), **_document(person, p.notes))
    assert document.status_code == 201, document.text
    return Person(
        **{k: v for k, v in vars(p).items() if k not in ("id", "request", "referral", "visit", "activity", "document")},
        document=document.json()["entry_id"],
        id=person,
        request=made("/requests", {**on, "category": "gmi"}),
        referral=made("/referrals", {**on, "destination": "opeka"}),
        visit=made("/home-visits", {**visit, "follow_up_due": "2024-05-20"}),
        activity=made(
            "/activities",
            {
                **{k: v for k, v in on.items() if k != "beneficiary_id"},
                "kind": "counselling_session",
                "beneficiary_ids": [person],
            },
        ),
    )


def _document(person: str, name: str) -> dict[str, Any]:
    """A document's upload about ``person`` (issue 23), its filename the person's notes."""
    fields = {"beneficiary_id": person, "document_kind": "tax_statement", "document_date": "2024-04-30"}
    return {"data": fields, "files": {"file": (f"{name}.pdf", PDF, "application/pdf")}}


# ------------------------------------------------------------------------------------------ the routes
Call = tuple[str, str, dict[str, Any]]  # method, url, keyword arguments of the client's request
Calls = Callable[[Person, str, str], list[Call]]  # (about whom, an ΑΜΚΑ that is taken, own structure)


def _intake(p: Person, taken: str, own: str) -> dict[str, Any]:
    personal = {"first_name": p.first_name, "last_name": p.last_name, "birth_date": p.birth_date, "amka": taken}
    return intake_body(structure=own, personal=personal)


def _on(p: Person) -> dict[str, Any]:
    return {"beneficiary_id": p.id, "occurred_on": "2024-05-03"}


STEP = {"occurred_on": "2024-05-04"}
PERIOD = {"from": "2024-05-01", "to": "2024-05-31"}
PAGE_PERSON = {
    "occurred_on": "2024-05-02",
    "profile.gender": "female",
    "profile.employment_status": "unemployed",
    "profile.isced_level": "3",
    "profile.household_situation": "single_parent",
    "profile.residence_area": "rural",
    "special.disability": "no",
    "special.minority": "refused",
    "special.other_disadvantage": "no",
}

# Every entry's page and the steps on it (gateways/web/entries.py, steps.py): the page, and each
# step its kind may take, drawn and sent.
_ENTRY_OF = {
    "people": "id",
    "requests": "request",
    "referrals": "referral",
    "home-visits": "visit",
    "activities": "activity",
}


def _entry_calls(segment: str, step: str | None, method: str = "GET") -> Calls:
    def calls(p: Person, t: str, o: str) -> list[Call]:
        where = f"/t/sofades/{segment}/{getattr(p, _ENTRY_OF[segment])}"
        if step is None:
            return [("GET", where, {})]
        if method == "GET":
            return [("GET", f"{where}/{step}", {})]
        fields = {"reason": "typing_error"} if step == "void" else {**STEP, "changes.occurred_on": "2024-05-04"}
        return [("POST", f"{where}/{step}", {"data": fields})]

    return calls


_KIND_OF = {"people": "beneficiary", "requests": "request", "referrals": "referral", "home-visits": "home_visit"}
_STEPS = {s: step_names(_KIND_OF.get(s, "activity")) for s in _ENTRY_OF}
ENTRY_PAGES: dict[tuple[str, str], Calls] = {
    **{("GET", f"/t/{{tenant}}/{s}/{{entry_id}}"): _entry_calls(s, None) for s in _ENTRY_OF},
    **{
        (method, f"/t/{{tenant}}/{s}/{{entry_id}}/{step}"): _entry_calls(s, step, method)
        for s, steps in _STEPS.items()
        for step in steps
        for method in ("GET", "POST")
    },
}

# The ESF participation steps on a person's page (issue 21): drawn and posted about the person.
_ESF_STEPS = ("entry", "exit", "follow-up", "correct-entry", "correct-exit", "correct-follow-up")
_ESF_BODY = {"occurred_on": "04/05/2024", "status.job_searching": "on", "reason": "typing_error"}


def _esf_calls(path: str, method: str) -> Calls:
    return lambda p, t, o: [(method, path.format(id=p.id), {"data": _ESF_BODY} if method == "POST" else {})]


ESF_PAGES: dict[tuple[str, str], Calls] = {
    (method, f"/t/{{tenant}}/people/{{beneficiary_id}}{where}"): _esf_calls(f"/t/sofades/people/{{id}}{path}", method)
    for where, path in [
        ("/situation", "/situation"),
        *((f"/operations/{{operation}}/{s}", f"/operations/2021-2027/{s}") for s in _ESF_STEPS),
    ]
    for method in ("GET", "POST")
}

CONSENT = {"purpose": "sharing_with_agency", "agency": "ngo", "given_as": "signed_form"}  # issue 23: consent
LEFT = {"job_searching": True, "in_education_or_training": False, "qualification_gained": False, "employed": False}

# issue 23: households. Asked about the person (their household, one formed with them as head, them joining,
# moving, leaving, made head), and with the person's id where a household's is expected.
_HOUSEHOLD_BODIES: dict[str, Callable[[Person], dict[str, Any]]] = {
    "members": lambda p: {**_on(p), "relation": "child"},
    "moves": lambda p: {**_on(p), "relation": "child"},
    "departures": _on,
    "head": lambda p: {**_on(p), "former_head_id": p.id, "former_head_relation": "spouse"},
}


def _page_body(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "occurred_on": "03/05/2024"}


def _household_step(step: str, body: Callable[[Person], dict[str, Any]]) -> Calls:
    return lambda p, t, o: [("POST", f"{T}/households/{p.id}/{step}", {"json": body(p)})]


HOUSEHOLD_ROUTES: dict[tuple[str, str], Calls] = {
    ("POST", "/api/v1/tenants/{tenant}/households"): lambda p, t, o: [("POST", f"{T}/households", {"json": _on(p)})],
    ("GET", "/api/v1/tenants/{tenant}/households/{household_id}"): lambda p, t, o: [
        ("GET", f"{T}/households/{p.id}", {})
    ],
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/household"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries/{p.id}/household", {})
    ],
    **{
        ("POST", f"/api/v1/tenants/{{tenant}}/households/{{household_id}}/{step}"): _household_step(step, body)
        for step, body in _HOUSEHOLD_BODIES.items()
    },
    ("POST", "/t/{tenant}/households"): lambda p, t, o: [
        ("POST", "/t/sofades/households", {"data": _page_body({"beneficiary_id": p.id})})
    ],
    ("GET", "/t/{tenant}/households/{household_id}"): lambda p, t, o: [("GET", f"/t/sofades/households/{p.id}", {})],
    ("POST", "/t/{tenant}/households/{household_id}/find"): lambda p, t, o: [
        ("POST", f"/t/sofades/households/{p.id}/find", {"data": {"name": p.last_name}})
    ],
    ("POST", "/t/{tenant}/households/{household_id}/{step}"): lambda p, t, o: [
        ("POST", f"/t/sofades/households/{p.id}/{step}", {"data": _page_body(body(p))})
        for step, body in _HOUSEHOLD_BODIES.items()
    ],
    ("POST", "/t/{tenant}/people/{beneficiary_id}/household/find"): lambda p, t, o: [
        ("POST", f"/t/sofades/people/{p.id}/household/find", {"data": {"name": p.last_name}})
    ],
    ("GET", "/t/{tenant}/people/{beneficiary_id}/household/move"): lambda p, t, o: [
        ("GET", f"/t/sofades/people/{p.id}/household/move", {})
    ],
}
ROUTES: dict[tuple[str, str], Calls] = {
    ("GET", "/api/v1/tenants"): lambda p, t, o: [("GET", "/api/v1/tenants", {})],
    # issue 25: what a caseworker takes onto her device: never anyone of the other structure's
    ("GET", "/api/v1/tenants/{tenant}/field/take"): lambda p, t, o: [("GET", f"{T}/field/take", {})],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries", {"json": _intake(p, t, o)})
    ],
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries", {"params": {"amka": p.amka}}),
        ("GET", f"{T}/beneficiaries", {"params": {"name": p.last_name}}),
        ("GET", f"{T}/beneficiaries", {"params": {"name": f"{p.first_name} {p.last_name}"}}),
        ("GET", f"{T}/beneficiaries", {"params": {"birth_date": p.birth_date}}),
        ("GET", f"{T}/beneficiaries", {"params": {"name": p.last_name, "birth_date": p.birth_date}}),
    ],
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries/{p.id}", {})
    ],
    ("POST", "/api/v1/tenants/{tenant}/requests"): lambda p, t, o: [
        ("POST", f"{T}/requests", {"json": {**_on(p), "category": "gmi"}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/requests"): lambda p, t, o: [
        ("GET", f"{T}/requests", {"params": {"beneficiary_id": p.id}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/requests/{request_id}"): lambda p, t, o: [
        ("GET", f"{T}/requests/{p.request}", {}),
        ("GET", f"{T}/requests/{p.id}", {}),
    ],
    ("POST", "/api/v1/tenants/{tenant}/requests/{request_id}/progress"): lambda p, t, o: [
        ("POST", f"{T}/requests/{p.request}/progress", {"json": STEP})
    ],
    ("POST", "/api/v1/tenants/{tenant}/requests/{request_id}/agency-status"): lambda p, t, o: [
        (
            "POST",
            f"{T}/requests/{p.request}/agency-status",
            {"json": {**STEP, "agency": "opeka", "status": "submitted"}},
        )
    ],
    ("POST", "/api/v1/tenants/{tenant}/requests/{request_id}/reopening"): lambda p, t, o: [
        ("POST", f"{T}/requests/{p.request}/reopening", {"json": {**STEP, "reason": "Επανεξέταση"}})
    ],
    ("POST", "/api/v1/tenants/{tenant}/requests/{request_id}/{step}"): lambda p, t, o: [
        ("POST", f"{T}/requests/{p.request}/{step}", {"json": STEP}) for step in ("resolution", "closure", "withdrawal")
    ],
    ("POST", "/api/v1/tenants/{tenant}/referrals"): lambda p, t, o: [
        ("POST", f"{T}/referrals", {"json": {**_on(p), "destination": "dypa"}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/referrals"): lambda p, t, o: [
        ("GET", f"{T}/referrals", {"params": {"beneficiary_id": p.id}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/referrals/{referral_id}"): lambda p, t, o: [
        ("GET", f"{T}/referrals/{p.referral}", {})
    ],
    ("POST", "/api/v1/tenants/{tenant}/referrals/{referral_id}/outcome"): lambda p, t, o: [
        ("POST", f"{T}/referrals/{p.referral}/outcome", {"json": {**STEP, "outcome": "served"}})
    ],
    ("POST", "/api/v1/tenants/{tenant}/referrals/{referral_id}/{answer}"): lambda p, t, o: [
        ("POST", f"{T}/referrals/{p.referral}/{answer}", {"json": STEP}) for answer in ("acceptance", "refusal")
    ],
    ("POST", "/api/v1/tenants/{tenant}/home-visits"): lambda p, t, o: [
        ("POST", f"{T}/home-visits", {"json": {**_on(p), "purpose": "homelessness"}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/home-visits"): lambda p, t, o: [
        ("GET", f"{T}/home-visits", {"params": {"beneficiary_id": p.id}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/home-visits/{visit_id}"): lambda p, t, o: [
        ("GET", f"{T}/home-visits/{p.visit}", {})
    ],
    ("POST", "/api/v1/tenants/{tenant}/home-visits/{visit_id}/follow-up"): lambda p, t, o: [
        ("POST", f"{T}/home-visits/{p.visit}/follow-up", {"json": STEP})
    ],
    ("POST", "/api/v1/tenants/{tenant}/activities"): lambda p, t, o: [
        (
            "POST",
            f"{T}/activities",
            {"json": {"kind": "counselling_session", "occurred_on": "2024-05-03", "beneficiary_ids": [p.id]}},
        )
    ],
    ("GET", "/api/v1/tenants/{tenant}/activities"): lambda p, t, o: [
        ("GET", f"{T}/activities", {"params": {"beneficiary_id": p.id}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/activities/{activity_id}"): lambda p, t, o: [
        ("GET", f"{T}/activities/{p.activity}", {})
    ],
    ("POST", "/api/v1/tenants/{tenant}/corrections"): lambda p, t, o: [
        (
            "POST",
            f"{T}/corrections",
            {"json": {"entry_id": p.request, "reason": "typing_error", "changes": {"category": "housing_benefit"}}},
        ),
        ("POST", f"{T}/corrections", {"json": {"entry_id": p.id, "reason": "typing_error", "personal": {"amka": t}}}),
        (
            "POST",
            f"{T}/corrections",
            {"params": {"action": "void"}, "json": {"entry_id": p.visit, "reason": "typing_error"}},
        ),
    ],
    ("GET", "/api/v1/tenants/{tenant}/indicators"): lambda p, t, o: [("GET", f"{T}/indicators", {"params": PERIOD})],
    ("GET", "/api/v1/tenants/{tenant}/esf-indicators"): lambda p, t, o: [
        ("GET", f"{T}/esf-indicators", {"params": {**PERIOD, "programme": "2021-2027"}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/caseload"): lambda p, t, o: [("GET", f"{T}/caseload", {})],
    ("GET", "/api/v1/tenants/{tenant}/operations"): lambda p, t, o: [("GET", f"{T}/operations", {})],
    ("GET", "/api/v1/tenants/{tenant}/esf/report"): lambda p, t, o: [
        ("GET", f"{T}/esf/report", {"params": {**PERIOD, "operation": "2021-2027", "format": fmt, "part": part}})
        for fmt in ("json", "csv")
        for part in ("indicators", "participants")
    ],
    ("GET", "/api/v1/tenants/{tenant}/worklists/{name}"): lambda p, t, o: [
        ("GET", f"{T}/worklists/{name}", {"params": {"days": "0", **terms}})
        for name in ("cases", "follow_ups", "referrals", "agency")
        for terms in ({}, {"worker": "all"}, {"worker": "cw.sof.roma"}, {"structure": "roma-branch"})
    ],
    ("GET", "/api/v1/tenants/{tenant}/projections"): lambda p, t, o: [("GET", f"{T}/projections", {})],
    ("GET", "/api/v1/regions/{region}/indicators"): lambda p, t, o: [
        ("GET", "/api/v1/regions/thessaly/indicators", {"params": PERIOD})
    ],
    ("GET", "/api/v1/regions/{region}/lag"): lambda p, t, o: [("GET", "/api/v1/regions/thessaly/lag", {})],
    ("GET", "/api/v1/regions/{region}/dashboard"): lambda p, t, o: [
        ("GET", "/api/v1/regions/thessaly/dashboard", {"params": {"period": "2024-05", "format": f}})
        for f in ("json", "csv", "xlsx")
    ],
    ("GET", "/api/v1/tenants/{tenant}/audit/chain"): lambda p, t, o: [("GET", f"{T}/audit/chain", {})],
    ("GET", "/api/v1/tenants/{tenant}/audit/export"): lambda p, t, o: [("GET", f"{T}/audit/export", {})],
    ("GET", "/api/v1/tenants/{tenant}/audit/indicators"): lambda p, t, o: [
        ("GET", f"{T}/audit/indicators", {"params": PERIOD})
    ],
    ("GET", "/api/v1/tenants/{tenant}/audit/drilldown"): lambda p, t, o: [
        ("GET", f"{T}/audit/drilldown", {"params": {**PERIOD, "cell": cell, "reveal": reveal}})
        for cell in ("served/2024-05/female", "requests/category:gmi/total")
        for reveal in ("false", "true")
    ],
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/erasure-date"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries/{p.id}/erasure-date", {})
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/legal-holds"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/legal-holds", {"json": {"until": "2031-01-01", "reason": "υπόθεση"}})
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/erasure"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/erasure", {"json": {"reason": "ζήτησε διαγραφή", "legal_ground": "αίτημα"}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/subject-access"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries/{p.id}/subject-access", {"params": {"format": f}}) for f in ("json", "pdf")
    ],
    ("POST", "/api/v1/tenants/{tenant}/imports"): lambda p, t, o: [
        (
            "POST",
            f"{T}/imports",
            {
                "files": {"file": ("people.csv", f"amka,last_name\n{p.amka},{p.last_name}\n".encode())},
                "data": {"dry_run": "true"},
            },
        )
    ],
    ("GET", "/api/v1/tenants/{tenant}/imports/{job_id}"): lambda p, t, o: [
        ("GET", f"{T}/imports/{p.id.replace('-', '')}", {})
    ],
    ("GET", "/api/v1/tenants/{tenant}/imports/{job_id}/report"): lambda p, t, o: [
        ("GET", f"{T}/imports/{p.id.replace('-', '')}/report", {})
    ],
    ("GET", "/api/v1/tenants/{tenant}/staff"): lambda p, t, o: [("GET", f"{T}/staff", {})],
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/assignment"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries/{p.id}/assignment", {})
    ],
    # ESF participation (issue 21): each step on a hidden person answers as for nobody.
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/operation-entries"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/operation-entries", {"json": {"occurred_on": "2024-05-04"}})
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/situation-changes"): lambda p, t, o: [
        (
            "POST",
            f"{T}/beneficiaries/{p.id}/situation-changes",
            {"json": {"occurred_on": "2024-05-04", "changes": {"employment_status": "employed"}}},
        )
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/operation-exits"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/operation-exits", {"json": {"occurred_on": "2024-05-04", "status": LEFT}})
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/long-term-results"): lambda p, t, o: [
        (
            "POST",
            f"{T}/beneficiaries/{p.id}/long-term-results",
            {
                "json": {
                    "occurred_on": "2024-11-04",
                    "operation": "2021-2027",
                    "status": {"employed": True, "improved_labour_market_situation": False},
                }
            },
        )
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/operation-corrections"): lambda p, t, o: [
        (
            "POST",
            f"{T}/beneficiaries/{p.id}/operation-corrections",
            {
                "json": {
                    "operation": "2021-2027",
                    "record": "exit",
                    "changes": {"status": LEFT},
                    "reason": "typing_error",
                }
            },
        )
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/assignment"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/assignment", {"json": {"worker": w, "reason": "αλλαγή", **STEP}})
        for w in ("coord.sof", "cw.sof.centre", "cw.sof.roma")
    ],
    ("GET", "/t/{tenant}/people/{beneficiary_id}/responsible"): lambda p, t, o: [
        ("GET", f"/t/sofades/people/{p.id}/responsible", {})
    ],
    ("POST", "/t/{tenant}/people/{beneficiary_id}/responsible"): lambda p, t, o: [
        (
            "POST",
            f"/t/sofades/people/{p.id}/responsible",
            {"data": {"worker": "coord.sof", "reason": "αλλαγή", "occurred_on": "04/05/2024"}},
        )
    ],
    ("GET", "/t/{tenant}/handed-over"): lambda p, t, o: [("GET", "/t/sofades/handed-over", {})],
    ("GET", "/home"): lambda p, t, o: [("GET", "/home", {})],
    ("GET", "/t/{tenant}/dashboard"): lambda p, t, o: [("GET", "/t/sofades/dashboard", {"params": PERIOD})],
    ("GET", "/r/{region}/dashboard"): lambda p, t, o: [("GET", "/r/thessaly/dashboard", {"params": PERIOD})],
    ("GET", "/r/{region}/dashboard/download"): lambda p, t, o: [
        ("GET", "/r/thessaly/dashboard/download", {"params": {"period": "2024-05", "format": f}})
        for f in ("csv", "xlsx")
    ],
    ("GET", "/t/{tenant}/audit"): lambda p, t, o: [("GET", "/t/sofades/audit", {"params": PERIOD})],
    ("GET", "/t/{tenant}/audit/drilldown"): lambda p, t, o: [
        ("GET", "/t/sofades/audit/drilldown", {"params": {**PERIOD, "cell": "served/2024-05/female"}})
    ],
    ("GET", "/t/{tenant}/caseload"): lambda p, t, o: [("GET", "/t/sofades/caseload", {})],
    ("GET", "/t/{tenant}/work"): lambda p, t, o: [
        ("GET", "/t/sofades/work", {"params": {"list": name, "days": "0", **terms}})
        for name in ("cases", "follow_ups", "referrals", "agency")
        for terms in ({}, {"worker": "all"}, {"worker": "cw.sof.roma"})
    ],
    # ESF submissions (issue 21): figures only, people by pseudonym; the walkers' submissions are real.
    ("POST", "/api/v1/tenants/{tenant}/esf/submissions"): lambda p, t, o: [
        ("POST", f"{T}/esf/submissions", {"json": {"operation": "2021-2027", **PERIOD}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/esf/submissions"): lambda p, t, o: [("GET", f"{T}/esf/submissions", {})],
    ("GET", "/api/v1/tenants/{tenant}/esf/submissions/{submission_id}"): lambda p, t, o: [
        ("GET", f"{T}/esf/submissions/{WALKED_SUBMISSION}", {})
    ],
    ("POST", "/t/{tenant}/esf/submissions"): lambda p, t, o: [
        (
            "POST",
            "/t/sofades/esf/submissions",
            {
                "data": {
                    "command_id": "walk-esf-0001",
                    "operation": "2021-2027",
                    "from": "01/05/2024",
                    "to": "31/05/2024",
                }
            },
        )
    ],
    ("GET", "/t/{tenant}/esf/submissions"): lambda p, t, o: [("GET", "/t/sofades/esf/submissions", {})],
    ("GET", "/t/{tenant}/esf/submissions/{submission_id}"): lambda p, t, o: [
        ("GET", f"/t/sofades/esf/submissions/{WALKED_SUBMISSION}", {})
    ],
    ("GET", "/t/{tenant}/esf"): lambda p, t, o: [
        ("GET", "/t/sofades/esf", {"params": {**PERIOD, "operation": "2021-2027"}})
    ],
    ("GET", "/t/{tenant}/esf/download"): lambda p, t, o: [
        (
            "GET",
            "/t/sofades/esf/download",
            {"params": {**PERIOD, "operation": "2021-2027", "format": "csv", "part": part}},
        )
        for part in ("indicators", "participants")
    ],
    ("GET", "/t/{tenant}/dashboard/download"): lambda p, t, o: [
        ("GET", "/t/sofades/dashboard/download", {"params": PERIOD})
    ],
    ("GET", "/t/{tenant}/people"): lambda p, t, o: [
        ("GET", "/t/sofades/people", {"params": {"amka": p.amka}}),
        ("GET", "/t/sofades/people", {"params": {"name": p.last_name}}),
        ("GET", "/t/sofades/people", {"params": {"birth_date": p.birth_date}}),
        ("GET", "/t/sofades/people", {"params": {"name": p.last_name, "birth_date": p.birth_date}}),
    ],
    # The form posts what GET answers too (the same code); by ΑΜΚΑ only here, since the walk's page intake
    # (sorted before it) registers a namesake of each person in the caller's own structure.
    ("POST", "/t/{tenant}/people"): lambda p, t, o: [("POST", "/t/sofades/people", {"data": {"amka": p.amka}})],
    ("GET", "/t/{tenant}/intake"): lambda p, t, o: [
        ("GET", "/t/sofades/intake", {"params": {"amka": p.amka, "name": f"{p.first_name} {p.last_name}"}})
    ],
    ("POST", "/t/{tenant}/intake"): lambda p, t, o: [
        (
            "POST",
            "/t/sofades/intake",
            {
                "data": {
                    **PAGE_PERSON,
                    "personal.first_name": p.first_name,
                    "personal.last_name": p.last_name,
                    "personal.birth_date": p.birth_date,
                    "personal.amka": amka,
                    # The ghost asks with an ΑΜΚΑ of another birth date: confirmed on both, so only the
                    # ΑΜΚΑ's holder can make the answers differ.
                    "amka_date_mismatch_confirmed": "on",
                }
            },
        )
        for amka in (t, "")  # an ΑΜΚΑ taken; and none, so that only the likely-duplicate check can speak
    ],
    ("GET", "/t/{tenant}/record/{kind}"): lambda p, t, o: [
        ("GET", f"/t/sofades/record/{kind}", {"params": {"beneficiary": p.id}})
        for kind in ("request", "referral", "home_visit", "activity")
    ],
    ("POST", "/t/{tenant}/record/{kind}"): lambda p, t, o: [
        ("POST", "/t/sofades/record/request", {"data": {"beneficiary_id": p.id, "category": "gmi", **STEP}}),
        (
            "POST",
            "/t/sofades/record/activity",
            {"data": {"beneficiary_ids": p.id, "kind": "counselling_session", **STEP}},
        ),
    ],
    # issue 23: consent. A person's information and consents, over the API and the pages; the consent
    # withdrawn is named by an id of the person's own (a consent of theirs or not: the same answer).
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/privacy"): lambda p, t, o: [
        ("GET", f"{T}/beneficiaries/{p.id}/privacy", {})
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/information"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/information", {"json": {**STEP, "notice_version": "2018-05"}})
    ],
    ("POST", "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/consents"): lambda p, t, o: [
        ("POST", f"{T}/beneficiaries/{p.id}/consents", {"json": {**STEP, **CONSENT}})
    ],
    (
        "POST",
        "/api/v1/tenants/{tenant}/beneficiaries/{beneficiary_id}/consents/{consent_id}/withdrawal",
    ): lambda p, t, o: [("POST", f"{T}/beneficiaries/{p.id}/consents/{p.id}/withdrawal", {"json": STEP})],
    ("GET", "/t/{tenant}/people/{beneficiary_id}/consent"): lambda p, t, o: [
        ("GET", f"/t/sofades/people/{p.id}/consent", {})
    ],
    ("POST", "/t/{tenant}/people/{beneficiary_id}/information"): lambda p, t, o: [
        (
            "POST",
            f"/t/sofades/people/{p.id}/information",
            {"data": {"occurred_on": "04/05/2024", "notice_version": "2018-05"}},
        )
    ],
    ("POST", "/t/{tenant}/people/{beneficiary_id}/consents"): lambda p, t, o: [
        ("POST", f"/t/sofades/people/{p.id}/consents", {"data": {**CONSENT, "occurred_on": "04/05/2024"}})
    ],
    ("POST", "/t/{tenant}/people/{beneficiary_id}/consents/{consent_id}/withdrawal"): lambda p, t, o: [
        ("POST", f"/t/sofades/people/{p.id}/consents/{p.id}/withdrawal", {"data": {"occurred_on": "04/05/2024"}})
    ],
    **ENTRY_PAGES,
    **ESF_PAGES,
    # issue 23: documents
    ("POST", "/api/v1/tenants/{tenant}/documents"): lambda p, t, o: [("POST", f"{T}/documents", _document(p.id, "x"))],
    ("GET", "/api/v1/tenants/{tenant}/documents"): lambda p, t, o: [
        ("GET", f"{T}/documents", {"params": {"beneficiary_id": p.id}})
    ],
    ("GET", "/api/v1/tenants/{tenant}/documents/{document_id}/content"): lambda p, t, o: [
        ("GET", f"{T}/documents/{p.document}/content", {})
    ],
    ("GET", "/t/{tenant}/documents/{document_id}"): lambda p, t, o: [("GET", f"/t/sofades/documents/{p.document}", {})],
    ("POST", "/t/{tenant}/people/{person_id}/documents"): lambda p, t, o: [
        ("POST", f"/t/sofades/people/{p.id}/documents", _document(p.id, "x"))
    ],
    **HOUSEHOLD_ROUTES,
}
# Routes that take nothing about anyone and answer nothing about anyone (or end the walker's session).
NOT_ABOUT_PEOPLE = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/logout"),  # the caller's own session
    ("GET", "/password"),  # the caller's own password
    ("POST", "/password"),
    ("GET", "/"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/lang/{code}"),
    ("GET", "/static"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
    # issue 25: the field app's shell, worker and manifest (the same for everyone, no personal data) and
    # the caller's own device parameters (her salt, the hours): tests/e2e/test_field_work_api.py
    ("GET", "/field"),
    ("GET", "/field/"),
    ("GET", "/field/manifest.webmanifest"),
    ("GET", "/field/sw.js"),
    ("GET", "/api/v1/field/device"),
    # issue 23: catalogue. A municipality's own codes and labels, nobody's data (who may read and change
    # them: tests/e2e/test_catalogue_api.py and test_catalogue_web.py)
    ("GET", "/api/v1/tenants/{tenant}/catalogue"),
    ("POST", "/api/v1/tenants/{tenant}/catalogue"),
    ("POST", "/api/v1/tenants/{tenant}/catalogue/{kind}/{code}/retirement"),
    ("POST", "/api/v1/tenants/{tenant}/catalogue/{kind}/{code}/labels"),
    ("GET", "/t/{tenant}/catalogue"),
    ("POST", "/t/{tenant}/catalogue"),
    ("POST", "/t/{tenant}/catalogue/retire"),
}
SEARCHES = {
    ("GET", "/api/v1/tenants/{tenant}/beneficiaries"),
    ("GET", "/t/{tenant}/people"),
    ("POST", "/t/{tenant}/people"),
}


def app_routes(routes: list[Any]) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the application serves, routers included."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):  # an included router (FastAPI >= 0.16x)
            yield from app_routes([context.original_route for context in route.effective_route_contexts()])
            continue
        if hasattr(route, "routes") and not hasattr(route, "methods"):  # a router or a mount
            if getattr(route, "app", None) is not None and not getattr(route, "routes", None):
                yield "GET", route.path  # a mount (static files)
            else:
                yield from app_routes(route.routes)
            continue
        for method in sorted(set(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}):
            yield method, route.path


def test_the_walk_covers_every_route_of_the_application(walk: Walk) -> None:
    served = set(app_routes(walk.api.client.app.routes))  # type: ignore[attr-defined]
    assert served - NOT_ABOUT_PEOPLE - set(ROUTES) == set(), "add the new route to ROUTES (or NOT_ABOUT_PEOPLE)"
    assert set(ROUTES) - served == set(), "a route in ROUTES is no longer served"


# ------------------------------------------------------------------------------------------ the walkers
@dataclass
class Walk:
    api: Api
    centre: Person
    roma: Person
    clients: dict[str, TestClient]

    def send(self, user: str, call: Call) -> Any:
        method, url, kwargs = call
        client = self.clients[user]
        headers = {"Origin": "http://testserver"}
        if url.startswith("/api/"):
            headers["Authorization"] = self.api.headers(user)["Authorization"]
        elif method == "POST":  # a page's form: first draw it, to send what it carries (command id, tokens)
            kind = "intake" if url.endswith("/intake") else "record/activity"
            drawn = client.get(f"/t/sofades/{kind}")
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', drawn.text))
            kwargs = {**kwargs, "data": {**hidden, **kwargs["data"]}}
        return client.request(method, url, headers=headers, follow_redirects=False, **kwargs)


CLEARED = "auditor.sof.cleared"
WALKERS = [
    "cw.sof.centre",
    "cw.sof.roma",
    "coord.sof",
    "auditor.sof",
    CLEARED,
    "analyst.thessaly",
    "admin",
    "coord.kar",
    "auditor.pyl",
]


@pytest.fixture
def walk(api: Api) -> Walk:
    api.kentra.accounts.add(Principal(CLEARED, Role.AUDITOR, frozenset({"sofades"}), personal_data=True), PASSWORD)
    centre = record_person(api, "cw.sof.centre", CENTRE)
    roma = record_person(api, "cw.sof.roma", ROMA)
    clients = {}
    for user in WALKERS:
        client = TestClient(api.client.app, raise_server_exceptions=False)
        sign_in(Api(api.kentra, client), user)
        clients[user] = client
    return Walk(api, centre, roma, clients)


def blank(text: str, person: Person, taken: str) -> str:
    """The answer with the values the request carried blanked out, and the form's fresh ids."""
    for value, placeholder in sorted({**person.sent(), taken: "<amka>"}.items(), key=lambda kv: -len(kv[0])):
        shown = re.sub(r"^(\d{4})-(\d{2})-(\d{2})$", r"\3/\2/\1", value)  # a date as the pages show it
        for form in {value, json.dumps(value)[1:-1], quote(value), shown}:  # as sent, JSON-escaped, in a link
            text = text.replace(form, placeholder) if form else text
    text = re.sub(r"(web|http)-[0-9a-f-]{36}", r"\1-<key>", text)
    text = re.sub(r"(\?q=)[A-Za-z0-9_%=-]+", r"\1<sealed>", text)  # what was searched for, sealed afresh
    return re.sub(r'(name="[^"]*csrf[^"]*" value=")[^"]*', r"\1<token>", text)


def compare(walk: Walk, user: str, hidden: Person, seen: Person | None, routes: set[tuple[str, str]]) -> list[str]:
    """Each route about ``hidden`` and about a ghost; what differs, or shows what was not asked for."""
    nobody = ghost(hidden.structure)
    taken = (seen or walk.centre).amka  # an ΑΜΚΑ the caller may know is taken (her own structure's)
    own = seen.structure if seen else "centre"
    problems = []
    for route in sorted(routes):
        for about, ask in zip(ROUTES[route](hidden, hidden.amka, own), ROUTES[route](nobody, taken, own), strict=True):
            real = walk.send(user, about)
            sent = about[1] + json.dumps(about[2], ensure_ascii=False, default=str)
            leaked = [s for s in (*hidden.ids(), *hidden.personal()) if s not in sent and s in real.text]
            if leaked:
                problems.append(f"{user} {about[0]} {about[1]}: shows {leaked}")
            if about == ask:
                continue  # asks nothing about anyone (figures, the chain): nothing to tell the two apart by
            none = walk.send(user, ask)
            if seen is not None and hidden.structure in real.text:  # the person's structure
                problems.append(f"{user} {about[0]} {about[1]}: names the structure {hidden.structure}")
            if (real.status_code, blank(real.text, hidden, hidden.amka)) != (
                none.status_code,
                blank(none.text, nobody, taken),
            ):
                problems.append(
                    f"{user} {about[0]} {about[1]}: {real.status_code} {real.text[:300]!r} "
                    f"!= {none.status_code} {none.text[:300]!r}"
                )
    return problems


def test_a_caseworker_learns_nothing_of_the_other_structures_people_anywhere(walk: Walk) -> None:
    problems = compare(walk, "cw.sof.centre", walk.roma, walk.centre, set(ROUTES))
    problems += compare(walk, "cw.sof.roma", walk.centre, walk.roma, set(ROUTES))
    assert problems == []


@pytest.mark.parametrize("user", ["coord.kar", "auditor.pyl", "analyst.thessaly", "admin"])
def test_no_one_outside_the_tenant_learns_anything_of_its_people(walk: Walk, user: str) -> None:
    assert compare(walk, user, walk.roma, None, set(ROUTES)) == []  # the centre's: test_isolation.py


def test_an_auditor_without_clearance_searches_nobody_and_sees_no_personal_data(walk: Walk) -> None:
    problems = compare(walk, "auditor.sof", walk.roma, None, SEARCHES)
    for calls in ROUTES.values():  # the rest she may read, pseudonymised: never a name, an ΑΜΚΑ, a phone, a note
        for call in calls(walk.roma, walk.roma.amka, "centre"):
            sent = call[1] + json.dumps(call[2], ensure_ascii=False, default=str)
            text = walk.send("auditor.sof", call).text
            problems += [
                f"{call[1]}: {s}"
                for s in (*walk.roma.personal(), *walk.centre.personal())
                if s not in sent and s in text
            ]
    assert problems == []


def test_the_walk_would_see_a_difference_where_the_caller_may_see(walk: Walk) -> None:
    """A walk that compared nothing would pass everything: for a coordinator the answers do differ."""
    problems = compare(walk, "coord.sof", walk.roma, walk.centre, {r for r in ROUTES if r[0] == "GET" and "{" in r[1]})
    assert len(problems) >= 8, problems
    found = walk.send(CLEARED, ("GET", f"{T}/beneficiaries", {"params": {"amka": walk.roma.amka}})).json()
    assert [(m["id"], m["structure"], m["last_name"]) for m in found] == [
        (walk.roma.id, "roma-branch", walk.roma.last_name)
    ]


# ------------------------------------------------------------------------------------------ the access log
def searches(api: Api) -> list[Any]:
    return [
        e
        for e in read_log(api.kentra.casework("sofades"))
        if type(e).__qualname__ == f"{PersonalDataSearch.__name__}.Recorded"
    ]


def test_every_search_is_logged_with_how_and_how_many_but_never_what_was_searched(walk: Walk) -> None:
    api, before = walk.api, len(searches(walk.api))
    asked = [
        (CLEARED, ("GET", f"{T}/beneficiaries", {"params": {"amka": walk.roma.amka}})),
        ("coord.sof", ("GET", f"{T}/beneficiaries", {"params": {"name": "Κανένας Πουθενά"}})),
        ("cw.sof.centre", ("GET", f"{T}/beneficiaries", {"params": {"amka": walk.roma.amka}})),
        ("cw.sof.centre", ("GET", "/t/sofades/people", {"params": {"name": walk.centre.last_name}})),
    ]
    for user, call in asked:
        assert walk.send(user, call).status_code == 200
    logged = searches(api)[before:]
    assert [(e.searched_by, e.role, e.by, e.found) for e in logged] == [
        (CLEARED, "auditor", "amka", 1),
        ("coord.sof", "coordinator", "name", 0),
        ("cw.sof.centre", "caseworker", "amka", 0),  # the Roma branch's person is not shown, nor logged as seen
        ("cw.sof.centre", "caseworker", "name", 1),
    ]
    accesses = [
        e
        for e in read_log(api.kentra.casework("sofades"))
        if type(e).__qualname__ == f"{PersonalDataAccess.__name__}.Recorded"
    ]
    assert (CLEARED, walk.roma.id) in {(e.accessed_by, str(e.beneficiary_id)) for e in accesses}
    assert ("cw.sof.centre", walk.roma.id) not in {(e.accessed_by, str(e.beneficiary_id)) for e in accesses}
    recorder = api.kentra.casework("sofades").recorder
    stored = [
        n.state for n in recorder.select_notifications(start=None, limit=100_000) if "PersonalDataSearch" in n.topic
    ]
    assert len(stored) == len(searches(api))
    for state in stored:  # neither the ΑΜΚΑ nor the name searched for is kept, in any form the log holds
        assert walk.roma.amka.encode() not in state
        assert "Πουθενά".encode() not in state
        assert walk.centre.last_name.encode() not in state


# ------------------------------------------------------------------------------------------ the cases found
def test_an_amka_held_in_the_other_structure_is_refused_as_any_taken_amka_without_the_holder(walk: Walk) -> None:
    api = walk.api
    as_roma = _intake(ghost("centre"), walk.roma.amka, "centre")
    as_own = _intake(ghost("centre"), walk.centre.amka, "centre")
    refused = api.post("cw.sof.centre", "/beneficiaries", as_roma)
    assert refused.status_code == 409
    assert refused.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "this ΑΜΚΑ is already registered; ask your coordinator",
        "field": "amka",
        "error": "DuplicateBeneficiaryError",
    }
    assert api.post("cw.sof.centre", "/beneficiaries", as_own).json() == refused.json()  # whoever holds it
    told = api.post("coord.sof", "/beneficiaries", as_roma)  # the coordinator sees every structure
    assert (told.status_code, told.json()["existing_id"]) == (409, walk.roma.id)
    changed = api.post(
        "cw.sof.centre",
        "/corrections",
        {
            "entry_id": walk.centre.id,
            "reason": "typing_error",
            "personal": {"amka": walk.roma.amka},
            "amka_date_mismatch_confirmed": True,  # her ΑΜΚΑ bears another birth date: only the holder may speak
        },
    )
    assert (changed.status_code, changed.json().get("existing_id")) == (409, None)
    assert walk.roma.id not in changed.text


def test_a_caseworkers_person_page_lists_her_own_structures_entries_only(walk: Walk) -> None:
    roma_request = walk.api.post(
        "coord.sof",
        "/requests",
        {
            "beneficiary_id": walk.centre.id,
            "structure": "roma-branch",
            "occurred_on": "2024-05-09",
            "category": "domestic_violence",
        },
    )
    assert roma_request.status_code == 201, roma_request.text
    page = walk.clients["cw.sof.centre"].get(f"/t/sofades/people/{walk.centre.id}")
    assert page.status_code == 200
    assert "02/05/2024" in page.text  # her own structure's request
    assert "09/05/2024" not in page.text
    assert "Ενδοοικογενειακή βία" not in page.text
    coordinator = walk.clients["coord.sof"].get(f"/t/sofades/people/{walk.centre.id}")
    assert "Ενδοοικογενειακή βία" in coordinator.text
