"""The casework forms: which fields an intake, a request, a referral, a home visit and an activity
have, and the Greek or English words of the codes a person's page lists.

Each form's body is checked by the very schema the API uses (``services.commands``); the fields here
only say how it is drawn (``gateways.web.forms`` draws and reads any form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from domain import catalogue as cat
from domain.consent import ConsentMethod
from domain.events import ENTRY_KINDS
from domain.tenants import Tenant
from gateways.web.forms import Field, Kind, Section
from services import commands as c
from services.access import Principal, structure_scope

ISCED = [(str(level), f"isced_{level}") for level in range(9)]
NOTES = Field("notes", "notes", "textarea")

INTAKE = [
    Section(
        "personal_details",
        [
            Field("personal.first_name", "first_name", required=True, autocomplete="off"),
            Field("personal.last_name", "last_name", required=True, autocomplete="off"),
            Field("personal.birth_date", "birth_date", "date", required=True),
            Field("personal.amka", "amka", hint="amka_hint", autocomplete="off"),
            Field("amka_date_mismatch_confirmed", "amka_date_mismatch_confirmed", "checkbox"),
            Field("personal.afm", "afm", autocomplete="off"),
            Field("personal.phone", "phone", autocomplete="off"),
            Field("personal.email", "email", autocomplete="off"),
            Field("personal.address", "address", autocomplete="off"),
        ],
    ),
    Section(
        "profile",
        [
            Field("profile.gender", "gender", "select", cat.Gender, required=True),
            Field("profile.employment_status", "employment_status", "select", cat.EmploymentStatus, required=True),
            Field("profile.isced_level", "isced_level", "select", choices=ISCED, required=True),
            Field("profile.household_situation", "household", "select", cat.HouseholdSituation, required=True),
            Field("profile.residence_area", "residence_area", "select", cat.ResidenceArea, required=True),
            Field("profile.foreign_background", "foreign_background", "checkbox"),
            Field("profile.third_country_national", "third_country_national", "checkbox"),
            Field("profile.homeless_or_housing_exclusion", "homeless", "checkbox"),
        ],
    ),
    Section(
        "special",
        [
            Field("special.disability", "disability", "select", cat.Answer, required=True),
            Field("special.minority", "minority", "select", cat.Answer, required=True),
            Field("special.other_disadvantage", "other_disadvantage", "select", cat.Answer, required=True),
        ],
        hint="special_hint",
    ),
]

ENTRY_FORMS: dict[str, tuple[str, type[BaseModel], list[Field]]] = {
    "request": (
        "open_request",
        c.OpenRequestFields,
        [
            Field("category", "category", "select", cat.RequestCategory, required=True),
            Field("agency", "agency", "select", cat.Agency),
            Field("agency_reference", "agency_reference"),
            NOTES,
        ],
    ),
    "referral": (
        "send_referral",
        c.ReferralFields,
        [
            Field("destination", "destination", "select", cat.Agency, required=True),
            NOTES,
            # issue 23: consent, given with the referral (an NGO, a social-support structure, another agency)
            Field("consent.given_as", "referral_consent", "select", ConsentMethod, hint="referral_consent_hint"),
        ],
    ),
    "home_visit": (
        "record_home_visit",
        c.HomeVisitFields,
        [
            Field("purpose", "purpose", "select", cat.HomeVisitPurpose, required=True),
            Field("follow_up_due", "follow_up_due", "date"),
            Field("findings", "findings", "textarea"),
            # Asked of every visit, required of a prosecutor-ordered investigation (the domain says so).
            Field("order_reference", "order_reference", hint="order_hint"),
            Field("order_deadline", "order_deadline", "date", hint="order_hint"),
        ],
    ),
    "activity": (
        "record_activity",
        c.ActivityFields,
        [
            Field("kind", "activity_kind", "select", cat.ActivityKind, required=True),
            Field("participants", "participants", "number"),
            Field("event_type", "event_type", "select", cat.CommunityEventType),
            Field("agency", "agency", "select", cat.Agency),
            NOTES,
        ],
    ),
}
PERSON_KINDS = ("request", "referral", "home_visit")  # entries listed on a person's page
SUBTYPES: dict[str, type[cat.Labelled]] = {
    "request": cat.RequestCategory,
    "referral": cat.Agency,
    "home_visit": cat.HomeVisitPurpose,
}
STATUSES: dict[str, type[cat.Labelled]] = {"request": cat.RequestStatus, "referral": cat.ReferralStatus}


def structure_field(user: Principal, tenant: Tenant) -> Field:
    """A caseworker records for her own structure (a hidden field); others choose one."""
    if structure_scope(user) is not None:
        return Field("structure", "structure", "hidden")
    return Field(
        "structure",
        "structure",
        "select",
        choices=[(s.id, s.name_el) for s in tenant.structures],
        required=True,
    )


def occurred(label: str = "entry_date") -> Field:
    return Field("occurred_on", label, "date", required=True)


def intake_sections(user: Principal, tenant: Tenant) -> list[Section]:
    return [Section(None, [structure_field(user, tenant), occurred("intake_date")]), *INTAKE]


def entry_sections(user: Principal, tenant: Tenant, kind: str) -> list[Section]:
    _, _, fields = ENTRY_FORMS[kind]
    person = Field("beneficiary_ids" if kind == "activity" else "beneficiary_id", "person", "hidden")
    return [Section(None, [person, structure_field(user, tenant), occurred(), *fields])]


def label(labels: type[cat.Labelled], code: str | None, lang: str) -> str:
    """A code's words in the page's language; an unknown code as it is."""
    if code is None or code not in labels._value2member_map_:
        return code or ""
    return str(getattr(labels(code), f"label_{lang}"))


def status_label(kind: str, row: Mapping[str, Any], lang: str) -> str:
    labels = STATUSES.get(kind)
    return label(labels, row["status"], lang) if labels else str(row["status"])


def listed(kind: str, row: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A row of a person's page: the entry, what it is about and its state, in words."""
    return {**row, "what": label(SUBTYPES[kind], row["subtype"], lang), "state": status_label(kind, row, lang)}


# ---------------------------------------------------------------------------------------- steps on an entry
@dataclass(frozen=True)
class Step:
    """A step on an existing entry: the command it records, the body's schema and the form's fields.
    ``target`` is the command's name for the entry's id (``request_id``), or "" where the body names
    it (``entry_id`` of a correction)."""

    command: str
    model: type[BaseModel]
    fields: tuple[Field, ...]
    target: str = ""


VERSION = Field("expected_version", "expected_version", "hidden")
REASON = Field("reason", "correction_reason", "select", cat.CorrectionReason, required=True, hint="correction_hint")
REASON_NOTE = Field("reason_note", "reason_note", "textarea")
STEPS: dict[str, dict[str, Step]] = {
    "request": {
        "agency-status": Step(
            "record_agency_status",
            c.AgencyStatusFields,
            (
                Field("agency", "agency", "select", cat.Agency, required=True),
                Field("reference", "agency_reference"),
                Field("status", "agency_status", "select", cat.AgencyApplicationStatus, required=True),
                occurred("agency_status_date"),
            ),
            "request_id",
        ),
        "progress": Step("start_request_progress", c.StepFields, (occurred("step_date"),), "request_id"),
        "resolve": Step("resolve_request", c.NoteStepFields, (occurred("step_date"), NOTES), "request_id"),
        "close": Step("close_request_unresolved", c.NoteStepFields, (occurred("step_date"), NOTES), "request_id"),
        "withdraw": Step("withdraw_request", c.NoteStepFields, (occurred("step_date"), NOTES), "request_id"),
        "reopen": Step(
            "reopen_request",
            c.ReopenFields,
            (occurred("step_date"), Field("reason", "reopen_reason", "textarea", required=True)),
            "request_id",
        ),
    },
    "referral": {
        "accept": Step("accept_referral", c.StepFields, (occurred("answer_date"),), "referral_id"),
        "decline": Step(
            "decline_referral",
            c.NoteStepFields,
            (occurred("answer_date"), Field("notes", "decline_reason", "textarea")),
            "referral_id",
        ),
        "outcome": Step(
            "record_referral_outcome",
            c.OutcomeFields,
            (Field("outcome", "outcome", "select", cat.ReferralOutcome, required=True), occurred("step_date"), NOTES),
            "referral_id",
        ),
    },
    "home_visit": {
        "follow-up": Step(
            "complete_home_visit_follow_up",
            c.NoteStepFields,
            (occurred("follow_up_date"), Field("notes", "follow_up_findings", "textarea")),
            "visit_id",
        ),
    },
}
VOID = Step("void_entry", c.VoidFields, (REASON, REASON_NOTE))
# How each amendable field is drawn: its label, input and choices (a field not named here is text).
AMEND_INPUTS: dict[str, tuple[str, Kind, type[cat.Labelled] | None]] = {
    "occurred_on": ("entry_date", "date", None),
    "category": ("category", "select", cat.RequestCategory),
    "agency": ("agency", "select", cat.Agency),
    "agency_reference": ("agency_reference", "text", None),
    "destination": ("destination", "select", cat.Agency),
    "purpose": ("purpose", "select", cat.HomeVisitPurpose),
    "follow_up_due": ("follow_up_due", "date", None),
    "order_deadline": ("order_deadline", "date", None),
    "participants": ("participants", "number", None),
    "event_type": ("event_type", "select", cat.CommunityEventType),
}


def step_of(kind: str, step: str) -> Step | None:
    """The step of this name on this kind of entry (corrections apply to every kind)."""
    if step == "void":
        return VOID
    if step == "amend":
        return Step("amend_entry", c.AmendFields, ())
    return STEPS.get(kind, {}).get(step)


def step_names(kind: str) -> tuple[str, ...]:
    """Every step a kind of entry may take, in the order its page lists them."""
    return (*STEPS.get(kind, {}), "amend", "void")


def step_sections(step: Step) -> list[Section]:
    return [Section(None, [VERSION, *step.fields])]


def amend_sections(user: Principal, tenant: Tenant, kind: str) -> list[Section]:
    """The fields a correction of this kind may change (``AMENDABLE``), then its reason. A person's
    structure is moved by those who see every structure only; an activity's people are not changed here."""
    fields: list[Field] = [VERSION]
    sections: list[Section] = []
    for name in ENTRY_KINDS[kind].AMENDABLE:
        if name == "profile":
            sections.append(Section("profile", [_renamed(f, "changes.") for f in INTAKE[1].fields]))
        elif name == "structure":
            if structure_scope(user) is None:
                fields.append(_renamed(structure_field(user, tenant), "changes."))
        elif name != "beneficiary_ids":
            label, kind_of, options = AMEND_INPUTS.get(name, (name, "text", None))
            fields.append(Field(f"changes.{name}", label, kind_of, options))
    if kind == "beneficiary":
        personal = [f for f in INTAKE[0].fields if f.name.startswith("personal.")]
        special = [Field(f.name, f.label, f.kind, f.options) for f in INTAKE[2].fields]  # none required: kept if empty
        sections = [
            Section("personal_details", personal),
            *sections,
            Section("special", special, hint="special_amend_hint"),
        ]
    return [Section(None, fields), *sections, Section("correction", [REASON, REASON_NOTE])]


def _renamed(f: Field, prefix: str) -> Field:
    return Field(prefix + f.name, f.label, f.kind, f.options, f.choices, False, f.hint, f.autocomplete)
